package quant

import (
	"fmt"
	"math"
	"math/big"
)

// GPT-2 integer semantics. Every function here is the definition the
// circuits in circuits/norm, circuits/attention and circuits/ops constrain
// (the legacy gpt2 model walked as a layer graph: ops.FromLegacyGPT2).
//
// # Formats
//
//   - residual stream (model input, h, y): int8 at Formats.ResidualFrac;
//   - LayerNorm, q/k/v, attention and GELU outputs: int8, each at its own frac;
//   - attention logits: int of Formats.LogitBits bits (default 10) at
//     LogitFrac, so that max − logit indexes a 2^LogitBits-entry exp table;
//   - exp values: ExpTable[t] = round(2^ExpBits · exp(−t·2^−LogitFrac)), ExpBits = 16;
//   - probabilities: p = floor((E·2^(ProbFrac+1) + S) / (2S)) ∈ [0, 2^ProbFrac],
//     i.e. E/S rounded half up at ProbFrac = 12 fractional bits;
//   - GELU: a 256-entry table from int8 at GELUInFrac to int8 at GELUOutFrac.
//
// # LayerNorm
//
// For a row x of d int8 values: S = Σx, c_i = d·x_i − S (so c = d·(x − mean)
// exactly, no division), V = Σc_i² + Eps (= d³·(var + ε) in integer units),
// r = floor(2^K / sqrt(V)) (the unique r ≥ 0 with r²·V ≤ 2^2K < (r+1)²·V),
// z_i = c_i·r (the normalized value at scale sqrt(d)/2^K), and
// out_i = requant(z_i·γ_i + β_i) with int8 γ and β at accumulator scale.

// Fixed format constants of the GPT-2 semantics.
const (
	// ExpBits is the fractional precision of the exp table (E(0) = 2^16).
	ExpBits = 16
	// ProbFrac is the fractional precision of attention probabilities.
	ProbFrac = 12
	// DefaultLogitBits is the width of attention logits; the exp table has 2^LogitBits entries.
	DefaultLogitBits = 10
	// LNPrecision is the extra bits of the LayerNorm reciprocal square root
	// beyond the largest possible sqrt(V): r ≥ 2^LNPrecision, a relative error ≤ 2^-12.
	LNPrecision = 12
)

// GPT2Formats are the model-wide fixed-point formats (shared by all blocks,
// so that one exp table and one GELU table serve the whole circuit).
type GPT2Formats struct {
	ResidualFrac int `json:"residual_frac"`
	LogitFrac    int `json:"logit_frac"`
	LogitBits    int `json:"logit_bits"`
	GELUInFrac   int `json:"gelu_in_frac"`
	GELUOutFrac  int `json:"gelu_out_frac"`
	OutputFrac   int `json:"output_frac"`
}

// LogitRange returns the clamp bounds of attention logits.
func (f GPT2Formats) LogitRange() (lo, hi int64) {
	h := int64(1) << (f.LogitBits - 1)
	return -h, h - 1
}

// LayerNorm is an integer LayerNorm over rows of D int8 values.
type LayerNorm struct {
	D     int     `json:"d"`
	Gamma []int64 `json:"gamma"` // int8
	Beta  []int64 `json:"beta"`  // accumulator scale
	Mult  int64   `json:"mult"`
	Shift uint    `json:"shift"`
	K     uint    `json:"k"`
	Eps   int64   `json:"eps"` // ≥ 1
}

// Requant is a single-channel requantization to [Lo, Hi].
type Requant struct {
	Mult  int64 `json:"mult"`
	Shift uint  `json:"shift"`
}

// Block is one quantized GPT-2 decoder block.
type Block struct {
	LN1      LayerNorm `json:"ln_1"`
	QKV      Dense     `json:"c_attn"`
	Logit    Requant   `json:"logit"`
	AttnOut  Requant   `json:"attn_out"`
	AttnProj Dense     `json:"attn_c_proj"`
	LN2      LayerNorm `json:"ln_2"`
	FC       Dense     `json:"c_fc"`
	Proj     Dense     `json:"mlp_c_proj"`
}

// LNK returns the LayerNorm precision K for rows of d int8 values:
// 2^K ≥ 2^LNPrecision · sqrt(Vmax) with Vmax = d·(255·d)².
func LNK(d int) uint {
	vmax := new(big.Int).Mul(big.NewInt(int64(d)), new(big.Int).Exp(big.NewInt(int64(255*d)), big.NewInt(2), nil))
	return uint(new(big.Int).Sqrt(vmax).BitLen()) + 1 + LNPrecision
}

// LNRsqrt returns floor(2^k / sqrt(v)) for v ≥ 1, exactly.
func LNRsqrt(v int64, k uint) int64 {
	num := new(big.Int).Lsh(big.NewInt(1), 2*k)
	num.Quo(num, big.NewInt(v))
	return num.Sqrt(num).Int64()
}

// LNStats returns c (centered values times d) and V + Eps of a row.
func (ln *LayerNorm) LNStats(x []int64) (c []int64, v int64) {
	var s int64
	for _, xi := range x {
		s += xi
	}
	c = make([]int64, len(x))
	for i, xi := range x {
		c[i] = int64(len(x))*xi - s
		v += c[i] * c[i]
	}
	return c, v + ln.Eps
}

// Apply normalizes one row.
func (ln *LayerNorm) Apply(x []int64) []int64 {
	c, v := ln.LNStats(x)
	r := LNRsqrt(v, ln.K)
	out := make([]int64, len(x))
	for i := range x {
		out[i] = Requantize(c[i]*r*ln.Gamma[i]+ln.Beta[i], ln.Mult, ln.Shift, Int8Min, Int8Max)
	}
	return out
}

// AccBound bounds |z·γ + β| over every int8 row: |z| ≤ 2^K.
func (ln *LayerNorm) AccBound() int64 {
	var mb, mg int64
	for i := range ln.Gamma {
		mg = max(mg, abs64(ln.Gamma[i]))
		mb = max(mb, abs64(ln.Beta[i]))
	}
	return mg<<ln.K + mb
}

// Validate checks shapes and ranges, so that no intermediate overflows int64.
func (ln *LayerNorm) Validate(name string) error {
	if ln.D < 1 || ln.D > MaxGPT2Dim || len(ln.Gamma) != ln.D || len(ln.Beta) != ln.D {
		return fmt.Errorf("%w: %s: d = %d with %d gamma and %d beta values", ErrShape, name, ln.D, len(ln.Gamma), len(ln.Beta))
	}
	if lo, hi := LNKRange(ln.D); ln.K < lo || ln.K > hi {
		return fmt.Errorf("%w: %s: k = %d, want %d..%d for d = %d (%d by default)", ErrRange, name, ln.K, lo, hi, ln.D, hi)
	}
	if ln.Eps < 1 || ln.Eps > 1<<40 {
		return fmt.Errorf("%w: %s: eps = %d, want 1..2^40", ErrRange, name, ln.Eps)
	}
	if ln.Mult < 0 || ln.Mult >= MaxMultiplier || ln.Shift > MaxShift {
		return fmt.Errorf("%w: %s: multiplier %d / shift %d out of range", ErrRange, name, ln.Mult, ln.Shift)
	}
	for i := range ln.Gamma {
		if ln.Gamma[i] < -Int8Max || ln.Gamma[i] > Int8Max {
			return fmt.Errorf("%w: %s: gamma %d = %d is not int8", ErrRange, name, i, ln.Gamma[i])
		}
		if abs64(ln.Beta[i]) > 1<<(ln.K+10) {
			return fmt.Errorf("%w: %s: beta %d = %d too large", ErrRange, name, i, ln.Beta[i])
		}
	}
	if b := new(big.Int).Mul(big.NewInt(ln.AccBound()), big.NewInt(max(ln.Mult, 1))); b.BitLen() > 61 {
		return fmt.Errorf("%w: %s: accumulator bound 2^%d too large", ErrRange, name, b.BitLen())
	}
	return nil
}

// SoftmaxRow computes the probabilities of one causal attention row from its
// logits (already clamped to the logit range): max, exp through the table,
// sum, and the rounded division.
func SoftmaxRow(logits []int64, expTable []int64) (probs []int64, mx int64, exps []int64, sum int64) {
	mx = logits[0]
	for _, l := range logits[1:] {
		mx = max(mx, l)
	}
	exps = make([]int64, len(logits))
	for j, l := range logits {
		exps[j] = expTable[mx-l]
		sum += exps[j]
	}
	probs = make([]int64, len(logits))
	for j, e := range exps {
		probs[j] = (e<<(ProbFrac+1) + sum) / (2 * sum)
	}
	return probs, mx, exps, sum
}

// ExpTableFor returns round(2^ExpBits · exp(−t·2^−logitFrac)) for t in [0, 2^bits).
func ExpTableFor(logitFrac, bits int) []int64 {
	t := make([]int64, 1<<bits)
	for i := range t {
		t[i] = int64(math.Round(math.Ldexp(math.Exp(-math.Ldexp(float64(i), -logitFrac)), ExpBits)))
	}
	return t
}

// GELUTableFor returns the int8 GELU table (tanh form): entry v+128 is
// clamp(round(GELU(v·2^−inFrac)·2^outFrac)) for v in [-128, 127].
func GELUTableFor(inFrac, outFrac int) []int64 {
	return ActivationTableFor(ActivationGELU, inFrac, outFrac)
}

// ActivationTableFor returns the int8 table of a gpt2 activation
// (ActivationGELU or ActivationGELUErf): entry v+128 is
// clamp(round(f(v·2^−inFrac)·2^outFrac)) for v in [-128, 127]. The circuit
// looks the table up whatever its entries, so the activations differ only here.
func ActivationTableFor(activation string, inFrac, outFrac int) []int64 {
	f := geluFunc(activation)
	t := make([]int64, 256)
	for i := range t {
		x := math.Ldexp(float64(i+Int8Min), -inFrac)
		t[i] = QuantizeValue(f(x), outFrac)
	}
	return t
}
