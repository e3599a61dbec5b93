package benchmarks

import (
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

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
			m, samples := quantizeRandom(b, s.cfg)
			n := proveModel(b, m, samples[0])
			b.ReportMetric(float64(n)/float64(s.cfg.SeqLen*(s.cfg.DHidden+s.cfg.DModel)), "constraints/output")
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
