package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/importer"
)

var genSettingsCommand = &cli.Command{
	Name:      "gen-settings",
	Usage:     "read a model file and write the settings for proving it",
	UsageText: "zkinfer gen-settings --model model.onnx|model.safetensors [--config config.json] [--seq-len N | --input input.json] [--blocks A:B | --lm] [--inputs NAME,… --outputs NAME,…] [--settings settings.json] [--input-visibility hashed] [--output-visibility hashed] [--weight-visibility fixed|hashed|public|committed]",
	Description: `Imports the model (an ONNX graph, a Hugging Face GPT-2, Llama or Mistral
checkpoint, or zkinfer's own safetensors + config), checks every tensor's name and shape, and
writes a settings file that records the model, its SHA-256 and the
visibility: input and output hashed by default (one public input each,
whatever the model's size; the bundle carries the values), weights fixed
(circuit constants) unless --weight-visibility says hashed (private
witnesses; the circuit recomputes the model commitment, a public input, so
one setup serves every model with the same settings and requantization
shifts) or public (as hashed, and the weights are public inputs too; small
models only). An imported
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
See what a model turns into first with: zkinfer inspect MODEL.
Next: calibrate-settings.`,
	Flags: []cli.Flag{ModelFlag, ConfigFlag, SeqLenFlag, SeqInputFlag, BlocksFlag, LMFlag, CutInputsFlag, CutOutputsFlag, SettingsFlag, InputVisibilityFlag, OutputVisibilityFlag, WeightVisibilityFlag},
	Action: func(ctx *cli.Context) error {
		opts, err := importOptions(ctx)
		if err != nil {
			return err
		}
		vis := quant.Visibility{Input: ctx.String(InputVisibilityFlag.Name), Output: ctx.String(OutputVisibilityFlag.Name), Weights: ctx.String(WeightVisibilityFlag.Name)}
		return genSettings(ctx.App.Writer, ctx.String(ModelFlag.Name), opts, ctx.String(SettingsFlag.Name), vis)
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

func genSettings(out io.Writer, model string, opts importer.Options, settingsPath string, vis quant.Visibility) error {
	if err := vis.Validate(); err != nil {
		return withHint(err, "pass --input-visibility and --output-visibility as public, hashed or private, and --weight-visibility as fixed, hashed, public or committed")
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
		if im.Format == importer.FormatHF && im.Float.Config.Architecture == quant.ArchitectureGraph {
			src.Options = fmt.Sprintf("lm seq_len=%d", im.Float.Graph.InputSize())
		}
		s, err = quant.NewImportedSettings(im.Float, src, settingsPath)
	}
	if err != nil {
		return withHint(err, modelHint)
	}
	s.Visibility = vis
	if err := s.Write(settingsPath); err != nil {
		return err
	}
	weights := ""
	if vis.Weights != quant.VisibilityFixed {
		weights = ", weights " + vis.Weights
	}
	fmt.Fprintf(out, "settings: %s (%s; input %s, output %s%s)\n", settingsPath, describe(s.Config), vis.Input, vis.Output, weights)
	if s.Source != nil {
		fmt.Fprintf(out, "imported from %s (%s) into %s\n", model, s.Source.Format, s.Weights)
	}
	for _, n := range im.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	return nil
}

var calibrateCommand = &cli.Command{
	Name:      "calibrate-settings",
	Usage:     "choose fixed-point scales from sample inputs and report the accuracy",
	UsageText: "zkinfer calibrate-settings --data calibration.json [--settings settings.json]",
	Description: `Runs the float model on the samples, picks for every activation the finest
power-of-two scale that does not saturate on them, quantizes, and compares the
integer reference with the float model (max abs and relative error per layer).
The scales and the report are stored in the settings file. Next: compile-circuit.

It also checks the calibration set: a single sample, identical or constant
samples, and — calibrating on the first three quarters of the samples and
running the integer model on the last quarter — tensors that saturate or use
fewer than 4 bits on those held-out samples. Each is a warning, an error with
--strict.`,
	Flags: []cli.Flag{DataFlag, SettingsFlag, JSONFlag, CalibrateStrictFlag},
	Action: func(ctx *cli.Context) error {
		rep, err := calibrate(ctx.String(SettingsFlag.Name), ctx.String(DataFlag.Name))
		if err != nil {
			return err
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

func calibrate(settingsPath, dataPath string) (*quant.AccuracyReport, error) {
	s, err := loadSettings(settingsPath)
	if err != nil {
		return nil, err
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
	m, err := quant.Quantize(fm, scales)
	if err != nil {
		return nil, err
	}
	rep, err := quant.Accuracy(fm, m, in.InputData)
	if err != nil {
		return nil, err
	}
	rep.Outliers = outliers
	if rep.Warnings, err = quant.CheckCalibration(fm, in.InputData); err != nil {
		return nil, err
	}
	s.Scales, s.Accuracy = &scales, rep
	return rep, s.Write(settingsPath)
}

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
	fmt.Fprintf(w, "  %-24s %14s %14s\n", "layer", "max abs error", "relative")
	for _, l := range rep.Layers {
		fmt.Fprintf(w, "  %-24s %14.5f %13.2f%%\n", l.Layer, l.MaxAbs, 100*l.Rel)
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
