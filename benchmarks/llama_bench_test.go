package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// llamaBlock is the Llama-style block of BenchmarkLlamaBlock: d 512, 8
// query heads and 2 kv heads of 64 (grouped-query attention, 4 query heads
// per kv head), SwiGLU of 1376 (≈ 8/3·512, as Llama's 11008 for 4096),
// RMSNorm, RoPE.
var llamaBlock = ops.LlamaShape{D: 512, Heads: 8, KVHeads: 2, Hidden: 1376, Blocks: 1, BlockOnly: true}

// BenchmarkLlamaBlock is one Llama-style block at d 512 (ops.ExampleLlama,
// RANDOM weights; the residual stream [1, T, 512] in and out) at each
// length of ZKINFER_LLAMA_SEQ (comma-separated, default "1,16"): the ops'
// estimates by op kind and per position; with ZKINFER_LLAMA_PROVE=1 the
// library pipeline (Groth16, hashed input and output, fixed weights):
// compile, dev setup, prove, verify, with times and the process's peak
// RSS (heavy at 16 positions: run under the heavy lock).
// ZKINFER_LLAMA_REPORT=FILE writes the report.
func BenchmarkLlamaBlock(b *testing.B) {
	seqs := []int{1, 16}
	if s := os.Getenv("ZKINFER_LLAMA_SEQ"); s != "" {
		seqs = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("ZKINFER_LLAMA_SEQ=%q", s)
			}
			seqs = append(seqs, n)
		}
	}
	prove := os.Getenv("ZKINFER_LLAMA_PROVE") == "1"
	var rep strings.Builder
	fmt.Fprintf(&rep, "# Llama-style block at d 512 (random weights)\n\n%s, %s/%s, %d CPUs (GOMAXPROCS %d), gnark %s, %s. Shape %+v: RMSNorm, q/k/v without bias, RoPE per head (θ 10000), causal GQA attention 8/2 heads of 64, o_proj, residual, RMSNorm, SwiGLU 1376, down, residual. Estimates with hashed input and output, fixed weights.\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), prover.GnarkVersion(), loadAvg(), llamaBlock)
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}
	for range b.N {
		for _, seq := range seqs {
			t0 := time.Now()
			fm, err := ops.ExampleLlama(llamaBlock, seq, 1)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, uint64(seq)))
			sample := func() []float64 {
				x := make([]float64, seq*llamaBlock.D)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				return x
			}
			var cal [][]float64
			for range 4 {
				cal = append(cal, sample())
			}
			st, err := quant.Calibrate(fm, cal)
			if err != nil {
				b.Fatal(err)
			}
			m, err := quant.Quantize(fm, st)
			if err != nil {
				b.Fatal(err)
			}
			build := time.Since(t0)
			byKind := map[string]int{}
			g := m.Graph
			for _, n := range g.Nodes {
				byKind[n.Op.Kind()] += n.Op.Cost(g.ValuesOf(n.In), g.ValuesOf(n.Out)).R1CS
			}
			kinds := make([]string, 0, len(byKind))
			for k := range byKind {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			est := m.EstimateCost(vis)
			fmt.Fprintf(&rep, "**%d position(s)** (built, calibrated on 4 random samples and quantized in %s): R1CS estimate %d (%d per position), PLONK estimate %d. By op kind (R1CS, the ops' own estimates):", seq, build.Round(time.Millisecond), est.R1CS, est.R1CS/seq, est.SCS)
			for _, k := range kinds {
				fmt.Fprintf(&rep, " %s %d;", k, byKind[k])
			}
			rep.WriteString(" the rest is I/O hashing and circuit-wide corrections.\n\n")
			if prove {
				x, err := m.QuantizeInput(sample())
				if err != nil {
					b.Fatal(err)
				}
				tr, err := m.Forward(x)
				if err != nil {
					b.Fatal(err)
				}
				c, compileT, setupT, proveT := timedPipeline(b, m, tr)
				fmt.Fprintf(&rep, "Pipeline at %d position(s): %d constraints (%d per position; estimate %+.1f %%); compile %s, dev setup %s, prove %s, verified; peak RSS %s; %s.\n\n",
					seq, c.Header.Constraints, c.Header.Constraints/seq, 100*float64(est.R1CS-c.Header.Constraints)/float64(c.Header.Constraints),
					compileT.Round(time.Millisecond), setupT.Round(time.Millisecond), proveT.Round(time.Millisecond), peakRSSText(), loadAvg())
				c = nil
				runtime.GC()
			}
		}
	}
	b.Log("\n" + rep.String())
	if path := os.Getenv("ZKINFER_LLAMA_REPORT"); path != "" {
		if err := quant.WriteFile(path, []byte(rep.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
