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
//
// # Packed exp tables
//
// Softmax takes any exp table; circuits/gpt2 and the graph ops (softmax,
// masked softmax, attention) pass fixedpoint.NewPackedTable, whose lookup
// costs one constraint instead of two but pins nothing on its own: it proves
// only that each key Δ_j + 2^K·E_j (K = fixedpoint.PackedShift = 100) is one
// of the table's keys i + 2^K·e_i, i.e. E_j = e_{i_j} + δ_j·2^−K with
// δ_j = i_j − Δ_j. Softmax's own constraints close the gap:
//
//   - Δ_j is an integer with |Δ_j| < 2^30: the logits are (the caller's
//     contract) integers in the logit range, and the product makes m one of
//     them; so |δ_j| < 2^31 and |Σ_j δ_j| < 2^51 for rows below 2^20.
//   - The division's remainder checks give A = r_j·2^e and B = (den − 1 −
//     r_j)·2^e as integers in [0, 2^54) (e < 16 the padding, 0 under gnark's
//     checker), so den·2^e = A + B + 2^e is an integer N < 2^55. With den =
//     2·Σ_j E_j: 2^(e+1−K)·Σδ_j = N − 2^(e+1)·Σe_{i_j} =: M, an integer
//     below 2^60, so Σδ_j ≡ 2^(K−e−1)·M mod p; both sides are integers below
//     p/2 in size (2^(K+60) < p/2), hence equal, and as 2^(K−e−1) ≥ 2^83
//     exceeds |Σδ_j|, M = 0 and Σδ_j = 0: den is an integer.
//   - Then, per j, A = 2^e·(2^(P+1)·e_{i_j} + S − q_j·den) + 2^(P+1+e−K)·δ_j
//     with q_j an integer below 2^28 (its widened range check), so
//     δ_j ≡ 2^(K−P−1−e)·M' mod p for an integer |M'| < 2^86; as before
//     (2^(K+86) < p/2, 2^(K−P−1−e) ≥ 2^71 > |δ_j|) δ_j = 0.
//
// SoftmaxRecip (the per-row reciprocal, quant.SoftmaxRecipRow) closes the
// same gap with its own checks:
//
//   - R's division: R is bounded (R < 2^(r+15)), ρ and S − 1 − ρ are
//     checked integers below 2^(den+15) (padded), so S = ρ + (S−1−ρ) + 1 is
//     an integer A < 2^50 and 2^−K·Σδ_j = A − Σe_{i_j} =: M, an integer below
//     2^51: as above Σδ_j = 2^K·M as integers (both below p/2), and
//     |Σδ_j| < 2^51 < 2^K forces M = 0: S = Σe_{i_j}, an integer, and
//     R·S + ρ = N holds over the integers (every term below 2^100), so
//     R = floor(N/S) ≥ 1 (N ≥ 2^(frac+t−1) > S).
//   - Per element, ShiftRound's remainder check and p_j's bound make
//     E_j·R = p_j·2^t + r_j − 2^(t−1) an integer below 2^(frac+t+16) in
//     size; E_j·R = e_{i_j}·R + 2^−K·δ_j·R, so δ_j·R ≡ 2^K·M' mod p for an
//     integer |M'| < 2^80; |δ_j·R| < 2^31·2^(r+15) < 2^K and
//     2^(K+80) < p/2, so δ_j·R = 2^K·M' over the integers, M' = 0 and, as
//     R ≥ 1, δ_j = 0.
//
// So Δ_j = i_j lies in the table's domain and E_j = ExpTable[Δ_j]: the
// argument of the unpacked table, at one constraint a lookup. A wrong value,
// a wrong multiplicity and the neighbouring-keys forgery (two δ of opposite
// sign, which keeps S an integer) are each rejected by the real prover
// (TestPackedSoftmaxTamperedHints; the gpt2 prover tamper test), as are
// wider pairs and the single shift of a row of one logit, with a division
// hint that rounds the forged values away, under both range checkers and
// PLONK (circuits/ops TestPackedSoftmaxForgeriesReachingTheDivision,
// TestPackedSoftmaxForgeriesPLONK); each forgery there is checked to be a
// table key, and with the division's remainder checks removed the
// single-key one proves. The recip forgeries and a wrong R are also tried
// with the public outputs set to what they compute
// (TestSoftmaxRecipTamperedHints, TestPackedSoftmaxForgeriesWithForgedOutputs),
// so that only the argument above can reject them: with ShiftRound's
// remainder check or the row division's remainder checks removed, those
// forgeries prove.
//
// The scores S = QKᵀ (row i kept up to column i) and the outputs P·V (row i
// of P has i+1 entries) are products of two witness matrices, constrained by
// circuits/matmul (Params.Products): either one constraint per scalar product
// (T²·dh/2 per head and product at T tokens), or hinted and pinned by one
// randomized check per row against a challenge drawn from a commitment to
// Q, K, V, P, S and P·V (about T²/2 + 2·T·dh). The matmul package doc gives
// the soundness argument. Every hinted entry feeds the same requantizations,
// with the same range checks, as a directly computed one.
package attention

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/matmul"
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
	// Products chooses how QKᵀ and P·V are constrained (circuits/matmul):
	// Auto, the zero value, takes per product the cheaper of one constraint
	// per scalar product and the randomized check.
	Products matmul.Mode
}

// bits returns the quotient bounds of the logit and output requantizations
// for heads of dh values and seq rows. fixedpoint.QuotientBits allows for
// int8 bounds (the distance to the farthest bound: 130); the logits' bounds
// are ±2^(LogitBits−1), so their bits allow for 2 − lo more. (With the int8
// margin, a logit requantization whose largest quotient is below about
// 2^(LogitBits−1)·3/4 — a small logit multiplier, e.g. a small head dim —
// left the honest prover unable to clamp a logit; as circuits/ops'
// attentionBits.)
func (p Params) bits(dh, seq int) (logit, out int) {
	accBound := int64(dh) * 128 * 128
	lo, _ := p.Formats.LogitRange()
	maxQ := new(big.Int).Mul(big.NewInt(accBound), big.NewInt(p.Logit.Mult))
	maxQ.Add(maxQ, big.NewInt(quant.RoundingTerm(p.Logit.Shift)))
	maxQ.Rsh(maxQ, p.Logit.Shift)
	maxQ.Add(maxQ, big.NewInt(2-lo))
	return max(maxQ.BitLen(), fixedpoint.QuotientBits(accBound, p.Logit.Mult, p.Logit.Shift)),
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
	causal := make([]int, seq)
	for i := range causal {
		causal[i] = i + 1
	}
	mode := matmul.WithMode(p.Products)
	for h := 0; h < p.NHead; h++ {
		// Q (seq × dh), Kᵀ (dh × seq), V (seq × dh) of head h.
		q, kt, v := make([][]frontend.Variable, seq), make([][]frontend.Variable, dh), make([][]frontend.Variable, seq)
		for i := range q {
			q[i] = qkv[i][h*dh : (h+1)*dh]
			v[i] = qkv[i][2*d+h*dh : 2*d+(h+1)*dh]
		}
		for e := range kt {
			kt[e] = make([]frontend.Variable, seq)
			for j := range kt[e] {
				kt[e][j] = qkv[j][d+h*dh+e]
			}
		}
		scores := matmul.Mul(api, q, kt, matmul.WithCols(causal), mode)
		probs := make([][]frontend.Variable, seq)
		for i := range scores {
			logits := make([]frontend.Variable, i+1)
			for j := range logits {
				logits[j] = fp.Requantize(scores[i][j], p.Logit.Mult, p.Logit.Shift, lo, hi, logitBits)
			}
			probs[i] = Softmax(api, fp, exp, logits)
		}
		o := matmul.Mul(api, probs, v, mode)
		for i := range o {
			for e := range o[i] {
				out[i][h*dh+e] = fp.Requantize(o[i][e], p.AttnOut.Mult, p.AttnOut.Shift, quant.Int8Min, quant.Int8Max, outBits)
			}
		}
	}
	return out
}

// Softmax returns the probabilities of one row of logits (each in the logit
// range), as quant.SoftmaxRow: p_j ∈ [0, 2^ProbFrac]. exp may be a packed
// table (fixedpoint.NewPackedTable): the division below pins its values
// (package doc).
func Softmax(api frontend.API, fp *fixedpoint.Gadget, exp logderivlookup.Table, logits []frontend.Variable) []frontend.Variable {
	exps, s := rowExps(api, exp, logits)
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

// SoftmaxRecip returns the probabilities of one row of logits (each in the
// logit range) at fraction frac, as quant.SoftmaxRecipRow: the row's max and
// exps as Softmax's, one reciprocal R = floor(N/S) per row (DivFloor: R's
// bound, ρ = N − R·S and S − 1 − ρ in [0, 2^den)), then per element
// p_j = floor((E_j·R + 2^(t−1)) / 2^t) (the product E_j·R, the t-bit
// remainder, p_j's frac-bit bound: fixedpoint.ShiftRound). p_j ≤ 2^frac − 1
// follows from E_j ≤ S and R·S ≤ N (quant/softmaxrecip.go); the bound check
// only makes the quotient unique. exp may be a packed table: the row's
// division and the per-element checks pin its values (package doc).
func SoftmaxRecip(api frontend.API, fp *fixedpoint.Gadget, exp logderivlookup.Table, logits []frontend.Variable, frac int) []frontend.Variable {
	exps, s := rowExps(api, exp, logits)
	n := len(logits)
	t := quant.RecipShift(n)
	rBits, denBits := quant.RecipBits(n, frac)
	r := fp.DivFloor(quant.RecipNumerator(frac, t), s, rBits, denBits)
	probs := make([]frontend.Variable, n)
	for j, e := range exps {
		probs[j] = fp.ShiftRound(api.Mul(e, r), t, frac)
	}
	return probs
}

// rowExps returns the exps of a row of logits and their sum: the hinted
// max, pinned by the exp table's domain and a zero product.
func rowExps(api frontend.API, exp logderivlookup.Table, logits []frontend.Variable) ([]frontend.Variable, frontend.Variable) {
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
	return exps, sum(api, exps)
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
