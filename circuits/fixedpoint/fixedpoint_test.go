package fixedpoint_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
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
}

func (c *requantCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
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
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []struct {
		mult   int64
		shift  uint
		lo, hi int64
	}{{1234, 16, -128, 127}, {40000, 20, 0, 127}, {3, 0, -128, 127}, {1, 1, -128, 127}} {
		const bound = 1 << 24
		circ := &requantCircuit{mult: p.mult, shift: p.shift, lo: p.lo, hi: p.hi, accBound: bound}
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

// Each hint output, tampered, must make solving fail.
func TestRequantizeTamperedHints(t *testing.T) {
	circ := &requantCircuit{mult: 1234, shift: 16, lo: -128, hi: 127, accBound: 1 << 24}
	tamperings := map[string]struct {
		hint solver.Hint
		fake solver.Hint
	}{
		"quotient+1": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, 1)},
		"quotient-1": {fixedpoint.DivPow2Hint, offsetHint(fixedpoint.DivPow2Hint, 0, -1)},
		"lowSel":     {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 0, 1)},
		"highSel":    {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 1, 1)},
		"lowSelNeg":  {fixedpoint.ClampSelectHint, offsetHint(fixedpoint.ClampSelectHint, 0, -1)},
	}
	// acc values in range, above and below, so each selector is exercised both ways.
	for _, acc := range []int64{5000, 1 << 23, -(1 << 23)} {
		want := quant.Requantize(acc, 1234, 16, -128, 127)
		for name, tm := range tamperings {
			err := test.IsSolved(circ, &requantCircuit{Acc: acc, Out: want}, field,
				test.WithReplacementHint(solver.GetHintID(tm.hint), tm.fake))
			if err == nil {
				t.Errorf("acc=%d: tampered %s accepted", acc, name)
			}
		}
	}
}

// The same negative test through the real Groth16 and PLONK provers.
func TestRequantizeProver(t *testing.T) {
	assert := test.NewAssert(t)
	circ := &requantCircuit{mult: 1234, shift: 16, lo: -128, hi: 127, accBound: 1 << 24}
	acc := int64(-777777)
	want := quant.Requantize(acc, 1234, 16, -128, 127)
	assert.CheckCircuit(circ,
		test.WithValidAssignment(&requantCircuit{Acc: acc, Out: want}),
		test.WithInvalidAssignment(&requantCircuit{Acc: acc, Out: want - 1}),
		test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16),
		test.NoFuzzing(), test.NoSerializationChecks())
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
