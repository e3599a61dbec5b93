package linear_test

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

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

// rowsCircuit checks Out = DenseWitnessRows(In) for witness weights W.
type rowsCircuit struct {
	In  [][]frontend.Variable
	W   linear.Weights
	Out [][]frontend.Variable `gnark:",public"`

	d    *quant.Dense
	mode matmul.Mode
	// unbound leaves the outputs unconstrained: only the product's own
	// check can reject a wrong accumulator.
	unbound bool
}

func (c *rowsCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	linear.CheckWeights(api, fp, c.W)
	for _, row := range c.In {
		for _, v := range row {
			fp.AssertInt8(v)
		}
	}
	out := linear.DenseWitnessRows(api, fp, c.d, c.W, c.In, c.mode)
	if c.unbound {
		return nil
	}
	for t := range out {
		for j := range out[t] {
			api.AssertIsEqual(out[t][j], c.Out[t][j])
		}
	}
	return nil
}

func randomDense(rng *rand.Rand, in, out int) *quant.Dense {
	d := &quant.Dense{In: in, Out: out, W: make([]int8, in*out), B: make([]int64, out), Mult: make([]int64, out), Shift: 20, Lo: -128, Hi: 127}
	for i := range d.W {
		d.W[i] = int8(rng.IntN(256) - 128)
	}
	for j := range d.B {
		d.B[j] = rng.Int64N(1<<20) - 1<<19
		d.Mult[j] = rng.Int64N(quant.MaxMultiplier)
	}
	return d
}

func shapeOf(d *quant.Dense, rows int, mode matmul.Mode) *rowsCircuit {
	c := &rowsCircuit{In: make([][]frontend.Variable, rows), W: linear.NewWeights(d), Out: make([][]frontend.Variable, rows), d: d, mode: mode}
	for t := range c.In {
		c.In[t] = make([]frontend.Variable, d.In)
		c.Out[t] = make([]frontend.Variable, d.Out)
	}
	return c
}

func assignRows(d *quant.Dense, x [][]int64) *rowsCircuit {
	c := shapeOf(d, len(x), matmul.Auto)
	c.W = linear.AssignWeights(d)
	for t, row := range x {
		_, out := d.Apply(row)
		for i, v := range row {
			c.In[t][i] = v
		}
		for j, v := range out {
			c.Out[t][j] = v
		}
	}
	return c
}

// Every mode gives quant's Dense.Apply, row by row, bit for bit, on random
// and extreme inputs.
func TestDenseWitnessRowsMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := randomDense(rng, 12, 10)
	const rows = 6
	inputs := [][][]int64{}
	for _, fill := range []func() int64{func() int64 { return rng.Int64N(256) - 128 }, func() int64 { return -128 }, func() int64 { return 127 }} {
		x := make([][]int64, rows)
		for t := range x {
			x[t] = make([]int64, d.In)
			for i := range x[t] {
				x[t][i] = fill()
			}
		}
		inputs = append(inputs, x)
	}
	for _, mode := range []matmul.Mode{matmul.Auto, matmul.Direct, matmul.Checked} {
		for _, x := range inputs {
			if err := test.IsSolved(shapeOf(d, rows, mode), assignRows(d, x), field); err != nil {
				t.Errorf("%s: %v", mode, err)
			}
		}
	}
}

// One wrong accumulator of the checked product is rejected with the output
// unbound (only the randomized check can catch it), through the test engine
// and the real Groth16 prover; a wrong output is refused by Groth16 and
// PLONK.
func TestDenseWitnessRowsRejectsWrongProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := randomDense(rng, 12, 10)
	x := make([][]int64, 6)
	for t := range x {
		x[t] = make([]int64, d.In)
		for i := range x[t] {
			x[t][i] = rng.Int64N(256) - 128
		}
	}
	unbound := shapeOf(d, len(x), matmul.Checked)
	unbound.unbound = true
	wrong := func(entry int) solver.Hint {
		return func(field *big.Int, in, out []*big.Int) error {
			if err := matmul.ProductHint(field, in, out); err != nil {
				return err
			}
			out[entry].Add(out[entry], big.NewInt(1))
			return nil
		}
	}
	if err := test.IsSolved(unbound, assignRows(d, x), field); err != nil {
		t.Fatalf("honest: %v", err)
	}
	for _, entry := range []int{0, 17, 59} {
		if err := test.IsSolved(unbound, assignRows(d, x), field, test.WithReplacementHint(solver.GetHintID(matmul.ProductHint), wrong(entry))); err == nil {
			t.Errorf("entry %d: wrong accumulator accepted", entry)
		}
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, unbound)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(assignRows(d, x), field)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
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
	tamper := backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(matmul.ProductHint), wrong(31)))
	if _, err := groth16.Prove(ccs, pk, w, tamper); err == nil {
		t.Fatal("wrong accumulator: prover succeeded")
	}

	assert := test.NewAssert(t)
	bad := assignRows(d, x)
	bad.Out[2][3] = bad.Out[2][3].(int64) ^ 1
	assert.CheckCircuit(shapeOf(d, len(x), matmul.Checked), test.WithValidAssignment(assignRows(d, x)), test.WithInvalidAssignment(bad),
		test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16, backend.PLONK), test.NoFuzzing(), test.NoSerializationChecks())
}
