package benchmarks

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// BenchmarkRequantSites logs, per kind of requantization site of one block,
// the distribution of the quotient bound (fixedpoint.QuotientBits) and of the
// shift: the figures that decide which sites the clamp table serves.
func BenchmarkRequantSites(b *testing.B) {
	for _, s := range []struct {
		name string
		cfg  quant.Config
	}{
		{"demo-d64-h4-seq8", gpt2(64, 4, 8, 1)},
		{"gpt2small-d768-h12-seq1", gpt2(768, 12, 1, 1)},
	} {
		b.Run(s.name, func(b *testing.B) {
			m, _ := quantizeRandom(b, s.cfg)
			blk := &m.Blocks[0]
			for _, d := range []struct {
				name string
				d    *quant.Dense
			}{{"qkv", &blk.QKV}, {"attn-proj", &blk.AttnProj}, {"fc", &blk.FC}, {"proj", &blk.Proj}} {
				hist := map[int]int{}
				for j := 0; j < d.d.Out; j++ {
					hist[fixedpoint.QuotientBits(d.d.AccBound(j), d.d.Mult[j], d.d.Shift)]++
				}
				b.Logf("%-10s shift %2d [%d,%d] qBits %s", d.name, d.d.Shift, d.d.Lo, d.d.Hi, histString(hist))
			}
			for _, ln := range []struct {
				name string
				l    *quant.LayerNorm
			}{{"ln1", &blk.LN1}, {"ln2", &blk.LN2}} {
				b.Logf("%-10s shift %2d qBits %d (×%d)", ln.name, ln.l.Shift, fixedpoint.QuotientBits(ln.l.AccBound(), ln.l.Mult, ln.l.Shift), ln.l.D)
			}
			dh := int64(s.cfg.HeadDim())
			b.Logf("%-10s shift %2d qBits %d", "logit", blk.Logit.Shift, fixedpoint.QuotientBits(dh*128*128, blk.Logit.Mult, blk.Logit.Shift))
			b.Logf("%-10s shift %2d qBits %d", "attn-out", blk.AttnOut.Shift, fixedpoint.QuotientBits((1<<quant.ProbFrac+int64(s.cfg.SeqLen))*128, blk.AttnOut.Mult, blk.AttnOut.Shift))
		})
	}
}

func histString(h map[int]int) string {
	keys := make([]int, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf(" %d:%d", k, h[k])
	}
	return s
}

// BenchmarkRequantConstraints compiles whole circuits (R1CS, default hashed
// input/output) with and without the clamp tables of their plan, and
// reports both constraint counts.
func BenchmarkRequantConstraints(b *testing.B) {
	for _, s := range []struct {
		name  string
		model func(testing.TB) *quant.Model
	}{
		{"ffn-demo-d64-h256-seq4", func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, ffn(64, 256, 4)); return m }},
		{"ffn-gpt2small-d768-h3072-seq1", func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, ffn(768, 3072, 1)); return m }},
		{"gpt2-demo-testdata", func(tb testing.TB) *quant.Model { return testdataGPT2(tb) }},
		{"gpt2small-d768-h12-seq1-1layer", func(tb testing.TB) *quant.Model { m, _ := quantizeRandom(tb, gpt2(768, 12, 1, 1)); return m }},
	} {
		b.Run(s.name, func(b *testing.B) {
			m := s.model(b)
			var plan *fixedpoint.Plan
			if m.Config.Architecture == quant.ArchitectureGPT2 {
				plan = gpt2Plan(b, m)
			} else {
				plan = ffnPlan(b, m)
			}
			b.Logf("plan: %s", plan)
			outputs := denseOutputs(m)
			for _, v := range []struct {
				name string
				opts []fixedpoint.Option
			}{{"selectors", []fixedpoint.Option{fixedpoint.WithPlan(nil)}}, {"tables", nil}} {
				c, err := circuits.New(m, quant.DefaultVisibility, v.opts...)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
				if err != nil {
					b.Fatal(err)
				}
				n := cs.GetNbConstraints()
				b.ReportMetric(float64(n), v.name+"-constraints")
				b.Logf("%-9s %9d constraints, %.2f per dense output (%d outputs), compiled in %s", v.name, n, float64(n)/float64(outputs), outputs, time.Since(t0).Round(time.Millisecond))
				if m.Config.Architecture == quant.ArchitectureFFN {
					c, err := circuits.New(m, quant.DefaultVisibility, v.opts...)
					if err != nil {
						b.Fatal(err)
					}
					cs, err := frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, c)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(cs.GetNbConstraints()), v.name+"-plonk-constraints")
					b.Logf("%-9s %9d PLONK constraints", v.name, cs.GetNbConstraints())
				}
			}
		})
	}
}

// denseOutputs counts the requantized outputs of m's dense layers over the sequence.
func denseOutputs(m *quant.Model) int {
	n := m.FC.Out + m.Proj.Out
	for _, blk := range m.Blocks {
		n += blk.QKV.Out + blk.AttnProj.Out + blk.FC.Out + blk.Proj.Out
	}
	return n * m.Config.SeqLen
}

// testdataGPT2 is the quantized model of testdata/demo, calibrated on its
// calibration samples, as `zkinfer demo` builds it.
func testdataGPT2(tb testing.TB) *quant.Model {
	dir := filepath.Join("..", "testdata", "demo")
	cfg, err := quant.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		tb.Fatal(err)
	}
	fm, err := quant.LoadModel(filepath.Join(dir, "model.safetensors"), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	cal, err := quant.LoadInput(filepath.Join(dir, "calibration.json"), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	scales, err := quant.Calibrate(fm, cal.InputData)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := quant.Quantize(fm, scales)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// ffnPlan is the clamp-table plan of an ffn model's circuit (its graph form's sites).
func ffnPlan(tb testing.TB, m *quant.Model) *fixedpoint.Plan {
	return legacyPlan(tb, ops.FromLegacyFFN, m)
}

// gpt2Plan is the clamp-table plan of a legacy gpt2 model's circuit (the
// walker over ops.FromLegacyGPT2), formerly circuits/gpt2's Plan. Its
// range-check base estimate also counts attention's softmax divisions.
func gpt2Plan(tb testing.TB, m *quant.Model) *fixedpoint.Plan {
	return legacyPlan(tb, func(m *quant.Model) (*quant.Graph, error) { return ops.FromLegacyGPT2(m) }, m)
}

// legacyPlan is the clamp-table plan of the walker's circuit over m's
// graph form (from: ops.FromLegacyFFN or ops.FromLegacyGPT2).
func legacyPlan(tb testing.TB, from func(*quant.Model) (*quant.Graph, error), m *quant.Model) *fixedpoint.Plan {
	tb.Helper()
	g, err := from(m)
	if err != nil {
		tb.Fatal(err)
	}
	sites, err := graph.Sites(g, false)
	if err != nil {
		tb.Fatal(err)
	}
	return fixedpoint.NewPlan(sites)
}
