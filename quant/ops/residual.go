package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// Residual is a + b of two activations at one scale, saturated: the
// residual stream of the legacy ffn and GPT-2 architectures
// (quant.ResidualAdd). Unlike binary add it does not requantize, so its
// clamp's bound is the sum's own (9 bits): the graph form of a legacy ffn
// (quant.FFNGraph) has exactly the legacy circuit's clamps.
type Residual struct{}

// QResidual is Residual in integers: clamp(a + b, −128, 127), a, b and the
// output at one fraction.
type QResidual struct{}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "residual", ID: 7,
		New:      func() quant.Op { return &QResidual{} },
		NewFloat: func() quant.FloatOp { return &Residual{} },
		Doc:      "a + b of two activations at one scale, saturated (the legacy ffn's residual): one clamp per output",
	})
}

func (*Residual) Kind() string           { return "residual" }
func (*Residual) Params() []*quant.Param { return nil }
func (*Residual) OutFracs(in []int, _ []float64) []int {
	return []int{in[0]}
}
func (*Residual) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	if !sameShape(in[0], in[1]) {
		return nil, fmt.Errorf("%w: residual of %v and %v, want one shape", quant.ErrShape, in[0], in[1])
	}
	return [][]int{in[0]}, nil
}
func (*Residual) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	y := make([]float64, len(in[0].Data))
	for i := range y {
		y[i] = in[0].Data[i] + in[1].Data[i]
	}
	return []*quant.FloatTensor{{Shape: in[0].Shape, Data: y}}, nil
}
func (*Residual) Quantize(in, out []quant.Value) (quant.Op, error) {
	if in[0].Frac != in[1].Frac {
		return nil, fmt.Errorf("%w: residual of fractions %d and %d: it takes one scale (binary add rescales)", quant.ErrValidation, in[0].Frac, in[1].Frac)
	}
	out[0].Frac, out[0].Lo, out[0].Hi = in[0].Frac, quant.Int8Min, quant.Int8Max
	return &QResidual{}, nil
}

func (*QResidual) Kind() string { return "residual" }
func (*QResidual) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	a, b, y := in[0], in[1], out[0]
	if !sameShape(a.Shape, b.Shape) || !sameShape(a.Shape, y.Shape) || a.Frac != b.Frac || a.Frac != y.Frac {
		return fmt.Errorf("%w: residual of %v (frac %d) and %v (frac %d) into %v (frac %d), want one shape and one frac", quant.ErrShape, a.Shape, a.Frac, b.Shape, b.Frac, y.Shape, y.Frac)
	}
	if a.DType != quant.DTypeInt8 || b.DType != quant.DTypeInt8 || y.Lo != quant.Int8Min || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: residual takes int8 values and saturates to [-128, 127]", quant.ErrRange)
	}
	return nil
}
func (*QResidual) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := make([]int64, len(in[0].Data))
	for i := range y {
		y[i] = quant.ResidualAdd(in[0].Data[i], in[1].Data[i])
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}
func (*QResidual) Encode(*quant.Encoder) error        { return nil }
func (*QResidual) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: one clamp (a table lookup) per output.
func (*QResidual) Cost(_, out []quant.Value) quant.Cost {
	return quant.Cost{R1CS: 2 * out[0].Size(), SCS: 10 * out[0].Size()}
}
