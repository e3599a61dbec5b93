//go:build icicle

package benchmarks

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// gpuRuns is how many timed proofs each prover makes per shape; the median
// is reported, after one untimed GPU proof that pays CUDA's start-up and the
// first copy of the key.
const gpuRuns = 3

// BenchmarkGPU compares the CPU and the ICICLE GPU Groth16 provers on the
// same keys: the demo model (testdata/demo, a 2-block GPT-2) and a block of
// GPT-2 small's shape. Every proof is verified in Go, and the GPU proof on
// the Solidity verifier too. Results go to benchmarks/results/gpu-DATE.md.
// With the libraries of prover/gpu/build.sh, on a CUDA machine:
//
//	go test -tags icicle ./benchmarks -run '^$' -bench GPU -benchtime 1x -timeout 0
func BenchmarkGPU(b *testing.B) {
	shapes := []struct {
		name string
		load func(testing.TB) (*quant.Model, []float64)
	}{
		{"demo-gpt2-d64-h4-seq8-2layers", demoGPT2},
		{"gpt2small-d768-h12-seq1-1layer", func(tb testing.TB) (*quant.Model, []float64) {
			m, samples := quantizeRandom(tb, gpt2(768, 12, 1, 1))
			return m, samples[0]
		}},
	}
	var report strings.Builder
	fmt.Fprintf(&report, "# CPU vs GPU (ICICLE) Groth16 proving\n\n%s, %s, GOMAXPROCS %d, gnark %s, median of %d proofs each.\n\n",
		time.Now().UTC().Format(time.RFC3339), gpuName(), runtime.GOMAXPROCS(0), prover.GnarkVersion(), gpuRuns)
	report.WriteString("| shape | constraints | setup | CPU prove | GPU first proof | GPU prove | speed-up | contract accepts GPU proof (gas) |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			m, sample := s.load(b)
			c, keys, setup := timedSetup(b, m)
			xq, err := m.QuantizeInput(sample)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := m.Forward(xq)
			if err != nil {
				b.Fatal(err)
			}
			prove := func(opts ...prover.ProveOption) (*prover.Proof, time.Duration) {
				t0 := time.Now()
				p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, opts...)
				d := time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if err := prover.Verify(keys.VK, p.Proof, p.Public); err != nil {
					b.Fatalf("proof rejected: %v", err)
				}
				return p, d
			}
			gpuProof, first := prove(prover.WithGPU(0))
			var cpuT, gpuT []time.Duration
			for range gpuRuns {
				_, d := prove()
				cpuT = append(cpuT, d)
				_, d = prove(prover.WithGPU(0))
				gpuT = append(gpuT, d)
			}
			gas, _ := verifyGas(b, keys.VK, gpuProof)
			cpu, gpu := median(cpuT), median(gpuT)
			b.ReportMetric(float64(c.Header.Constraints), "constraints")
			b.ReportMetric(cpu.Seconds(), "cpu-prove-s")
			b.ReportMetric(gpu.Seconds(), "gpu-prove-s")
			b.ReportMetric(cpu.Seconds()/gpu.Seconds(), "speedup")
			fmt.Fprintf(&report, "| %s | %d | %s | %s | %s | %s | %.1fx | yes (%d) |\n", s.name, c.Header.Constraints,
				setup.Round(time.Millisecond), cpu.Round(time.Millisecond), first.Round(time.Millisecond), gpu.Round(time.Millisecond), cpu.Seconds()/gpu.Seconds(), gas)
		})
	}
	path := filepath.Join("results", "gpu-"+time.Now().UTC().Format("2006-01-02")+".md")
	if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %s\n%s", path, report.String())
}

// demoGPT2 is the demo model of testdata/demo, calibrated on its samples,
// with its input.
func demoGPT2(tb testing.TB) (*quant.Model, []float64) {
	m := testdataGPT2(tb)
	in, err := quant.LoadInput(filepath.Join("..", "testdata", "demo", "input.json"), m.Config)
	if err != nil {
		tb.Fatal(err)
	}
	return m, in.InputData[0]
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// gpuName names the GPU for the report, from the driver's procfs entry.
func gpuName() string {
	matches, _ := filepath.Glob("/proc/driver/nvidia/gpus/*/information")
	for _, f := range matches {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "Model:"); ok {
				return strings.TrimSpace(name)
			}
		}
	}
	return "unknown GPU"
}
