package fixedpoint_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// requantAddCircuit checks Out = clamp(RequantizeUnclamped(Acc) + X) for
// fixed parameters, through the clamp table (table) or the selectors.
type requantAddCircuit struct {
	Acc, X frontend.Variable
	Out    frontend.Variable `gnark:",public"`

	mult, accBound int64
	shift          uint
	table, log     bool
}

func (c *requantAddCircuit) Define(api frontend.API) error {
	bits := fixedpoint.ResidualQuotientBits(c.accBound, c.mult, c.shift)
	var opts []fixedpoint.Option
	if c.table {
		opts = append(opts, fixedpoint.WithPlan(fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: bits, Shift: c.shift, Count: 1 << 14}})))
	}
	if c.log {
		opts = append(opts, fixedpoint.WithLogChecker())
	}
	fp := fixedpoint.New(api, opts...)
	fp.AssertInt8(c.X)
	api.AssertIsEqual(c.Out, fp.RequantizeAdd(c.Acc, c.mult, c.shift, c.X, -128, 127, bits))
	return nil
}

func requantAdd(acc, mult int64, shift uint, x int64) int64 {
	return quant.Clamp(quant.RequantizeUnclamped(acc, mult, shift)+x, -128, 127)
}

// RequantizeAdd is the fused semantics bit for bit, through the table and
// the selectors, with both range checkers, where q leaves int8 and x is at
// its extremes; an output that skips the saturation, or is one off, is
// rejected.
func TestRequantizeAddMatchesReference(t *testing.T) {
	const mult, shift, bound = 1000, 16, 1 << 15 // |q| ≤ 500: far beyond int8
	for _, table := range []bool{false, true} {
		for _, log := range []bool{false, true} {
			circ := &requantAddCircuit{mult: mult, shift: shift, accBound: bound, table: table, log: log}
			if table && fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: fixedpoint.ResidualQuotientBits(bound, mult, shift), Shift: shift, Count: 1 << 14}}).TableBits(-128, 127) == 0 {
				t.Fatal("no clamp table planned")
			}
			for _, acc := range []int64{0, -1, bound, -bound, 150 << 16 / mult, -150 << 16 / mult, 12345} {
				for _, x := range []int64{-128, 127, 0, -3} {
					want := requantAdd(acc, mult, shift, x)
					if err := test.IsSolved(circ, &requantAddCircuit{Acc: acc, X: x, Out: want}, field); err != nil {
						t.Fatalf("table %v log %v acc %d x %d: %v", table, log, acc, x, err)
					}
					v := quant.RequantizeUnclamped(acc, mult, shift) + x
					bad := want + 1
					if v != want {
						bad = v // skips the saturation
					} else if want == 127 {
						bad = want - 1
					}
					if test.IsSolved(circ, &requantAddCircuit{Acc: acc, X: x, Out: bad}, field) == nil {
						t.Fatalf("table %v log %v acc %d x %d: output %d accepted (want %d)", table, log, acc, x, bad, want)
					}
				}
			}
		}
	}
	// Where q saturates int8 and x pulls the sum back, the fused value is
	// the sum, the unfused pair's is not.
	acc := int64(200<<16/mult + 1)
	q := quant.RequantizeUnclamped(acc, mult, shift)
	if q <= 127 || requantAdd(acc, mult, shift, -100) != q-100 || quant.ResidualAdd(quant.Clamp(q, -128, 127), -100) == q-100 {
		t.Fatalf("q %d: fused %d", q, requantAdd(acc, mult, shift, -100))
	}
}

// Tampered hints (the quotient, the remainder's value, the selectors,
// including both off: an output that skips the saturation) make solving
// fail, through the table and the selectors.
func TestRequantizeAddTamperedHints(t *testing.T) {
	const mult, shift, bound = 1000, 16, 1 << 15
	skip := func(f *big.Int, in, out []*big.Int) error {
		if err := fixedpoint.ClampSelectHint(f, in, out); err != nil {
			return err
		}
		out[0].SetInt64(0)
		out[1].SetInt64(0)
		return nil
	}
	type tamper struct{ hint, fake solver.Hint }
	for _, table := range []bool{false, true} {
		for _, log := range []bool{false, true} {
			tamperings := map[string]tamper{
				"quotient+1":   {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1)},
				"quotient-1":   {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, -1)},
				"quotient+2¹⁶": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1<<16)},
			}
			if !table {
				tamperings["unsaturated"] = tamper{fixedpoint.ClampSelectHint, skip}
				tamperings["lowSel"] = tamper{fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 0, 1)}
				tamperings["highSel"] = tamper{fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 1, 1)}
			}
			if log {
				tamperings["remainderValue+1"] = tamper{fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 1, 1)}
			}
			circ := &requantAddCircuit{mult: mult, shift: shift, accBound: bound, table: table, log: log}
			for _, acc := range []int64{5000, bound, -bound} {
				for _, x := range []int64{-128, 127} {
					want := requantAdd(acc, mult, shift, x)
					for name, tm := range tamperings {
						if name == "unsaturated" && want == quant.RequantizeUnclamped(acc, mult, shift)+x {
							continue // nothing to skip
						}
						err := test.IsSolved(circ, &requantAddCircuit{Acc: acc, X: x, Out: want}, field, test.WithReplacementHint(solver.GetHintID(tm.hint), tm.fake))
						if err == nil {
							t.Errorf("table %v log %v acc %d x %d: tampered %s accepted", table, log, acc, x, name)
						}
					}
				}
			}
		}
	}
}
