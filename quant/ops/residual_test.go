package ops_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// residual is quant.ResidualAdd: a saturating sum at one scale, and its
// Check refuses operands at two scales or outputs that do not saturate to
// int8 (binary add is for those).
func TestResidual(t *testing.T) {
	v := func(frac int, lo, hi int64) quant.Value {
		return quant.Value{Shape: []int{1, 4}, Frac: frac, Lo: lo, Hi: hi}
	}
	q := &ops.QResidual{}
	in := []quant.Value{v(4, -128, 127), v(4, 0, 127)}
	out := []quant.Value{v(4, -128, 127)}
	if err := q.Check(in, out); err != nil {
		t.Fatal(err)
	}
	y, err := q.Forward([]*quant.Tensor{{Shape: []int{1, 4}, Data: []int64{-128, 100, 5, -3}}, {Shape: []int{1, 4}, Data: []int64{0, 100, 7, 127}}}, out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{-128, 127, 12, 124}; !slices.Equal(y[0].Data, want) {
		t.Errorf("residual %v, want %v", y[0].Data, want)
	}
	for name, c := range map[string][]quant.Value{
		"two scales":   {v(4, -128, 127), v(3, -128, 127), v(4, -128, 127)},
		"output frac":  {v(4, -128, 127), v(4, -128, 127), v(5, -128, 127)},
		"narrow clamp": {v(4, -128, 127), v(4, -128, 127), v(4, 0, 127)},
	} {
		if err := q.Check(c[:2], c[2:]); err == nil || !(errors.Is(err, quant.ErrShape) || errors.Is(err, quant.ErrRange)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := (&ops.Residual{}).Quantize([]quant.Value{v(4, 0, 0), v(3, 0, 0)}, []quant.Value{{}}); err == nil {
		t.Error("a float residual of two scales quantized")
	}
}
