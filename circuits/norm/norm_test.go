package norm_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
)

type lnCircuit struct {
	X   []frontend.Variable
	Out []frontend.Variable `gnark:",public"`

	ln *quant.LayerNorm
}

func (c *lnCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	for _, x := range c.X {
		fp.AssertInt8(x)
	}
	out := norm.LayerNorm(api, fp, c.ln, c.X)
	for i := range out {
		api.AssertIsEqual(out[i], c.Out[i])
	}
	return nil
}

func layerNorm(t *testing.T, d int) *quant.LayerNorm {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: d, DHidden: 4, SeqLen: 2, NHead: 1, NLayer: 1, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5}
	fm := quant.RandomModel(cfg, 5)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, 6))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return &m.Blocks[0].LN1
}

func assign(ln *quant.LayerNorm, x []int64) *lnCircuit {
	out := ln.Apply(x)
	c := &lnCircuit{X: make([]frontend.Variable, len(x)), Out: make([]frontend.Variable, len(x))}
	for i := range x {
		c.X[i], c.Out[i] = x[i], out[i]
	}
	return c
}

var field = ecc.BN254.ScalarField()

func TestLayerNormMatchesReference(t *testing.T) {
	for _, d := range []int{4, 16, 64} {
		ln := layerNorm(t, d)
		circ := &lnCircuit{X: make([]frontend.Variable, d), Out: make([]frontend.Variable, d), ln: ln}
		rng := rand.New(rand.NewPCG(uint64(d), 1))
		rows := [][]int64{make([]int64, d), constRow(d, 127), constRow(d, -128), oneHot(d, 127), oneHot(d, -128)}
		for range 100 {
			row := make([]int64, d)
			span := []int64{1, 10, 127}[rng.IntN(3)]
			for i := range row {
				row[i] = rng.Int64N(2*span+1) - span
			}
			rows = append(rows, row)
		}
		for k, row := range rows {
			if err := test.IsSolved(circ, assign(ln, row), field); err != nil {
				t.Fatalf("d=%d row %d %v: %v", d, k, row, err)
			}
		}
	}
}

func constRow(d int, v int64) []int64 {
	r := make([]int64, d)
	for i := range r {
		r[i] = v
	}
	return r
}

func oneHot(d int, v int64) []int64 {
	r := make([]int64, d)
	r[d/2] = v
	return r
}

// A tampered reciprocal square root fails, whichever way it is moved —
// including its negation, which satisfies the bound checks without the range
// check of r.
func TestLayerNormTamperedRsqrt(t *testing.T) {
	ln := layerNorm(t, 16)
	circ := &lnCircuit{X: make([]frontend.Variable, 16), Out: make([]frontend.Variable, 16), ln: ln}
	row := []int64{3, -7, 12, 0, 5, 5, -100, 127, 1, 2, 3, 4, -5, -6, 7, 8}
	for name, f := range map[string]func(field, r *big.Int){
		"r+1": func(_, r *big.Int) { r.Add(r, big.NewInt(1)) },
		"r-1": func(_, r *big.Int) { r.Sub(r, big.NewInt(1)) },
		"-r":  func(p, r *big.Int) { r.Sub(p, r) },
		"2r":  func(_, r *big.Int) { r.Lsh(r, 1) },
	} {
		fake := func(p *big.Int, in, out []*big.Int) error {
			if err := norm.RsqrtHint(p, in, out); err != nil {
				return err
			}
			f(p, out[0])
			return nil
		}
		err := test.IsSolved(circ, assign(ln, row), field, test.WithReplacementHint(solver.GetHintID(norm.RsqrtHint), fake))
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
