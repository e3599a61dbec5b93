package benchmarks

import (
	"testing"

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
