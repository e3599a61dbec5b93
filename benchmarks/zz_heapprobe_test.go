package benchmarks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
	"github.com/zkinfer/zkinfer/prover"
)

// temporary probe: peak RSS of compile + write.
func BenchmarkZZCompileRSS(b *testing.B) {
	m, _ := quantizedTrace(b, gpt2(64, 4, 16, 1))
	harness.ResetPeakRSS()
	r0 := harness.MaxRSS()
	var c *prover.Circuit
	p := timed(func() {
		var err error
		if c, err = prover.Compile(m, nil); err != nil {
			b.Fatal(err)
		}
		b.Logf("after compile: peak RSS %.0f MB, live heap %.0f MB", float64(harness.MaxRSS())/1e6, float64(liveHeap())/1e6)
		harness.ResetPeakRSS()
		if err := prover.WriteCircuit(filepath.Join(b.TempDir(), "c.zkc"), c); err != nil {
			b.Fatal(err)
		}
	})
	b.Logf("GOGC=%s: %d constraints, %s, peak RSS %.0f MB (before %.0f MB) = %.2f GB/M", os.Getenv("GOGC"), c.Header.Constraints, p, float64(harness.MaxRSS())/1e6, float64(r0)/1e6, float64(harness.MaxRSS())/1e3/float64(c.Header.Constraints))
}
