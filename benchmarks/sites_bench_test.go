package benchmarks

import (
	"fmt"
	"sort"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
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
