package attention_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

const logitFrac, logitBits = 5, 10

// softmaxCircuit checks Probs = softmax(Logits) for one row.
type softmaxCircuit struct {
	Logits []frontend.Variable
	Probs  []frontend.Variable `gnark:",public"`
}

func (c *softmaxCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	lo, _ := quant.GPT2Formats{LogitBits: logitBits}.LogitRange()
	for _, l := range c.Logits {
		// The gadget's contract: logits are in the logit range.
		fp.Check(api.Sub(l, lo), logitBits)
	}
	exp := fixedpoint.NewTable(api, quant.ExpTableFor(logitFrac, logitBits))
	p := attention.Softmax(api, fp, exp, c.Logits)
	for i := range p {
		api.AssertIsEqual(p[i], c.Probs[i])
	}
	return nil
}

func assign(logits []int64) *softmaxCircuit {
	probs, _, _, _ := quant.SoftmaxRow(logits, quant.ExpTableFor(logitFrac, logitBits))
	c := &softmaxCircuit{}
	for i := range logits {
		c.Logits = append(c.Logits, logits[i])
		c.Probs = append(c.Probs, probs[i])
	}
	return c
}

func shape(n int) *softmaxCircuit {
	return &softmaxCircuit{Logits: make([]frontend.Variable, n), Probs: make([]frontend.Variable, n)}
}

func TestSoftmaxMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 5, 16} {
		rows := [][]int64{make([]int64, n)} // all equal: uniform probabilities
		extreme := make([]int64, n)
		for i := range extreme {
			extreme[i] = -512 // the whole range: Δ up to 1023, exp underflows to 0
		}
		extreme[0] = 511
		rows = append(rows, extreme)
		for range 20 {
			row := make([]int64, n)
			for i := range row {
				row[i] = rng.Int64N(1024) - 512
			}
			rows = append(rows, row)
		}
		for _, row := range rows {
			if err := test.IsSolved(shape(n), assign(row), field); err != nil {
				t.Fatalf("n=%d %v: %v", n, row, err)
			}
			bad := assign(row)
			bad.Probs[0] = new(big.Int).Add(big.NewInt(int64(bad.Probs[0].(int64))), big.NewInt(1))
			if test.IsSolved(shape(n), bad, field) == nil {
				t.Fatalf("n=%d %v: wrong probability accepted", n, row)
			}
		}
	}
}

func TestSoftmaxTamperedHints(t *testing.T) {
	row := []int64{10, -40, 200, 199, 0}
	for name, tm := range map[string]struct {
		h solver.Hint
		k int
		d int64
	}{
		"max+1":      {attention.MaxHint, 0, 1},
		"max-1":      {attention.MaxHint, 0, -1},
		"quotient+1": {fixedpoint.DivFloorHint, 0, 1},
		"quotient-1": {fixedpoint.DivFloorHint, 0, -1},
	} {
		fake := func(p *big.Int, in, out []*big.Int) error {
			if err := tm.h(p, in, out); err != nil {
				return err
			}
			out[tm.k].Add(out[tm.k], big.NewInt(tm.d))
			out[tm.k].Mod(out[tm.k], p)
			return nil
		}
		err := test.IsSolved(shape(len(row)), assign(row), field, test.WithReplacementHint(solver.GetHintID(tm.h), fake))
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
