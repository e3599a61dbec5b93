package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tiktoken-go/tokenizer"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// GPT2Vocab is the size of GPT-2's vocabulary (r50k_base): a model whose
// logits have this many columns reads and writes GPT-2 BPE token ids.
const GPT2Vocab = 50257

var (
	genTokensFlag = &cli.StringFlag{
		Name: "tokens", Category: catModel,
		Usage: "the prompt as token `IDS` (comma-separated), for any vocabulary",
	}
	genPromptFlag = &cli.StringFlag{
		Name: "prompt", Category: catModel,
		Usage: "the prompt as `TEXT`, tokenized with GPT-2's BPE (models with GPT-2's vocabulary of 50257 tokens)",
	}
	genNewTokensFlag = &cli.IntFlag{
		Name: "max-new-tokens", Aliases: []string{"n"}, Category: catModel, Value: 4,
		Usage: "`N` tokens to generate and prove; prompt + N − 1 must fit the model's sequence length",
	}
	genModelOutFlag = &cli.StringFlag{
		Name: "greedy-model", Category: catFiles, Value: "generate.quant.json",
		Usage: "`FILE` to write the greedy-completion model to (the LM plus its next_tokens check; verify --model reads it)",
	}
	genInputOutFlag = &cli.StringFlag{
		Name: "ids", Category: catFiles, Value: "generate.input.json",
		Usage: "`FILE` to write the model's input ids to (an ordinary input file)",
	}
	genShardsFlag = &cli.IntFlag{
		Name: "shards", Category: catProve,
		Usage: "prove the completion in `N` shards (compile-circuit --shards N), one circuit and proof each (0: one circuit)",
	}
	genCircuitFlag = &cli.StringFlag{Name: "circuit", Category: catFiles, Value: "generate.zkc", Usage: "compiled circuit `FILE` to write"}
	genPKFlag      = &cli.StringFlag{Name: "pk", Category: catFiles, Value: "generate.pk.key", Usage: "proving key `FILE` (written with --dev, read otherwise)"}
	genVKFlag      = &cli.StringFlag{Name: "vk", Category: catFiles, Value: "generate.vk.key", Usage: "verifying key `FILE` (written with --dev, read otherwise)"}
)

var generateCommand = &cli.Command{
	Name:      "generate",
	Usage:     "greedily complete a prompt with a language model and prove the completion",
	UsageText: "zkinfer generate (--prompt TEXT | --tokens 1,2,3) [--max-new-tokens N] [--sample top-k=K,temperature=T --seed S] [--shards N] [--quantized model.quant.json] [--dev] [--backend groth16|plonk] [--bundle proof.json]",
	Description: `Runs the quantized language model (a layer graph: token ids [1, T] in,
logits [1, T, V] out, causal; e.g. a nanoGPT or Llama-style ONNX export
compiled with compile-circuit) greedily on the prompt for N new tokens, then
proves the whole completion in one proof:

   the model reads the prompt (L tokens), the completion but its last
   token, and padding up to T; one forward pass runs the blocks at every
   position and the position-wise tail (ln_f, the LM head, the last MLP)
   at positions L − 1 … L + N − 2 only, and an op next_tokens checks that
   at each of them the argmax of the logits (the lowest id on ties) is the
   next token.

The causal mask makes position t's logits a function of the tokens up to t,
so the one pass is exactly the N decoding steps; the padding changes no
checked row. generate checks that statically before anything runs (every
op's dependence on positions; a mask that leaves weight on a later
position, a bidirectional layer or a reduction over positions is refused)
and again by running the pass over other padding; verify --model repeats
the static check. The statement is the model commitment (of the LM plus the
check, which names L and N), the input ids and the completion (public or
hashed values, per --input-visibility and --output-visibility; the bundle
carries them).

Writes the greedy model (--greedy-model), the input ids (--ids), the circuit
(--circuit) and, with --dev, UNSAFE keys (--pk, --vk; without --dev they
are read: make them with 'zkinfer setup' on the written circuit), then the
bundle. --prompt tokenizes with GPT-2's BPE (r50k_base, embedded: no
download) and needs a model with GPT-2's 50257-token vocabulary; --tokens
takes ids for any vocabulary. Next: zkinfer verify --vk generate.vk.key
--model generate.quant.json proof.json prints the prompt and the completion.

--sample top-k=K,temperature=T samples instead (op sample_tokens): at each
position the K largest logits (ties to the lower id) weighted by a table of
exp(−(max − logit)/T) committed with the model, drawn by
Poseidon2(seed, position) — the public --seed is a second model input, so
the bundle states it, and the circuit recomputes the draw: the prover has
no choice. The same prompt, model and seed always give the same completion.

--shards N cuts the greedy model into N shards of about equal estimated
constraints (compile-circuit --shards): e.g. the embedding and the first
blocks, the middle blocks, the last blocks with the head and next_tokens;
the token ids cross every cut that next_tokens still needs, hashed with the
activations. It writes the shard circuits and generate.shards.json beside
--circuit, with --dev their keys and the keys manifest generate.keys.json,
and a sharded bundle whose statement is the unsharded one's (ids in,
completion out, the model commitment). Next: zkinfer verify --keys
generate.keys.json --model generate.quant.json proof.json.`,
	Flags: []cli.Flag{genPromptFlag, genTokensFlag, genNewTokensFlag, QuantizedFlag, genModelOutFlag, genInputOutFlag, genCircuitFlag, genPKFlag, genVKFlag, BundleFlag, DevFlag, BackendFlag, InputVisibilityFlag, OutputVisibilityFlag, genSampleFlag, genSeedFlag, genShardsFlag},
	Action: func(ctx *cli.Context) error {
		return generate(ctx)
	},
}

// gpt2Codec is GPT-2's BPE (tiktoken's r50k_base), built once.
var gpt2Codec = sync.OnceValues(func() (tokenizer.Codec, error) { return tokenizer.Get(tokenizer.R50kBase) })

// encodeGPT2 tokenizes text with GPT-2's BPE.
func encodeGPT2(text string) ([]int64, error) {
	c, err := gpt2Codec()
	if err != nil {
		return nil, err
	}
	ids, _, err := c.Encode(text)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(ids))
	for i, v := range ids {
		out[i] = int64(v)
	}
	return out, nil
}

// decodeGPT2 detokenizes GPT-2 ids (each below GPT2Vocab).
func decodeGPT2(ids []int64) (string, error) {
	c, err := gpt2Codec()
	if err != nil {
		return "", err
	}
	u := make([]uint, len(ids))
	for i, v := range ids {
		if v < 0 || v >= GPT2Vocab {
			return "", fmt.Errorf("%w: token %d is not a GPT-2 token id", quant.ErrRange, v)
		}
		u[i] = uint(v)
	}
	return c.Decode(u)
}

// parseTokens reads comma-separated ids.
func parseTokens(s string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 || v > quant.MaxIndex {
			return nil, fmt.Errorf("%w: --tokens: %q is not a token id (0..%d)", quant.ErrValidation, f, quant.MaxIndex)
		}
		ids = append(ids, v)
	}
	return ids, nil
}

// lmShape checks that m is a causal LM graph (one index input of T ids, one
// int8 output of T rows of V logits) and returns T and V.
func lmShape(m *quant.Model) (t, v int, err error) {
	g := m.Graph
	if g == nil || len(g.Inputs) != 1 || len(g.Outputs) != 1 {
		return 0, 0, fmt.Errorf("%w: not a language model: generate needs a layer graph with one input (token ids) and one output (logits)", quant.ErrValidation)
	}
	in, out := g.Values[g.Inputs[0]], g.Values[g.Outputs[0]]
	if in.DType != quant.DTypeIndex || out.DType != quant.DTypeInt8 || len(out.Shape) < 2 {
		return 0, 0, fmt.Errorf("%w: not a language model: the input must be token ids (int64 in the export) and the output logits [1, T, V]", quant.ErrValidation)
	}
	t, v = out.Shape[len(out.Shape)-2], out.Shape[len(out.Shape)-1]
	if in.Size() != t || quant.ShapeSize(out.Shape) != t*v {
		return 0, 0, fmt.Errorf("%w: not a language model: %d ids in, logits %v out", quant.ErrValidation, in.Size(), out.Shape)
	}
	if in.Hi != int64(v-1) {
		return 0, 0, fmt.Errorf("%w: the model reads ids 0..%d but predicts %d tokens: greedy decoding feeds every predicted id back", quant.ErrValidation, in.Hi, v)
	}
	return t, v, nil
}

// greedyDecode returns n greedy tokens after prompt: step k runs the model
// on the prompt, the k tokens so far and zero padding up to t, and takes
// the argmax of row L − 1 + k.
func greedyDecode(m *quant.Model, prompt []int64, n, t, v int, p prover.Progress) ([]int64, error) {
	ids := append([]int64(nil), prompt...)
	for k := range n {
		done := p.Start(fmt.Sprintf("decoding token %d of %d", k+1, n))
		x := make([]int64, t)
		copy(x, ids)
		tr, err := m.Forward([][]int64{x})
		done()
		if err != nil {
			return nil, err
		}
		ids = append(ids, ops.Greedy(tr.Outputs[0], v, len(prompt)-1+k, 1)[0])
	}
	return ids[len(prompt):], nil
}

func generate(ctx *cli.Context) error {
	w := ctx.App.Writer
	p := newProgress(ctx)
	quantPath := ctx.String(QuantizedFlag.Name)
	lm, err := quant.LoadQuantized(quantPath)
	if err != nil {
		return withHint(err, "compile the language model first: zkinfer gen-settings --model lm.onnx --seq-len T, calibrate-settings, compile-circuit")
	}
	t, v, err := lmShape(lm)
	if err != nil {
		return fmt.Errorf("generate: %s: %w", quantPath, err)
	}
	var prompt []int64
	text, tokens := ctx.String(genPromptFlag.Name), ctx.String(genTokensFlag.Name)
	switch {
	case text != "" && tokens != "":
		return withHint(errors.New("generate: --prompt and --tokens exclude each other"), "give the prompt as text (GPT-2 vocabulary) or as token ids")
	case text != "":
		if v != GPT2Vocab {
			return withHint(fmt.Errorf("generate: --prompt tokenizes with GPT-2's BPE, but %s predicts %d tokens, not GPT-2's %d", quantPath, v, GPT2Vocab), "give the prompt as token ids of the model's vocabulary: --tokens 1,2,3")
		}
		if prompt, err = encodeGPT2(text); err != nil {
			return err
		}
	case tokens != "":
		if prompt, err = parseTokens(tokens); err != nil {
			return withHint(err, "--tokens 1,2,3")
		}
	default:
		return withHint(errors.New("generate: no prompt"), "pass --prompt TEXT or --tokens 1,2,3")
	}
	n := ctx.Int(genNewTokensFlag.Name)
	hi := lm.Graph.Values[lm.Graph.Inputs[0]].Hi
	for _, id := range prompt {
		if id > hi {
			return fmt.Errorf("generate: %w: token %d is outside the model's vocabulary (ids 0..%d)", quant.ErrRange, id, hi)
		}
	}
	if len(prompt) == 0 || n < 1 || len(prompt)+n-1 > t {
		return withHint(fmt.Errorf("generate: %w: a prompt of %d tokens and %d new tokens need %d positions; the model reads %d", quant.ErrValidation, len(prompt), n, len(prompt)+n-1, t), "shorten the prompt or --max-new-tokens, or compile the model at a longer --seq-len")
	}
	if ctx.String(genSampleFlag.Name) != "" {
		if ctx.Int(genShardsFlag.Name) != 0 {
			return withHint(fmt.Errorf("generate: --%s proves greedy completions in shards; a sampled one is proven in one circuit", genShardsFlag.Name), "drop --%s or --%s", genShardsFlag.Name, genSampleFlag.Name)
		}
		return generateSampled(ctx, lm, quantPath, prompt, n, t, v, p)
	}
	gm, err := ops.NextTokensModel(lm, len(prompt), n) // checks causality statically (quant.CheckCausal)
	if errors.Is(err, quant.ErrNotCausal) {
		return withHint(fmt.Errorf("generate: %s: %w", quantPath, err), "one pass proves greedy decoding only for a causal model; export it with a causal mask (masked_fill/Where with a fill ≤ −1000, or a fused causal attention) and only position-wise ops besides attention")
	}
	if err != nil {
		return err
	}
	completion, err := greedyDecode(lm, prompt, n, t, v, p)
	if err != nil {
		return err
	}
	if err := probePadding(gm, prompt, completion, t, v); err != nil {
		return withHint(err, "%s", notCausalHint)
	}
	ids := make([]float64, t) // prompt, completion but its last token, zero padding
	for i, id := range append(append([]int64(nil), prompt...), completion[:n-1]...) {
		ids[i] = float64(id)
	}
	vis, err := ioVisibility(ctx, quant.VisibilityFixed)
	if err != nil {
		return err
	}
	modelPath, inputPath, circuitPath := ctx.String(genModelOutFlag.Name), ctx.String(genInputOutFlag.Name), ctx.String(genCircuitFlag.Name)
	pkPath, vkPath, bundlePath := ctx.String(genPKFlag.Name), ctx.String(genVKFlag.Name), ctx.String(BundleFlag.Name)
	if err := quant.WriteQuantized(modelPath, gm); err != nil {
		return err
	}
	if err := writeIDs(inputPath, ids); err != nil {
		return err
	}
	backend := ctx.String(BackendFlag.Name)
	if err := prover.CheckBackend(backend); err != nil {
		return withHint(err, "pass --backend %s or --backend %s", prover.BackendGroth16, prover.BackendPLONK)
	}
	if k := ctx.Int(genShardsFlag.Name); k != 0 {
		return generateSharded(ctx, p, gm, k, backend, vis, modelPath, inputPath, circuitPath, pkPath, vkPath, bundlePath, prompt, completion, v)
	}
	if err := compileAndProve(ctx, p, gm, backend, vis, modelPath, inputPath, circuitPath, pkPath, vkPath, bundlePath); err != nil {
		return err
	}
	printCompletion(w, prompt, completion, v)
	return nil
}

// compileAndProve is the single-circuit end of generate (greedy or
// sampled): compile gm, write the circuit, set up with --dev, prove the
// input file into the bundle, and say where everything went.
func compileAndProve(ctx *cli.Context, p prover.Progress, gm *quant.Model, backend string, vis quant.Visibility, modelPath, inputPath, circuitPath, pkPath, vkPath, bundlePath string) error {
	w := ctx.App.Writer
	c, err := prover.Compile(gm, p, prover.WithBackend(backend), prover.WithVisibility(vis))
	if err != nil {
		return err
	}
	if err := prover.WriteCircuit(circuitPath, c); err != nil {
		return err
	}
	fmt.Fprintf(w, "circuit: %s (%s, %d constraints)\nmodel commitment: %s\n", circuitPath, c.Header.Backend, c.Header.Constraints, c.Header.Commitment)
	if ctx.Bool(DevFlag.Name) {
		if err := setup(w, ctx.App.ErrWriter, p, true, "", "", circuitPath, pkPath, vkPath); err != nil {
			return err
		}
	}
	res, err := proveChecked(p, inputCheck{}, modelPath, circuitPath, pkPath, vkPath, inputPath, bundlePath, bundlePath+SaltsSuffix)
	if err != nil {
		if errors.Is(err, ops.ErrNotGreedy) {
			return withHint(err, "%s", notCausalHint)
		}
		if errors.Is(err, os.ErrNotExist) && !ctx.Bool(DevFlag.Name) {
			return withHint(err, "make keys for %s: pass --dev (UNSAFE keys) or run zkinfer setup --circuit %s --pk %s --vk %s", circuitPath, circuitPath, pkPath, vkPath)
		}
		return err
	}
	if res.saltsPath != "" {
		fmt.Fprintf(w, "salts: %s (private input/output; keep it secret)\n", res.saltsPath)
	}
	fmt.Fprintf(w, "bundle: %s (proved in %s, proof %d bytes)\n", bundlePath, res.proveTime.Round(time.Millisecond), res.proofSize)
	return nil
}

// generateSharded is generate --shards k: the greedy model gm cut into k
// balanced shards, compiled, set up with --dev, proved, and the sharded
// bundle written.
func generateSharded(ctx *cli.Context, p prover.Progress, gm *quant.Model, k int, backend string, vis quant.Visibility, modelPath, inputPath, circuitPath, pkPath, vkPath, bundlePath string, prompt, completion []int64, v int) error {
	w := ctx.App.Writer
	if k < 2 {
		return withHint(fmt.Errorf("generate: --%s %d", genShardsFlag.Name, k), "pass 2 or more shards, or leave --%s out for one circuit", genShardsFlag.Name)
	}
	// The canonical form (--input-visibility ids=private names the one
	// part): what the circuits and the manifest record.
	vis, err := vis.Resolve(gm.InputParts(), gm.OutputParts())
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	bounds, err := gm.BalancedCuts(k, vis)
	if err != nil {
		return withHint(fmt.Errorf("generate: --%s %d: %w", genShardsFlag.Name, k, err), "the greedy model has %d nodes", len(gm.Graph.Nodes))
	}
	if pin, pout := vis.HasPrivate(); pin || pout {
		// next_tokens reads the ids at the end, so prompt and completion
		// cross every cut, unsalted: a short prompt is a small search.
		fmt.Fprintf(w, "note: the token ids (prompt and completion) cross every cut with the activations as unsalted hashes; whoever can guess them can check the guess against them, so private ids are only as hidden as they are hard to guess\n")
	}
	man, err := prover.CompileGraphShards(gm, bounds, circuitPath, pkPath, vkPath, prefixed(p, "shards"), prover.WithBackend(backend), prover.WithVisibility(vis))
	if err != nil {
		return err
	}
	manPath := prover.ManifestPath(circuitPath)
	if err := prover.WriteManifest(manPath, man); err != nil {
		return err
	}
	for _, e := range man.Shards {
		fmt.Fprintf(w, "shard %d: nodes %d:%d (%s … %s), %s (%d constraints)\n", e.Index, e.From, e.To, gm.Graph.Nodes[e.From].Name, gm.Graph.Nodes[e.To-1].Name, e.Circuit, e.Constraints)
	}
	fmt.Fprintf(w, "manifest: %s (%d shards, %s)\nmodel commitment: %s\nshards commitment: %s\n", manPath, len(man.Shards), man.Backend, man.ModelCommitment, man.ShardsCommitment)
	if ctx.Bool(DevFlag.Name) {
		if err := setupShards(w, ctx.App.ErrWriter, p, true, "", "", manPath); err != nil {
			return err
		}
	}
	err = proveShards(w, p, inputCheck{}, modelPath, manPath, inputPath, bundlePath, bundlePath+SaltsSuffix, -1, 1, false)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !ctx.Bool(DevFlag.Name) {
			return withHint(err, "make the shards' keys: pass --dev (UNSAFE keys) or run zkinfer setup --shards %s", manPath)
		}
		return err
	}
	printCompletion(w, prompt, completion, v)
	return nil
}

const notCausalHint = "the one pass disagrees with the step-by-step decoding (zero padding after each step) or with a pass over other padding: the model is not causal (a mask fill that leaves weight, a bidirectional layer), so its logits at a position depend on later tokens"

// probePadding runs the greedy-completion model gm once more with the
// padding after the completion set to the last id v − 1 instead of 0: a
// causal model gives the same completion (the padding is read by no
// checked row). With a single new token the step-by-step decoding and the
// one pass are the same pass, so without this probe a model that reads
// its padding (a reduction over positions, a finite mask fill) would go
// unnoticed. It is a probe of the honest prover's own model, not a proof,
// kept as a second line behind the static check (quant.CheckCausal, in
// ops.NextTokensModel) that verify --model repeats.
func probePadding(gm *quant.Model, prompt, completion []int64, t, v int) error {
	used := len(prompt) + len(completion) - 1
	if used >= t {
		return nil
	}
	x := make([]int64, t)
	copy(x, prompt)
	copy(x[len(prompt):], completion[:len(completion)-1])
	for i := used; i < t; i++ {
		x[i] = int64(v - 1)
	}
	tr, err := gm.Forward([][]int64{x})
	if err != nil {
		return err
	}
	if got := tr.Outputs[0]; !slices.Equal(got, completion) {
		return fmt.Errorf("%w: %w: with padding %d the one pass completes %v, with zero padding %v", quant.ErrValidation, ops.ErrNotGreedy, v-1, got, completion)
	}
	return nil
}

// writeIDs writes the model's input ids as an input file, atomically.
func writeIDs(path string, ids []float64) error {
	data, err := json.Marshal(map[string][][]float64{"input_data": {ids}})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ids-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// printCompletion prints the prompt and the completion: ids, and text for
// a GPT-2-vocabulary model.
func printCompletion(w io.Writer, prompt, completion []int64, v int) {
	fmt.Fprintf(w, "prompt tokens: %v\ncompletion tokens: %v\n", prompt, completion)
	if v != GPT2Vocab {
		return
	}
	if s, err := decodeGPT2(prompt); err == nil {
		fmt.Fprintf(w, "prompt: %q\n", s)
	}
	if s, err := decodeGPT2(completion); err == nil {
		fmt.Fprintf(w, "completion: %q\n", s)
	}
}

// printVerifiedCompletion prints, for a verified greedy-completion bundle
// (one index output named next_tokens, one index input of ids), the
// completion and the model's input ids, as text for a GPT-2-vocabulary
// model. With the checked model m (verify --model), the prompt is the ids
// up to its next_tokens op's From; without it the input ids are printed
// whole (prompt, completion but its last token, padding).
func printVerifiedCompletion(w io.Writer, b *verifier.Bundle, res *verifier.Result, m *quant.Model) {
	if res.Output == nil || res.Input == nil || len(res.Output.Parts) != 1 || len(res.Input.Parts) != 1 {
		return
	}
	op, ip := res.Output.Parts[0], res.Input.Parts[0]
	if op.Name != "next_tokens" || op.DType != quant.DTypeIndex || ip.DType != quant.DTypeIndex {
		return
	}
	ot, ok1 := b.Tensor(verifier.TensorOutput)
	it, ok2 := b.Tensor(verifier.TensorInput)
	if !ok1 || !ok2 || len(ot.Values) == 0 || len(it.Values) == 0 {
		return
	}
	outs, err1 := quant.SplitParts(res.Output.Parts, ot.Values)
	ins, err2 := quant.SplitParts(res.Input.Parts, it.Values)
	if err1 != nil || err2 != nil {
		return
	}
	completion, ids := outs[0], ins[0]
	v := int(op.Hi + 1)
	// Only the checked model says that the output is a next_tokens check
	// (the name is the model author's choice): the op must produce the
	// graph's output.
	from := -1
	if m != nil && m.Graph != nil && len(m.Graph.Outputs) == 1 {
		for _, n := range m.Graph.Nodes {
			if nt, ok := n.Op.(*ops.NextTokens); ok && len(n.Out) == 1 && n.Out[0] == m.Graph.Outputs[0] {
				from = nt.From
			}
		}
	}
	var causal error
	if from >= 0 && from < len(ids) {
		causal = ops.CheckGreedyCausal(m)
	}
	if from < 0 || from >= len(ids) || causal != nil {
		if causal != nil {
			fmt.Fprintf(w, "NOT a greedy completion: %v\n", causal)
		}
		fmt.Fprintf(w, "ok: output next_tokens (proven): %v after the model input %v", completion, ids)
		if causal == nil {
			fmt.Fprintf(w, " (pass --model to check that it is the model's greedy-completion check, that the model is causal, and to split off the prompt)")
		}
		fmt.Fprintln(w)
		if v == GPT2Vocab {
			if s, err := decodeGPT2(completion); err == nil {
				fmt.Fprintf(w, "completion: %q\n", s)
			}
		}
		fmt.Fprintf(w, "note: %s\n", causalNote)
		return
	}
	fmt.Fprintf(w, "ok: greedy completion (proven; model checked causal; ties to the lowest id)\n")
	printCompletion(w, ids[:from+1], completion, v)
	if pad := ids[from+len(completion):]; len(pad) > 0 {
		fmt.Fprintf(w, "padding ids (proven, read by the model): %v\n", pad)
	}
}

// causalNote is what a next_tokens proof says when the model's causality
// is not established (no --model, or a model quant.CheckCausal refuses).
const causalNote = "each completion token is proven to be the argmax of the model's logits on the proven ids; that is greedy decoding only if the model is causal (logits row t a function of the ids up to t), which verify checks statically with --model: padding and later tokens could otherwise steer earlier rows"
