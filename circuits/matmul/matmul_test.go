package matmul_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/zkinfer/zkinfer/circuits/matmul"
)

var field = ecc.BN254.ScalarField()

// mulCircuit computes C = A·B; with expose set it also asserts C equals the
// public Want. Without it, nothing but the gadget's own check pins C.
type mulCircuit struct {
	A, B [][]frontend.Variable
	Want [][]frontend.Variable `gnark:",public"`

	mode   matmul.Mode
	cols   []int
	expose bool
}

func (c *mulCircuit) Define(api frontend.API) error {
	got := matmul.Mul(api, c.A, c.B, matmul.WithMode(c.mode), matmul.WithCols(c.cols))
	if !c.expose {
		return nil
	}
	for i := range got {
		if len(got[i]) != len(c.Want[i]) {
			return fmt.Errorf("row %d: %d entries, want %d", i, len(got[i]), len(c.Want[i]))
		}
		for j := range got[i] {
			api.AssertIsEqual(got[i][j], c.Want[i][j])
		}
	}
	return nil
}

// problem is one product: A's rows (ragged), B, the column counts, and the
// integer product.
type problem struct {
	name string
	a, b [][]int64
	cols []int
}

func (p problem) want() [][]int64 {
	c := make([][]int64, len(p.a))
	for i := range p.a {
		c[i] = make([]int64, p.cols[i])
		for j := range c[i] {
			for e := range p.a[i] {
				c[i][j] += p.a[i][e] * p.b[e][j]
			}
		}
	}
	return c
}

func vars(x [][]int64) [][]frontend.Variable {
	out := make([][]frontend.Variable, len(x))
	for i := range x {
		out[i] = make([]frontend.Variable, len(x[i]))
		for j := range x[i] {
			out[i][j] = x[i][j]
		}
	}
	return out
}

func (p problem) circuit(mode matmul.Mode, expose bool) *mulCircuit {
	c := &mulCircuit{A: vars(p.a), B: vars(p.b), Want: vars(p.want()), mode: mode, cols: p.cols, expose: expose}
	if !expose {
		c.Want = nil
	}
	return c
}

func (p problem) assignment(expose bool) *mulCircuit {
	c := &mulCircuit{A: vars(p.a), B: vars(p.b), Want: vars(p.want())}
	if !expose {
		c.Want = nil
	}
	return c
}

func randMatrix(rng *rand.Rand, rowLens []int) [][]int64 {
	x := make([][]int64, len(rowLens))
	for i, l := range rowLens {
		x[i] = make([]int64, l)
		for j := range x[i] {
			x[i][j] = rng.Int64N(256) - 128
		}
	}
	return x
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func triangle(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// problems: a full product, QKᵀ under a causal mask (row i keeps i+1
// columns), P·V (row i of A has i+1 entries), and degenerate shapes.
func problems(rng *rand.Rand) []problem {
	const t, dh = 5, 3
	return []problem{
		{"full 4x3x6", randMatrix(rng, repeat(3, 4)), randMatrix(rng, repeat(6, 3)), repeat(6, 4)},
		{"causal QKt", randMatrix(rng, repeat(dh, t)), randMatrix(rng, repeat(t, dh)), triangle(t)},
		{"causal PV", randMatrix(rng, triangle(t)), randMatrix(rng, repeat(dh, t)), repeat(dh, t)},
		{"1x1x1", randMatrix(rng, []int{1}), randMatrix(rng, []int{1}), []int{1}},
		{"row vector", randMatrix(rng, []int{7}), randMatrix(rng, repeat(1, 7)), []int{1}},
		{"extremes", [][]int64{{-128, -128}, {127, -128}}, [][]int64{{-128, 127}, {-128, -128}}, []int{2, 2}},
	}
}

func TestMulMatchesProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		for _, p := range problems(rng) {
			for _, mode := range []matmul.Mode{matmul.Direct, matmul.Checked, matmul.Auto} {
				if err := test.IsSolved(p.circuit(mode, true), p.assignment(true), field); err != nil {
					t.Fatalf("%s %s: %v", p.name, mode, err)
				}
				bad := p.assignment(true)
				bad.Want[0][0] = new(big.Int).Add(big.NewInt(p.want()[0][0]), big.NewInt(1))
				if test.IsSolved(p.circuit(mode, true), bad, field) == nil {
					t.Fatalf("%s %s: wrong product accepted", p.name, mode)
				}
			}
		}
	}
}

// offsetHint is ProductHint with delta added to output k.
func offsetHint(k int, delta int64) solver.Hint {
	return func(f *big.Int, in, out []*big.Int) error {
		if err := matmul.ProductHint(f, in, out); err != nil {
			return err
		}
		out[k].Add(out[k], big.NewInt(delta))
		out[k].Mod(out[k], f)
		return nil
	}
}

// A single wrong entry of C, anywhere, fails the randomized check: the
// circuit does not expose C, so nothing else pins it.
func TestCheckedRejectsWrongEntry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range problems(rng) {
		circ := p.circuit(matmul.Checked, false)
		if err := test.IsSolved(circ, p.assignment(false), field); err != nil {
			t.Fatalf("%s: honest: %v", p.name, err)
		}
		n := 0
		for _, c := range p.cols {
			n += c
		}
		for k := range n {
			for _, d := range []int64{1, -1, 1 << 20} {
				err := test.IsSolved(circ, p.assignment(false), field, test.WithReplacementHint(solver.GetHintID(matmul.ProductHint), offsetHint(k, d)))
				if err == nil {
					t.Fatalf("%s: entry %d off by %d accepted", p.name, k, d)
				}
			}
		}
	}
}

// The same through the real provers, whose challenge comes from the BSB22
// commitment (Groth16) or the commitment gate (PLONK).
func TestCheckedProvers(t *testing.T) {
	p := problems(rand.New(rand.NewPCG(5, 6)))[1] // causal QKᵀ
	circ := p.circuit(matmul.Checked, false)
	w, err := frontend.NewWitness(p.assignment(false), field)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	tamper := backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(matmul.ProductHint), offsetHint(7, 1)))
	t.Run("groth16", func(t *testing.T) {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, circ)
		if err != nil {
			t.Fatal(err)
		}
		pk, vk, err := groth16.Setup(ccs)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := groth16.Prove(ccs, pk, w)
		if err != nil {
			t.Fatalf("honest proof: %v", err)
		}
		if err := groth16.Verify(proof, vk, pub); err != nil {
			t.Fatalf("honest proof rejected: %v", err)
		}
		if _, err := groth16.Prove(ccs, pk, w, tamper); err == nil {
			t.Fatal("wrong entry: prover succeeded")
		}
	})
	t.Run("plonk", func(t *testing.T) {
		ccs, err := frontend.Compile(field, scs.NewBuilder, circ)
		if err != nil {
			t.Fatal(err)
		}
		srs, lagrange, err := unsafekzg.NewSRS(ccs)
		if err != nil {
			t.Fatal(err)
		}
		pk, vk, err := plonk.Setup(ccs, srs, lagrange)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := plonk.Prove(ccs, pk, w)
		if err != nil {
			t.Fatalf("honest proof: %v", err)
		}
		if err := plonk.Verify(proof, vk, pub); err != nil {
			t.Fatalf("honest proof rejected: %v", err)
		}
		if _, err := plonk.Prove(ccs, pk, w, tamper); err == nil {
			t.Fatal("wrong entry: prover succeeded")
		}
	})
}

// Estimate is exact for Direct and for Checked alone in a circuit (one
// commitment callback: no derivation product; the commitment's own mask
// costs the constraint the estimate counts for it), and Auto takes the
// cheaper.
func TestEstimateMatchesCompiled(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range problems(rng) {
		rowLen := make([]int, len(p.a))
		for i := range p.a {
			rowLen[i] = len(p.a[i])
		}
		direct, checked := matmul.Estimate(rowLen, p.cols)
		count := func(mode matmul.Mode) int {
			cs, err := frontend.Compile(field, r1cs.NewBuilder, p.circuit(mode, false))
			if err != nil {
				t.Fatal(err)
			}
			return cs.GetNbConstraints()
		}
		if got := count(matmul.Direct); got != direct {
			t.Errorf("%s: direct %d constraints, estimate %d", p.name, got, direct)
		}
		if got := count(matmul.Checked); got != checked {
			t.Errorf("%s: checked %d constraints, estimate %d", p.name, got, checked)
		}
		if got := count(matmul.Auto); got != min(direct, checked) {
			t.Errorf("%s: auto %d constraints, want min(%d, %d)", p.name, got, direct, checked)
		}
	}
}
