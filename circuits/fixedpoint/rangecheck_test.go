package fixedpoint

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
)

// checkCircuit range-checks each V[i] on Bits[i] bits, padded or not.
type checkCircuit struct {
	V      []frontend.Variable
	bits   []int
	padded bool
}

func (c *checkCircuit) Define(api frontend.API) error {
	rc := newLogChecker(api)
	for i, v := range c.V {
		if c.padded {
			rc.checkPadded(v, c.bits[i])
		} else {
			rc.Check(v, c.bits[i])
		}
	}
	return nil
}

var bn254 = ecc.BN254.ScalarField()

var checkBits = []int{2, 7, 8, 13, 20, 26, 31, 52}

func checkAssign(vals func(bits int) int64) *checkCircuit {
	c := &checkCircuit{V: make([]frontend.Variable, len(checkBits))}
	for i, b := range checkBits {
		c.V[i] = vals(b)
	}
	return c
}

// Every width accepts 0 and 2^bits − 1 and rejects 2^bits and −1, through
// the test engine and the real Groth16 and PLONK provers.
func TestLogCheckerBounds(t *testing.T) {
	assert := test.NewAssert(t)
	circ := &checkCircuit{V: make([]frontend.Variable, len(checkBits)), bits: checkBits}
	valid := []*checkCircuit{
		checkAssign(func(int) int64 { return 0 }),
		checkAssign(func(b int) int64 { return 1<<b - 1 }),
		checkAssign(func(b int) int64 { return 1 << (b - 1) }),
	}
	for i := range checkBits {
		for _, bad := range []int64{-1, 1 << checkBits[i], 1<<checkBits[i] + 5} {
			a := checkAssign(func(int) int64 { return 3 })
			a.V[i] = bad
			opts := []test.TestingOption{test.WithInvalidAssignment(a), test.WithCurves(ecc.BN254), test.NoFuzzing(), test.NoSerializationChecks()}
			if i == len(checkBits)-1 && bad == -1 {
				for _, v := range valid {
					opts = append(opts, test.WithValidAssignment(v))
				}
				opts = append(opts, test.WithBackends(backend.GROTH16, backend.PLONK))
			} else {
				// The test engine only, to keep the test fast.
				if err := test.IsSolved(circ, a, bn254); err == nil {
					t.Errorf("%d bits: %d accepted", checkBits[i], bad)
				}
				continue
			}
			assert.CheckCircuit(circ, opts...)
		}
	}
	for _, v := range valid {
		if err := test.IsSolved(circ, v, bn254); err != nil {
			t.Errorf("valid assignment rejected: %v", err)
		}
	}
}

// Wrong limbs from the hint are rejected: the lowest limb, a linear
// expression, then leaves the table.
func TestLogCheckerTamperedLimbs(t *testing.T) {
	circ := &checkCircuit{V: make([]frontend.Variable, len(checkBits)), bits: checkBits}
	a := checkAssign(func(b int) int64 { return 1<<b - 3 })
	fake := func(field *big.Int, in, out []*big.Int) error {
		if err := LimbsHint(field, in, out); err != nil {
			return err
		}
		out[0].Add(out[0], big.NewInt(1))
		return nil
	}
	if err := test.IsSolved(circ, a, bn254, test.WithReplacementHint(solver.GetHintID(LimbsHint), fake)); err == nil {
		t.Error("tampered limbs accepted")
	}
	if err := test.IsSolved(circ, a, bn254); err != nil {
		t.Errorf("honest limbs rejected: %v", err)
	}
}

// A padded check of a small integer accepts [0, 2^bits) and rejects the
// values just outside.
func TestLogCheckerPadded(t *testing.T) {
	circ := &checkCircuit{V: make([]frontend.Variable, len(checkBits)), bits: checkBits, padded: true}
	if err := test.IsSolved(circ, checkAssign(func(b int) int64 { return 1<<b - 1 }), bn254); err != nil {
		t.Errorf("valid assignment rejected: %v", err)
	}
	for i := range checkBits {
		for _, bad := range []int64{-1, 1 << checkBits[i]} {
			a := checkAssign(func(int) int64 { return 0 })
			a.V[i] = bad
			if err := test.IsSolved(circ, a, bn254); err == nil {
				t.Errorf("padded %d bits: %d accepted", checkBits[i], bad)
			}
		}
	}
}

// The checker's cost model: a check costs its queries (one R1CS constraint
// each), the table one constraint per entry, and nothing is left for the
// recomposition.
func TestLogCheckerCost(t *testing.T) {
	count := func(bits []int, padded bool) int {
		cs, err := frontend.Compile(bn254, r1cs.NewBuilder, &checkCircuit{V: make([]frontend.Variable, len(bits)), bits: bits, padded: padded})
		if err != nil {
			t.Fatal(err)
		}
		return cs.GetNbConstraints()
	}
	many := func(n, bits int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = bits
		}
		return out
	}
	model := func(bits []int, padded bool) int { return checkerCost(pending(bits, padded)) }
	for _, tc := range []struct {
		bits   int
		padded bool
	}{{13, false}, {26, false}, {20, false}, {20, true}, {9, false}} {
		// The compiled count less the model's total is a small fixed
		// overhead (the final assertion, the commitment's mask), whatever
		// the number of checks and the base they choose.
		var over []int
		for _, n := range []int{4000, 8000} {
			bs := many(n, tc.bits)
			over = append(over, count(bs, tc.padded)-model(bs, tc.padded))
			t.Logf("%d checks of %d bits (padded %v): base %d, %d constraints, model %d", n, tc.bits, tc.padded, chooseBase(pending(bs, tc.padded)), count(bs, tc.padded), model(bs, tc.padded))
		}
		if min(over[0], over[1]) < 0 || max(over[0], over[1]) > 4 {
			t.Errorf("%d bits (padded %v): compiled minus model %v, want 0 to 4", tc.bits, tc.padded, over)
		}
	}
}

func pending(bits []int, padded bool) []pendingCheck {
	out := make([]pendingCheck, len(bits))
	for i, b := range bits {
		out[i] = pendingCheck{bits: b, padded: padded}
	}
	return out
}

// Exact checks narrower than the base, numerous enough, go to a table
// [0, 2^w) of their own (one query each instead of two): it accepts 0 and
// 2^w − 1 and rejects −1 and 2^w, through the test engine and the real
// Groth16 prover.
func TestLogCheckerSmallTable(t *testing.T) {
	const n, w, wide, nWide = 600, 4, 10, 2000
	bits := make([]int, n+nWide)
	for i := range bits {
		bits[i] = w
		if i >= n {
			bits[i] = wide // the wide checks set the base
		}
	}
	checks := pending(bits, false)
	if base := chooseBase(checks); !smallWidths(checks, base)[w] {
		t.Fatalf("%d checks of %d bits under base %d: no table of their own", n, w, base)
	}
	circ := &checkCircuit{V: make([]frontend.Variable, len(bits)), bits: bits}
	assign := func(v int64) *checkCircuit {
		a := &checkCircuit{V: make([]frontend.Variable, len(bits))}
		for i := range a.V {
			a.V[i] = int64(i % (1 << bits[i]))
		}
		a.V[7] = v
		return a
	}
	assert := test.NewAssert(t)
	assert.CheckCircuit(circ, test.WithValidAssignment(assign(0)), test.WithValidAssignment(assign(1<<w-1)),
		test.WithInvalidAssignment(assign(-1)), test.WithInvalidAssignment(assign(1<<w)),
		test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16), test.NoFuzzing(), test.NoSerializationChecks())
	cs, err := frontend.Compile(bn254, r1cs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cs.GetNbConstraints(), checkerCost(checks); got < want || got > want+8 {
		t.Errorf("%d constraints, model %d", got, want)
	}
	t.Logf("%d checks of %d bits and %d of %d: base %d, %d constraints (model %d)", n, w, nWide, wide, chooseBase(checks), cs.GetNbConstraints(), checkerCost(checks))
}

// LimbsHint's extra outputs are the values of the checker's queries: limb 0
// (v less the upper limbs) and the top limb shifted; the old call (n − 1
// outputs) is unchanged.
func TestLimbsHintQueryValues(t *testing.T) {
	field := bn254
	v := big.NewInt(0x2_b3c4_d5e6) // 34 bits: 3 limbs of 12 bits, top shifted by 2
	mk := func(n int) []*big.Int {
		out := make([]*big.Int, n)
		for i := range out {
			out[i] = new(big.Int)
		}
		return out
	}
	in := []*big.Int{big.NewInt(12), big.NewInt(3), v, big.NewInt(2)}
	out := mk(4)
	if err := LimbsHint(field, in, out); err != nil {
		t.Fatal(err)
	}
	want := []int64{0xc4d, 0x2b3, 0x5e6, 0x2b3 << 2}
	for i, w := range want {
		if out[i].Int64() != w {
			t.Errorf("output %d = %v, want %#x", i, out[i], w)
		}
	}
	old := mk(2)
	if err := LimbsHint(field, in[:3], old); err != nil || old[0].Cmp(out[0]) != 0 || old[1].Cmp(out[1]) != 0 {
		t.Errorf("old call: %v %v (%v)", old[0], old[1], err)
	}
	one := mk(2)
	if err := LimbsHint(field, []*big.Int{big.NewInt(12), big.NewInt(1), big.NewInt(0x5e6), big.NewInt(2)}, one); err != nil || one[0].Int64() != 0x5e6 || one[1].Int64() != 0x5e6<<2 {
		t.Errorf("one limb: %v %v (%v)", one[0], one[1], err)
	}
	if err := LimbsHint(field, in, mk(3)); err == nil {
		t.Error("a shift without its output accepted")
	}
}

// The multiplicities are counted from LimbsHint's extra outputs: wrong
// values there give wrong multiplicities, which the log-derivative equation
// rejects.
func TestLogCheckerTamperedCountedValues(t *testing.T) {
	circ := &checkCircuit{V: make([]frontend.Variable, len(checkBits)), bits: checkBits}
	a := checkAssign(func(b int) int64 { return 1<<b - 3 })
	fake := func(field *big.Int, in, out []*big.Int) error {
		if err := LimbsHint(field, in, out); err != nil {
			return err
		}
		out[len(out)-1].Add(out[len(out)-1], big.NewInt(1))
		return nil
	}
	if err := test.IsSolved(circ, a, bn254, test.WithReplacementHint(solver.GetHintID(LimbsHint), fake)); err == nil {
		t.Error("tampered counted values accepted")
	}
}
