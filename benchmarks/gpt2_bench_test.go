package benchmarks

import (
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
	"github.com/zkinfer/zkinfer/circuits/activation"
	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

func gpt2(d, heads, seq, layers int) quant.Config {
	return quant.Config{Architecture: quant.ArchitectureGPT2, DModel: d, DHidden: 4 * d, SeqLen: seq, NHead: heads, NLayer: layers,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
}

// gpt2Shapes are the configurations of the breakdown: the demo's block and
// GPT-2 small's block at two sequence lengths.
var gpt2Shapes = []struct {
	name string
	cfg  quant.Config
}{
	{"d64-h4-seq8", gpt2(64, 4, 8, 1)},
	{"d64-h4-seq64", gpt2(64, 4, 64, 1)},
	{"gpt2small-d768-h12-seq16", gpt2(768, 12, 16, 1)},
	{"gpt2small-d768-h12-seq64", gpt2(768, 12, 64, 1)},
}

func quantizeRandom(tb testing.TB, cfg quant.Config) (*quant.Model, [][]float64) {
	return quantizeRandomN(tb, cfg, 2)
}

// quantizeRandomN quantizes RandomModel(cfg, 1), calibrated on n random samples.
func quantizeRandomN(tb testing.TB, cfg quant.Config, n int) (*quant.Model, [][]float64) {
	tb.Helper()
	m, samples, err := harness.RandomQuantized(cfg, n)
	if err != nil {
		tb.Fatal(err)
	}
	return m, samples
}

// quantizedTrace is quantizeRandomN with 4 samples and the trace of the first.
func quantizedTrace(tb testing.TB, cfg quant.Config) (*quant.Model, *quant.Trace) {
	tb.Helper()
	m, tr, err := harness.RandomTrace(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m, tr
}

// part is a circuit made of one sub-layer of a block, on private int8
// inputs, so that its constraints (range checks and lookups included) can be
// counted on their own.
type part struct {
	In    [][]frontend.Variable
	build func(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, in [][]frontend.Variable)
	m     *quant.Model
	plan  *fixedpoint.Plan
	// tables receives the clamp tables the part built, checks its number of range checks.
	tables [][2]int64
	checks int
}

func (p *part) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithPlan(p.plan), fixedpoint.WithLogChecker())
	exp := fixedpoint.NewTable(api, p.m.ExpTable)
	gelu := fixedpoint.NewTable(api, p.m.GELUTable)
	p.build(api, fp, exp, gelu, p.In)
	p.tables = fp.Tables()
	p.checks = fp.RangeChecks()
	return nil
}

// countPart compiles one part under the model's clamp-table plan (gpt2.Plan)
// and returns its constraints, the clamp tables it built and whether it made
// range checks.
func countPart(tb testing.TB, m *quant.Model, rows, cols int, build func(frontend.API, *fixedpoint.Gadget, logderivlookup.Table, logderivlookup.Table, [][]frontend.Variable)) (int, [][2]int64, bool) {
	c := &part{In: make([][]frontend.Variable, rows), build: build, m: m, plan: gpt2Plan(tb, m)}
	for i := range c.In {
		c.In[i] = make([]frontend.Variable, cols)
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		tb.Fatal(err)
	}
	return cs.GetNbConstraints(), c.tables, c.checks > 0
}

// BenchmarkGPT2Breakdown reports the R1CS constraints of one block, sub-layer
// by sub-layer (each compiled on its own, with its share of range-check and
// lookup overhead; the exp and GELU tables and the clamp tables of the
// model's plan are counted once, in "tables", and taken out of the rows that
// use them).
func BenchmarkGPT2Breakdown(b *testing.B) {
	for _, s := range gpt2Shapes {
		b.Run(s.name, func(b *testing.B) {
			m, _ := quantizeRandom(b, s.cfg)
			blk := &m.Blocks[0]
			seq, d, h := s.cfg.SeqLen, s.cfg.DModel, s.cfg.DHidden
			// The ranges the plan gives a clamp table.
			var clampRanges [][2]int64
			for _, r := range [][2]int64{{quant.Int8Min, quant.Int8Max}, {0, quant.Int8Max}, {lo0(m), -lo0(m) - 1}} {
				if gpt2Plan(b, m).TableBits(r[0], r[1]) > 0 {
					clampRanges = append(clampRanges, r)
				}
			}
			params := attention.Params{NHead: s.cfg.NHead, Logit: blk.Logit, AttnOut: blk.AttnOut, Formats: m.Scales.GPT2.Formats}
			lo, hi := params.Formats.LogitRange()
			dh := s.cfg.HeadDim()
			parts := []struct {
				name       string
				rows, cols int
				build      func(frontend.API, *fixedpoint.Gadget, logderivlookup.Table, logderivlookup.Table, [][]frontend.Variable)
			}{
				{"tables", 1, 1, func(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, in [][]frontend.Variable) {
					exp.Lookup(0)
					gelu.Lookup(0)
					for _, r := range clampRanges {
						fp.Clamp(0, r[0], r[1], 1)
					}
					if rb := gpt2Plan(b, m).Base(); rb > 0 {
						fp.Check(in[0][0], rb)
					}
				}},
				{"layernorm-x2", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					for _, r := range in {
						norm.LayerNorm(api, fp, &blk.LN1, r)
						norm.LayerNorm(api, fp, &blk.LN2, r)
					}
				}},
				{"qkv-projection", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					for _, r := range in {
						linear.Dense(api, fp, &blk.QKV, r)
					}
				}},
				{"attention-scores", seq, 2 * d, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					bits := fixedpoint.QuotientBits(int64(dh)*128*128, blk.Logit.Mult, blk.Logit.Shift)
					for hd := 0; hd < s.cfg.NHead; hd++ {
						q, kt := make([][]frontend.Variable, seq), make([][]frontend.Variable, dh)
						for i := range in {
							q[i] = in[i][hd*dh : (hd+1)*dh]
						}
						for e := range kt {
							kt[e] = make([]frontend.Variable, seq)
							for j := range kt[e] {
								kt[e][j] = in[j][d+hd*dh+e]
							}
						}
						for _, row := range matmul.Mul(api, q, kt, matmul.WithCols(causal(seq))) {
							for _, sc := range row {
								fp.Requantize(sc, blk.Logit.Mult, blk.Logit.Shift, lo, hi, bits)
							}
						}
					}
				}},
				{"softmax", seq * s.cfg.NHead, seq, func(api frontend.API, fp *fixedpoint.Gadget, exp, _ logderivlookup.Table, in [][]frontend.Variable) {
					for i, r := range in {
						attention.Softmax(api, fp, exp, r[:i%seq+1])
					}
				}},
				{"probs-times-v", seq, d + seq*s.cfg.NHead, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					bits := fixedpoint.QuotientBits((1<<quant.ProbFrac+int64(seq))*128, blk.AttnOut.Mult, blk.AttnOut.Shift)
					for hd := 0; hd < s.cfg.NHead; hd++ {
						p, v := make([][]frontend.Variable, seq), make([][]frontend.Variable, seq)
						for i := range in {
							p[i] = in[i][d+hd*seq : d+hd*seq+i+1]
							v[i] = in[i][hd*dh : (hd+1)*dh]
						}
						for _, row := range matmul.Mul(api, p, v) {
							for _, acc := range row {
								fp.Requantize(acc, blk.AttnOut.Mult, blk.AttnOut.Shift, -128, 127, bits)
							}
						}
					}
				}},
				{"attn-projection+residual", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					for _, r := range in {
						p := linear.Dense(api, fp, &blk.AttnProj, r)
						for k := range p {
							fp.Clamp(api.Add(r[k], p[k]), -128, 127, 9)
						}
					}
				}},
				{"mlp-c_fc", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					for _, r := range in {
						linear.Dense(api, fp, &blk.FC, r)
					}
				}},
				{"mlp-gelu-lookup", seq, h, func(api frontend.API, _ *fixedpoint.Gadget, _, gelu logderivlookup.Table, in [][]frontend.Variable) {
					for _, r := range in {
						activation.GELU(api, gelu, r)
					}
				}},
				{"mlp-c_proj+residual", seq, h, func(api frontend.API, fp *fixedpoint.Gadget, _, _ logderivlookup.Table, in [][]frontend.Variable) {
					for _, r := range in {
						p := linear.Dense(api, fp, &blk.Proj, r)
						for k := range p {
							fp.Clamp(api.Add(r[k], p[k]), -128, 127, 9)
						}
					}
				}},
			}
			// The cost of each clamp table alone: one lookup into it, less the
			// same circuit without it.
			base, _, _ := countPart(b, m, 1, 1, func(api frontend.API, _ *fixedpoint.Gadget, exp, gelu logderivlookup.Table, _ [][]frontend.Variable) {
				exp.Lookup(0)
				gelu.Lookup(0)
			})
			tableCost := make(map[[2]int64]int)
			for _, r := range clampRanges {
				n, _, _ := countPart(b, m, 1, 1, func(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, _ [][]frontend.Variable) {
					exp.Lookup(0)
					gelu.Lookup(0)
					fp.Clamp(0, r[0], r[1], 1)
				})
				tableCost[r] = n - base
			}
			// The plan fixes the range-check base, hence the size of the
			// range-check table every part would otherwise carry: its cost is
			// that of one check of a full limb, less its query and recomposition.
			rcCost := 0
			if rb := gpt2Plan(b, m).Base(); rb > 0 {
				n, _, _ := countPart(b, m, 1, 1, func(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, in [][]frontend.Variable) {
					exp.Lookup(0)
					gelu.Lookup(0)
					fp.Check(in[0][0], rb)
				})
				rcCost = n - base - 2
			}
			b.Logf("plan: %s", gpt2Plan(b, m))
			total := 0
			for _, p := range parts {
				t0 := time.Now()
				n, used, checks := countPart(b, m, p.rows, p.cols, p.build)
				if p.name != "tables" {
					for _, r := range used {
						n -= tableCost[r]
					}
					if checks {
						n -= rcCost
					}
				}
				total += n
				b.ReportMetric(float64(n), p.name+"-constraints")
				b.Logf("%-26s %10d constraints (compiled in %s)", p.name, n, time.Since(t0).Round(time.Millisecond))
			}
			b.ReportMetric(float64(total), "block-constraints")
			b.Logf("%-26s %10d", "block (sum of parts)", total)
		})
	}
}

// causal returns the column counts of a causal mask over seq rows: 1, 2, …, seq.
func causal(seq int) []int {
	cols := make([]int, seq)
	for i := range cols {
		cols[i] = i + 1
	}
	return cols
}

// lo0 is the lower bound of m's logits.
func lo0(m *quant.Model) int64 {
	lo, _ := m.Scales.GPT2.Formats.LogitRange()
	return lo
}

// BenchmarkProveGPT2 proves whole gpt2 models end to end.
func BenchmarkProveGPT2(b *testing.B) {
	for _, s := range []struct {
		name string
		cfg  quant.Config
	}{
		{"demo-d64-h4-seq8-2layers", gpt2(64, 4, 8, 2)},
		{"gpt2small-d768-h12-seq1-1layer", gpt2(768, 12, 1, 1)},
	} {
		b.Run(s.name, func(b *testing.B) {
			m, samples := quantizeRandom(b, s.cfg)
			proveModel(b, m, samples[0])
		})
	}
}

// proveModel compiles, sets up and proves m on one sample, reports the
// figures, and returns the number of constraints.
func proveModel(b *testing.B, m *quant.Model, sample []float64) int {
	t0 := time.Now()
	c, err := prover.Compile(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(t0)
	t0 = time.Now()
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(t0)
	xq, err := m.QuantizeInput(sample)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		b.Fatal(err)
	}
	peak := harness.WatchHeap()
	b.ResetTimer()
	var proof *prover.Proof
	for i := 0; i < b.N; i++ {
		if proof, err = prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	heap := peak()
	t0 = time.Now()
	if err := prover.Verify(keys.VK, proof.Proof, proof.Public); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/1e3, "verify-ms")
	b.ReportMetric(float64(c.Header.Constraints), "constraints")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.ReportMetric(setup.Seconds(), "setup-s")
	b.ReportMetric(float64(heap)/(1<<20), "prove-peak-heap-MiB")
	b.ReportMetric(float64(harness.MaxRSS())/(1<<20), "process-peak-rss-MiB")
	b.Logf("%d constraints: compile %s, setup %s", c.Header.Constraints, compile.Round(time.Millisecond), setup.Round(time.Millisecond))
	return c.Header.Constraints
}
