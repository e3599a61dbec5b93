package ops

import (
	"fmt"
	"math"

	"github.com/zkinfer/zkinfer/quant"
)

// BatchNorm holds the parameters of an inference-mode BatchNormalization
// (ONNX scale, B, input_mean, input_var, epsilon) over channel axis 1:
// y = (x − mean)·scale/√(var + eps) + bias.
type BatchNorm struct {
	Scale, Bias, Mean, Var []float64
	Eps                    float64
}

// affine returns the per-channel a, c of y = a·x + c.
func (bn *BatchNorm) affine(ch int) (a, c []float64, err error) {
	if len(bn.Scale) != ch || len(bn.Bias) != ch || len(bn.Mean) != ch || len(bn.Var) != ch {
		return nil, nil, fmt.Errorf("%w: batch norm of %d/%d/%d/%d channels, the layer has %d", quant.ErrShape, len(bn.Scale), len(bn.Bias), len(bn.Mean), len(bn.Var), ch)
	}
	if math.IsNaN(bn.Eps) || math.IsInf(bn.Eps, 0) || bn.Eps < 0 {
		return nil, nil, fmt.Errorf("%w: batch norm epsilon %v", quant.ErrRange, bn.Eps)
	}
	a, c = make([]float64, ch), make([]float64, ch)
	for j := 0; j < ch; j++ {
		v := bn.Var[j] + bn.Eps
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("%w: batch norm channel %d: var + eps = %v", quant.ErrRange, j, v)
		}
		a[j] = bn.Scale[j] / math.Sqrt(v)
		c[j] = bn.Bias[j] - bn.Mean[j]*a[j]
		if math.IsNaN(a[j]) || math.IsInf(a[j], 0) || math.IsNaN(c[j]) || math.IsInf(c[j], 0) {
			return nil, nil, fmt.Errorf("%w: batch norm channel %d does not fold to finite values", quant.ErrRange, j)
		}
	}
	return a, c, nil
}

// Eval applies the batch norm to an [N, C, …] tensor (a reference for tests
// and importers).
func (bn *BatchNorm) Eval(x *quant.FloatTensor) (*quant.FloatTensor, error) {
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("%w: batch norm of %v", quant.ErrShape, x.Shape)
	}
	a, c, err := bn.affine(x.Shape[1])
	if err != nil {
		return nil, err
	}
	plane := quant.ShapeSize(x.Shape[2:])
	y := make([]float64, len(x.Data))
	for i, v := range x.Data {
		j := (i / plane) % x.Shape[1]
		y[i] = a[j]*v + c[j]
	}
	return &quant.FloatTensor{Shape: x.Shape, Data: y}, nil
}

// FoldBatchNorm folds a batch norm that follows conv into its weights and
// bias: w'[j] = w[j]·a_j, b'[j] = b[j]·a_j + c_j with a_j = scale_j/√(var_j + eps)
// and c_j = bias_j − mean_j·a_j. The conv must not have a fused ReLU (the
// norm would follow the ReLU). Its parameter tensors are replaced, not
// modified in place.
func FoldBatchNorm(conv *Conv, bn *BatchNorm) error {
	if conv.ReLU {
		return fmt.Errorf("%w: batch norm after a ReLU does not fold into the conv", quant.ErrValidation)
	}
	w, b := conv.Weight.T, conv.Bias.T
	if w == nil || b == nil || len(w.Shape) < 3 || len(b.Shape) != 1 || len(w.Data) != quant.ShapeSize(w.Shape) || len(b.Data) != b.Shape[0] {
		return fmt.Errorf("%w: conv weight %v, bias %v", quant.ErrShape, shapeOf(w), shapeOf(b))
	}
	cout := b.Shape[0]
	a, c, err := bn.affine(cout)
	if err != nil {
		return err
	}
	nw := &quant.FloatTensor{Shape: append([]int(nil), w.Shape...), Data: make([]float64, len(w.Data))}
	k := quant.ShapeSize(w.Shape[2:])
	group := max(conv.Group, 1)
	for i, v := range w.Data {
		var j int
		if conv.Transposed {
			// [C_in, C_out/group, k…]: the output channel of element i.
			og := w.Shape[1]
			ci := i / (og * k)
			j = ci/(w.Shape[0]/group)*og + (i/k)%og
		} else {
			j = i / (w.Shape[1] * k)
		}
		if j >= cout {
			return fmt.Errorf("%w: conv weight %v for %d output channels", quant.ErrShape, w.Shape, cout)
		}
		nw.Data[i] = v * a[j]
	}
	nb := &quant.FloatTensor{Shape: []int{cout}, Data: make([]float64, cout)}
	for j := range nb.Data {
		nb.Data[j] = b.Data[j]*a[j] + c[j]
	}
	conv.Weight.T, conv.Bias.T = nw, nb
	return nil
}

// FoldBatchNormLinear folds a batch norm over the output features of a
// linear op (BatchNorm1d after nn.Linear): column j of W and b[j] scale by
// a_j, c_j adds to b[j].
func FoldBatchNormLinear(l *Linear, bn *BatchNorm) error {
	if l.ReLU {
		return fmt.Errorf("%w: batch norm after a ReLU does not fold into the linear op", quant.ErrValidation)
	}
	w, b := l.Weight.T, l.Bias.T
	if w == nil || b == nil || len(w.Shape) != 2 || len(b.Shape) != 1 || b.Shape[0] != w.Shape[1] || len(w.Data) != w.Shape[0]*w.Shape[1] || len(b.Data) != b.Shape[0] {
		return fmt.Errorf("%w: linear weight %v, bias %v", quant.ErrShape, shapeOf(w), shapeOf(b))
	}
	out := w.Shape[1]
	a, c, err := bn.affine(out)
	if err != nil {
		return err
	}
	nw := &quant.FloatTensor{Shape: []int{w.Shape[0], out}, Data: make([]float64, len(w.Data))}
	for i, v := range w.Data {
		nw.Data[i] = v * a[i%out]
	}
	nb := &quant.FloatTensor{Shape: []int{out}, Data: make([]float64, out)}
	for j := range nb.Data {
		nb.Data[j] = b.Data[j]*a[j] + c[j]
	}
	l.Weight.T, l.Bias.T = nw, nb
	return nil
}
