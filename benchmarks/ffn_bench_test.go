package benchmarks

import (
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Shapes measured: the demo block, and the feed-forward block of GPT-2 small
// (d_model 768, d_hidden 3072) for one token and for four.
var shapes = []struct {
	name string
	cfg  quant.Config
}{
	{"demo-d64-h256-seq4", ffn(64, 256, 4)},
	{"gpt2small-d768-h3072-seq1", ffn(768, 3072, 1)},
	{"gpt2small-d768-h3072-seq4", ffn(768, 3072, 4)},
}

func ffn(d, h, seq int) quant.Config {
	return quant.Config{Architecture: quant.ArchitectureFFN, DModel: d, DHidden: h, SeqLen: seq, Activation: quant.ActivationReLU}
}

func BenchmarkProveFFN(b *testing.B) {
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			fm := quant.RandomModel(s.cfg, 1)
			samples := quant.RandomSamples(s.cfg, 4, 2)
			scales, err := quant.Calibrate(fm, samples)
			if err != nil {
				b.Fatal(err)
			}
			m, err := quant.Quantize(fm, scales)
			if err != nil {
				b.Fatal(err)
			}
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
			xq, err := m.QuantizeInput(samples[0])
			if err != nil {
				b.Fatal(err)
			}
			tr, err := m.Forward(xq)
			if err != nil {
				b.Fatal(err)
			}
			peak := watchHeap()
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
			b.ReportMetric(float64(c.Header.Constraints)/float64(s.cfg.SeqLen*(s.cfg.DHidden+s.cfg.DModel)), "constraints/output")
			b.ReportMetric(compile.Seconds(), "compile-s")
			b.ReportMetric(setup.Seconds(), "setup-s")
			b.ReportMetric(float64(heap)/(1<<20), "prove-peak-heap-MiB")
			b.ReportMetric(float64(maxRSS())/(1<<20), "process-peak-rss-MiB")
		})
	}
}

// watchHeap samples the live heap every 10 ms until the returned function is
// called, which returns the largest value seen.
func watchHeap() func() uint64 {
	var (
		mu   sync.Mutex
		max  uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			max = maxU(max, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return max
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// maxRSS is the process's peak resident set size in bytes (Linux reports KiB).
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
