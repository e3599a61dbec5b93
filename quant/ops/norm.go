package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// LayerNorm is LayerNormalization over the last axis (ONNX
// LayerNormalization with axis −1, torch nn.LayerNorm):
// (x − mean)/sqrt(var + ε)·γ + β.
type LayerNorm struct {
	Epsilon float64      `json:"epsilon"`
	Gamma   *quant.Param `json:"-"`
	Beta    *quant.Param `json:"-"`
}

// RMSNorm is root-mean-square normalization over the last axis (Llama's
// RMSNorm, ONNX RMSNormalization with axis −1): x/sqrt(mean(x²) + ε)·γ.
type RMSNorm struct {
	Epsilon float64      `json:"epsilon"`
	Gamma   *quant.Param `json:"-"`
}

// QLayerNorm is LayerNorm in integers: quant.LayerNorm (the GPT-2
// semantics, constrained by circuits/norm) on every row of the last axis.
// For a row x of d int8 values: S = Σx, c_i = d·x_i − S, V = Σc_i² + Eps,
// r = floor(2^K/sqrt(V)), out_i = clamp(floor((c_i·r·γ_i + β_i)·Mult +
// 2^(Shift−1)) / 2^Shift), −128, 127).
type QLayerNorm struct {
	quant.LayerNorm
}

// QRMSNorm is RMSNorm in integers: QLayerNorm's semantics without the mean.
// For a row x of d int8 values: c_i = d·x_i, V = Σc_i² + Eps (= d³·(mean(x²)
// + ε) in integer units, as LayerNorm's V is d³·(var + ε)),
// r = floor(2^K/sqrt(V)) (quant.LNRsqrt, K = quant.LNK(d)),
// out_i = clamp(floor((c_i·r·γ_i·Mult + 2^(Shift−1)) / 2^Shift), −128, 127).
// As |c_i| ≤ 128·d ≤ 255·d, every bound of quant.LayerNorm holds verbatim
// (|c_i·r| ≤ 2^K), so Check is quant.LayerNorm.Validate of the same
// parameters with β = 0 (LayerNorm()); there is no β to encode or constrain.
// On a row whose sum is 0 it computes exactly what QLayerNorm with β = 0 does.
type QRMSNorm struct {
	D     int     `json:"d"`
	Gamma []int64 `json:"gamma"`
	Mult  int64   `json:"mult"`
	Shift uint    `json:"shift"`
	K     uint    `json:"k"`
	Eps   int64   `json:"eps"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "layernorm", ID: 40,
		New:      func() quant.Op { return &QLayerNorm{} },
		NewFloat: func() quant.FloatOp { return NewLayerNorm(nil, nil, 1e-5) },
		Doc:      "LayerNormalization over the last axis (γ, β, ε): 2 products per value, one hinted reciprocal square root per row, one requantization per output",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "rmsnorm", ID: 41,
		New:      func() quant.Op { return &QRMSNorm{} },
		NewFloat: func() quant.FloatOp { return NewRMSNorm(nil, 1e-6) },
		Doc:      "RMS normalization over the last axis (γ, ε): LayerNorm without the mean",
	})
}

// NewLayerNorm returns a LayerNorm with scale gamma [d] and shift beta [d].
func NewLayerNorm(gamma, beta *quant.FloatTensor, eps float64) *LayerNorm {
	return &LayerNorm{Epsilon: eps, Gamma: &quant.Param{Name: "weight", T: gamma}, Beta: &quant.Param{Name: "bias", T: beta}}
}

// NewRMSNorm returns an RMSNorm with scale gamma [d].
func NewRMSNorm(gamma *quant.FloatTensor, eps float64) *RMSNorm {
	return &RMSNorm{Epsilon: eps, Gamma: &quant.Param{Name: "weight", T: gamma}}
}

func (l *LayerNorm) Kind() string                         { return "layernorm" }
func (l *LayerNorm) Params() []*quant.Param               { return []*quant.Param{l.Gamma, l.Beta} }
func (l *LayerNorm) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

func (l *LayerNorm) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	g, b := l.Gamma.T, l.Beta.T
	if g == nil || b == nil || len(g.Shape) != 1 || !sameShape(g.Shape, b.Shape) {
		return nil, fmt.Errorf("%w: gamma %v and beta %v, want [d] and [d]", quant.ErrShape, shapeOf(g), shapeOf(b))
	}
	return normShapes(in[0], g.Shape[0], l.Epsilon)
}

func normShapes(x []int, d int, eps float64) ([][]int, error) {
	if len(x) == 0 || x[len(x)-1] != d {
		return nil, fmt.Errorf("%w: input %v, the norm is over a last axis of %d", quant.ErrShape, x, d)
	}
	if d > quant.MaxGPT2Dim {
		return nil, fmt.Errorf("%w: rows of %d values, at most %d (the integer intermediates would overflow)", quant.ErrShape, d, quant.MaxGPT2Dim)
	}
	if math.IsNaN(eps) || eps < 0 || eps > 1 {
		return nil, fmt.Errorf("%w: epsilon %v, want 0..1", quant.ErrRange, eps)
	}
	return [][]int{slices.Clone(x)}, nil
}

func (l *LayerNorm) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	return normEval(in[0], l.Gamma.T.Data, l.Beta.T.Data, l.Epsilon, true), nil
}

// normEval is the float reference of both norms (beta nil: no shift).
func normEval(x *quant.FloatTensor, gamma, beta []float64, eps float64, center bool) []*quant.FloatTensor {
	d := len(gamma)
	y := make([]float64, len(x.Data))
	for r := 0; r+d <= len(x.Data); r += d {
		row := x.Data[r : r+d]
		mean := 0.0
		if center {
			for _, v := range row {
				mean += v
			}
			mean /= float64(d)
		}
		vr := 0.0
		for _, v := range row {
			vr += (v - mean) * (v - mean)
		}
		inv := 1 / math.Sqrt(vr/float64(d)+eps)
		for i, v := range row {
			y[r+i] = (v - mean) * inv * gamma[i]
			if beta != nil {
				y[r+i] += beta[i]
			}
		}
	}
	return []*quant.FloatTensor{{Shape: x.Shape, Data: y}}
}

// quantizeNorm quantizes γ (int8, per tensor), β (at the accumulator scale
// sγ·sqrt(d)/2^K), the multiplier and shift to the output fraction, and ε
// in integer units (V = d³·(var + ε)·4^inFrac), as quant's GPT-2 LayerNorm.
// ε is capped at 2^40 (quant.LayerNorm.Validate's bound), which only bites
// for input fractions at which ε is far below the input's resolution.
func quantizeNorm(gamma, beta []float64, eps float64, inFrac, outFrac int, r quant.Requantizer) (*quant.LayerNorm, error) {
	d := len(gamma)
	mg := 0.0
	for _, g := range gamma {
		mg = math.Max(mg, math.Abs(g))
	}
	if mg == 0 {
		mg = 1
	}
	sg := mg / quant.Int8Max
	accAt := func(k uint) float64 { return sg * math.Sqrt(float64(d)) / math.Ldexp(1, int(k)) }
	if err := checkRatio(math.Ldexp(accAt(quant.LNK(d)), outFrac)); err != nil {
		return nil, err
	}
	k, shift, err := r.Norm("", d, func(k uint) float64 { return math.Ldexp(accAt(k), outFrac) })
	if err != nil {
		return nil, err
	}
	q := &quant.LayerNorm{D: d, Gamma: make([]int64, d), Beta: make([]int64, d), K: k}
	acc := accAt(k)
	bb := int64(1) << (q.K + 10)
	for i := range gamma {
		q.Gamma[i] = quant.Clamp(int64(math.Round(gamma[i]/sg)), -quant.Int8Max, quant.Int8Max)
		if beta != nil {
			q.Beta[i] = quant.Clamp(int64(math.Round(beta[i]/acc)), -bb, bb)
		}
	}
	ratio := math.Ldexp(acc, outFrac)
	q.Shift = shift
	q.Mult = int64(math.Round(math.Ldexp(ratio, int(shift))))
	e := eps * math.Pow(float64(d), 3) * math.Ldexp(1, 2*inFrac)
	q.Eps = max(1, int64(math.Round(math.Min(e, 1<<40))))
	if err := q.Validate("norm"); err != nil {
		return nil, err
	}
	return q, nil
}

// checkRatio refuses a requantization ratio that is NaN or negative.
func checkRatio(ratio float64) error {
	if math.IsNaN(ratio) || ratio < 0 {
		return fmt.Errorf("%w: requantization ratio %v", quant.ErrRange, ratio)
	}
	return nil
}

// ratioShift returns the shift of a requantization by ratio chosen by r
// (by default the largest at which round(ratio·2^shift) stays below
// quant.MaxMultiplier, quant's rule for every requantization).
func ratioShift(ratio float64, r quant.Requantizer) (uint, error) {
	if err := checkRatio(ratio); err != nil {
		return 0, err
	}
	return r.Shift("", ratio)
}

func (l *LayerNorm) Quantize(in, out []quant.Value) (quant.Op, error) {
	return l.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with K and the shift chosen by r.
func (l *LayerNorm) QuantizePrecision(in, out []quant.Value, _ []int, r quant.Requantizer) (quant.Op, error) {
	q, err := quantizeNorm(l.Gamma.T.Data, l.Beta.T.Data, l.Epsilon, in[0].Frac, out[0].Frac, r)
	if err != nil {
		return nil, err
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	return &QLayerNorm{LayerNorm: *q}, nil
}

func (q *QLayerNorm) Kind() string { return "layernorm" }

func checkNorm(in, out []quant.Value, d int) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	x, y := in[0], out[0]
	if len(x.Shape) == 0 || x.Shape[len(x.Shape)-1] != d || !sameShape(x.Shape, y.Shape) {
		return fmt.Errorf("%w: a norm over rows of %d maps %v to %v", quant.ErrShape, d, x.Shape, y.Shape)
	}
	if y.Lo != quant.Int8Min || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: output bounds [%d, %d], want int8", quant.ErrRange, y.Lo, y.Hi)
	}
	return nil
}

func (q *QLayerNorm) Check(in, out []quant.Value) error {
	if err := q.LayerNorm.Validate("layernorm"); err != nil {
		return err
	}
	return checkNorm(in, out, q.D)
}

func (q *QLayerNorm) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	y := make([]int64, 0, len(x))
	for r := 0; r+q.D <= len(x); r += q.D {
		y = append(y, q.Apply(x[r:r+q.D])...)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

// Encode writes d, shift, K and ε (architecture); EncodeWeights the rest.
func (q *QLayerNorm) Encode(e *quant.Encoder) error {
	e.Int(int64(q.D))
	e.Int(int64(q.Shift))
	e.Int(int64(q.K))
	e.Int(q.Eps)
	return nil
}

func (q *QLayerNorm) EncodeWeights(e *quant.Encoder) error {
	return quant.EncodeWeightSpecs(e, q.Weights())
}

// BetaSplit is the base of β's two int32 limbs in the weight encoding.
const BetaSplit = 31

// SplitBeta writes β (|β| ≤ 2^(K+10) ≤ 2^50, beyond int32) as
// β = hi·2^31 + lo with lo ∈ [0, 2^31): two int32 lists.
func SplitBeta(beta []int64) (hi, lo []int64) {
	hi, lo = make([]int64, len(beta)), make([]int64, len(beta))
	for i, b := range beta {
		hi[i] = b >> BetaSplit
		lo[i] = b - hi[i]<<BetaSplit
	}
	return hi, lo
}

// Weights lists γ (int8), β's high and low limbs (int32, SplitBeta) and
// the multiplier.
func (q *QLayerNorm) Weights() []quant.WeightSpec {
	hi, lo := SplitBeta(q.Beta)
	return []quant.WeightSpec{{Kind: quant.WeightInt8, Values: slices.Clone(q.Gamma)}, {Kind: quant.WeightInt32, Values: hi}, {Kind: quant.WeightInt32, Values: lo}, {Kind: quant.WeightMult, Values: []int64{q.Mult}}}
}

// normCost estimates a norm over rows of d: per value the products c_i²,
// c_i·r and z·γ and a requantization, per row the reciprocal square root's
// wide range checks; measured on 64×64 (circuits/ops TestNormCostProbe:
// layernorm 11.5 R1CS and 44.6 PLONK constraints per value, rmsnorm 11.3 and 41.4).
func normCost(n, rows, scsPerValue int) quant.Cost {
	return quant.Cost{R1CS: 11*n + 40*rows, SCS: scsPerValue*n + 100*rows}
}

func (q *QLayerNorm) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	c := normCost(n, n/q.D, 43)
	c.Params = 2*q.D + 1
	return c
}

func (r *RMSNorm) Kind() string                         { return "rmsnorm" }
func (r *RMSNorm) Params() []*quant.Param               { return []*quant.Param{r.Gamma} }
func (r *RMSNorm) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

func (r *RMSNorm) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	g := r.Gamma.T
	if g == nil || len(g.Shape) != 1 {
		return nil, fmt.Errorf("%w: gamma %v, want [d]", quant.ErrShape, shapeOf(g))
	}
	return normShapes(in[0], g.Shape[0], r.Epsilon)
}

func (r *RMSNorm) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	return normEval(in[0], r.Gamma.T.Data, nil, r.Epsilon, false), nil
}

func (r *RMSNorm) Quantize(in, out []quant.Value) (quant.Op, error) {
	return r.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with K and the shift chosen by rq.
func (r *RMSNorm) QuantizePrecision(in, out []quant.Value, _ []int, rq quant.Requantizer) (quant.Op, error) {
	q, err := quantizeNorm(r.Gamma.T.Data, nil, r.Epsilon, in[0].Frac, out[0].Frac, rq)
	if err != nil {
		return nil, err
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	return &QRMSNorm{D: q.D, Gamma: q.Gamma, Mult: q.Mult, Shift: q.Shift, K: q.K, Eps: q.Eps}, nil
}

// LayerNorm returns the quant.LayerNorm whose bounds (and Validate) apply
// to q: its parameters with β = 0.
func (q *QRMSNorm) LayerNorm() *quant.LayerNorm {
	return &quant.LayerNorm{D: q.D, Gamma: q.Gamma, Beta: make([]int64, len(q.Gamma)), Mult: q.Mult, Shift: q.Shift, K: q.K, Eps: q.Eps}
}

func (q *QRMSNorm) Kind() string { return "rmsnorm" }

func (q *QRMSNorm) Check(in, out []quant.Value) error {
	if err := q.LayerNorm().Validate("rmsnorm"); err != nil {
		return err
	}
	return checkNorm(in, out, q.D)
}

// Apply normalizes one row (see QRMSNorm).
func (q *QRMSNorm) Apply(x []int64) []int64 {
	d := int64(len(x))
	v := q.Eps
	for _, xi := range x {
		v += (d * xi) * (d * xi)
	}
	r := quant.LNRsqrt(v, q.K)
	out := make([]int64, len(x))
	for i, xi := range x {
		out[i] = quant.Requantize(d*xi*r*q.Gamma[i], q.Mult, q.Shift, quant.Int8Min, quant.Int8Max)
	}
	return out
}

func (q *QRMSNorm) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	y := make([]int64, 0, len(x))
	for r := 0; r+q.D <= len(x); r += q.D {
		y = append(y, q.Apply(x[r:r+q.D])...)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QRMSNorm) Encode(e *quant.Encoder) error {
	e.Int(int64(q.D))
	e.Int(int64(q.Shift))
	e.Int(int64(q.K))
	e.Int(q.Eps)
	return nil
}

func (q *QRMSNorm) EncodeWeights(e *quant.Encoder) error {
	return quant.EncodeWeightSpecs(e, q.Weights())
}

// Weights lists γ (int8) and the multiplier.
func (q *QRMSNorm) Weights() []quant.WeightSpec {
	return []quant.WeightSpec{{Kind: quant.WeightInt8, Values: slices.Clone(q.Gamma)}, {Kind: quant.WeightMult, Values: []int64{q.Mult}}}
}

func (q *QRMSNorm) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	c := normCost(n, n/q.D, 40)
	c.Params = q.D + 1
	return c
}
