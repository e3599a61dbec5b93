package fixedpoint_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/activation"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// requantCircuit checks Out = Requantize(Acc) for fixed parameters.
type requantCircuit struct {
	Acc frontend.Variable
	Out frontend.Variable `gnark:",public"`

	mult     int64
	shift    uint
	lo, hi   int64
	accBound int64
	// log takes WithLogChecker, whose selector clamp has no selector
	// products (package doc).
	log bool
}

func (c *requantCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	if c.log {
		fp = fixedpoint.New(api, fixedpoint.WithLogChecker())
	}
	bits := fixedpoint.QuotientBits(c.accBound, c.mult, c.shift)
	api.AssertIsEqual(c.Out, fp.Requantize(c.Acc, c.mult, c.shift, c.lo, c.hi, bits))
	return nil
}

// reluCircuit checks Out = ReLU(V) for |V| < 2^9.
type reluCircuit struct {
	V   frontend.Variable
	Out frontend.Variable `gnark:",public"`
}

func (c *reluCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(c.Out, activation.ReLU(fixedpoint.New(api), c.V, 10))
	return nil
}

var field = ecc.BN254.ScalarField()

func TestRequantizeMatchesReference(t *testing.T) {
	for _, log := range []bool{false, true} {
		requantizeMatchesReference(t, log)
	}
}

func requantizeMatchesReference(t *testing.T, log bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []struct {
		mult   int64
		shift  uint
		lo, hi int64
	}{{1234, 16, -128, 127}, {40000, 20, 0, 127}, {3, 0, -128, 127}, {1, 1, -128, 127}} {
		const bound = 1 << 24
		circ := &requantCircuit{mult: p.mult, shift: p.shift, lo: p.lo, hi: p.hi, accBound: bound, log: log}
		accs := []int64{0, 1, -1, bound, -bound, 1 << 15, -(1 << 15)}
		for range 100 {
			accs = append(accs, rng.Int64N(2*bound+1)-bound)
		}
		sat := 0
		for _, acc := range accs {
			want := quant.Requantize(acc, p.mult, p.shift, p.lo, p.hi)
			if want == p.lo || want == p.hi {
				sat++
			}
			w := &requantCircuit{Acc: acc, Out: want}
			if err := test.IsSolved(circ, w, field); err != nil {
				t.Fatalf("mult=%d shift=%d acc=%d want %d: %v", p.mult, p.shift, acc, want, err)
			}
			w.Out = want + 1
			if test.IsSolved(circ, w, field) == nil {
				t.Fatalf("mult=%d shift=%d acc=%d: accepted wrong output %d", p.mult, p.shift, acc, want+1)
			}
		}
		if sat == 0 {
			t.Fatalf("no saturating case for %+v", p)
		}
	}
}

// Each hint output, tampered, must make solving fail (with gnark's range
// checker and with WithLogChecker).
func TestRequantizeTamperedHints(t *testing.T) {
	for _, log := range []bool{false, true} {
		requantizeTamperedHints(t, log)
	}
}

func requantizeTamperedHints(t *testing.T, log bool) {
	circ := &requantCircuit{mult: 1234, shift: 16, lo: -128, hi: 127, accBound: 1 << 24, log: log}
	both := func(f *big.Int, in, out []*big.Int) error {
		if err := fixedpoint.ClampSelectHint(f, in, out); err != nil {
			return err
		}
		out[0].SetInt64(1)
		out[1].SetInt64(1)
		return nil
	}
	tamperings := map[string]struct {
		hint solver.Hint
		fake solver.Hint
	}{
		"quotient+1": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1)},
		"quotient-1": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, -1)},
		"lowSel":     {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 0, 1)},
		"highSel":    {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 1, 1)},
		"lowSelNeg":  {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 0, -1)},
		"highSelNeg": {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 1, -1)},
		"bothSel":    {fixedpoint.ClampSelectHint, both},
	}
	if log {
		// The remainder's value, which the checker's limb hint reads
		// (checkPaddedValue): wrong, it gives wrong limbs.
		tamperings["remainderValue+1"] = struct {
			hint solver.Hint
			fake solver.Hint
		}{fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 1, 1)}
		tamperings["remainderValue+2^16"] = struct {
			hint solver.Hint
			fake solver.Hint
		}{fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 1, 1<<16)}
	}
	// acc values in range, above and below, so each selector is exercised both ways.
	for _, acc := range []int64{5000, 1 << 23, -(1 << 23)} {
		want := quant.Requantize(acc, 1234, 16, -128, 127)
		for name, tm := range tamperings {
			err := test.IsSolved(circ, &requantCircuit{Acc: acc, Out: want}, field,
				test.WithReplacementHint(solver.GetHintID(tm.hint), tm.fake))
			if err == nil {
				t.Errorf("acc=%d (log checker %v): tampered %s accepted", acc, log, name)
			}
		}
	}
}

// The same negative test through the real Groth16 prover, with both range
// checkers; under WithLogChecker also a flipped selector in the prover.
func TestRequantizeProver(t *testing.T) {
	assert := test.NewAssert(t)
	for _, log := range []bool{false, true} {
		circ := &requantCircuit{mult: 1234, shift: 16, lo: -128, hi: 127, accBound: 1 << 24, log: log}
		acc := int64(-777777)
		want := quant.Requantize(acc, 1234, 16, -128, 127)
		assert.CheckCircuit(circ,
			test.WithValidAssignment(&requantCircuit{Acc: acc, Out: want}),
			test.WithInvalidAssignment(&requantCircuit{Acc: acc, Out: want - 1}),
			test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16),
			test.NoFuzzing(), test.NoSerializationChecks())
	}
	circ := &requantCircuit{mult: 1234, shift: 16, lo: -128, hi: 127, accBound: 1 << 24, log: true}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range []int64{-777777, 5000, 1 << 23} {
		w, err := frontend.NewWitness(&requantCircuit{Acc: acc, Out: quant.Requantize(acc, 1234, 16, -128, 127)}, field)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := groth16.Prove(ccs, pk, w); err != nil {
			t.Fatalf("acc=%d: honest proof failed: %v", acc, err)
		}
		for k := range 2 {
			flip := func(f *big.Int, in, out []*big.Int) error {
				if err := fixedpoint.ClampSelectHint(f, in, out); err != nil {
					return err
				}
				out[k].SetUint64(1 - out[k].Uint64())
				return nil
			}
			if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(fixedpoint.ClampSelectHint), flip))); err == nil {
				t.Errorf("acc=%d: selector %d flipped, prover succeeded", acc, k)
			}
		}
	}
}

func TestReLU(t *testing.T) {
	circ := &reluCircuit{}
	for v := int64(-300); v <= 300; v += 7 {
		if err := test.IsSolved(circ, &reluCircuit{V: v, Out: quant.ReLU(v)}, field); err != nil {
			t.Fatalf("relu(%d): %v", v, err)
		}
		if test.IsSolved(circ, &reluCircuit{V: v, Out: quant.ReLU(v) + 1}, field) == nil {
			t.Fatalf("relu(%d): wrong output accepted", v)
		}
		err := test.IsSolved(circ, &reluCircuit{V: v, Out: quant.ReLU(v)}, field,
			test.WithReplacementHint(solver.GetHintID(fixedpoint.ClampSelectHint), offsetHint(fixedpoint.ClampSelectHint, 0, 1)))
		if err == nil {
			t.Fatalf("relu(%d): tampered selector accepted", v)
		}
	}
}

// offsetHint wraps h, adding delta to output k (mod the field).
func offsetHint(h solver.Hint, k int, delta int64) solver.Hint {
	return func(f *big.Int, in, out []*big.Int) error {
		if err := h(f, in, out); err != nil {
			return err
		}
		out[k].Add(out[k], big.NewInt(delta))
		out[k].Mod(out[k], f)
		return nil
	}
}
