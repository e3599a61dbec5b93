package linear_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/activation"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/quant"
)

// mappedCircuit checks Out = GELU(Dense(In)) row by row, through
// DenseMapped (fused) or Dense then the GELU lookup.
type mappedCircuit struct {
	In  [][]frontend.Variable
	Out [][]frontend.Variable `gnark:",public"`

	d     *quant.Dense
	gelu  []int64
	fused bool
}

func (c *mappedCircuit) plan() *fixedpoint.Plan {
	var sites []fixedpoint.Site
	for _, s := range linear.Sites(c.d, len(c.In)) {
		s.Count <<= 20 // plan as if frequent: the int8 table exists
		sites = append(sites, s)
	}
	return fixedpoint.NewPlan(sites)
}

func (c *mappedCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithPlan(c.plan()), fixedpoint.WithLogChecker())
	gelu := fixedpoint.NewLazyTable(api, c.gelu)
	for t, row := range c.In {
		for _, v := range row {
			fp.AssertInt8(v)
		}
		var out []frontend.Variable
		if c.fused {
			out = linear.DenseMapped(api, fp, c.d, row, "gelu", c.gelu, gelu)
		} else {
			out = activation.GELU(api, gelu, linear.Dense(api, fp, c.d, row))
		}
		for j := range out {
			api.AssertIsEqual(out[j], c.Out[t][j])
		}
	}
	return nil
}

func mappedShape(d *quant.Dense, gelu []int64, rows int, fused bool) *mappedCircuit {
	c := &mappedCircuit{In: make([][]frontend.Variable, rows), Out: make([][]frontend.Variable, rows), d: d, gelu: gelu, fused: fused}
	for t := range c.In {
		c.In[t] = make([]frontend.Variable, d.In)
		c.Out[t] = make([]frontend.Variable, d.Out)
	}
	return c
}

func mappedAssign(d *quant.Dense, gelu []int64, x [][]int64) *mappedCircuit {
	c := mappedShape(d, gelu, len(x), false)
	for t, row := range x {
		_, out := d.Apply(row)
		for i, v := range row {
			c.In[t][i] = v
		}
		for j, v := range out {
			c.Out[t][j] = gelu[v-quant.Int8Min]
		}
	}
	return c
}

// The fused clamp-then-GELU lookup gives quant's Dense.Apply then the GELU
// table, bit for bit, on random and saturating inputs; a tampered quotient
// is rejected; and it costs fewer constraints.
func TestDenseMappedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	d := randomDense(rng, 16, 12)
	// Small multipliers and biases keep the quotient bound within a table
	// (2^12 entries at most); the outputs still saturate both ways.
	d.Shift = 10
	for j := range d.Mult {
		d.Mult[j] = rng.Int64N(8) + 1
		d.B[j] = rng.Int64N(1<<12) - 1<<11
	}
	gelu := quant.GELUTableFor(4, 4)
	var inputs [][][]int64
	for _, span := range []int64{4, 40, 128} {
		x := make([][]int64, 4)
		for t := range x {
			x[t] = make([]int64, d.In)
			for i := range x[t] {
				x[t][i] = max(rng.Int64N(2*span)-span, -128)
			}
		}
		inputs = append(inputs, x)
	}
	for _, fused := range []bool{true, false} {
		circ := mappedShape(d, gelu, 4, fused)
		for k, x := range inputs {
			if err := test.IsSolved(circ, mappedAssign(d, gelu, x), field); err != nil {
				t.Fatalf("fused %v, input %d: %v", fused, k, err)
			}
		}
		wrong := func(field *big.Int, in, out []*big.Int) error {
			if err := fixedpoint.DivPow2Hint(field, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(1))
			return nil
		}
		if err := test.IsSolved(circ, mappedAssign(d, gelu, inputs[0]), field, test.WithReplacementHint(solver.GetHintID(fixedpoint.DivPow2Hint), wrong)); err == nil {
			t.Errorf("fused %v: tampered quotient accepted", fused)
		}
	}
	count := func(fused bool) int {
		cs, err := frontend.Compile(field, r1cs.NewBuilder, mappedShape(d, gelu, 4, fused))
		if err != nil {
			t.Fatal(err)
		}
		return cs.GetNbConstraints()
	}
	k := mappedShape(d, gelu, 4, true).plan().TableBits(quant.Int8Min, quant.Int8Max)
	fused, plain := count(true), count(false)
	t.Logf("%d outputs: fused %d, plain %d constraints (table 2^%d)", 4*d.Out, fused, plain, k)
	// Here the fused table replaces the int8 clamp table and the GELU table
	// too (no other site uses them), so the fused circuit is smaller still.
	if fused >= plain {
		t.Errorf("fused %d constraints, plain %d", fused, plain)
	}
}
