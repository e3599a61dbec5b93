package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// ReLU constrains ops.QReLU: a clamp of every int8 input to the output's bounds.
type ReLU struct{}

// Binary constrains ops.QBinary: the accumulator (a linear combination for
// add and sub, one product for mul) and its requantization.
type Binary struct{}

// Unary constrains ops.QUnary: one lookup in the circuit's table of the
// function at its scales (shared by every node with the same table).
type Unary struct{}

func init() {
	gadget.Register("relu", ReLU{})
	gadget.Register("binary", Binary{})
	gadget.Register("unary", Unary{})
}

// int8Bits bounds the distance of an int8 value to any int8 bound.
const int8Bits = 9

func (ReLU) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	if _, err := opAs[*ops.QReLU](op); err != nil {
		return nil, err
	}
	y := make([]frontend.Variable, len(in[0].V))
	for i, v := range in[0].V {
		y[i] = c.FP.Clamp(v, out[0].Lo, out[0].Hi, int8Bits)
	}
	return one(y), nil
}

func (ReLU) Sites(_ quant.Op, _, out []quant.Value) []fixedpoint.Site {
	return []fixedpoint.Site{{Lo: out[0].Lo, Hi: out[0].Hi, Bits: int8Bits, Count: out[0].Size()}}
}

func binaryBits(q *ops.QBinary) int {
	bound := int64(1) << q.AccBits()
	return fixedpoint.QuotientBits(bound, 1, q.Shift)
}

func (Binary) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QBinary](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	shape := out[0].Shape
	ia, ib := ops.BroadcastIndex(in[0].Value.Shape, shape), ops.BroadcastIndex(in[1].Value.Shape, shape)
	bits := binaryBits(q)
	y := make([]frontend.Variable, len(ia))
	for p := range y {
		a, b := in[0].V[ia[p]], in[1].V[ib[p]]
		var acc frontend.Variable
		switch q.Op {
		case "add":
			acc = api.Add(api.Mul(a, int64(1)<<q.ShiftA), api.Mul(b, int64(1)<<q.ShiftB))
		case "sub":
			acc = api.Sub(api.Mul(a, int64(1)<<q.ShiftA), api.Mul(b, int64(1)<<q.ShiftB))
		default:
			acc = api.Mul(a, b)
		}
		y[p] = c.FP.Requantize(acc, 1, q.Shift, quant.Int8Min, quant.Int8Max, bits)
	}
	return one(y), nil
}

func (Binary) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QBinary)
	return []fixedpoint.Site{{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: binaryBits(q), Shift: q.Shift, Count: out[0].Size()}}
}

func (Unary) Tables(op quant.Op) [][]int64 { return [][]int64{op.(*ops.QUnary).Table} }

func (Unary) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QUnary](op)
	if err != nil {
		return nil, err
	}
	t := c.Table(q.Table)
	idx := make([]frontend.Variable, len(in[0].V))
	for i, v := range in[0].V {
		idx[i] = c.API.Sub(v, quant.Int8Min)
	}
	return one(t.Lookup(idx...)), nil
}

func (Unary) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }
