package fixedpoint_test

import (
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
)

// manyRequant requantizes len(Acc) accumulators with one (mult, shift).
type manyRequant struct {
	Acc   []frontend.Variable
	shift uint
	bits  int
	opts  []fixedpoint.Option
	clamp bool
}

func (c *manyRequant) Define(api frontend.API) error {
	fp := fixedpoint.New(api, c.opts...)
	for _, a := range c.Acc {
		if c.clamp {
			fp.Clamp(a, -128, 127, c.bits)
		} else {
			fp.Requantize(a, 1000, c.shift, -128, 127, c.bits)
		}
	}
	return nil
}

func count(t *testing.T, c frontend.Circuit) int {
	t.Helper()
	cs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	return cs.GetNbConstraints()
}

func TestCostScratch(t *testing.T) {
	for _, shift := range []uint{16, 20, 25, 27, 32, 48} {
		for _, n := range []int{2000, 4000} {
			for _, k := range []int{0, 13} {
				c := &manyRequant{Acc: make([]frontend.Variable, n), shift: shift, bits: 12}
				if k > 0 {
					c.opts = []fixedpoint.Option{fixedpoint.WithPlan(fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: 12, Count: 1 << 20}}))}
				}
				t.Logf("shift %d n %d table %v: %d", shift, n, k > 0, count(t, c))
			}
		}
	}
}

func TestCostScratch2(t *testing.T) {
	for _, n := range []int{2000, 4000} {
		for _, k := range []int{0, 10} {
			c := &manyRequant{Acc: make([]frontend.Variable, n), bits: 9, clamp: true}
			if k > 0 {
				c.opts = []fixedpoint.Option{fixedpoint.WithPlan(fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: 9, Count: 1 << 20}}))}
			}
			t.Logf("clamp n %d table %v: %d", n, k > 0, count(t, c))
		}
	}
}
