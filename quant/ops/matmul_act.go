package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// MatMul is ONNX MatMul of two activations (attention's Q·Kᵀ and P·V, a
// bilinear layer): a [..., n, k] times b [..., k, m], the leading (batch)
// axes broadcast as numpy; both operands have rank ≥ 2.
type MatMul struct{}

// QMatMul is MatMul in integers: acc = Σ_e a_ie·b_ej at fraction fa + fb
// (|acc| ≤ k·2^14), requantized to the output's fraction like binary mul:
// clamp(floor((acc + 2^(Shift−1)) / 2^Shift), −128, 127) with
// Shift = fa + fb − fo, the output fraction fo from calibration but no
// finer than fa + fb. In the circuit the products go through
// circuits/matmul (the randomized check when cheaper), then one
// requantization per output.
type QMatMul struct {
	Shift uint `json:"shift"`
}

// MaxMatMulMACs bounds the multiply-adds of one matmul node (its integer
// reference runs them, its circuit holds about as many constraints).
const MaxMatMulMACs = 1 << 28

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "matmul", ID: 63,
		New:      func() quant.Op { return &QMatMul{} },
		NewFloat: func() quant.FloatOp { return &MatMul{} },
		Doc:      "a·b of two activations [..., n, k]·[..., k, m] (batch axes broadcast): the products (randomized check when cheaper), one requantization per output",
	})
}

// matmulShape returns the batch shape, n, k, m and the output shape.
func matmulShape(a, b []int) (batch []int, n, k, m int, out []int, err error) {
	if len(a) < 2 || len(b) < 2 {
		return nil, 0, 0, 0, nil, fmt.Errorf("%w: matmul of %v and %v: both operands need rank ≥ 2", quant.ErrShape, a, b)
	}
	n, k = a[len(a)-2], a[len(a)-1]
	if b[len(b)-2] != k {
		return nil, 0, 0, 0, nil, fmt.Errorf("%w: matmul of %v and %v: inner dimensions differ", quant.ErrShape, a, b)
	}
	m = b[len(b)-1]
	if batch, err = BroadcastShape(a[:len(a)-2], b[:len(b)-2]); err != nil {
		return nil, 0, 0, 0, nil, err
	}
	out = append(slices.Clone(batch), n, m)
	if err := quant.CheckShape(out); err != nil {
		return nil, 0, 0, 0, nil, err
	}
	if macs := int64(quant.ShapeSize(out)) * int64(k); macs > MaxMatMulMACs {
		return nil, 0, 0, 0, nil, fmt.Errorf("%w: matmul of %v and %v: %d multiply-adds, at most %d", quant.ErrShape, a, b, macs, MaxMatMulMACs)
	}
	return batch, n, k, m, out, nil
}

// MatMulIndex returns, for every batch of the output, the batch of a and
// of b it reads.
func MatMulIndex(a, b []int) (ia, ib []int, err error) {
	batch, _, _, _, _, err := matmulShape(a, b)
	if err != nil {
		return nil, nil, err
	}
	return BroadcastIndex(a[:len(a)-2], batch), BroadcastIndex(b[:len(b)-2], batch), nil
}

func (*MatMul) Kind() string           { return "matmul" }
func (*MatMul) Params() []*quant.Param { return nil }

func (*MatMul) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	_, _, _, _, out, err := matmulShape(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

func matmulRun[T int64 | float64](a, b []T, as, bs []int) []T {
	_, n, k, m, out, _ := matmulShape(as, bs)
	ia, ib, _ := MatMulIndex(as, bs)
	y := make([]T, quant.ShapeSize(out))
	for t := range ia {
		pa, pb, py := ia[t]*n*k, ib[t]*k*m, t*n*m
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				var s T
				for e := 0; e < k; e++ {
					s += a[pa+i*k+e] * b[pb+e*m+j]
				}
				y[py+i*m+j] = s
			}
		}
	}
	return y
}

func (*MatMul) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	_, _, _, _, out, err := matmulShape(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return []*quant.FloatTensor{{Shape: out, Data: matmulRun(in[0].Data, in[1].Data, in[0].Shape, in[1].Shape)}}, nil
}

// OutFracs: from the output's range, no finer than fa + fb (binary mul's rule).
func (*MatMul) OutFracs(in []int, mx []float64) []int {
	return []int{min(quant.FracFor(mx[0]), in[0]+in[1])}
}

func (*MatMul) Quantize(in, out []quant.Value) (quant.Op, error) {
	s := in[0].Frac + in[1].Frac - out[0].Frac
	if s < 0 || s > quant.MaxShift {
		return nil, fmt.Errorf("%w: matmul of fractions %d and %d to %d: shift %d", quant.ErrRange, in[0].Frac, in[1].Frac, out[0].Frac, s)
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	q := &QMatMul{Shift: uint(s)}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *QMatMul) Kind() string { return "matmul" }

func (q *QMatMul) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	for k, v := range in {
		if v.DType != quant.DTypeInt8 {
			return fmt.Errorf("%w: matmul operand %d is %q, want int8", quant.ErrValidation, k, v.DType)
		}
	}
	_, _, _, _, shape, err := matmulShape(in[0].Shape, in[1].Shape)
	if err != nil {
		return err
	}
	if !sameShape(shape, out[0].Shape) {
		return fmt.Errorf("%w: matmul output %v, want %v", quant.ErrShape, out[0].Shape, shape)
	}
	if s := in[0].Frac + in[1].Frac - out[0].Frac; s < 0 || s > quant.MaxShift || uint(s) != q.Shift {
		return fmt.Errorf("%w: matmul of fractions %d and %d to %d: shift %d, want %d (0..%d)", quant.ErrRange, in[0].Frac, in[1].Frac, out[0].Frac, q.Shift, s, quant.MaxShift)
	}
	if out[0].Lo != quant.Int8Min || out[0].Hi != quant.Int8Max {
		return fmt.Errorf("%w: matmul output bounds [%d, %d], want int8", quant.ErrRange, out[0].Lo, out[0].Hi)
	}
	return nil
}

// AccBound bounds |acc| for int8 operands over an inner dimension k.
func (q *QMatMul) AccBound(k int) int64 { return int64(k) << 14 }

func (q *QMatMul) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	acc := matmulRun(in[0].Data, in[1].Data, in[0].Shape, in[1].Shape)
	for i, v := range acc {
		acc[i] = quant.Requantize(v, 1, q.Shift, quant.Int8Min, quant.Int8Max)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: acc}}, nil
}

func (q *QMatMul) Encode(e *quant.Encoder) error      { e.Int(int64(q.Shift)); return nil }
func (q *QMatMul) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: the products (the cheaper of direct, n·m·k, and the randomized
// check, about k·m + n·(m + k) per batch; PLONK about three gates per
// R1CS constraint of the check) and one requantization per output.
// Measured at 64×64·64×64: 43 051 R1CS (estimate 45 055), 161 599 PLONK.
func (q *QMatMul) Cost(in, out []quant.Value) quant.Cost {
	batch, n, k, m, _, err := matmulShape(in[0].Shape, in[1].Shape)
	if err != nil {
		return quant.Cost{}
	}
	b := quant.ShapeSize(batch)
	direct := n * m * k
	checked := 1 + max(m-2, 0) + k*(m-1) + n*(m+k)
	r := out[0].Size()
	return quant.Cost{R1CS: b*min(direct, checked) + RequantCost*r, SCS: b*min(direct, 3*checked) + RequantCostSCS*r}
}
