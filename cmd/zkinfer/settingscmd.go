package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/importer"
)

var genSettingsCommand = &cli.Command{
	Name:      "gen-settings",
	Usage:     "read a model file and write the settings for proving it",
	UsageText: "zkinfer gen-settings --model model.onnx|model.safetensors [--config config.json] [--seq-len N | --input input.json] [--blocks A:B | --lm] [--inputs NAME,… --outputs NAME,…] [--settings settings.json] [--input-visibility hashed] [--output-visibility hashed] [--weight-visibility fixed|hashed|public|committed] [--precision compact | --requant-bits N --norm-requant-bits N]",
	Description: `Imports the model (an ONNX graph, a Hugging Face GPT-2, Llama or Mistral
checkpoint, or zkinfer's own safetensors + config), checks every tensor's name and shape, and
writes a settings file that records the model, its SHA-256 and the
visibility: input and output hashed by default (one public input each,
whatever the model's size; the bundle carries the values), weights fixed
(circuit constants) unless --weight-visibility says hashed (private
witnesses; the circuit recomputes the model commitment, a public input, so
one setup serves every model with the same settings and requantization
shifts) or public (as hashed, and the weights are public inputs too; small
models only). A graph with several inputs or outputs may expose each its
own way: --input-visibility ids=public,mask=private,hashed (a bare value is
for the parts not named; unknown names are refused with the graph's names),
the same for --output-visibility. An imported
model is converted into zkinfer's format beside the settings file
(settings.model.safetensors, settings.config.json) and its source recorded.
--inputs and --outputs cut an ONNX graph at named tensors (as zkinfer
inspect lists them) to prove the supported part of a larger model: the
converted copy is that part, so calibrate-settings, compile-circuit and
prove all use the same cut, and settings.json records it.
A Hugging Face GPT-2 checkpoint is a stack of blocks (the residual stream
in and out; --blocks A:B selects some) unless --lm imports it as a whole
language model (token ids in, logits out, for zkinfer generate); Llama and
Mistral checkpoints are always language models. --seq-len sets the number
of positions.
--precision compact (or --requant-bits N, --norm-requant-bits N) records a
requantization precision: a smaller circuit for coarser multipliers (see
calibrate-settings --help; README.md, "Smaller circuits").
See what a model turns into first with: zkinfer inspect MODEL.
Next: calibrate-settings.`,
	Flags: []cli.Flag{ModelFlag, ConfigFlag, SeqLenFlag, SeqInputFlag, BlocksFlag, LMFlag, CutInputsFlag, CutOutputsFlag, SettingsFlag, InputVisibilityFlag, OutputVisibilityFlag, WeightVisibilityFlag, PrecisionFlag, RequantBitsFlag, NormRequantBitsFlag},
	Action: func(ctx *cli.Context) error {
		opts, err := importOptions(ctx)
		if err != nil {
			return err
		}
		vis, err := ioVisibility(ctx, ctx.String(WeightVisibilityFlag.Name))
		if err != nil {
			return err
		}
		prec, _, err := precisionFlags(ctx, quant.Precision{})
		if err != nil {
			return err
		}
		return genSettings(ctx.App.Writer, ctx.String(ModelFlag.Name), opts, ctx.String(SettingsFlag.Name), vis, prec)
	},
}

// modelHint tells the user which model files are read.
const modelHint = "the model is an ONNX graph (.onnx: an ffn block or a stack of GPT-2 blocks as torch.onnx.export writes them, or a layer graph of the ops README.md lists), a Hugging Face GPT-2, Llama or Mistral checkpoint (model.safetensors beside its config.json; --lm imports a GPT-2 as a whole language model), or a safetensors file with GPT-2 tensor names (e.g. h.0.attn.c_attn.weight, or mlp.c_fc.weight for an ffn block) with --config a zkinfer config; zkinfer inspect MODEL shows how a model is read; see README.md"

// cutHint tells the user what --inputs and --outputs take.
const cutHint = "--inputs and --outputs take the names of ONNX tensors (the values nodes write, e.g. /2/AveragePool_output_0 as torch.onnx.export names them; Netron shows them), comma-separated or repeated; see README.md (sub-graphs)"

// importOptions reads the flags that complete a model file.
func importOptions(ctx *cli.Context) (importer.Options, error) {
	opts := importer.Options{ConfigPath: ctx.String(ConfigFlag.Name), SeqLen: ctx.Int(SeqLenFlag.Name), Blocks: ctx.String(BlocksFlag.Name),
		LM: ctx.Bool(LMFlag.Name), Inputs: ctx.StringSlice(CutInputsFlag.Name), Outputs: ctx.StringSlice(CutOutputsFlag.Name)}
	if p := ctx.String(SeqInputFlag.Name); p != "" {
		n, err := importer.InputValues(p)
		if err != nil {
			return opts, withHint(err, "--input is the input file to prove, {\"input_data\": [[seq_len·d_model numbers]]}")
		}
		opts.InputValues = n
	}
	return opts, nil
}

func openModel(model string, opts importer.Options) (*importer.Model, error) {
	im, err := importer.Open(model, opts)
	if err != nil {
		if len(opts.Inputs) > 0 || len(opts.Outputs) > 0 {
			return nil, withHint(err, cutHint)
		}
		return nil, withHint(err, modelHint)
	}
	return im, nil
}

func genSettings(out io.Writer, model string, opts importer.Options, settingsPath string, vis quant.Visibility, prec quant.Precision) error {
	if err := vis.Validate(); err != nil {
		return withHint(err, "%s", visibilityHint)
	}
	im, err := openModel(model, opts)
	if err != nil {
		return err
	}
	var s *quant.Settings
	if im.Format == importer.FormatNative {
		s, _, err = quant.NewSettings(model, im.ConfigPath, settingsPath)
	} else {
		src := quant.Source{Format: im.Format, Path: model, Inputs: opts.Inputs, Outputs: opts.Outputs}
		if opts.SeqLen != 0 || opts.InputValues != 0 || opts.Blocks != "" {
			seq := im.Float.Config.SeqLen
			if im.Float.Config.Architecture == quant.ArchitectureGraph {
				seq = opts.SeqLen
			}
			src.Options = fmt.Sprintf("seq_len=%d blocks=%q", seq, opts.Blocks)
		}
		if im.Format == importer.FormatHF {
			src.Config = im.ConfigPath
		}
		if im.Format == importer.FormatHF && im.Float.Config.Architecture == quant.ArchitectureGraph {
			src.Options = fmt.Sprintf("lm seq_len=%d", im.Float.Graph.InputSize())
		}
		s, err = quant.NewImportedSettings(im.Float, src, settingsPath)
	}
	if err != nil {
		return withHint(err, modelHint)
	}
	// Per-part visibility names the model's inputs and outputs: checked
	// here, recorded in canonical form (one visibility for all parts when
	// they are alike, every part named otherwise).
	in, outParts := im.Float.IONames()
	if vis, err = vis.Resolve(in, outParts); err != nil {
		return withHint(err, "%s", visibilityHint)
	}
	s.Visibility = vis
	s.Precision = prec
	if err := s.Write(settingsPath); err != nil {
		return err
	}
	weights := ""
	if vis.Weights != quant.VisibilityFixed {
		weights = ", weights " + vis.Weights
	}
	fmt.Fprintf(out, "settings: %s (%s; input %s, output %s%s)\n", settingsPath, describe(s.Config), quant.FormatIOVisibility(vis.Input, vis.InputParts), quant.FormatIOVisibility(vis.Output, vis.OutputParts), weights)
	if s.Source != nil {
		fmt.Fprintf(out, "imported from %s (%s) into %s\n", model, s.Source.Format, s.Weights)
	}
	if !prec.IsDefault() {
		fmt.Fprintf(out, "requantization precision: %s\n", prec)
	}
	for _, n := range im.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	return nil
}

var (
	lmPromptsFlag = &cli.IntFlag{
		Name: "lm-prompts", Category: catModel, Value: quant.DefaultLMPrompts,
		Usage: "language models (token ids in, logits out): compare the integer model's greedy next tokens with the float model's on `N` random prompts (0: skip)",
	}
	lmPromptLenFlag = &cli.IntFlag{
		Name: "lm-prompt-len", Category: catModel,
		Usage: "`L` tokens per random prompt, compared at each of the L positions (default: the model's sequence length)",
	}
	lmSeedFlag = &cli.Uint64Flag{
		Name: "seed", Category: catModel, Value: quant.DefaultLMSeed,
		Usage: "`SEED` of the random prompts (the same seed draws the same prompts)",
	}
	calibReportFlag = &cli.StringFlag{
		Name: "report", Category: catFiles,
		Usage: "also write the accuracy report (per-layer errors, LM agreement with its examples) as JSON to `FILE` (settings.json holds it too, under \"accuracy\")",
	}
)

var calibrateCommand = &cli.Command{
	Name:      "calibrate-settings",
	Usage:     "choose fixed-point scales from sample inputs and report the accuracy",
	UsageText: "zkinfer calibrate-settings --data calibration.json [--settings settings.json] [--report accuracy.json] [--lm-prompts N] [--lm-prompt-len L] [--seed S] [--precision compact | --requant-bits N --norm-requant-bits N]",
	Description: `Runs the float model on the samples, picks for every activation the finest
power-of-two scale that does not saturate on them, quantizes, and compares the
integer reference with the float model on the samples: per layer (for a
layer graph, per node output, with the node's op) the largest and the root
mean square error of the dequantized integer values, the largest float
magnitude (the range) and the largest error relative to it.
The scales and the report are stored in the settings file (--report also
writes the report on its own). Next: compile-circuit.

For a language model (a layer graph of token ids [1, T] in and logits
[1, T, V] out), it also runs both models on --lm-prompts random prompts
(ids uniform over the vocabulary, drawn from --seed; --lm-prompt-len
tokens each, the rest padded with id 0) and reports how often the integer
model's greedy next token — the argmax of the logits row, ties to the
lowest id, as generate proves it — is the float model's: overall, per
position and per prompt, the integer ties, and the first disagreements
with the float logit gap between the two tokens (a small gap is a near
tie in float too). For a causal model position t's token is the greedy
next token after the first t + 1 ids.

It also checks the calibration set: a single sample, identical or constant
samples, and — calibrating on the first three quarters of the samples and
running the integer model on the last quarter — tensors that saturate or use
fewer than 4 bits on those held-out samples. Each is a warning, an error with
--strict.

Requantization precision (settings' "requant_bits", "norm_requant_bits";
gen-settings takes the same flags): each requantization's remainder is
range-checked in limbs of about 15 bits, and by default its shift keeps
about 16 bits of multiplier precision (23–26-bit remainders for dense
layers, 42–45 for LayerNorm: two and three limbs). --precision compact
(--requant-bits 15 --norm-requant-bits 30) caps them at one and two limbs,
for coarser multipliers (at least 5 bits; a norm's reciprocal square root
keeps at least 4 bits beyond the worst case); the flags update the
settings. The accuracy table shows what that costs, and a table of every
capped requantization (default and chosen shift, multiplier bits, a
norm's K) says which could not reach the cap. The circuit is the same
code; only the quantized multipliers and shifts differ.`,
	Flags: []cli.Flag{DataFlag, SettingsFlag, JSONFlag, CalibrateStrictFlag, calibReportFlag, lmPromptsFlag, lmPromptLenFlag, lmSeedFlag, PrecisionFlag, RequantBitsFlag, NormRequantBitsFlag},
	Action: func(ctx *cli.Context) error {
		lm := quant.LMAgreementOptions{Prompts: ctx.Int(lmPromptsFlag.Name), Len: ctx.Int(lmPromptLenFlag.Name), Seed: ctx.Uint64(lmSeedFlag.Name)}
		if lm.Prompts < 0 || lm.Len < 0 {
			return withHint(fmt.Errorf("calibrate-settings: %w: --lm-prompts %d, --lm-prompt-len %d", quant.ErrValidation, lm.Prompts, lm.Len), "pass --lm-prompts N ≥ 1 (0 skips the comparison) and --lm-prompt-len L between 1 and the model's sequence length")
		}
		if lm.Prompts > quant.MaxLMPrompts { // before calibrating, which may take long
			return withHint(fmt.Errorf("calibrate-settings: %w: --lm-prompts %d: at most %d", quant.ErrValidation, lm.Prompts, quant.MaxLMPrompts), "pass --lm-prompts N between 1 and %d (each prompt is one float and one integer forward pass; 0 skips the comparison)", quant.MaxLMPrompts)
		}
		lmSet := ctx.IsSet(lmPromptsFlag.Name) || ctx.IsSet(lmPromptLenFlag.Name) || ctx.IsSet(lmSeedFlag.Name)
		prec := func(p quant.Precision) (quant.Precision, error) {
			p, _, err := precisionFlags(ctx, p)
			return p, err
		}
		rep, err := calibrate(ctx.String(SettingsFlag.Name), ctx.String(DataFlag.Name), lm, lmSet, prec, newProgress(ctx), ctx.App.ErrWriter)
		if err != nil {
			return err
		}
		if p := ctx.String(calibReportFlag.Name); p != "" {
			data, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				return err
			}
			if err := quant.WriteFile(p, append(data, '\n'), 0o644); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		warnOutliers(ctx.App.ErrWriter, ctx.String(DataFlag.Name), rep.Outliers)
		for _, w := range rep.Warnings {
			fmt.Fprintf(ctx.App.ErrWriter, "zkinfer: warning: calibrate-settings: %s: %s\n", ctx.String(DataFlag.Name), w.Message)
		}
		if len(rep.Warnings) > 0 && ctx.Bool(CalibrateStrictFlag.Name) {
			return withHint(fmt.Errorf("calibrate-settings: %s: %w: %s", ctx.String(DataFlag.Name), quant.ErrValidation, rep.Warnings[0].Message), "calibrate on more, representative samples (the scales were written; --%s makes these checks errors)", CalibrateStrictFlag.Name)
		}
		if ctx.Bool(JSONFlag.Name) {
			return printJSON(ctx.App.Writer, rep)
		}
		printAccuracy(ctx.App.Writer, rep)
		return nil
	},
}

// calibrate picks the scales of the model of settingsPath on the samples
// of dataPath, reports the accuracy and, for a language model and
// lm.Prompts > 0, the greedy top-1 agreement (a note on warn when lmSet
// and the model is no language model). prec, when not nil, returns the
// requantization precision given the settings' (the flags).
func calibrate(settingsPath, dataPath string, lm quant.LMAgreementOptions, lmSet bool, prec func(quant.Precision) (quant.Precision, error), p *progress, warn io.Writer) (*quant.AccuracyReport, error) {
	s, err := loadSettings(settingsPath)
	if err != nil {
		return nil, err
	}
	if prec != nil {
		if s.Precision, err = prec(s.Precision); err != nil {
			return nil, err
		}
	}
	fm, err := s.LoadModel()
	if err != nil {
		return nil, withHint(err, "run gen-settings again if the model changed")
	}
	in, err := quant.LoadInput(dataPath, s.Config)
	if err != nil {
		return nil, err
	}
	scales, outliers, err := quant.CalibrateReport(fm, in.InputData)
	if err != nil {
		return nil, err
	}
	var notes []quant.RequantNote
	m, err := quant.QuantizeWith(fm, scales, quant.NewRequantizer(s.Precision, &notes))
	if err != nil {
		return nil, err
	}
	rep, err := quant.Accuracy(fm, m, in.InputData)
	if err != nil {
		return nil, err
	}
	rep.Outliers = outliers
	if !s.Precision.IsDefault() {
		p := s.Precision
		rep.Precision, rep.Requantizations = &p, notes
	}
	if rep.Warnings, err = quant.CheckCalibration(fm, in.InputData); err != nil {
		return nil, err
	}
	if lm.Prompts > 0 {
		_, _, err := quant.LMShape(m)
		switch {
		case err == nil:
			if rep.LM, err = lmAgreement(fm, m, lm, p); err != nil {
				return nil, withHint(fmt.Errorf("calibrate-settings: greedy agreement: %w", err), "--lm-prompts must be 1..%d and --lm-prompt-len at most the model's sequence length", quant.MaxLMPrompts)
			}
		case lmSet && warn != nil:
			fmt.Fprintf(warn, "zkinfer: note: calibrate-settings: no greedy-token comparison: %v\n", err)
		}
	}
	s.Scales, s.Accuracy = &scales, rep
	return rep, s.Write(settingsPath)
}

// lmAgreement runs quant.LMAgreement with a progress stage and, every few
// seconds, a line of how many prompts are done.
func lmAgreement(fm *quant.FloatModel, m *quant.Model, o quant.LMAgreementOptions, p *progress) (*quant.LMAgreementReport, error) {
	n := o.Prompts
	done := p.Start(fmt.Sprintf("greedy tokens of the integer vs the float model on %d random prompts", n))
	defer done()
	last := time.Now()
	o.Progress = func(k, total int) {
		if !p.quiet && k < total && time.Since(last) >= lmProgressEvery {
			last = time.Now()
			fmt.Fprintf(p.w, "greedy tokens: %d of %d prompts compared\n", k, total)
		}
	}
	return quant.LMAgreement(fm, m, o)
}

// lmProgressEvery is how often a long greedy-token comparison prints a
// line.
const lmProgressEvery = 5 * time.Second

// describe renders a config's shape in one line.
func describe(c quant.Config) string {
	if c.Architecture == quant.ArchitectureGraph {
		return quant.DescribeGraph(c)
	}
	s := fmt.Sprintf("%s: d_model=%d d_hidden=%d seq_len=%d activation=%s", c.Architecture, c.DModel, c.DHidden, c.SeqLen, c.Activation)
	if c.Architecture == quant.ArchitectureGPT2 {
		s += fmt.Sprintf(" n_layer=%d n_head=%d ln_f=%v", c.NLayer, c.NHead, c.FinalLayerNorm)
	}
	return s
}

func loadSettings(path string) (*quant.Settings, error) {
	s, err := quant.LoadSettings(path)
	if err != nil {
		return nil, withHint(err, "create the settings with: zkinfer gen-settings --model MODEL --settings %s", path)
	}
	return s, nil
}

func printAccuracy(w io.Writer, rep *quant.AccuracyReport) {
	fmt.Fprintf(w, "accuracy of the integer model vs float, over %d samples:\n", rep.Samples)
	width, ops := len("layer"), false
	for _, l := range rep.Layers {
		width = max(width, min(len(l.Layer), 40))
		ops = ops || l.Op != ""
	}
	op := func(s string) string {
		if !ops {
			return ""
		}
		return fmt.Sprintf(" %-14s", s)
	}
	fmt.Fprintf(w, "  %-*s%s %14s %12s %12s %9s\n", width, "layer", op("op"), "max abs error", "rms error", "float range", "relative")
	for _, l := range rep.Layers {
		fmt.Fprintf(w, "  %-*s%s %14.5f %12.5f %12.5g %8.2f%%\n", width, l.Layer, op(l.Op), l.MaxAbs, l.RMS, l.Range, 100*l.Rel)
	}
	if a := rep.LM; a != nil {
		printLMAgreement(w, a)
	}
	printRequantizations(w, rep)
}

// printRequantizations lists what each capped requantization got.
func printRequantizations(w io.Writer, rep *quant.AccuracyReport) {
	if rep.Precision == nil {
		return
	}
	fmt.Fprintf(w, "requantization precision %s: %d requantizations\n", rep.Precision, len(rep.Requantizations))
	if len(rep.Requantizations) == 0 {
		return
	}
	width := len("node")
	for _, n := range rep.Requantizations {
		width = max(width, min(len(n.Node)+len(n.Site)+1, 40))
	}
	fmt.Fprintf(w, "  %-*s %4s %8s %6s %10s %4s\n", width, "node", "cap", "default", "shift", "mult bits", "k")
	missed := 0
	for _, n := range rep.Requantizations {
		name := n.Node
		if n.Site != "" {
			name += "/" + n.Site
		}
		k, note := "", ""
		if n.K != 0 {
			k = fmt.Sprint(n.K)
		}
		switch {
		case !n.Reached():
			note, missed = "  cap not reached: the nearest shift that keeps the multiplier's bits", missed+1
		case n.Exact:
			note = "  exact (a power-of-two ratio)"
		}
		fmt.Fprintf(w, "  %-*s %4d %8d %6d %10d %4s%s\n", width, name, n.Cap, n.Default, n.Shift, n.MultBits, k, note)
	}
	if missed > 0 {
		fmt.Fprintf(w, "  %d of %d requantizations could not reach their cap at these scales\n", missed, len(rep.Requantizations))
	}
}

// printLMAgreement prints a language model's greedy top-1 agreement.
func printLMAgreement(w io.Writer, a *quant.LMAgreementReport) {
	n := a.Prompts * a.PromptLen
	fmt.Fprintf(w, "greedy next tokens, integer vs float model, on %d random prompts of %d tokens (seed %d, vocabulary %d):\n", a.Prompts, a.PromptLen, a.Seed, a.Vocab)
	fmt.Fprintf(w, "  top-1 agreement: %.2f%% of %d positions; every position agrees on %d of %d prompts\n", 100*a.Agree, n, a.AllAgree, a.Prompts)
	fmt.Fprintf(w, "  per position:")
	for i, f := range a.PerPosition {
		if i > 0 && i%8 == 0 {
			fmt.Fprintf(w, "\n               ")
		}
		fmt.Fprintf(w, " %d:%.0f%%", i, 100*f)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  integer logits tied at the maximum (lowest id taken): %d of %d positions\n", a.IntegerTies, n)
	if len(a.Examples) > 0 {
		fmt.Fprintf(w, "  disagreements: mean float logit gap %.4g (float token's logit minus the integer token's; small: a near tie in float too); first ones:\n", a.MeanGap)
		for _, e := range a.Examples {
			more := ""
			if len(e.Context) < e.Position+1 {
				more = "… "
			}
			fmt.Fprintf(w, "    prompt %d position %d (after ids %s%v): float %d, integer %d, gap %.4g\n", e.Prompt, e.Position, more, e.Context, e.Float, e.Integer, e.Gap)
		}
	}
	if !a.Causal {
		fmt.Fprintln(w, "  note: the model is not causal (quant.CheckCausal): a position's token is the argmax of its logits row, not the greedy next token of its prefix")
	}
}

// warnOutliers warns, on w, of the tensors whose calibrated scale one
// outlying value of the samples in dataPath set.
func warnOutliers(w io.Writer, dataPath string, outliers []quant.Outlier) {
	for _, o := range outliers {
		fmt.Fprintf(w, "zkinfer: warning: calibration: tensor %s: sample %d of %s has a value of magnitude %.4g, at least %d× the tensor's %dth percentile (below %.4g): it alone sets the scale, and the other values lose %d of their 8 bits\n",
			o.Tensor, o.Sample, dataPath, o.MaxAbs, 1<<o.BitsLost, quant.OutlierPercentile, o.Percentile, o.BitsLost)
	}
	if len(outliers) > 0 {
		fmt.Fprintf(w, "zkinfer: hint: fix or drop sample %d of %s if it is an error, then calibrate again; the accuracy report shows what it costs\n", outliers[0].Sample, dataPath)
	}
}
