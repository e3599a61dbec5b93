package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// ReLU is max(x, 0) on its own (after an op that does not requantize:
// an addition, a reshape, a pool); after a linear op it is fused there.
type ReLU struct{}

// QReLU is ReLU in integers at the input's fraction: max(x, 0).
type QReLU struct{}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "relu", ID: 2,
		New:      func() quant.Op { return &QReLU{} },
		NewFloat: func() quant.FloatOp { return &ReLU{} },
		Doc:      "max(x, 0) at the input's scale: one clamp per output (fused into a preceding linear op)",
	})
}

func (*ReLU) Kind() string                          { return "relu" }
func (*ReLU) Params() []*quant.Param                { return nil }
func (*ReLU) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }
func (*ReLU) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	return [][]int{in[0]}, nil
}
func (*ReLU) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	y := make([]float64, len(in[0].Data))
	for i, v := range in[0].Data {
		y[i] = max(v, 0)
	}
	return []*quant.FloatTensor{{Shape: in[0].Shape, Data: y}}, nil
}
func (*ReLU) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac = in[0].Frac
	out[0].Lo, out[0].Hi = max(0, in[0].Lo), in[0].Hi
	if out[0].Hi <= out[0].Lo {
		out[0].Hi = out[0].Lo + 1
	}
	return &QReLU{}, nil
}

func (*QReLU) Kind() string { return "relu" }
func (*QReLU) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	x, y := in[0], out[0]
	if !sameShape(x.Shape, y.Shape) || x.Frac != y.Frac {
		return fmt.Errorf("%w: relu maps %v (frac %d) to %v (frac %d)", quant.ErrShape, x.Shape, x.Frac, y.Shape, y.Frac)
	}
	if y.Lo != max(0, x.Lo) || y.Hi != max(x.Hi, y.Lo+1) {
		return fmt.Errorf("%w: relu output bounds [%d, %d] for input bounds [%d, %d]", quant.ErrRange, y.Lo, y.Hi, x.Lo, x.Hi)
	}
	return nil
}
func (*QReLU) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := make([]int64, len(in[0].Data))
	for i, v := range in[0].Data {
		y[i] = quant.Clamp(v, out[0].Lo, out[0].Hi)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}
func (*QReLU) Encode(*quant.Encoder) error        { return nil }
func (*QReLU) EncodeWeights(*quant.Encoder) error { return nil }
func (*QReLU) Cost(_, out []quant.Value) quant.Cost {
	return quant.Cost{R1CS: 2 * out[0].Size(), SCS: 10 * out[0].Size()}
}
