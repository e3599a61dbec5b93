package ops

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// extremeCircuit exposes Extreme's result: M = max (min) of int8 values X.
type extremeCircuit struct {
	X []frontend.Variable
	M frontend.Variable `gnark:",public"`

	isMax bool
}

func (c *extremeCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	for _, x := range c.X {
		fp.AssertInt8(x)
	}
	api.AssertIsEqual(Extreme(gadget.NewCtx(api, fp), c.X, c.isMax), c.M)
	return nil
}

// alignCircuit exposes align's result: Y = ops.Align(X, s).
type alignCircuit struct {
	X []frontend.Variable
	Y []frontend.Variable `gnark:",public"`

	s uint
}

func (c *alignCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	for _, x := range c.X {
		fp.AssertInt8(x)
	}
	for i, y := range align(gadget.NewCtx(api, fp), c.X, c.s) {
		api.AssertIsEqual(y, c.Y[i])
	}
	return nil
}

var unitField = ecc.BN254.ScalarField()

type unitSetup struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  groth16.VerifyingKey
}

func setup(t *testing.T, c frontend.Circuit) unitSetup {
	t.Helper()
	ccs, err := frontend.Compile(unitField, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return unitSetup{ccs, pk, vk}
}

// prove runs the real Groth16 prover on assignment a, with hint h replaced
// by fake when fake is not nil.
func (u unitSetup) prove(t *testing.T, a frontend.Circuit, h solver.Hint, fake solver.Hint) error {
	t.Helper()
	w, err := frontend.NewWitness(a, unitField)
	if err != nil {
		t.Fatal(err)
	}
	var opts []backend.ProverOption
	if fake != nil {
		opts = append(opts, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(h), fake)))
	}
	proof, err := groth16.Prove(u.ccs, u.pk, w, opts...)
	if err != nil {
		return err
	}
	pub, _ := w.Public()
	return groth16.Verify(proof, u.vk, pub)
}

func vars(v []int64) []frontend.Variable {
	out := make([]frontend.Variable, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// A prover cannot claim any value other than the extreme, whatever its
// hint says: another element of the row with a consistent one-hot selector
// (caught by the range checks m − x_i ≥ 0), a value outside the row with
// any selector (caught by Σ s·x = m), a selector with two ones or a
// non-boolean one.
func TestExtremeSoundness(t *testing.T) {
	x := []int64{10, -40, 100, 99, -128, 127, 127, 3}
	for _, isMax := range []bool{true, false} {
		u := setup(t, &extremeCircuit{X: make([]frontend.Variable, len(x)), isMax: isMax})
		honest, _ := ops.Extreme(x, isMax)
		if err := u.prove(t, &extremeCircuit{X: vars(x), M: honest}, nil, nil); err != nil {
			t.Fatalf("honest proof: %v", err)
		}
		claim := func(m int64, sel func(out []*big.Int)) error {
			fake := func(f *big.Int, _, out []*big.Int) error {
				out[0].Mod(big.NewInt(m), f)
				for _, o := range out[1:] {
					o.SetUint64(0)
				}
				sel(out[1:])
				for _, o := range out {
					o.Mod(o, f)
				}
				return nil
			}
			return u.prove(t, &extremeCircuit{X: vars(x), M: m}, ExtremeHint, fake)
		}
		for k, v := range x {
			if v == honest {
				continue
			}
			if claim(v, func(s []*big.Int) { s[k].SetUint64(1) }) == nil {
				t.Errorf("max=%v: claimed element %d = %d with its selector: proved", isMax, k, v)
			}
		}
		for _, m := range []int64{honest + 1, honest - 1, 50} {
			for k := range x {
				if claim(m, func(s []*big.Int) { s[k].SetUint64(1) }) == nil {
					t.Errorf("max=%v: claimed %d (selector %d): proved", isMax, m, k)
				}
			}
		}
		// Two selectors whose weighted sum happens to be a claimed value
		// (10 + −40 = −30), and a "selector" of 2 (2·3 = 6, with 3 in the row).
		if claim(-30, func(s []*big.Int) { s[0].SetUint64(1); s[1].SetUint64(1) }) == nil {
			t.Errorf("max=%v: two selectors: proved", isMax)
		}
		if claim(6, func(s []*big.Int) { s[7].SetUint64(2) }) == nil {
			t.Errorf("max=%v: selector 2: proved", isMax)
		}
	}
	// Non-boolean selectors with Σs = 1 and every range check satisfied:
	// 2·100 − 99 = 101 as the max, 2·(−40) − (−39) = −41 as the min.
	x2 := []int64{10, -40, 100, 99, -39, 0}
	for _, c := range []struct {
		isMax      bool
		m          int64
		two, minus int
	}{{true, 101, 2, 3}, {false, -41, 1, 4}, {true, 199, 2, 3}} {
		u := setup(t, &extremeCircuit{X: make([]frontend.Variable, len(x2)), isMax: c.isMax})
		fake := func(f *big.Int, _, out []*big.Int) error {
			out[0].Mod(big.NewInt(c.m), f)
			for _, o := range out[1:] {
				o.SetUint64(0)
			}
			if c.m == 199 { // two ones: 100 + 99, booleans whose sum is 2
				out[c.two+1].SetUint64(1)
				out[c.minus+1].SetUint64(1)
				return nil
			}
			out[c.two+1].SetUint64(2)
			out[c.minus+1].Sub(f, big.NewInt(1))
			return nil
		}
		if u.prove(t, &extremeCircuit{X: vars(x2), M: c.m}, ExtremeHint, fake) == nil {
			t.Errorf("max=%v: non-boolean selector claiming %d: proved", c.isMax, c.m)
		}
	}
}

// A prover cannot claim an aligned value other than the rounded shift:
// off by one (the remainder leaves [0, 2^s)) or another quotient of the
// same p with a remainder in range (q is then a huge field element,
// caught by q's range check).
func TestAlignSoundness(t *testing.T) {
	x := []int64{-128, -5, 0, 3, 127, 64}
	for _, s := range []uint{1, 3, 8} {
		u := setup(t, &alignCircuit{X: make([]frontend.Variable, len(x)), Y: make([]frontend.Variable, len(x)), s: s})
		y := make([]int64, len(x))
		for i, v := range x {
			y[i] = ops.Align(v, s)
		}
		assign := func(y []frontend.Variable) *alignCircuit { return &alignCircuit{X: vars(x), Y: y} }
		if err := u.prove(t, assign(vars(y)), nil, nil); err != nil {
			t.Fatalf("honest proof: %v", err)
		}
		inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), s), unitField)
		for name, move := range map[string]func(p, q *big.Int) *big.Int{
			"q+1": func(_, q *big.Int) *big.Int { return new(big.Int).Add(q, big.NewInt(1)) },
			"q-1": func(_, q *big.Int) *big.Int { return new(big.Int).Sub(q, big.NewInt(1)) },
			"r+1": func(p, q *big.Int) *big.Int {
				// q' = (p − (r+1)) / 2^s in the field: the remainder r+1 is in range when r < 2^s − 1.
				r := new(big.Int).Sub(p, new(big.Int).Lsh(q, s))
				if r.Int64()+1 == int64(1)<<s {
					return q // r+1 would leave the range: keep this one honest
				}
				pr := new(big.Int).Sub(p, r.Add(r, big.NewInt(1)))
				return pr.Mul(pr, inv).Mod(pr, unitField)
			},
		} {
			// Every element claims its moved quotient.
			claimed := make([]frontend.Variable, len(x))
			for i, v := range x {
				p := big.NewInt(v + (int64(1) << (s - 1)))
				q, _ := new(big.Int), 0
				q.SetInt64(ops.Align(v, s))
				claimed[i] = new(big.Int).Mod(move(p, q), unitField)
			}
			fake := func(f *big.Int, in, out []*big.Int) error {
				if err := fixedpoint.DivPow2Hint(f, in, out); err != nil {
					return err
				}
				p := new(big.Int).Set(in[0])
				if p.Cmp(new(big.Int).Rsh(f, 1)) > 0 {
					p.Sub(p, f)
				}
				q := new(big.Int).Set(out[0])
				if q.Cmp(new(big.Int).Rsh(f, 1)) > 0 {
					q.Sub(q, f)
				}
				out[0].Mod(move(p, q), f)
				return nil
			}
			if u.prove(t, assign(claimed), fixedpoint.DivPow2Hint, fake) == nil {
				t.Errorf("shift %d: %s proved", s, name)
			}
		}
	}
}
