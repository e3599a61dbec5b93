package benchmarks

import (
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/weights"
	"github.com/zkinfer/zkinfer/quant"
)

// gpt2DemoModel quantizes the bundled demo model (testdata/demo) at the scales
// calibration picks on its calibration samples, as the CLI does.
func gpt2DemoModel(tb testing.TB) *quant.Model {
	tb.Helper()
	dir := filepath.Join("..", "testdata", "demo")
	cfg, err := quant.LoadConfig(filepath.Join(dir, quant.ExampleConfig))
	if err != nil {
		tb.Fatal(err)
	}
	fm, err := quant.LoadModel(filepath.Join(dir, quant.ExampleWeights), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	in, err := quant.LoadInput(filepath.Join(dir, quant.ExampleCalibration), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := quant.Calibrate(fm, in.InputData)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func count(tb testing.TB, c frontend.Circuit) int {
	tb.Helper()
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		tb.Fatal(err)
	}
	return cs.GetNbConstraints()
}

// commitOnly is the in-circuit model commitment alone: range checks,
// packing and Poseidon2 of the canonical encoding.
type commitOnly struct {
	W weights.Vars
	m *quant.Model
}

func (c *commitOnly) Define(api frontend.API) error {
	h, _, err := weights.Commit(api, fixedpoint.New(api), c.m, &c.W)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(h, 0)
	return nil
}

// hashOnly hashes N private field elements with Poseidon2 (modelio.Hash).
type hashOnly struct{ E []frontend.Variable }

func (c *hashOnly) Define(api frontend.API) error {
	h, err := modelio.Hash(api, c.E)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(h, 0)
	return nil
}

// int8Only range-checks N private values to int8.
type int8Only struct{ V []frontend.Variable }

func (c *int8Only) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	for _, v := range c.V {
		fp.AssertInt8(v)
	}
	return nil
}

func nbWeights(m *quant.Model) (w, elems, weightElems int) {
	all, isWeight, _ := quant.EncodeLayout(m)
	for _, x := range isWeight {
		if x {
			weightElems++
		}
	}
	for _, d := range []*quant.Dense{&m.FC, &m.Proj} {
		w += len(d.W)
	}
	for i := range m.Blocks {
		b := &m.Blocks[i]
		w += len(b.QKV.W) + len(b.AttnProj.W) + len(b.FC.W) + len(b.Proj.W)
	}
	return w, len(all), weightElems
}

// BenchmarkWeightVisibility reports the R1CS constraints of whole model
// circuits with fixed and with hashed weights, of the in-circuit commitment
// alone, and the unit costs the commitment is made of: one Poseidon2
// permutation per encoding element and one int8 range check per weight. Run
// with -benchtime 1x: it compiles, it does not time anything.
func BenchmarkWeightVisibility(b *testing.B) {
	var perm, rc float64
	b.Run("unit-costs", func(b *testing.B) {
		const n = 1024
		h1 := count(b, &hashOnly{E: make([]frontend.Variable, n)})
		h2 := count(b, &hashOnly{E: make([]frontend.Variable, 2*n)})
		r1 := count(b, &int8Only{V: make([]frontend.Variable, 31*n)})
		r2 := count(b, &int8Only{V: make([]frontend.Variable, 2*31*n)})
		perm = float64(h2-h1) / n
		rc = float64(r2-r1) / (31 * n)
		b.ReportMetric(perm, "constraints/poseidon2-element")
		b.ReportMetric(rc, "constraints/int8-check")
		b.ReportMetric(rc+perm/quant.PackedPerElement, "constraints/weight-hash+pack+check")
	})
	// GPT-2 small's block is too large to compile hashed here (~65 M
	// constraints): its commitment and products are counted from the unit
	// costs, one Poseidon2 permutation per encoding element and one int8
	// check per weight, and one constraint per weight and token.
	b.Run("gpt2small-d768-h12-seq1-estimate", func(b *testing.B) {
		m, _ := quantizeRandom(b, gpt2(768, 12, 1, 1))
		w, elems, we := nbWeights(m)
		commit := perm*float64(elems) + rc*float64(w)
		b.ReportMetric(float64(w), "int8-weights")
		b.ReportMetric(float64(elems), "encoding-elements")
		b.ReportMetric(float64(we), "weight-elements")
		b.ReportMetric(float64(m.Config.SeqLen*w), "weight-products")
		b.ReportMetric(commit, "constraints-commit-estimate")
	})
	shapes := []struct {
		name string
		m    func(testing.TB) *quant.Model
	}{
		{"demo-d64-h4-seq8-2layers", gpt2DemoModel},
		{"d128-h4-seq1", func(tb testing.TB) *quant.Model { m, _ := quantizeRandom(tb, gpt2(128, 4, 1, 1)); return m }},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			m := s.m(b)
			io := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed}
			nc := map[string]int{}
			for _, w := range []string{quant.VisibilityFixed, quant.VisibilityHashed} {
				io.Weights = w
				c, err := circuits.New(m, io)
				if err != nil {
					b.Fatal(err)
				}
				nc[w] = count(b, c)
			}
			commit := count(b, &commitOnly{W: weights.New(m), m: m})
			w, elems, we := nbWeights(m)
			b.ReportMetric(float64(nc[quant.VisibilityFixed]), "constraints-fixed")
			b.ReportMetric(float64(nc[quant.VisibilityHashed]), "constraints-hashed")
			b.ReportMetric(float64(commit), "constraints-commit")
			b.ReportMetric(float64(w), "int8-weights")
			b.ReportMetric(float64(elems), "encoding-elements")
			b.ReportMetric(float64(we), "weight-elements")
			b.ReportMetric(float64(m.Config.SeqLen*w), "weight-products")
		})
	}
}
