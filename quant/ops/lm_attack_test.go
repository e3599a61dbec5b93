package ops_test

import (
	"errors"
	"math"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Hostile next_tokens / argmax_index / masked_softmax / rope attributes (a
// model file is the prover's bytes until a verifier pins it): every one is
// a named error from OutShapes and Check, never a panic or an allocation
// sized by the attribute. From + Count overflowing int used to pass the
// bound check (From + Count ≤ T) and then index rows From … From + Count − 1.
func TestLMHostileAttributes(t *testing.T) {
	logits := quant.Value{Shape: []int{1, 4, 3}, DType: quant.DTypeInt8, Lo: quant.Int8Min, Hi: quant.Int8Max}
	ids := quant.Value{Shape: []int{1, 4}, DType: quant.DTypeIndex, Lo: 0, Hi: 2}
	for _, n := range []*ops.NextTokens{
		{From: math.MaxInt - 1, Count: 3}, {From: math.MaxInt, Count: math.MaxInt}, {From: 2, Count: math.MaxInt},
		{From: 4, Count: 1}, {From: 3, Count: 0}, {From: -1, Count: 2}, {From: 0, Count: -5}, {From: math.MinInt, Count: 1},
	} {
		if _, err := n.OutShapes([][]int{logits.Shape, ids.Shape}); err == nil {
			t.Errorf("next_tokens %+v over T = 4: accepted", *n)
		}
		out := quant.Value{Shape: []int{max(n.Count, 0) % 8}, DType: quant.DTypeIndex, Lo: 0, Hi: 2}
		if err := n.Check([]quant.Value{logits, ids}, []quant.Value{out}); err == nil {
			t.Errorf("next_tokens %+v over T = 4: Check accepted", *n)
		}
	}
	// A vocabulary of 1, ids beyond the vocabulary, negative ids.
	one := quant.Value{Shape: []int{4, 1}, DType: quant.DTypeInt8, Lo: -128, Hi: 127}
	if _, err := (&ops.NextTokens{From: 0, Count: 1}).OutShapes([][]int{one.Shape, {4}}); err == nil {
		t.Error("next_tokens over a vocabulary of 1: accepted")
	}
	for _, bad := range []quant.Value{{Shape: []int{1, 4}, DType: quant.DTypeIndex, Lo: 0, Hi: 3}, {Shape: []int{1, 4}, DType: quant.DTypeIndex, Lo: -1, Hi: 2}} {
		out := quant.Value{Shape: []int{2}, DType: quant.DTypeIndex, Lo: 0, Hi: 2}
		if err := (&ops.NextTokens{From: 1, Count: 2}).Check([]quant.Value{logits, bad}, []quant.Value{out}); !errors.Is(err, quant.ErrRange) {
			t.Errorf("next_tokens ids within [%d, %d] for V = 3: %v", bad.Lo, bad.Hi, err)
		}
	}
	for _, a := range []*ops.ArgMaxIndex{{Axis: 3}, {Axis: -4}, {Axis: math.MaxInt}, {Axis: math.MinInt}} {
		if _, err := a.OutShapes([][]int{logits.Shape}); err == nil {
			t.Errorf("argmax_index axis %d of rank 3: accepted", a.Axis)
		}
	}
	for _, m := range []*ops.QMaskedSoftmax{
		{Rows: 4, Cols: 3, Keep: make([]uint8, 12)},                           // every row masked
		{Rows: 4, Cols: 3, Keep: []uint8{1}},                                  // short mask
		{Rows: math.MaxInt / 2, Cols: 3, Keep: []uint8{1, 1, 1}},              // rows beyond the shape
		{Rows: 4, Cols: 3, Keep: []uint8{2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}, // not 0/1
	} {
		if err := m.Check([]quant.Value{logits}, []quant.Value{{Shape: logits.Shape, DType: quant.DTypeInt8, Frac: ops.SoftmaxFrac, Hi: quant.Int8Max}}); err == nil {
			t.Errorf("masked_softmax %d×%d with %d mask values: accepted", m.Rows, m.Cols, len(m.Keep))
		}
	}
	for _, r := range []*ops.QRope{
		{Rows: 4, Cols: 3, A: make([]int64, 12), B: make([]int64, 12), Lo: -128, Hi: 127},                    // odd D
		{Rows: 4, Cols: 4, A: make([]int64, 16), B: make([]int64, 16), Lo: -128, Hi: 127},                    // shape mismatch
		{Rows: 1 << 40, Cols: 2, A: nil, B: nil, Lo: -128, Hi: 127},                                          // huge table
		{Rows: 4, Cols: 2, A: []int64{1 << 13, 0, 0, 0, 0, 0, 0, 0}, B: make([]int64, 8), Lo: -128, Hi: 127}, // coefficient beyond 2^12
		{Rows: 4, Cols: 2, A: make([]int64, 8), B: make([]int64, 8), Shift: 1 << 20, Lo: -128, Hi: 127},
	} {
		x := quant.Value{Shape: []int{1, 4, 2}, DType: quant.DTypeInt8, Lo: -128, Hi: 127}
		if r.Cols == 3 {
			x.Shape = []int{1, 4, 3}
		}
		if err := r.Check([]quant.Value{x}, []quant.Value{x}); err == nil {
			t.Errorf("rope %d×%d: accepted", r.Rows, r.Cols)
		}
	}
}
