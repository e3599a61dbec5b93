package benchmarks

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

// BenchmarkZoo runs every export of testdata/onnx/zoo through the library
// path of the CLI pipeline — import as a layer graph, calibrate (on the
// zoo's one fixed input), quantize, compile (Groth16, default visibility:
// hashed input and output, fixed weights), dev setup, prove, verify — and
// reports per model the compiled constraints, inspect's estimate
// (quant.Model.EstimateCost) and their ratio, the times, and the largest
// relative error of the integer output against the float graph. With
// ZKINFER_ZOO_REPORT=FILE the table is written there (a relative FILE is
// relative to the package directory, where go test runs):
//
//	ZKINFER_ZOO_REPORT=$PWD/benchmarks/results/zoo.md go test ./benchmarks -run '^$' -bench Zoo -benchtime 1x -timeout 0
func BenchmarkZoo(b *testing.B) {
	dir := filepath.Join("..", "testdata", "onnx", "zoo")
	files, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no zoo: %v", err)
	}
	var rep strings.Builder
	fmt.Fprintf(&rep, "# The ONNX zoo through the pipeline\n\n%s, %s/%s, %d CPUs (GOMAXPROCS %d), gnark %s. Groth16, hashed input and output, fixed weights, dev setup; calibrated on the zoo's one fixed input, error measured on it.\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), prover.GnarkVersion())
	rep.WriteString("| model | nodes | constraints | estimate | estimate/compiled | setup | prove | verified | output rel. error |\n|---|---|---|---|---|---|---|---|---|\n")
	var worst, sum float64
	n := 0
	for range b.N {
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".onnx")
			row, ratio, err := zooRow(f)
			if err != nil {
				b.Errorf("%s: %v", name, err)
				fmt.Fprintf(&rep, "| %s | error: %v |\n", name, err)
				continue
			}
			rep.WriteString("| " + name + " | " + row + " |\n")
			worst = math.Max(worst, math.Abs(ratio-1))
			sum += math.Abs(ratio - 1)
			n++
		}
	}
	fmt.Fprintf(&rep, "\n%d models proved and verified; estimate/compiled off by %.1f %% on average, %.1f %% at worst.\n", n, 100*sum/float64(max(n, 1)), 100*worst)
	b.Log("\n" + rep.String())
	if path := os.Getenv("ZKINFER_ZOO_REPORT"); path != "" {
		if err := quant.WriteFile(path, []byte(rep.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// zooRow runs one zoo model through the pipeline and returns its table row
// and the estimate/compiled ratio.
func zooRow(path string) (string, float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{})
	if err != nil {
		return "", 0, err
	}
	raw, err := os.ReadFile(strings.TrimSuffix(path, ".onnx") + ".input.json")
	if err != nil {
		return "", 0, err
	}
	in, err := quant.ParseInput(raw, fm.Config)
	if err != nil {
		return "", 0, err
	}
	s, err := quant.Calibrate(fm, in.InputData)
	if err != nil {
		return "", 0, err
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		return "", 0, err
	}
	acc, err := quant.Accuracy(fm, m, in.InputData)
	if err != nil {
		return "", 0, err
	}
	outName := m.Graph.Values[m.Graph.Outputs[0]].Name
	rel := math.NaN()
	for _, l := range acc.Layers {
		if l.Layer == outName {
			rel = l.Rel
		}
	}
	c, err := prover.Compile(m, nil)
	if err != nil {
		return "", 0, err
	}
	est := m.EstimateCost(quant.DefaultVisibility).R1CS
	t0 := time.Now()
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		return "", 0, err
	}
	setup := time.Since(t0)
	x, err := m.QuantizeInput(in.InputData[0])
	if err != nil {
		return "", 0, err
	}
	tr, err := m.Forward(x)
	if err != nil {
		return "", 0, err
	}
	t0 = time.Now()
	p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		return "", 0, err
	}
	prove := time.Since(t0)
	if err := prover.Verify(keys.VK, p.Proof, p.Public); err != nil {
		return "", 0, fmt.Errorf("proof rejected: %w", err)
	}
	got := c.Header.Constraints
	ratio := float64(est) / float64(got)
	return fmt.Sprintf("%d | %d | %d | %.2f | %s | %s | yes | %.3f", len(m.Graph.Nodes), got, est, ratio,
		setup.Round(time.Millisecond), prove.Round(time.Millisecond), rel), ratio, nil
}
