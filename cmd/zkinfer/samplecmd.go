package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// Seeded sampling for generate (ops.SampleTokens): --sample top-k=K,
// temperature=T and --seed S.
var (
	genSampleFlag = &cli.StringFlag{
		Name: "sample", Category: catModel,
		Usage: "sample instead of greedy decoding: `top-k=K,temperature=T` (either may be left out: all tokens, temperature 1); the randomness is Poseidon2(seed, position), proven in the circuit",
	}
	verifySeedFlag = &cli.Int64Flag{
		Name: "seed", Category: catModel,
		Usage: "with --model on a bundle of generate --sample: fail unless the completion was sampled with `SEED` (the seed you chose; a prover who picks it can try them all)",
	}
	genSeedFlag = &cli.Int64Flag{
		Name: "seed", Category: catModel, Value: 1,
		Usage: "public `SEED` of --sample (0..16777215): part of the model's input, so the bundle states it",
	}
)

// parseSample reads --sample's top-k=K,temperature=T (K 0: every token).
func parseSample(spec string) (topK int, temp float64, err error) {
	temp = 1
	for _, f := range strings.Split(spec, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(f), "=")
		switch {
		case !ok:
			return 0, 0, fmt.Errorf("%w: --sample: %q is not key=value", quant.ErrValidation, f)
		case k == "top-k" || k == "top_k" || k == "k":
			if topK, err = strconv.Atoi(val); err != nil || topK < 1 {
				return 0, 0, fmt.Errorf("%w: --sample: top-k %q, want a positive integer", quant.ErrValidation, val)
			}
		case k == "temperature" || k == "t":
			if temp, err = strconv.ParseFloat(val, 64); err != nil || !(temp > 0) || temp > 1e6 {
				return 0, 0, fmt.Errorf("%w: --sample: temperature %q, want a positive number", quant.ErrValidation, val)
			}
		default:
			return 0, 0, fmt.Errorf("%w: --sample: unknown setting %q (top-k, temperature)", quant.ErrValidation, k)
		}
	}
	return topK, temp, nil
}

// generateSampled is generate with --sample: the sampling model
// (ops.SampleTokensModel: the LM, a seed input, sample_tokens), decoded
// step by step, checked in one pass, compiled, proven.
func generateSampled(ctx *cli.Context, lm *quant.Model, quantPath string, prompt []int64, n, t, v int, p *progress) error {
	w := ctx.App.Writer
	topK, temp, err := parseSample(ctx.String(genSampleFlag.Name))
	if err != nil {
		return withHint(err, "--sample top-k=40,temperature=0.8")
	}
	if topK > v {
		return withHint(fmt.Errorf("generate: %w: --sample top-k %d of a vocabulary of %d", quant.ErrValidation, topK, v), "top-k is at most the vocabulary")
	}
	seed := ctx.Int64(genSeedFlag.Name)
	if seed < 0 || seed > quant.MaxIndex {
		return withHint(fmt.Errorf("generate: %w: --seed %d", quant.ErrRange, seed), "the seed is an index value: 0..%d", quant.MaxIndex)
	}
	gm, err := ops.SampleTokensModel(lm, len(prompt), n, topK, temp) // checks causality statically
	if errors.Is(err, quant.ErrNotCausal) {
		return withHint(fmt.Errorf("generate: %s: %w", quantPath, err), "one pass proves step-by-step sampling only for a causal model")
	}
	if err != nil {
		return err
	}
	op := gm.Graph.Nodes[len(gm.Graph.Nodes)-1].Op.(*ops.SampleTokens)
	ids := slices.Clone(prompt)
	for k := range n {
		done := p.Start(fmt.Sprintf("sampling token %d of %d", k+1, n))
		x := make([]int64, t)
		copy(x, ids)
		tr, err := lm.Forward([][]int64{x})
		done()
		if err != nil {
			return err
		}
		ids = append(ids, ops.Sampled(tr.Outputs[0], v, len(prompt)-1+k, 1, op.TopK, op.Weights, seed)[0])
	}
	completion := ids[len(prompt):]
	x := make([]int64, t) // prompt, completion but its last token, padding v − 1 (a probe of the padding)
	copy(x, ids[:len(ids)-1])
	for i := len(ids) - 1; i < t; i++ {
		x[i] = int64(v - 1)
	}
	tr, err := gm.Forward([][]int64{x, {seed}})
	if err != nil {
		return withHint(err, "%s", notCausalHint)
	}
	if !slices.Equal(tr.Outputs[0], completion) {
		return withHint(fmt.Errorf("%w: the one pass samples %v, step by step %v", quant.ErrValidation, tr.Outputs[0], completion), "%s", notCausalHint)
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
	if err := writeSampleInput(inputPath, x, seed); err != nil {
		return err
	}
	backend := ctx.String(BackendFlag.Name)
	if err := prover.CheckBackend(backend); err != nil {
		return withHint(err, "pass --backend %s or --backend %s", prover.BackendGroth16, prover.BackendPLONK)
	}
	if err := compileAndProve(ctx, p, gm, backend, vis, modelPath, inputPath, circuitPath, pkPath, vkPath, bundlePath); err != nil {
		return err
	}
	fmt.Fprintf(w, "sampled with top-k %d, temperature %g, seed %d\n", op.TopK, temp, seed)
	printCompletion(w, prompt, completion, v)
	return nil
}

// writeSampleInput writes the sampling model's two inputs (ids, seed) as
// an input file, atomically.
func writeSampleInput(path string, ids []int64, seed int64) error {
	data, err := json.Marshal(map[string][][][]int64{"input_data": {{ids, {seed}}}})
	if err != nil {
		return err
	}
	return quant.WriteFile(path, append(data, '\n'), 0o644)
}

// provenSample returns, for a verified sampling bundle checked against its
// model m (verify --model: its output is a sample_tokens or
// sample_tokens_rows op (ops.SampleTokens) over the
// graph's two inputs, ids and seed), the op, the proven ids and seed (known
// false for a private seed, --input-visibility seed=private: the
// completion is proven for the committed seed), and the completion; ok
// false when the bundle is not one.
func provenSample(b *verifier.Bundle, res *verifier.Result, m *quant.Model) (op *ops.SampleTokens, node quant.Node, ids []int64, seed int64, known bool, completion []int64, ok bool) {
	if m == nil || m.Graph == nil || len(m.Graph.Outputs) != 1 || len(m.Graph.Inputs) != 2 || res.Output == nil || res.Input == nil || len(res.Input.Parts) != 2 || len(res.Output.Parts) != 1 {
		return nil, node, nil, 0, false, nil, false
	}
	for _, n := range m.Graph.Nodes {
		if s, ok := n.Op.(*ops.SampleTokens); ok && len(n.Out) == 1 && n.Out[0] == m.Graph.Outputs[0] && len(n.In) == 3 && n.In[1] == m.Graph.Inputs[0] && n.In[2] == m.Graph.Inputs[1] {
			op, node = s, n
		}
	}
	ot, ok1 := b.Tensor(verifier.TensorOutput)
	it, ok2 := b.Tensor(verifier.TensorInput)
	if op == nil || !ok1 || !ok2 {
		return nil, node, nil, 0, false, nil, false
	}
	outs, err1 := quant.SplitParts(res.Output.Parts, ot.Values)
	ins, err2 := carriedParts(*it, res.Input.Parts, res.Visibility.InputsOf)
	if err1 != nil || err2 != nil || ins[0] == nil || (ins[1] != nil && len(ins[1]) != 1) || op.From >= len(ins[0]) {
		return nil, node, nil, 0, false, nil, false
	}
	if len(ins[1]) == 1 {
		seed, known = ins[1][0], true
	}
	return op, node, ins[0], seed, known, outs[0], true
}

// checkSampleSeed is verify --seed: the bundle must be a sampled
// completion of the checked model (--model) drawn with seed want.
func checkSampleSeed(b *verifier.Bundle, res *verifier.Result, m *quant.Model, want int64) error {
	if m == nil {
		return withHint(fmt.Errorf("verify: %w: --seed checks a sampled completion's seed, which needs --model", quant.ErrValidation), "pass the sampling model generate wrote: --model generate.quant.json")
	}
	_, _, _, seed, known, _, ok := provenSample(b, res, m)
	if !ok {
		return withHint(fmt.Errorf("verify: %w: --seed %d: the bundle is not a sampled completion of the model (a sample_tokens output over the ids and a seed input)", quant.ErrValidation, want), "--seed goes with bundles of generate --sample")
	}
	if !known {
		return fmt.Errorf("verify: %w: --seed %d: the bundle's seed is private (committed), so it cannot be compared", quant.ErrValidation, want)
	}
	if seed != want {
		return fmt.Errorf("verify: %w: the completion was sampled with seed %d, not %d", quant.ErrValidation, seed, want)
	}
	return nil
}

// printVerifiedSample prints, for a verified sampling bundle checked
// against its model m (provenSample), the sampling settings, the seed,
// the prompt and the completion.
func printVerifiedSample(w io.Writer, b *verifier.Bundle, res *verifier.Result, m *quant.Model) {
	op, node, ids, seed, known, completion, ok := provenSample(b, res, m)
	if !ok {
		return
	}
	if err := ops.CheckSampleCausal(m.Graph, node); err != nil { // sample_tokens_rows: row k is position From + k
		fmt.Fprintf(w, "NOT a sampled completion: %v\n", err)
		return
	}
	seedText := "private (committed)"
	if known {
		seedText = fmt.Sprint(seed)
	}
	fmt.Fprintf(w, "ok: sampled completion (proven; model checked causal; top-k %d, temperature %g, seed %s: randomness Poseidon2(seed, position))\n", op.TopK, op.Temperature, seedText)
	fmt.Fprintf(w, "note: the completion is fixed by seed %s; check that it is the seed you chose, or pass --seed (a prover free to pick the seed can try all %d and keep the completion it likes)\n", seedText, quant.MaxIndex+1)
	printCompletion(w, ids[:op.From+1], completion, int(res.Output.Parts[0].Hi+1))
}
