package benchmarks

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/profile"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

// BenchmarkAttentionProducts compiles whole gpt2 circuits (default hashed
// input/output, fixed weights, the model's clamp-table plan) with the
// attention products QKᵀ and P·V constrained directly (one constraint per
// scalar product, the path before circuits/matmul) and as the circuit now
// does (matmul.Auto: the randomized check where it is cheaper), and reports
// both constraint counts. Compile only: no setup.
func BenchmarkAttentionProducts(b *testing.B) {
	for _, s := range []struct {
		name  string
		model func(testing.TB) *quant.Model
		plonk bool
	}{
		{"d64-h4-seq1", func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, gpt2(64, 4, 1, 1)); return m }, true},
		{"d64-h4-seq8", func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, gpt2(64, 4, 8, 1)); return m }, true},
		{"d64-h4-seq64", func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, gpt2(64, 4, 64, 1)); return m }, true},
		{"gpt2-demo-testdata", func(tb testing.TB) *quant.Model { return testdataGPT2(tb) }, true},
		{"gpt2small-d768-h12-seq1-1layer", func(tb testing.TB) *quant.Model { m, _ := quantizeRandom(tb, gpt2(768, 12, 1, 1)); return m }, false},
		{"gpt2small-d768-h12-seq8-1layer", func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, gpt2(768, 12, 8, 1)); return m }, false},
	} {
		b.Run(s.name, func(b *testing.B) {
			m := s.model(b)
			for _, mode := range []matmul.Mode{matmul.Direct, matmul.Auto} {
				c, err := graph.New(m, quant.DefaultVisibility)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c.WithProducts(mode))
				if err != nil {
					b.Fatal(err)
				}
				n := cs.GetNbConstraints()
				b.ReportMetric(float64(n), mode.String()+"-constraints")
				b.Logf("%-7s %9d R1CS constraints, compiled in %s", mode, n, time.Since(t0).Round(time.Millisecond))
				if !s.plonk {
					continue
				}
				c, err = graph.New(m, quant.DefaultVisibility)
				if err != nil {
					b.Fatal(err)
				}
				t0 = time.Now()
				sc, err := frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, c.WithProducts(mode))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(sc.GetNbConstraints()), mode.String()+"-plonk-constraints")
				b.Logf("%-7s %9d PLONK constraints, compiled in %s", mode, sc.GetNbConstraints(), time.Since(t0).Round(time.Millisecond))
			}
		})
	}
}

// BenchmarkProveAttention proves one d-64, 4-head gpt2 block (Groth16, dev
// setup) with the attention products constrained directly and as the circuit
// now does (matmul.Auto), on the reference trace of a random sample, and
// verifies each proof: what the randomized checks change in setup and
// proving time and in the size of the BSB22 commitment.
func BenchmarkProveAttention(b *testing.B) {
	for _, seq := range []int{8, 64} {
		b.Run(fmt.Sprintf("d64-h4-seq%d", seq), func(b *testing.B) {
			m, tr := quantizedTrace(b, gpt2(64, 4, seq, 1))
			w, pub := defaultWitness(b, m, tr)
			for _, mode := range []matmul.Mode{matmul.Direct, matmul.Auto} {
				c, err := graph.New(m, quant.DefaultVisibility)
				if err != nil {
					b.Fatal(err)
				}
				ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c.WithProducts(mode))
				if err != nil {
					b.Fatal(err)
				}
				setup, prove := setupProveVerify(b, ccs, w, pub)
				committed := 0
				for _, cm := range ccs.GetCommitments().(constraint.Groth16Commitments) {
					committed += len(cm.PrivateCommitted)
				}
				internal, secret, _ := ccs.GetNbVariables()
				b.ReportMetric(float64(ccs.GetNbConstraints()), mode.String()+"-constraints")
				b.ReportMetric(setup.Seconds(), mode.String()+"-setup-s")
				b.ReportMetric(prove.Seconds(), mode.String()+"-prove-s")
				b.Logf("%-7s %8d constraints, %8d wires, %6d privately committed: setup %s, prove %s, verified",
					mode, ccs.GetNbConstraints(), internal+secret, committed, setup.Round(time.Millisecond), prove.Round(time.Millisecond))
			}
		})
	}
}

// BenchmarkConstraintProfile compiles the d-64, 4-head, 64-token gpt2 block
// (default hashed I/O, fixed weights) under gnark's constraint profiler and
// writes the profile to $ZKINFER_PROFILE (default gnark.pprof in the
// package folder): constraints by call stack, the deferred lookup and
// range-check arguments included, the accounting of
// results/gpt2-breakdown.md ("by kind"). Read it with
// `go tool pprof -sample_index=0 -top -cum FILE`. Compile only.
func BenchmarkConstraintProfile(b *testing.B) {
	m, _ := quantizedTrace(b, gpt2(64, 4, 64, 1))
	c, err := graph.New(m, quant.DefaultVisibility)
	if err != nil {
		b.Fatal(err)
	}
	path := os.Getenv("ZKINFER_PROFILE")
	if path == "" {
		path = "gnark.pprof"
	}
	p := profile.Start(profile.WithPath(path))
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	p.Stop()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cs.GetNbConstraints()), "constraints")
	b.Logf("%d R1CS constraints, profile in %s", cs.GetNbConstraints(), path)
}

// BenchmarkPinnedCounts compiles the gpt2 circuits whose R1CS counts README
// and benchmarks/NOTES.md quote (default hashed input/output, fixed
// weights): the demo model (testdata/demo, 2 blocks, 8 tokens), GPT-2
// small's block at 1 and 8 tokens (random weights, quantizeRandom) and the
// d-64, 4-head, 64-token block of BenchmarkConstraintProfile; then that
// block under each of issue 19's options and all of them together:
// -recip (the per-row reciprocal softmax in its attention,
// graph.Circuit.WithRecipAttention, quant.SoftmaxRecipRow), -resfuse (both
// c_proj + residual pairs fused, WithResidualFusion, op linear_residual),
// -compact (quant.CompactPrecision: dense remainders ≤ 15 bits, norms ≤
// 30), -committed-io (input and output committed by BSB22 commitments
// instead of Poseidon2-hashed), -all (the four). recip and resfuse are
// other integer semantics than the legacy model's: what a newly quantized
// layer graph gets. Compile only; the 8-token block needs about 2.5 GB, so
// run it under the heavy lock.
func BenchmarkPinnedCounts(b *testing.B) {
	d64 := func(tb testing.TB) *quant.Model { m, _ := quantizedTrace(tb, gpt2(64, 4, 64, 1)); return m }
	compactD64 := func(tb testing.TB) *quant.Model {
		m, _, err := harness.RandomQuantizedAt(gpt2(64, 4, 64, 1), 4, quant.CompactPrecision)
		if err != nil {
			tb.Fatal(err)
		}
		return m
	}
	committed := quant.DefaultVisibility
	committed.Input, committed.Output = quant.VisibilityCommitted, quant.VisibilityCommitted
	shapes := []struct {
		name        string
		load        func(testing.TB) *quant.Model
		recip, fuse bool
		committedIO bool
	}{
		{name: "demo-testdata", load: testdataGPT2},
		{name: "gpt2small-block-seq1", load: func(tb testing.TB) *quant.Model { m, _ := quantizeRandom(tb, gpt2(768, 12, 1, 1)); return m }},
		{name: "gpt2small-block-seq8", load: func(tb testing.TB) *quant.Model { m, _ := quantizeRandom(tb, gpt2(768, 12, 8, 1)); return m }},
		{name: "d64-h4-seq64", load: d64},
		{name: "d64-h4-seq64-recip", load: d64, recip: true},
		{name: "d64-h4-seq64-resfuse", load: d64, fuse: true},
		{name: "d64-h4-seq64-compact", load: compactD64},
		{name: "d64-h4-seq64-committed-io", load: d64, committedIO: true},
		{name: "d64-h4-seq64-all", load: compactD64, recip: true, fuse: true, committedIO: true},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			vis := quant.DefaultVisibility
			if s.committedIO {
				vis = committed
			}
			c, err := graph.New(s.load(b), vis)
			if err != nil {
				b.Fatal(err)
			}
			if s.recip {
				if c, err = c.WithRecipAttention(); err != nil {
					b.Fatal(err)
				}
			}
			if s.fuse {
				if c, err = c.WithResidualFusion(); err != nil {
					b.Fatal(err)
				}
			}
			cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cs.GetNbConstraints()), "constraints")
			b.Logf("%s: %d R1CS constraints", s.name, cs.GetNbConstraints())
		})
	}
}

// BenchmarkProveOptions proves the d-64, 4-head, 64-token gpt2 block
// (Groth16, gnark's setup, hashed input and output, fixed weights) as the
// legacy model is and as a newly quantized layer graph of it is with the
// integer-semantics options of issue 19 together: compact precision
// (quant.CompactPrecision), the per-row reciprocal softmax and the fused
// c_proj + residual pairs; each witness is its own semantics' reference
// output on the same random sample, and each proof is verified. (Committed
// input and output need prover.Prove's zero mask: measured separately by
// BenchmarkCommittedIOProve.) Run it under the heavy lock: about 3 GB.
func BenchmarkProveOptions(b *testing.B) {
	cfg := gpt2(64, 4, 64, 1)
	for _, v := range []struct {
		name        string
		compact     bool
		recip, fuse bool
	}{
		{name: "d64-h4-seq64"},
		{name: "d64-h4-seq64-compact-recip-resfuse", compact: true, recip: true, fuse: true},
	} {
		b.Run(v.name, func(b *testing.B) {
			var p quant.Precision
			if v.compact {
				p = quant.CompactPrecision
			}
			m, samples, err := harness.RandomQuantizedAt(cfg, 4, p)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := harness.Trace(m, samples[0])
			if err != nil {
				b.Fatal(err)
			}
			if v.recip || v.fuse {
				if tr, err = graph.LegacyVariantTrace(m, tr.X, v.recip, v.fuse); err != nil {
					b.Fatal(err)
				}
			}
			c, err := graph.New(m, quant.DefaultVisibility)
			if err != nil {
				b.Fatal(err)
			}
			if v.recip {
				if c, err = c.WithRecipAttention(); err != nil {
					b.Fatal(err)
				}
			}
			if v.fuse {
				if c, err = c.WithResidualFusion(); err != nil {
					b.Fatal(err)
				}
			}
			w, pub := defaultWitness(b, m, tr)
			t0 := time.Now()
			ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
			if err != nil {
				b.Fatal(err)
			}
			compile := time.Since(t0)
			setup, prove := setupProveVerify(b, ccs, w, pub)
			internal, secret, _ := ccs.GetNbVariables()
			b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
			b.ReportMetric(prove.Seconds(), "prove-s")
			b.Logf("%s: %d constraints, %d wires: compile %s, setup %s, prove %s, verified (load %.1f)", v.name, ccs.GetNbConstraints(), internal+secret,
				compile.Round(time.Millisecond), setup.Round(time.Millisecond), prove.Round(time.Millisecond), harness.Load1())
		})
	}
}

// defaultWitness returns the full and public witness of m's graph circuit
// (default visibility, no salts) for the trace tr.
func defaultWitness(b *testing.B, m *quant.Model, tr *quant.Trace) (w, pub witness.Witness) {
	b.Helper()
	a, err := graph.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
	if err != nil {
		b.Fatal(err)
	}
	w, err = frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		b.Fatal(err)
	}
	pub, err = w.Public()
	if err != nil {
		b.Fatal(err)
	}
	return w, pub
}

// setupProveVerify runs the Groth16 dev setup of ccs and proves w (each
// timed), and verifies the proof against pub.
func setupProveVerify(b *testing.B, ccs constraint.ConstraintSystem, w, pub witness.Witness) (setup, prove time.Duration) {
	b.Helper()
	t0 := time.Now()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	setup = time.Since(t0)
	t0 = time.Now()
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		b.Fatal(err)
	}
	prove = time.Since(t0)
	if err := groth16.Verify(proof, vk, pub); err != nil {
		b.Fatal(err)
	}
	return setup, prove
}
