// Package modelio is the public interface shared by every model circuit: the
// model input and output, each packed 31 int8 values per field element
// (quant.PackInt8), in that order.
package modelio

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// IO holds a model circuit's public input and output and the unpacked input.
type IO struct {
	// Input is x (seq × d_model, row-major) packed by quant.PackInt8.
	Input []frontend.Variable `gnark:",public"`
	// Output is y packed the same way.
	Output []frontend.Variable `gnark:",public"`
	// X is the unpacked input, one int8 per variable.
	X [][]frontend.Variable
}

// New allocates the IO of a model with seq rows of d values.
func New(seq, d int) IO {
	n := (seq*d + quant.PackedPerElement - 1) / quant.PackedPerElement
	io := IO{Input: make([]frontend.Variable, n), Output: make([]frontend.Variable, n), X: make([][]frontend.Variable, seq)}
	for i := range io.X {
		io.X[i] = make([]frontend.Variable, d)
	}
	return io
}

// Assign returns the IO witness of one trace of the reference.
func Assign(tr *quant.Trace) (IO, error) {
	in, err := quant.PackInt8(quant.Flatten(tr.X))
	if err != nil {
		return IO{}, fmt.Errorf("input: %w", err)
	}
	out, err := quant.PackInt8(quant.Flatten(tr.Y))
	if err != nil {
		return IO{}, fmt.Errorf("output: %w", err)
	}
	io := IO{Input: vars(in), Output: vars(out)}
	for _, row := range tr.X {
		io.X = append(io.X, vars(row))
	}
	return io, nil
}

// Bind range-checks every x to int8, so the packing has one unpacking and the
// circuit accepts exactly the inputs the reference accepts, and checks that
// the public Input and Output are the packings of X and of y (int8 values:
// clamp outputs).
func (io *IO) Bind(api frontend.API, fp *fixedpoint.Gadget, y [][]frontend.Variable) error {
	var xs, ys []frontend.Variable
	for _, row := range io.X {
		for _, v := range row {
			fp.AssertInt8(v)
		}
		xs = append(xs, row...)
	}
	for _, row := range y {
		ys = append(ys, row...)
	}
	if err := fixedpoint.AssertPackedInt8(api, io.Input, xs); err != nil {
		return err
	}
	return fixedpoint.AssertPackedInt8(api, io.Output, ys)
}

func vars[T any](v []T) []frontend.Variable {
	out := make([]frontend.Variable, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}
