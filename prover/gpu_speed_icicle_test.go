//go:build icicle

package prover_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/importer"
)

// TestGPUSpeed times the CPU and the ICICLE GPU Groth16 provers on the same
// keys (median of 3 proofs each, after one untimed GPU proof that pays
// CUDA's start-up and the first copy of the key) for the demo's shape and a
// GPT-2-small block at one token; every proof is verified. It runs only with
// ZKINFER_GPU_BENCH=1 on a CUDA machine, and writes its table to
// $ZKINFER_GPU_REPORT when set. A test rather than a benchmark so that it
// runs from a test binary built elsewhere (go test -c -tags icicle).
func TestGPUSpeed(t *testing.T) {
	if os.Getenv("ZKINFER_GPU_BENCH") == "" {
		t.Skip("set ZKINFER_GPU_BENCH=1 on a CUDA machine")
	}
	gpt2 := func(d, heads, seq, layers int) quant.Config {
		return quant.Config{Architecture: quant.ArchitectureGPT2, DModel: d, DHidden: 4 * d, SeqLen: seq, NHead: heads, NLayer: layers,
			Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	}
	var report strings.Builder
	fmt.Fprintf(&report, "| shape | constraints | compile | setup | CPU prove | GPU first | GPU prove | speed-up |\n|---|---|---|---|---|---|---|---|\n")
	gpt2Shape := func(cfg quant.Config) func() (*quant.Model, [][]float64) {
		return func() (*quant.Model, [][]float64) { return randomQuantized(t, cfg) }
	}
	for _, s := range []struct {
		name string
		load func() (*quant.Model, [][]float64)
	}{
		{"demo d64 h4 seq8 2 blocks", gpt2Shape(gpt2(64, 4, 8, 2))},
		{"GPT-2-small block d768 h12 seq1", gpt2Shape(gpt2(768, 12, 1, 1))},
		{"GPT-2-small block d768 h12 seq8", gpt2Shape(gpt2(768, 12, 8, 1))},
		{"block d64 h4 seq64 (checked attention)", gpt2Shape(gpt2(64, 4, 64, 1))},
		{"LeNet-5 1x1x32x32 (ONNX layer graph)", func() (*quant.Model, [][]float64) { return zooQuantized(t, "lenet5_op13") }},
	} {
		if only := os.Getenv("ZKINFER_GPU_ONLY"); only != "" && !strings.Contains(s.name, only) {
			continue
		}
		m, samples := s.load()
		t0 := time.Now()
		c, err := prover.Compile(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		compile := time.Since(t0)
		t0 = time.Now()
		keys, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		setup := time.Since(t0)
		xq, err := m.QuantizeInput(samples[0])
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(xq)
		if err != nil {
			t.Fatal(err)
		}
		prove := func(opts ...prover.ProveOption) time.Duration {
			t0 := time.Now()
			p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, opts...)
			d := time.Since(t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := prover.Verify(keys.VK, p.Proof, p.Public); err != nil {
				t.Fatalf("%s: proof rejected: %v", s.name, err)
			}
			return d
		}
		first := prove(prover.WithGPU(0))
		var cpu, gpu []time.Duration
		for range 3 {
			cpu = append(cpu, prove())
			gpu = append(gpu, prove(prover.WithGPU(0)))
		}
		slices.Sort(cpu)
		slices.Sort(gpu)
		fmt.Fprintf(&report, "| %s | %d | %s | %s | %s | %s | %s | %.1f× |\n", s.name, c.Header.Constraints, compile.Round(time.Millisecond), setup.Round(time.Millisecond),
			cpu[1].Round(time.Millisecond), first.Round(time.Millisecond), gpu[1].Round(time.Millisecond), cpu[1].Seconds()/gpu[1].Seconds())
		out := fmt.Sprintf("GOMAXPROCS %d, %s\n\n%s", runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339), report.String())
		t.Log("\n" + out)
		if path := os.Getenv("ZKINFER_GPU_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestGPUNoCommitment proves, on the GPU, an ffn block compiled with bit
// decompositions (no BSB22 commitment in the circuit), to tell gnark's
// commitment path from the rest of the ICICLE prover; it times CPU and GPU
// like TestGPUSpeed. ZKINFER_GPU_BENCH=1 only.
func TestGPUNoCommitment(t *testing.T) {
	if os.Getenv("ZKINFER_GPU_BENCH") == "" {
		t.Skip("set ZKINFER_GPU_BENCH=1 on a CUDA machine")
	}
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 64, DHidden: 256, SeqLen: 4, Activation: quant.ActivationReLU}
	m, samples := randomQuantized(t, cfg)
	c, err := prover.Compile(m, nil, prover.WithRangeChecks(prover.RangeChecksBits))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	xq, err := m.QuantizeInput(samples[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	var cpu, gpu []time.Duration
	for i := range 4 {
		for _, opts := range [][]prover.ProveOption{nil, {prover.WithGPU(0)}} {
			t0 := time.Now()
			p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, opts...)
			d := time.Since(t0)
			if err != nil {
				t.Fatalf("gpu %v: %v", opts != nil, err)
			}
			if err := prover.Verify(keys.VK, p.Proof, p.Public); err != nil {
				t.Fatalf("gpu %v: proof rejected: %v", opts != nil, err)
			}
			if i == 0 {
				continue
			}
			if opts == nil {
				cpu = append(cpu, d)
			} else {
				gpu = append(gpu, d)
			}
		}
	}
	slices.Sort(cpu)
	slices.Sort(gpu)
	t.Logf("ffn d64 dh256 seq4, bit range checks: %d constraints, CPU prove %s, GPU prove %s (medians of 3, GOMAXPROCS %d)", c.Header.Constraints, cpu[1].Round(time.Millisecond), gpu[1].Round(time.Millisecond), runtime.GOMAXPROCS(0))
}

// randomQuantized is RandomModel(cfg, 1) calibrated on two random samples.
func randomQuantized(t *testing.T, cfg quant.Config) (*quant.Model, [][]float64) {
	t.Helper()
	fm := quant.RandomModel(cfg, 1)
	samples := quant.RandomSamples(cfg, 2, 1)
	sc, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, sc)
	if err != nil {
		t.Fatal(err)
	}
	return m, samples
}

// zooQuantized imports a model of testdata/onnx/zoo as a layer graph and
// quantizes it, calibrated on random inputs in [-1, 1].
func zooQuantized(t *testing.T, name string) (*quant.Model, [][]float64) {
	t.Helper()
	im, err := importer.Open(filepath.Join("..", "testdata", "onnx", "zoo", name+".onnx"), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fm := im.Float
	n := fm.Graph.InputSize()
	rng := rand.New(rand.NewPCG(1, 2))
	var samples [][]float64
	for range 8 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64()*2 - 1
		}
		samples = append(samples, x)
	}
	sc, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, sc)
	if err != nil {
		t.Fatal(err)
	}
	return m, samples
}
