package fixedpoint_test

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// Parameters of a requantization the table serves: |q| ≤ 941, QuotientBits 11,
// so the int8 table needs 2^12 entries.
const (
	tMult     = 1234
	tShift    = 16
	tAccBound = 50000
)

// int8Plan is a plan with an int8 clamp table sized for the sites above.
func int8Plan(t testing.TB) *fixedpoint.Plan {
	bits := fixedpoint.QuotientBits(tAccBound, tMult, tShift)
	p := fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: bits, Shift: tShift, Count: 10000}})
	if got := p.TableBits(-128, 127); got != 12 {
		t.Fatalf("plan %s: table of 2^%d, want 2^12", p, got)
	}
	return p
}

// planCircuit checks Out = Requantize(Acc) through the table, and
// Big = Requantize(Acc·2^20), whose bound does not fit the table (fallback).
type planCircuit struct {
	Acc frontend.Variable
	Out frontend.Variable `gnark:",public"`
	Big frontend.Variable `gnark:",public"`

	plan *fixedpoint.Plan
	bits bool
	log  bool
}

func (c *planCircuit) Define(api frontend.API) error {
	opts := []fixedpoint.Option{fixedpoint.WithPlan(c.plan)}
	if c.bits {
		opts = append(opts, fixedpoint.WithBitDecomposition())
	}
	if c.log {
		opts = append(opts, fixedpoint.WithLogChecker())
	}
	fp := fixedpoint.New(api, opts...)
	api.AssertIsEqual(c.Out, fp.Requantize(c.Acc, tMult, tShift, -128, 127, fixedpoint.QuotientBits(tAccBound, tMult, tShift)))
	api.AssertIsEqual(c.Big, fp.Requantize(api.Mul(c.Acc, 1<<20), tMult, tShift, -128, 127, fixedpoint.QuotientBits(tAccBound<<20, tMult, tShift)))
	return nil
}

func planWitness(acc int64) *planCircuit {
	return &planCircuit{Acc: acc, Out: quant.Requantize(acc, tMult, tShift, -128, 127), Big: quant.Requantize(acc<<20, tMult, tShift, -128, 127)}
}

// The table path matches the reference at the hard bounds of the
// accumulator, on both saturation sides and in between; the fallback site
// beside it too; a wrong output is refused.
func TestPlanRequantizeMatchesReference(t *testing.T) {
	circ := &planCircuit{plan: int8Plan(t)}
	var lowSat, highSat, inside bool
	for _, acc := range []int64{-tAccBound, tAccBound, 0, 1, -1, 6798, -6798, 6799, -6799, 31337, -27182, 4321} {
		for _, a := range []int64{acc} {
			w := planWitness(a)
			if err := test.IsSolved(circ, w, field); err != nil {
				t.Fatalf("acc=%d: %v", a, err)
			}
			switch w.Out.(int64) {
			case -128:
				lowSat = true
			case 127:
				highSat = true
			default:
				inside = true
			}
			for _, d := range []int64{-1, 1} {
				bad := planWitness(a)
				bad.Out = w.Out.(int64) + d
				if test.IsSolved(circ, bad, field) == nil {
					t.Fatalf("acc=%d: output %d accepted", a, bad.Out)
				}
			}
		}
	}
	if !lowSat || !highSat || !inside {
		t.Fatalf("cases not covered: low %v high %v inside %v", lowSat, highSat, inside)
	}
}

// Tampered quotients (next to the true one, or a whole table away) and
// tampered range-check limbs make solving fail on the table path.
func TestPlanRequantizeTamperedHints(t *testing.T) {
	circ := &planCircuit{plan: int8Plan(t)}
	for _, acc := range []int64{0, 3000, -3000, tAccBound, -tAccBound} {
		for name, tm := range map[string]struct {
			hint solver.Hint
			fake solver.Hint
		}{
			"quotient+1":    {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1)},
			"quotient-1":    {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, -1)},
			"quotient+2^12": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1<<12)},
			"quotient-2^12": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, -(1 << 12))},
			"limb+1":        {rangecheck.DecomposeHint, offsetHint(rangecheck.DecomposeHint, 0, 1)},
		} {
			err := test.IsSolved(circ, planWitness(acc), field, test.WithReplacementHint(solver.GetHintID(tm.hint), tm.fake))
			if err == nil {
				t.Errorf("acc=%d: tampered %s accepted", acc, name)
			}
		}
	}
}

// The same under WithLogChecker: tampered quotients, limbs and
// multiplicities of the package's own checker make solving fail.
func TestPlanRequantizeTamperedHintsLogChecker(t *testing.T) {
	circ := &planCircuit{plan: int8Plan(t), log: true}
	for _, acc := range []int64{0, 3000, -3000, tAccBound, -tAccBound} {
		if err := test.IsSolved(circ, planWitness(acc), field); err != nil {
			t.Fatalf("acc=%d: honest witness rejected: %v", acc, err)
		}
		for name, tm := range map[string]struct {
			hint solver.Hint
			fake solver.Hint
		}{
			"quotient+1":    {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1)},
			"quotient-1":    {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, -1)},
			"quotient+2^12": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1<<12)},
			"limb+1":        {fixedpoint.LimbsHint, offsetHint(fixedpoint.LimbsHint, 0, 1)},
			"count+1":       {fixedpoint.RangeCountHint, offsetHint(fixedpoint.RangeCountHint, 0, 1)},
		} {
			err := test.IsSolved(circ, planWitness(acc), field, test.WithReplacementHint(solver.GetHintID(tm.hint), tm.fake))
			if err == nil {
				t.Errorf("acc=%d: tampered %s accepted", acc, name)
			}
		}
	}
}

// The same through the real Groth16 prover: an honest proof, a wrong output
// refused, and a tampered quotient refused by the prover.
func TestPlanRequantizeGroth16(t *testing.T) {
	if testing.Short() {
		t.Skip("Groth16 setup")
	}
	assert := test.NewAssert(t)
	circ := &planCircuit{plan: int8Plan(t)}
	good := planWitness(-31000)
	bad := planWitness(-31000)
	bad.Out = good.Out.(int64) + 1
	assert.CheckCircuit(circ, test.WithValidAssignment(good), test.WithInvalidAssignment(bad),
		test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16), test.NoFuzzing(), test.NoSerializationChecks())
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(planWitness(2000), field)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, w); err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	for _, d := range []int64{1, -1, 1 << 12} {
		fake := solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), offsetHint(fixedpoint.DivPow2Hint, 0, d))
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(fake)); err == nil {
			t.Errorf("quotient%+d: prover succeeded", d)
		}
	}
}

// clampCircuit checks Out = Clamp(V) for int8 bounds and |v − bound| < 2^9.
type clampCircuit struct {
	V   frontend.Variable
	Out frontend.Variable `gnark:",public"`

	plan *fixedpoint.Plan
}

func (c *clampCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithPlan(c.plan))
	api.AssertIsEqual(c.Out, fp.Clamp(c.V, -128, 127, 9))
	return nil
}

// The clamp table of 2^10 entries answers on its whole domain [-512, 512),
// which holds every value the bound allows ([-384, 383]), and refuses values
// just outside it.
func TestPlanClampDomainEdges(t *testing.T) {
	p := fixedpoint.NewPlan(fixedpoint.ResidualSites(5000))
	if p.TableBits(-128, 127) != 10 {
		t.Fatalf("plan %s, want an int8 table of 2^10", p)
	}
	circ := &clampCircuit{plan: p}
	for _, v := range []int64{-512, -511, -384, -256, -129, -128, -127, 0, 126, 127, 128, 254, 383, 510, 511} {
		want := min(max(v, -128), 127)
		if err := test.IsSolved(circ, &clampCircuit{V: v, Out: want}, field); err != nil {
			t.Fatalf("clamp(%d): %v", v, err)
		}
		if test.IsSolved(circ, &clampCircuit{V: v, Out: want - 1}, field) == nil {
			t.Fatalf("clamp(%d): wrong output accepted", v)
		}
	}
	for _, v := range []int64{-513, 512, 1 << 20, -(1 << 20)} {
		if test.IsSolved(circ, &clampCircuit{V: v, Out: min(max(v, -128), 127)}, field) == nil {
			t.Fatalf("clamp(%d) outside the table's domain accepted", v)
		}
	}
}

// The table path costs fewer constraints than the selectors; with
// WithBitDecomposition the plan is ignored (no lookup, no commitment).
func TestPlanConstraints(t *testing.T) {
	count := func(c frontend.Circuit) int {
		cs, err := frontend.Compile(field, r1cs.NewBuilder, c)
		if err != nil {
			t.Fatal(err)
		}
		return cs.GetNbConstraints()
	}
	const n = 2000
	withTable := count(&manyCircuit{Acc: make([]frontend.Variable, n), plan: int8Plan(t)})
	without := count(&manyCircuit{Acc: make([]frontend.Variable, n)})
	t.Logf("%d requantizations: %d constraints with the table, %d with selectors", n, withTable, without)
	if withTable >= without {
		t.Errorf("table path %d constraints, selectors %d", withTable, without)
	}
	if b, bp := count(&planCircuit{bits: true}), count(&planCircuit{bits: true, plan: int8Plan(t)}); b != bp {
		t.Errorf("bit decomposition: %d constraints without plan, %d with", b, bp)
	}
}

// manyCircuit requantizes every accumulator of Acc.
type manyCircuit struct {
	Acc  []frontend.Variable
	plan *fixedpoint.Plan
}

func (c *manyCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithPlan(c.plan))
	for _, a := range c.Acc {
		fp.Requantize(a, tMult, tShift, -128, 127, fixedpoint.QuotientBits(tAccBound, tMult, tShift))
	}
	return nil
}

func TestNewPlan(t *testing.T) {
	// Too few sites: a table does not pay for itself.
	if p := fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: 11, Shift: 20, Count: 10}}); p.TableBits(-128, 127) != 0 {
		t.Errorf("10 sites: %s", p)
	}
	// Bounds too wide for any table: fallback only.
	if p := fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: 20, Count: 1 << 20}}); p.TableBits(-128, 127) != 0 {
		t.Errorf("20-bit sites: %s", p)
	}
	// One table per range, sized for the sites that make it pay; the plan
	// does not depend on the order of the sites.
	sites := []fixedpoint.Site{
		{Lo: -128, Hi: 127, Bits: 11, Shift: 25, Count: 5000},
		{Lo: 0, Hi: 127, Bits: 10, Shift: 25, Count: 5000},
		{Lo: -128, Hi: 127, Bits: 15, Shift: 25, Count: 10},
	}
	p := fixedpoint.NewPlan(sites)
	if p.TableBits(-128, 127) != 12 || p.TableBits(0, 127) != 11 || p.Base() == 0 {
		t.Errorf("plan %s", p)
	}
	rev := fixedpoint.NewPlan([]fixedpoint.Site{sites[2], sites[1], sites[0]})
	if rev.String() != p.String() {
		t.Errorf("plan depends on site order: %s vs %s", p, rev)
	}
	if got := fixedpoint.ClampTable(0, 127, 3); len(got) != 8 || got[0] != 0 || got[4] != 0 || got[7] != 3 {
		t.Errorf("ClampTable(0, 127, 3) = %v", got)
	}
	var nilPlan *fixedpoint.Plan
	if nilPlan.TableBits(-128, 127) != 0 || nilPlan.Base() != 0 {
		t.Error("nil plan has tables")
	}
}

// clampMany clamps len(V) values into int8 with a bound of 2^9.
type clampMany struct {
	V    []frontend.Variable
	plan *fixedpoint.Plan
}

func (c *clampMany) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithPlan(c.plan))
	for _, v := range c.V {
		fp.Clamp(v, -128, 127, 9)
	}
	return nil
}

// The cost model of NewPlan, measured: marginal cost of a lookup and of a
// selector clamp, and of a table entry.
func TestClampCosts(t *testing.T) {
	count := func(n, k int) int {
		var p *fixedpoint.Plan
		if k > 0 {
			// Sites of 9 bits fit a table of 2^10; of 10 bits, 2^11.
			p = fixedpoint.NewPlan([]fixedpoint.Site{{Lo: -128, Hi: 127, Bits: k - 1, Count: 1 << 20}})
			if p.TableBits(-128, 127) != k {
				t.Fatalf("plan %s, want 2^%d", p, k)
			}
		}
		cs, err := frontend.Compile(field, r1cs.NewBuilder, &clampMany{V: make([]frontend.Variable, n), plan: p})
		if err != nil {
			t.Fatal(err)
		}
		return cs.GetNbConstraints()
	}
	lookup := float64(count(2000, 10)-count(1000, 10)) / 1000
	entry := float64(count(1000, 11)-count(1000, 10)) / 1024
	selector := float64(count(2000, 0)-count(1000, 0)) / 1000
	t.Logf("per lookup %.2f, per table entry %.2f, per selector clamp (9 bits) %.2f", lookup, entry, selector)
	if lookup < 1.99 || lookup > 2.01 || entry < 0.9 || entry > 1.1 || selector < 7 || selector > 9 {
		t.Errorf("cost model out of date: lookup %.2f (2), entry %.2f (1), selector clamp %.2f (8)", lookup, entry, selector)
	}
}
