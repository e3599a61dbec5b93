// Package attention constrains causal multi-head self-attention exactly as
// quant's gpt2 forward pass computes it.
//
// Per head and query row i, over the keys j ≤ i (the causal mask: future
// positions are never computed, so they contribute nothing):
//
//	s_ij = Σ_e q_ie·k_je                      (head_dim products)
//	l_ij = requant(s_ij) into [-2^(B-1), 2^(B-1))
//	m_i  = hinted max;  Δ_ij = m_i − l_ij
//	E_ij = ExpTable[Δ_ij]                     (log-derivative lookup)
//	∏_j Δ_ij = 0                              (m_i is one of the l_ij)
//	p_ij = floor((E_ij·2^(P+1) + S_i) / (2·S_i)),  S_i = Σ_j E_ij
//	o_ie = requant(Σ_j p_ij·v_je)
//
// The lookup proves 0 ≤ Δ_ij < 2^B, so m_i ≥ every l_ij; the product proves it
// equals one of them. The division is fixedpoint.DivFloor.
package attention

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

func init() {
	solver.RegisterHint(GetHints()...)
}

// GetHints lists the hints of this package.
func GetHints() []solver.Hint { return []solver.Hint{MaxHint} }

// Params are the constants of one attention layer.
type Params struct {
	NHead   int
	Logit   quant.Requant
	AttnOut quant.Requant
	Formats quant.GPT2Formats
}

// bits returns the quotient bounds of the logit and output requantizations
// for heads of dh values and seq rows.
func (p Params) bits(dh, seq int) (logit, out int) {
	return fixedpoint.QuotientBits(int64(dh)*128*128, p.Logit.Mult, p.Logit.Shift),
		fixedpoint.QuotientBits((1<<quant.ProbFrac+int64(seq))*128, p.AttnOut.Mult, p.AttnOut.Shift)
}

// Sites returns the clamp sites of Attention on seq rows of width d, for
// fixedpoint.NewPlan.
func Sites(p Params, d, seq int) []fixedpoint.Site {
	logitBits, outBits := p.bits(d/p.NHead, seq)
	lo, hi := p.Formats.LogitRange()
	return []fixedpoint.Site{
		{Lo: lo, Hi: hi, Bits: logitBits, Shift: p.Logit.Shift, Count: p.NHead * seq * (seq + 1) / 2},
		{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: outBits, Shift: p.AttnOut.Shift, Count: seq * d},
	}
}

// Attention takes exp, the circuit's exp table (fixedpoint.NewTable of the
// model's ExpTable, shared by every layer), and returns the per-row concatenation of the heads' outputs for qkv
// rows of 3·d int8 values [q | k | v].
func Attention(api frontend.API, fp *fixedpoint.Gadget, exp logderivlookup.Table, p Params, qkv [][]frontend.Variable) [][]frontend.Variable {
	seq := len(qkv)
	d := len(qkv[0]) / 3
	dh := d / p.NHead
	lo, hi := p.Formats.LogitRange()
	logitBits, outBits := p.bits(dh, seq)
	out := make([][]frontend.Variable, seq)
	for i := range out {
		out[i] = make([]frontend.Variable, d)
	}
	for h := 0; h < p.NHead; h++ {
		for i := 0; i < seq; i++ {
			logits := make([]frontend.Variable, i+1)
			for j := 0; j <= i; j++ {
				terms := make([]frontend.Variable, dh)
				for e := 0; e < dh; e++ {
					terms[e] = api.Mul(qkv[i][h*dh+e], qkv[j][d+h*dh+e])
				}
				logits[j] = fp.Requantize(sum(api, terms), p.Logit.Mult, p.Logit.Shift, lo, hi, logitBits)
			}
			probs := Softmax(api, fp, exp, logits)
			for e := 0; e < dh; e++ {
				terms := make([]frontend.Variable, i+1)
				for j := 0; j <= i; j++ {
					terms[j] = api.Mul(probs[j], qkv[j][2*d+h*dh+e])
				}
				out[i][h*dh+e] = fp.Requantize(sum(api, terms), p.AttnOut.Mult, p.AttnOut.Shift, quant.Int8Min, quant.Int8Max, outBits)
			}
		}
	}
	return out
}

// Softmax returns the probabilities of one row of logits (each in the logit
// range), as quant.SoftmaxRow: p_j ∈ [0, 2^ProbFrac].
func Softmax(api frontend.API, fp *fixedpoint.Gadget, exp logderivlookup.Table, logits []frontend.Variable) []frontend.Variable {
	res, err := api.Compiler().NewHint(MaxHint, 1, logits...)
	if err != nil {
		panic(err)
	}
	mx := res[0]
	deltas := make([]frontend.Variable, len(logits))
	for j, l := range logits {
		deltas[j] = api.Sub(mx, l)
	}
	// The max is one of the logits: one of the differences is zero.
	prod := deltas[0]
	for _, dl := range deltas[1:] {
		prod = api.Mul(prod, dl)
	}
	api.AssertIsEqual(prod, 0)
	exps := exp.Lookup(deltas...)
	s := sum(api, exps)
	den := api.Mul(s, 2)
	// S ≤ n·2^ExpBits, so 2S < 2^(ExpBits+1+bitlen(n)).
	denBits := quant.ExpBits + 1 + big.NewInt(int64(len(logits))).BitLen()
	probs := make([]frontend.Variable, len(logits))
	for j, e := range exps {
		num := api.Add(api.Mul(e, 1<<(quant.ProbFrac+1)), s)
		probs[j] = fp.DivFloor(num, den, quant.ProbFrac+1, denBits)
	}
	return probs
}

func sum(api frontend.API, terms []frontend.Variable) frontend.Variable {
	if len(terms) == 1 {
		return terms[0]
	}
	return api.Add(terms[0], terms[1], terms[2:]...)
}

// MaxHint returns the largest of its signed inputs.
func MaxHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) == 0 || len(outputs) != 1 {
		return fmt.Errorf("MaxHint: want inputs and 1 output")
	}
	half := new(big.Int).Rsh(field, 1)
	signed := func(v *big.Int) *big.Int {
		if v.Cmp(half) > 0 {
			return new(big.Int).Sub(v, field)
		}
		return v
	}
	mx := signed(inputs[0])
	for _, v := range inputs[1:] {
		if s := signed(v); s.Cmp(mx) > 0 {
			mx = s
		}
	}
	outputs[0].Mod(mx, field)
	return nil
}
