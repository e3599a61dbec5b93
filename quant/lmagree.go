package quant

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Top-1 agreement of a language model's integer greedy tokens with its
// float model's (calibrate-settings' LM report): on seeded random prompts,
// one forward pass of each model; at every position t the greedy next
// token is the argmax of logits row t (ties to the lowest id, as
// next_tokens decides), which for a causal model is the greedy next token
// after the prompt's first t + 1 ids.

// Defaults of LMAgreementOptions.
const (
	DefaultLMPrompts = 100
	DefaultLMSeed    = 1
	// MaxLMPrompts bounds LMAgreementOptions.Prompts (each prompt is one
	// float and one integer forward pass).
	MaxLMPrompts = 1 << 20
	// LMExamples is how many disagreements a report keeps.
	LMExamples = 8
	// lmContext is how many ids before a disagreement an example shows.
	lmContext = 8
)

// LMAgreementOptions say which prompts LMAgreement draws.
type LMAgreementOptions struct {
	// Prompts is the number of random prompts (DefaultLMPrompts if 0).
	Prompts int
	// Len is the prompt length, 1..T (0: T, every position); positions
	// from Len on are padded with the input's lowest id and not compared.
	Len int
	// Seed seeds the prompts (a PCG): the same seed, the same prompts.
	Seed uint64
	// Progress, if set, is called after every prompt with the number done.
	Progress func(done, total int)
}

// LMAgreementReport is the result of LMAgreement.
type LMAgreementReport struct {
	Prompts   int    `json:"prompts"`
	PromptLen int    `json:"prompt_len"`
	Seed      uint64 `json:"seed"`
	Vocab     int    `json:"vocab"`
	// Causal says whether CheckCausal accepted the model: then position t's
	// token is the greedy next token after ids 0..t whatever follows.
	Causal bool `json:"causal"`
	// Agree is the fraction of compared positions (Prompts·PromptLen) where
	// the integer model's greedy token is the float model's.
	Agree float64 `json:"top1_agreement"`
	// PerPosition is that fraction per position, over the prompts.
	PerPosition []float64 `json:"top1_agreement_per_position"`
	// AllAgree is the number of prompts on which every position agrees.
	AllAgree int `json:"prompts_all_positions_agree"`
	// IntegerTies counts the compared positions whose integer logits have
	// their maximum at more than one id (the lowest wins): int8 logits tie
	// where float ones rarely do.
	IntegerTies int `json:"integer_ties"`
	// MeanGap is the mean, over the disagreements, of the float logit of
	// the float token minus that of the integer token (≥ 0; near 0: a near
	// tie in float too).
	MeanGap float64 `json:"mean_float_gap,omitempty"`
	// Examples are the first disagreements.
	Examples []LMDisagreement `json:"examples,omitempty"`
}

// LMDisagreement is one position where the two models' tokens differ.
type LMDisagreement struct {
	Prompt   int `json:"prompt"`
	Position int `json:"position"`
	// Context is the prompt's ids up to and including Position (the last
	// lmContext of them).
	Context []int64 `json:"context"`
	Float   int64   `json:"float_token"`
	Integer int64   `json:"integer_token"`
	// Gap is the float logit of Float minus that of Integer.
	Gap float64 `json:"float_gap"`
}

// ErrNotLM marks a model that is not a token-id language model.
var ErrNotLM = errors.New("not a language model")

// LMShape returns the positions T and vocabulary V of a language-model
// graph: one index input of T ids, one int8 output of T rows of V logits.
func LMShape(m *Model) (t, v int, err error) {
	g := m.Graph
	if g == nil || len(g.Inputs) != 1 || len(g.Outputs) != 1 {
		return 0, 0, fmt.Errorf("%w: %w: a layer graph with one input (token ids) and one output (logits)", ErrValidation, ErrNotLM)
	}
	in, out := g.Values[g.Inputs[0]], g.Values[g.Outputs[0]]
	if in.DType != DTypeIndex || out.DType != DTypeInt8 || len(out.Shape) < 2 {
		return 0, 0, fmt.Errorf("%w: %w: the input must be token ids and the output logits [1, T, V]", ErrValidation, ErrNotLM)
	}
	t, v = out.Shape[len(out.Shape)-2], out.Shape[len(out.Shape)-1]
	// The ids' positions are their last axis (CheckCausal reads them
	// there): [T] or [1, T], not [T, 1].
	if t < 1 || v < 2 || in.Size() != t || len(in.Shape) == 0 || in.Shape[len(in.Shape)-1] != t || out.Size() != t*v {
		return 0, 0, fmt.Errorf("%w: %w: %d ids in, logits %v out", ErrValidation, ErrNotLM, in.Size(), out.Shape)
	}
	return t, v, nil
}

// LMAgreement runs the float language model fm and its quantization m on
// o.Prompts random prompts (ids uniform in the input's range, seeded by
// o.Seed) and compares, position by position, the greedy next tokens
// (argmax of the logits row; ties to the lowest id in both models).
func LMAgreement(fm *FloatModel, m *Model, o LMAgreementOptions) (*LMAgreementReport, error) {
	t, v, err := LMShape(m)
	if err != nil {
		return nil, err
	}
	if fm.Graph == nil {
		return nil, fmt.Errorf("%w: the float model is not a layer graph", ErrValidation)
	}
	if o.Prompts == 0 {
		o.Prompts = DefaultLMPrompts
	}
	if o.Len == 0 {
		o.Len = t
	}
	if o.Prompts < 1 || o.Prompts > MaxLMPrompts {
		return nil, fmt.Errorf("%w: %d prompts, want 1..%d", ErrValidation, o.Prompts, MaxLMPrompts)
	}
	if o.Len < 1 || o.Len > t {
		return nil, fmt.Errorf("%w: prompt length %d, the model reads 1..%d positions", ErrValidation, o.Len, t)
	}
	g := m.Graph
	in, outID := g.Values[g.Inputs[0]], g.Outputs[0]
	rep := &LMAgreementReport{Prompts: o.Prompts, PromptLen: o.Len, Seed: o.Seed, Vocab: v, PerPosition: make([]float64, o.Len)}
	rep.Causal = CheckCausal(g, g.Inputs[0], -1, outID, -2) == nil
	rng := rand.New(rand.NewPCG(o.Seed, 0x7a6b696e666572)) // "zkinfer"
	agree, gaps, diffs := 0, 0.0, 0
	for p := range o.Prompts {
		ids := make([]float64, t)
		for i := range ids {
			ids[i] = float64(in.Lo)
			if i < o.Len {
				ids[i] = float64(in.Lo + rng.Int64N(in.Hi-in.Lo+1))
			}
		}
		fv, err := fm.Graph.Eval(ids)
		if err != nil {
			return nil, fmt.Errorf("prompt %d: float model: %w", p, err)
		}
		xq, err := m.QuantizeInput(ids)
		if err != nil {
			return nil, fmt.Errorf("prompt %d: %w", p, err)
		}
		tr, err := m.Forward(xq)
		if err != nil {
			return nil, fmt.Errorf("prompt %d: integer model: %w", p, err)
		}
		fl, il := fv[fm.Graph.Outputs[0]], tr.Values[outID]
		if len(fl) != t*v || len(il) != t*v {
			return nil, fmt.Errorf("%w: prompt %d: logits of %d and %d values, want %d", ErrShape, p, len(fl), len(il), t*v)
		}
		all := true
		for pos := range o.Len {
			fr, ir := fl[pos*v:(pos+1)*v], il[pos*v:(pos+1)*v]
			ft := argmaxFloat(fr)
			it, ties := argmaxInt(ir)
			if ties {
				rep.IntegerTies++
			}
			if ft == it {
				agree++
				rep.PerPosition[pos]++
				continue
			}
			all = false
			gap := fr[ft] - fr[it]
			gaps += gap
			diffs++
			if len(rep.Examples) < LMExamples {
				lo := max(0, pos+1-lmContext)
				ctx := make([]int64, 0, pos+1-lo)
				for _, x := range ids[lo : pos+1] {
					ctx = append(ctx, int64(x))
				}
				rep.Examples = append(rep.Examples, LMDisagreement{Prompt: p, Position: pos, Context: ctx, Float: int64(ft), Integer: int64(it), Gap: gap})
			}
		}
		if all {
			rep.AllAgree++
		}
		if o.Progress != nil {
			o.Progress(p+1, o.Prompts)
		}
	}
	rep.Agree = float64(agree) / float64(o.Prompts*o.Len)
	for i := range rep.PerPosition {
		rep.PerPosition[i] /= float64(o.Prompts)
	}
	if diffs > 0 {
		rep.MeanGap = gaps / float64(diffs)
	}
	return rep, nil
}

// argmaxFloat is the first index of the largest value (NaN never wins).
func argmaxFloat(x []float64) int {
	best := 0
	for i, f := range x {
		if f > x[best] || math.IsNaN(x[best]) {
			best = i
		}
	}
	return best
}

// argmaxInt is the first index of the largest value, and whether another
// index holds it too.
func argmaxInt(x []int64) (int, bool) {
	best, ties := 0, false
	for i, f := range x[1:] {
		switch {
		case f > x[best]:
			best, ties = i+1, false
		case f == x[best]:
			ties = true
		}
	}
	return best, ties
}
