package ops

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Attention is fused scaled dot-product attention over heads:
//
//	Q [T, H·dh], K [S, Hkv·dh], V [S, Hkv·dh] → O [T, H·dh]
//
// (each may carry a leading batch axis of 1: [1, T, H·dh]; the output has
// Q's rank). Head h reads query columns h·dh…, and the keys and values of
// kv head g(h) = h / (H/Hkv): Hkv = H is multi-head attention, Hkv = 1
// multi-query, anything dividing H grouped-query (Llama's repeat_kv).
// Per head and query row i:
//
//	l_ij = Scale · Σ_e q_ie·k_je
//	mask "causal": keys j > i (T = S) take no part (−∞);
//	mask "const": where Keep[i·S+j] = 0 the logit is Fill (Additive false,
//	  masked_fill / Where) or l_ij + Fill (Additive true, Add of a mask);
//	  Fill may be finite (nanoGPT's −10, BERT's −1e4);
//	p_i = softmax(l_i);  o_ie = Σ_j p_ij·v_je
//
// exactly the float graph it is fused from.
type Attention struct {
	Heads    int     `json:"heads"`
	KVHeads  int     `json:"kv_heads"`
	HeadDim  int     `json:"head_dim"`
	Scale    float64 `json:"scale"`
	Mask     string  `json:"mask"`
	Keep     []int8  `json:"keep,omitempty"`
	Fill     float64 `json:"fill,omitempty"`
	Additive bool    `json:"additive,omitempty"`
	// LogitBits is the width of the integer logits (the exp table has
	// 2^LogitBits entries): 4..14, 0 for gpt2's quant.DefaultLogitBits.
	LogitBits int `json:"logit_bits,omitempty"`
}

// Mask kinds of Attention.
const (
	MaskNone   = "none"
	MaskCausal = "causal"
	MaskConst  = "const"
)

// Modes of a position of QAttention's const mask.
const (
	// AttnExcluded positions take no part in the softmax (weight 0).
	AttnExcluded = 0
	// AttnComputed positions have the logit requant(s_ij + Value).
	AttnComputed = 1
	// AttnConst positions have the constant logit Value.
	AttnConst = 2
)

// QAttention is Attention in integers, gpt2's attention semantics
// (quant.SoftmaxRow, circuits/attention) generalized to masks and kv heads:
// per head h, kv head g = h/(H/Hkv), query row i and key j of the row's
// positions (j < Cols(i); the causal mask: j ≤ i):
//
//	s_ij = Σ_e q[i, h·dh+e]·k[j, g·dh+e]                    (|s| ≤ dh·2^14)
//	l_ij = clamp(floor(((s_ij + b_ij)·Logit.Mult + 2^(Logit.Shift−1)) / 2^Logit.Shift), lo, hi)
//	       (b_ij = 0 but for an additive const mask), or a constant c_ij
//	       (a masked_fill const mask), with [lo, hi] = ±2^(LogitBits−1) at LogitFrac;
//	p_i  = quant.SoftmaxRow(l_i, quant.ExpTableFor(LogitFrac, LogitBits))  (frac 12)
//	o[i, h·dh+e] = clamp(floor((Σ_j p_ij·v[j, g·dh+e]·Out.Mult + 2^(Out.Shift−1)) / 2^Out.Shift), −128, 127)
//
// With mask "causal", H = Hkv and the legacy block's Logit, AttnOut and
// formats this is gpt2's integer attention bit for bit
// (TestAttentionMatchesLegacy). A const mask is one mode per position
// (Mode/Value, T·S each): computed with bias b = Value, a constant logit
// Value, or excluded; the excluded positions of a row are its last ones
// (its positions are a prefix, as the circuit's products take them), and
// every row keeps at least one.
//
// With Recip (set by Quantize since 2026-12-01; files without the field,
// and ops.FromLegacyGPT2 by default, keep the division) the row's
// probabilities are quant.SoftmaxRecipRow(l_i, table, 12): one reciprocal
// R = floor(N/S) per row, then p_ij = floor((E_ij·R + 2^(t−1)) / 2^t) ∈
// [0, 4095] with t = quant.RecipShift(Cols(i)) (proof of the bound in
// quant/softmaxrecip.go); within 1 unit of 2^−12 of the float softmax on
// random and extreme rows (the division: 0.52). In the circuit a position
// then costs a product, a t-bit remainder and a 12-bit bound instead of
// the division's quotient, two remainders and product.
type QAttention struct {
	Heads     int           `json:"heads"`
	KVHeads   int           `json:"kv_heads"`
	HeadDim   int           `json:"head_dim"`
	Mask      string        `json:"mask"`
	LogitFrac int           `json:"logit_frac"`
	LogitBits int           `json:"logit_bits"`
	Logit     quant.Requant `json:"logit"`
	Out       quant.Requant `json:"out"`
	Mode      []int8        `json:"mode,omitempty"`
	Value     []int64       `json:"value,omitempty"`
	Recip     bool          `json:"recip,omitempty"`
}

// MaxAttentionMACs bounds the multiply-adds of one attention node.
const MaxAttentionMACs = 1 << 28

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "attention", ID: 70,
		New:      func() quant.Op { return &QAttention{} },
		NewFloat: func() quant.FloatOp { return &Attention{} },
		Doc:      "fused softmax(scale·QKᵀ + mask)·V over H query heads and Hkv kv heads (MHA/MQA/GQA), mask none, causal or a constant with a finite fill: QKᵀ and P·V by the randomized product check, one logit requantization per computed score, the softmax by one reciprocal per row and a product and shift per position (recip; older files: gpt2's division per position; 2^10-entry exp table), one requantization per output",
	})
}

// attnDims are the dimensions of an attention node.
type attnDims struct{ t, s, h, hkv, dh int }

// attnShape checks Q, K, V of an attention with heads h, kv heads hkv and
// head dimension dh, and returns the dimensions and the output shape.
func attnShape(in [][]int, h, hkv, dh int) (attnDims, []int, error) {
	if err := arity(in, 3); err != nil {
		return attnDims{}, nil, err
	}
	if h < 1 || hkv < 1 || dh < 1 || h > quant.MaxDim || dh > quant.MaxDim || h%hkv != 0 {
		return attnDims{}, nil, fmt.Errorf("%w: attention with %d heads, %d kv heads of %d values: want heads ≥ 1, kv_heads dividing heads", quant.ErrShape, h, hkv, dh)
	}
	rows := func(x []int, width int, what string) (int, error) {
		if (len(x) != 2 && len(x) != 3) || (len(x) == 3 && x[0] != 1) || x[len(x)-1] != width {
			return 0, fmt.Errorf("%w: attention %s %v: want [n, %d] or [1, n, %d]", quant.ErrShape, what, x, width, width)
		}
		return x[len(x)-2], nil
	}
	t, err := rows(in[0], h*dh, "Q")
	if err != nil {
		return attnDims{}, nil, err
	}
	s, err := rows(in[1], hkv*dh, "K")
	if err != nil {
		return attnDims{}, nil, err
	}
	sv, err := rows(in[2], hkv*dh, "V")
	if err != nil {
		return attnDims{}, nil, err
	}
	if sv != s || t < 1 || s < 1 || s > quant.MaxDim {
		return attnDims{}, nil, fmt.Errorf("%w: attention of %d queries over %d keys and %d values", quant.ErrShape, t, s, sv)
	}
	if macs := 2 * int64(t) * int64(s) * int64(h) * int64(dh); macs > MaxAttentionMACs {
		return attnDims{}, nil, fmt.Errorf("%w: attention of %v, %v, %v: %d multiply-adds, at most %d", quant.ErrShape, in[0], in[1], in[2], macs, MaxAttentionMACs)
	}
	return attnDims{t, s, h, hkv, dh}, slices.Clone(in[0]), nil
}

func (d attnDims) group(h int) int { return h / (d.h / d.hkv) }

func (*Attention) Kind() string           { return "attention" }
func (*Attention) Params() []*quant.Param { return nil }

func (a *Attention) check(in [][]int) (attnDims, []int, error) {
	d, out, err := attnShape(in, a.Heads, a.KVHeads, a.HeadDim)
	if err != nil {
		return d, nil, err
	}
	if a.LogitBits != 0 && (a.LogitBits < 4 || a.LogitBits > 14) {
		return d, nil, fmt.Errorf("%w: attention logit_bits %d, want 4..14 (0: %d)", quant.ErrRange, a.LogitBits, quant.DefaultLogitBits)
	}
	if !(a.Scale > 0) || math.IsInf(a.Scale, 0) {
		return d, nil, fmt.Errorf("%w: attention scale %v, want a positive finite number", quant.ErrRange, a.Scale)
	}
	switch a.Mask {
	case MaskNone, MaskCausal:
		if len(a.Keep) != 0 || a.Fill != 0 || a.Additive {
			return d, nil, fmt.Errorf("%w: attention mask %q takes no keep, fill or additive", quant.ErrValidation, a.Mask)
		}
		if a.Mask == MaskCausal && d.t != d.s {
			return d, nil, fmt.Errorf("%w: causal attention of %d queries over %d keys: want as many", quant.ErrShape, d.t, d.s)
		}
	case MaskConst:
		if len(a.Keep) != d.t*d.s {
			return d, nil, fmt.Errorf("%w: attention const mask of %d values, want T·S = %d", quant.ErrShape, len(a.Keep), d.t*d.s)
		}
		for _, k := range a.Keep {
			if k != 0 && k != 1 {
				return d, nil, fmt.Errorf("%w: attention const mask value %d, want 0 or 1", quant.ErrRange, k)
			}
		}
		if math.IsNaN(a.Fill) || math.IsInf(a.Fill, 0) {
			return d, nil, fmt.Errorf("%w: attention fill %v, want a finite number", quant.ErrRange, a.Fill)
		}
	default:
		return d, nil, fmt.Errorf("%w: attention mask %q (supported: %s, %s, %s)", quant.ErrValidation, a.Mask, MaskNone, MaskCausal, MaskConst)
	}
	return d, out, nil
}

func (a *Attention) OutShapes(in [][]int) ([][]int, error) {
	_, out, err := a.check(in)
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

// logits returns the float logits of head h, row i (−Inf where excluded)
// and the largest magnitude of its computed (kept) ones.
func (a *Attention) logits(d attnDims, q, k []float64, h, i int, l []float64) float64 {
	g := d.group(h)
	mx := 0.0
	for j := 0; j < d.s; j++ {
		if a.Mask == MaskCausal && j > i {
			l[j] = math.Inf(-1)
			continue
		}
		s := 0.0
		for e := 0; e < d.dh; e++ {
			s += q[i*d.h*d.dh+h*d.dh+e] * k[j*d.hkv*d.dh+g*d.dh+e]
		}
		l[j] = a.Scale * s
		if a.Mask == MaskConst && a.Keep[i*d.s+j] == 0 {
			if a.Additive {
				l[j] += a.Fill
			} else {
				l[j] = a.Fill
			}
			continue
		}
		mx = math.Max(mx, math.Abs(l[j]))
	}
	return mx
}

func (a *Attention) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	d, out, err := a.check([][]int{in[0].Shape, in[1].Shape, in[2].Shape})
	if err != nil {
		return nil, err
	}
	q, k, v := in[0].Data, in[1].Data, in[2].Data
	y := make([]float64, quant.ShapeSize(out))
	l := make([]float64, d.s)
	for h := 0; h < d.h; h++ {
		g := d.group(h)
		for i := 0; i < d.t; i++ {
			a.logits(d, q, k, h, i, l)
			mx := math.Inf(-1)
			for _, x := range l {
				mx = math.Max(mx, x)
			}
			sum := 0.0
			for j, x := range l {
				l[j] = math.Exp(x - mx)
				sum += l[j]
			}
			for e := 0; e < d.dh; e++ {
				o := 0.0
				for j := range l {
					o += l[j] / sum * v[j*d.hkv*d.dh+g*d.dh+e]
				}
				y[i*d.h*d.dh+h*d.dh+e] = o
			}
		}
	}
	return []*quant.FloatTensor{{Shape: out, Data: y}}, nil
}

// OutFracs: the output's from its range (gpt2's attn fraction).
func (*Attention) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

// InnerMax: the largest magnitude of the kept logits (the legacy
// calibration's, whose masked logits are 0).
func (a *Attention) InnerMax(in []*quant.FloatTensor) ([]float64, error) {
	d, _, err := a.check([][]int{in[0].Shape, in[1].Shape, in[2].Shape})
	if err != nil {
		return nil, err
	}
	mx := 0.0
	l := make([]float64, d.s)
	for h := 0; h < d.h; h++ {
		for i := 0; i < d.t; i++ {
			mx = math.Max(mx, a.logits(d, in[0].Data, in[1].Data, h, i, l))
		}
	}
	return []float64{mx}, nil
}

// logitBits is the logits' width.
func (a *Attention) logitBits() int {
	if a.LogitBits == 0 {
		return quant.DefaultLogitBits
	}
	return a.LogitBits
}

// InnerFracs: the logit fraction, gpt2's rule (the largest logit within
// ±(2^(LogitBits−1) − 1)).
func (a *Attention) InnerFracs(mx []float64) []int {
	m := 0.0
	if len(mx) > 0 {
		m = mx[0]
	}
	return []int{quant.FracForRange(m, float64(int(1)<<(a.logitBits()-1)-1))}
}

// Quantize without calibrated logits takes the logit fraction from the
// worst case |l| ≤ Scale·dh·2^(7−fq)·2^(7−fk) (calibration does better).
func (a *Attention) Quantize(in, out []quant.Value) (quant.Op, error) {
	bound := a.Scale * float64(a.HeadDim) * math.Ldexp(1, 14-in[0].Frac-in[1].Frac)
	return a.QuantizeInner(in, out, a.InnerFracs([]float64{bound}))
}

// QuantizeInner quantizes at the calibrated logit fraction inner[0].
func (a *Attention) QuantizeInner(in, out []quant.Value, inner []int) (quant.Op, error) {
	return a.QuantizePrecision(in, out, inner, quant.Requantizer{})
}

// QuantizePrecision is QuantizeInner with the shifts chosen by r.
func (a *Attention) QuantizePrecision(in, out []quant.Value, inner []int, r quant.Requantizer) (quant.Op, error) {
	if len(in) != 3 || len(out) != 1 || len(inner) != 1 {
		return nil, fmt.Errorf("%w: attention quantized with %d inputs, %d outputs and %d inner fractions", quant.ErrValidation, len(in), len(out), len(inner))
	}
	d, _, err := a.check([][]int{in[0].Shape, in[1].Shape, in[2].Shape})
	if err != nil {
		return nil, err
	}
	kept := r.Scratch()
	q, err := a.quantizeAt(d, in, out, inner[0], kept)
	if err != nil {
		return nil, err
	}
	// A masked position before a row's last kept one whose fill is below
	// the logit range is the constant lo, which the softmax weighs by
	// exp(−(max − lo)·2^−LogitFrac): near 1 when the calibrated logits are
	// small (lo = −0.125 at frac 12), where the float graph's weight is 0
	// (left padding, sliding windows). Widen the range until lo is
	// maskMargin below every calibrated logit, so its exp rounds to 0.
	if q.lowConst() {
		limit := float64(int64(1)<<(q.LogitBits-1) - 1)
		if lf := quant.FracForRange(math.Ldexp(limit, -q.LogitFrac)+maskMargin, limit); lf < q.LogitFrac {
			wide := r.Scratch()
			if w, err := a.quantizeAt(d, in, out, lf, wide); err == nil && w.Check(in, out) == nil {
				q, kept = w, wide
			}
		}
	}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	r.Keep(kept)
	return q, nil
}

// maskMargin is how far below every calibrated logit a masked position's
// constant logit must be for its exp to round to 0: exp(−12)·2^ExpBits < ½.
var maskMargin = math.Ceil(float64(quant.ExpBits+1) * math.Ln2)

// quantizeAt quantizes at logit fraction lf.
func (a *Attention) quantizeAt(d attnDims, in, out []quant.Value, lf int, r quant.Requantizer) (*QAttention, error) {
	var err error
	q := &QAttention{Heads: a.Heads, KVHeads: a.KVHeads, HeadDim: a.HeadDim, Mask: a.Mask, LogitFrac: lf, LogitBits: a.logitBits(), Recip: true}
	if q.Logit, err = r.Requant("logits", math.Ldexp(a.Scale, lf-in[0].Frac-in[1].Frac)); err != nil {
		return nil, fmt.Errorf("attention logits: %w", err)
	}
	if q.Out, err = r.Requant("out", math.Ldexp(1, out[0].Frac-quant.ProbFrac-in[2].Frac)); err != nil {
		return nil, fmt.Errorf("attention output: %w", err)
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	if a.Mask == MaskConst {
		q.Mode, q.Value = a.quantizeMask(d, q, in[0].Frac+in[1].Frac)
		if q.Mask == MaskCausal {
			q.Mode, q.Value = nil, nil
		}
	}
	return q, nil
}

// lowConst reports whether some position is the constant lo (a masked
// position whose fill is at or below the logit range, before its row's
// last kept one).
func (q *QAttention) lowConst() bool {
	lo, _ := q.logitRange()
	for k, m := range q.Mode {
		if m == AttnConst && q.Value[k] == lo {
			return true
		}
	}
	return false
}

// quantizeMask chooses each position's mode: kept positions are computed;
// a masked position's fill is a constant logit (clamped to the logit
// range) or a bias at the scores' fraction sf; a masked position whose
// logit is below the range whatever the score is excluded when it is among
// the last positions of a row that keeps others (a prefix for the circuit),
// else it is the constant lo. A row whose positions are all masked keeps
// them all, as the float softmax does (equal fills: uniform; an additive
// fill: the scores' softmax, so the bias is dropped). A const mask that
// comes out as exactly causal is marked so.
func (a *Attention) quantizeMask(d attnDims, q *QAttention, sf int) ([]int8, []int64) {
	lo, hi := q.logitRange()
	bmax := q.biasBound()
	mode, val := make([]int8, d.t*d.s), make([]int64, d.t*d.s)
	// below: the masked logit is under lo for every score.
	var fillLogit int64
	below := false
	var bias int64
	if a.Additive {
		bf := math.Round(math.Ldexp(a.Fill/a.Scale, sf))
		bias = int64(math.Max(math.Min(bf, float64(bmax)), -float64(bmax)))
		below = quant.RequantizeUnclamped(q.scoreBound()+bias, q.Logit.Mult, q.Logit.Shift) < lo
	} else {
		f := math.Round(math.Ldexp(a.Fill, q.LogitFrac))
		below = f < float64(lo)
		fillLogit = int64(math.Max(math.Min(f, float64(hi)), float64(lo)))
	}
	causal := d.t == d.s
	for i := 0; i < d.t; i++ {
		row := a.Keep[i*d.s : (i+1)*d.s]
		kept := slices.Contains(row, 1)
		// The row's last kept position: masked positions after it may be excluded.
		last := -1
		for j, k := range row {
			if k == 1 {
				last = j
			}
		}
		for j, k := range row {
			p := i*d.s + j
			causal = causal && (k == 1) == (j <= i)
			switch {
			case k == 1:
				mode[p] = AttnComputed
			case !kept && a.Additive:
				mode[p] = AttnComputed // the bias cancels in the softmax
			case !kept:
				mode[p], val[p] = AttnConst, fillLogit
			case below && j > last:
				mode[p] = AttnExcluded
			case below:
				mode[p], val[p] = AttnConst, lo
			case a.Additive:
				mode[p], val[p] = AttnComputed, bias
			default:
				mode[p], val[p] = AttnConst, fillLogit
			}
		}
	}
	if causal && below {
		q.Mask = MaskCausal
	}
	return mode, val
}

func (*QAttention) Kind() string { return "attention" }

// logitRange is the clamp range of the logits.
func (q *QAttention) logitRange() (lo, hi int64) {
	return quant.GPT2Formats{LogitBits: q.LogitBits}.LogitRange()
}

// scoreBound bounds |s_ij| = |Σ_e q·k| over int8 operands.
func (q *QAttention) scoreBound() int64 { return int64(q.HeadDim) << 14 }

// biasBound is the largest bias of a computed position that can still move
// its logit: beyond it the logit is lo (or hi) whatever the score.
func (q *QAttention) biasBound() int64 {
	m := max(q.Logit.Mult, 1)
	return q.scoreBound() + (int64(1)<<(uint(q.LogitBits)+q.Logit.Shift))/m + 1
}

// LogitAccBound bounds |s_ij + b_ij| (the logit requantization's input).
func (q *QAttention) LogitAccBound() int64 {
	b := q.scoreBound()
	for k, m := range q.Mode {
		if m == AttnComputed {
			b = max(b, q.scoreBound()+abs(q.Value[k]))
		}
	}
	return b
}

// OutAccBound bounds |Σ_j p_ij·v_j| over s keys: Σ_j p_ij ≤ 2^12 + s.
func (q *QAttention) OutAccBound(s int) int64 { return (1<<quant.ProbFrac + int64(s)) * 128 }

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Dims returns T, S, H, Hkv and dh of the node with inputs in.
func (q *QAttention) Dims(in []quant.Value) (t, s, h, hkv, dh int, err error) {
	d, _, err := attnShape([][]int{in[0].Shape, in[1].Shape, in[2].Shape}, q.Heads, q.KVHeads, q.HeadDim)
	return d.t, d.s, d.h, d.hkv, d.dh, err
}

// Cols returns the number of positions of row i (they are its first ones).
func (q *QAttention) Cols(i, s int) int {
	switch q.Mask {
	case MaskCausal:
		return i + 1
	case MaskConst:
		n := 0
		for n < s && q.Mode[i*s+n] != AttnExcluded {
			n++
		}
		return n
	}
	return s
}

// Position returns the mode and value of position (i, j) (j < Cols(i)).
func (q *QAttention) Position(i, j, s int) (mode int8, value int64) {
	if q.Mask != MaskConst {
		return AttnComputed, 0
	}
	return q.Mode[i*s+j], q.Value[i*s+j]
}

// ScoreCols returns the scores row i needs: up to its last computed position.
func (q *QAttention) ScoreCols(i, s int) int {
	n := 0
	// Cols once, not per position: it is O(S), and ScoreCols runs per row
	// (a quadratic loop here made Cost hours long on a hostile long mask).
	for j, c := 0, q.Cols(i, s); j < c; j++ {
		if m, _ := q.Position(i, j, s); m == AttnComputed {
			n = j + 1
		}
	}
	return n
}

// ExpTable is the exp table of the softmax (2^LogitBits entries).
func (q *QAttention) ExpTable() []int64 { return quant.ExpTableFor(q.LogitFrac, q.LogitBits) }

func (q *QAttention) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 3, 1); err != nil {
		return err
	}
	for k, v := range in {
		if v.DType != quant.DTypeInt8 {
			return fmt.Errorf("%w: attention input %d is %q, want int8", quant.ErrValidation, k, v.DType)
		}
	}
	d, shape, err := attnShape([][]int{in[0].Shape, in[1].Shape, in[2].Shape}, q.Heads, q.KVHeads, q.HeadDim)
	if err != nil {
		return err
	}
	if !sameShape(shape, out[0].Shape) {
		return fmt.Errorf("%w: attention output %v, want %v", quant.ErrShape, out[0].Shape, shape)
	}
	if out[0].Lo != quant.Int8Min || out[0].Hi != quant.Int8Max {
		return fmt.Errorf("%w: attention output bounds [%d, %d], want int8", quant.ErrRange, out[0].Lo, out[0].Hi)
	}
	if q.LogitBits < 4 || q.LogitBits > 14 || q.LogitFrac < quant.MinFrac || q.LogitFrac > quant.MaxFrac {
		return fmt.Errorf("%w: attention logits of %d bits at frac %d, want 4..14 bits at frac %d..%d", quant.ErrRange, q.LogitBits, q.LogitFrac, quant.MinFrac, quant.MaxFrac)
	}
	for _, r := range []quant.Requant{q.Logit, q.Out} {
		if r.Mult < 0 || r.Mult >= quant.MaxMultiplier || r.Shift > quant.MaxShift {
			return fmt.Errorf("%w: attention requantization %d/%d out of range", quant.ErrRange, r.Mult, r.Shift)
		}
	}
	lo, hi := q.logitRange()
	switch q.Mask {
	case MaskNone, MaskCausal:
		if len(q.Mode) != 0 || len(q.Value) != 0 {
			return fmt.Errorf("%w: attention mask %q takes no mode or value", quant.ErrValidation, q.Mask)
		}
		if q.Mask == MaskCausal && d.t != d.s {
			return fmt.Errorf("%w: causal attention of %d queries over %d keys", quant.ErrShape, d.t, d.s)
		}
	case MaskConst:
		if len(q.Mode) != d.t*d.s || len(q.Value) != d.t*d.s {
			return fmt.Errorf("%w: attention const mask of %d modes and %d values, want T·S = %d", quant.ErrShape, len(q.Mode), len(q.Value), d.t*d.s)
		}
		bmax := q.biasBound()
		for i := 0; i < d.t; i++ {
			excluded := false
			for j := 0; j < d.s; j++ {
				m, v := q.Mode[i*d.s+j], q.Value[i*d.s+j]
				switch {
				case m == AttnExcluded:
					excluded = true
					if v != 0 {
						return fmt.Errorf("%w: attention mask position (%d, %d) is excluded with value %d", quant.ErrValidation, i, j, v)
					}
				case excluded:
					return fmt.Errorf("%w: attention mask row %d: excluded positions must be the row's last ones", quant.ErrValidation, i)
				case m == AttnComputed && (v < -bmax || v > bmax): // not abs(v): abs(MinInt64) < 0
					return fmt.Errorf("%w: attention mask bias %d at (%d, %d), at most %d", quant.ErrRange, v, i, j, bmax)
				case m == AttnConst && (v < lo || v > hi):
					return fmt.Errorf("%w: attention mask logit %d at (%d, %d), want %d..%d", quant.ErrRange, v, i, j, lo, hi)
				case m != AttnComputed && m != AttnConst:
					return fmt.Errorf("%w: attention mask mode %d", quant.ErrValidation, m)
				}
			}
			if q.Mode[i*d.s] == AttnExcluded {
				return fmt.Errorf("%w: attention mask row %d keeps no position", quant.ErrValidation, i)
			}
		}
	default:
		return fmt.Errorf("%w: attention mask %q (supported: %s, %s, %s)", quant.ErrValidation, q.Mask, MaskNone, MaskCausal, MaskConst)
	}
	// No intermediate overflows int64 (nor the circuit's range checks).
	for _, b := range []*big.Int{
		new(big.Int).Mul(big.NewInt(q.LogitAccBound()), big.NewInt(max(q.Logit.Mult, 1))),
		new(big.Int).Mul(big.NewInt(q.OutAccBound(d.s)), big.NewInt(max(q.Out.Mult, 1))),
	} {
		if b.BitLen() > 61 {
			return fmt.Errorf("%w: attention accumulator bound 2^%d too large", quant.ErrRange, b.BitLen())
		}
	}
	return nil
}

// Forward computes the heads row by row (see QAttention).
func (q *QAttention) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	qs, ks, vs := in[0].Data, in[1].Data, in[2].Data
	t, s := quant.ShapeSize(in[0].Shape)/(q.Heads*q.HeadDim), quant.ShapeSize(in[1].Shape)/(q.KVHeads*q.HeadDim)
	d := attnDims{t, s, q.Heads, q.KVHeads, q.HeadDim}
	lo, hi := q.logitRange()
	table := q.ExpTable()
	y := make([]int64, quant.ShapeSize(out[0].Shape))
	for h := 0; h < d.h; h++ {
		g := d.group(h)
		for i := 0; i < t; i++ {
			l := make([]int64, q.Cols(i, s))
			for j := range l {
				m, v := q.Position(i, j, s)
				if m == AttnConst {
					l[j] = v
					continue
				}
				var sc int64
				for e := 0; e < d.dh; e++ {
					sc += qs[i*d.h*d.dh+h*d.dh+e] * ks[j*d.hkv*d.dh+g*d.dh+e]
				}
				l[j] = quant.Requantize(sc+v, q.Logit.Mult, q.Logit.Shift, lo, hi)
			}
			p := q.Probs(l, table)
			for e := 0; e < d.dh; e++ {
				var acc int64
				for j := range p {
					acc += p[j] * vs[j*d.hkv*d.dh+g*d.dh+e]
				}
				y[i*d.h*d.dh+h*d.dh+e] = quant.Requantize(acc, q.Out.Mult, q.Out.Shift, quant.Int8Min, quant.Int8Max)
			}
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

// Probs returns the probabilities of one row of logits at frac 12: the
// division (quant.SoftmaxRow) or, under Recip, the per-row reciprocal.
func (q *QAttention) Probs(l, table []int64) []int64 {
	if q.Recip {
		p, _ := quant.SoftmaxRecipRow(l, table, quant.ProbFrac)
		return p
	}
	p, _, _, _ := quant.SoftmaxRow(l, table)
	return p
}

// Encode: heads, kv heads, head dim, the mask kind (0 none, 1 causal,
// 2 const), the logit format (its fraction plus RecipTag under Recip),
// both requantizations, then for a const mask every position's mode and
// value.
func (q *QAttention) Encode(e *quant.Encoder) error {
	kind := map[string]int64{MaskNone: 0, MaskCausal: 1, MaskConst: 2}[q.Mask]
	for _, v := range []int64{int64(q.Heads), int64(q.KVHeads), int64(q.HeadDim), kind, recipTagged(int64(q.LogitFrac), q.Recip), int64(q.LogitBits),
		q.Logit.Mult, int64(q.Logit.Shift), q.Out.Mult, int64(q.Out.Shift), int64(len(q.Mode))} {
		e.Int(v)
	}
	for k := range q.Mode {
		e.Int(int64(q.Mode[k]))
		e.Int(q.Value[k])
	}
	return nil
}

func (*QAttention) EncodeWeights(*quant.Encoder) error { return nil }

// matmulEstimate is circuits/matmul.Estimate's cheaper way (R1CS) for a
// product of rows of A of length k by B, keeping cols[i] entries of row i.
func matmulEstimate(k int, cols []int) int {
	m := 0
	direct, checked := 0, 0
	for _, c := range cols {
		m = max(m, c)
	}
	if m == 0 || k == 0 {
		return 0
	}
	checked = 1 + max(m-2, 0) + k*(m-1)
	for _, c := range cols {
		if c == 0 {
			continue
		}
		direct += k * c
		checked += c - 1 + k + 1
	}
	return min(direct, checked)
}

// Cost: per kv head the two products of its query heads' rows (stacked),
// one logit requantization per computed score, the softmax per position
// (exp lookup, the max's product, the division and its range checks) and
// one requantization per output; the 2^LogitBits-entry exp table.
// PLONK: about three gates per R1CS constraint of the products.
func (q *QAttention) Cost(in, out []quant.Value) quant.Cost {
	t, s, h, hkv, dh, err := q.Dims(in)
	if err != nil {
		return quant.Cost{}
	}
	rep := h / hkv
	var scoreCols, cols []int
	computed, positions := 0, 0
	for r := 0; r < rep; r++ {
		for i := 0; i < t; i++ {
			scoreCols = append(scoreCols, q.ScoreCols(i, s))
			cols = append(cols, q.Cols(i, s))
		}
	}
	for i := 0; i < t; i++ {
		c := q.Cols(i, s)
		positions += c
		for j := 0; j < c; j++ {
			if m, _ := q.Position(i, j, s); m == AttnComputed {
				computed++
			}
		}
	}
	// P·V: rows of P of length cols_i by V (dh columns).
	pv := 0
	{
		direct, checked := 0, 1+max(dh-2, 0)+s*(dh-1)
		for _, c := range cols {
			direct += c * dh
			checked += dh - 1 + c + 1
		}
		pv = min(direct, checked)
	}
	products := hkv * (matmulEstimate(dh, scoreCols) + pv)
	n := out[0].Size()
	table := 1 << q.LogitBits
	r1cs := products + h*computed*RequantCost + n*RequantCost + table
	scs := 3*products + h*computed*RequantCostSCS + n*RequantCostSCS + 2*table
	if q.Recip {
		// Per row of c positions: the values' and the row's parts.
		for i := 0; i < t; i++ {
			c := q.Cols(i, s)
			v1, vs := recipValueCost(c, quant.ProbFrac)
			r1, rs := recipRowCost(c, quant.ProbFrac)
			r1cs += h * (c*v1 + r1)
			scs += h * (c*vs + rs)
		}
	} else {
		r1cs += h * positions * softmaxPositionCost
		scs += h * positions * softmaxPositionCostSCS
	}
	return quant.Cost{R1CS: r1cs, SCS: scs}
}

// Softmax cost per position without softmax's final requantization
// (QSoftmax's measured 20.3 R1CS and 67.4 PLONK per value, less one), less
// the packed exp lookup's saving (fixedpoint.NewPackedTable, measured on
// circuits/ops TestAttentionCost: 1 R1CS and about 2.3 PLONK constraints
// per position).
const (
	softmaxPositionCost    = 19
	softmaxPositionCostSCS = 70
)
