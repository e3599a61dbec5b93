package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// BenchmarkGPT2SmallLM is GPT-2-small's shape (vocabulary 50257, d 768, 12
// heads; ops.ExampleGPT2 with RANDOM weights: no checkpoint is available
// offline) as a greedy LM: wte (gather_packed, 31 per entry) and wpe, the
// blocks, ln_f, the tied LM head and next_tokens. It builds
// ZKINFER_GPT2_BLOCKS blocks (default 1) at ZKINFER_GPT2_SEQ positions
// (default 1) and, for every count N of new tokens in ZKINFER_GPT2_NEW
// (comma-separated, default 1; prompt = positions − N + 1), reports the
// ops' estimates (quant.Op.Cost) per part of the greedy model before row
// slicing (ops.NextTokensModelFull: ln_f and the head at every position)
// and after (ops.NextTokensModel: the row-uniform tail on the N checked
// rows), their 12-block extrapolation (labelled) and the constraints per
// new token. ZKINFER_GPT2_COMPILE: "embed" (default) compiles the
// embedding alone (R1CS, public ids and completion, fixed weights) to
// check its estimate; "all" compiles the whole sliced greedy model of the
// first N (GiBs: under the heavy lock); "none" compiles nothing.
// ZKINFER_GPT2_SHARDS=k also cuts the first greedy model into k balanced
// shards and compiles each. ZKINFER_GPT2_PROVE=1 (with "all") also runs the library pipeline on it:
// compile (hashed I/O), dev setup, prove, verify, with times and the
// process's peak RSS. ZKINFER_GPT2_REPORT=FILE writes the report.
func BenchmarkGPT2SmallLM(b *testing.B) {
	seq := envInt(b, "ZKINFER_GPT2_SEQ", 1)
	blocks := envInt(b, "ZKINFER_GPT2_BLOCKS", 1)
	news := []int{1}
	if s := os.Getenv("ZKINFER_GPT2_NEW"); s != "" {
		news = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > seq {
				b.Fatalf("ZKINFER_GPT2_NEW=%q: want counts within 1..%d", s, seq)
			}
			news = append(news, n)
		}
	}
	mode := os.Getenv("ZKINFER_GPT2_COMPILE")
	var rep strings.Builder
	fmt.Fprintf(&rep, "# GPT-2-small-shaped greedy LM (random weights)\n\n%s, %s/%s, %d CPUs (GOMAXPROCS %d), gnark %s, %s. R1CS and PLONK estimates, public ids and completion, fixed weights; %d positions, new tokens %v (prompt = positions − new + 1).\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), prover.GnarkVersion(), loadAvg(), seq, news)
	vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}
	compile := func(name string, m *quant.Model, est int) {
		var ms runtime.MemStats
		start := time.Now()
		c, err := graph.New(m, vis)
		if err != nil {
			b.Fatal(err)
		}
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
		if err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(&rep, "\n%s compiled: %d R1CS constraints in %s (estimate %d, %+.1f %%; Go heap in use %.1f GiB; %s)\n",
			name, ccs.GetNbConstraints(), time.Since(start).Round(time.Millisecond), est,
			100*float64(est-ccs.GetNbConstraints())/float64(ccs.GetNbConstraints()), float64(ms.HeapInuse)/(1<<30), loadAvg())
	}
	for range b.N {
		s := ops.GPT2Small
		s.Blocks = blocks
		start := time.Now()
		lm, err := gpt2LM(s, seq)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&rep, "%d block(s) built, calibrated on 4 random id sequences, quantized in %s.\n", blocks, time.Since(start).Round(time.Millisecond))
		var first *quant.Model
		for _, n := range news {
			full, err := ops.NextTokensModelFull(lm, seq-n+1, n)
			if err != nil {
				b.Fatal(err)
			}
			sliced, err := ops.NextTokensModel(lm, seq-n+1, n)
			if err != nil {
				b.Fatal(err)
			}
			if first == nil {
				first = sliced
			}
			fs, ss := costSplit(full), costSplit(sliced)
			fmt.Fprintf(&rep, "\n**Prompt %d + %d new token(s)** (%s):\n\n", seq-n+1, n, sliceNote(sliced))
			fmt.Fprintf(&rep, "| part | R1CS before slicing | R1CS after | PLONK after | R1CS before, 12 blocks | R1CS after, 12 blocks |\n|---|---|---|---|---|---|\n")
			var f12, s12 int
			for _, p := range []string{"embed", "blocks", "head", "argmax", "io"} {
				x, y := fs[p].R1CS, ss[p].R1CS
				label := p
				if p == "io" {
					label = "I/O + circuit-wide (range-check base, tables; not scaled)"
				}
				if p == "blocks" && blocks > 0 {
					// Every block but the last runs on all positions; the
					// last one's row-uniform tail on the checked rows.
					per := x / blocks
					x, y = per*12, y+per*(12-blocks)
				}
				f12 += x
				s12 += y
				fmt.Fprintf(&rep, "| %s | %d | %d | %d | %d | %d |\n", label, fs[p].R1CS, ss[p].R1CS, ss[p].SCS, x, y)
			}
			fmt.Fprintf(&rep, "| total | %d | %d | %d | %d | %d |\n", fs["total"].R1CS, ss["total"].R1CS, ss["total"].SCS, f12, s12)
			fmt.Fprintf(&rep, "| per new token | %d | %d | %d | %d | %d |\n", fs["total"].R1CS/n, ss["total"].R1CS/n, ss["total"].SCS/n, f12/n, s12/n)
		}
		lm = nil
		if k := envInt(b, "ZKINFER_GPT2_SHARDS", 0); k > 1 {
			shardRows(b, &rep, first, k, vis, compile)
		}
		switch mode {
		case "all":
			if os.Getenv("ZKINFER_GPT2_PROVE") == "1" {
				// One compile (hashed I/O, the pipeline's), not two.
				rep.WriteString(proveRow(b, first, seq-news[0]+1, news[0]))
				break
			}
			compile(fmt.Sprintf("\nthe whole sliced greedy model (%d block(s), prompt %d + %d new)", blocks, seq-news[0]+1, news[0]), first, costSplit(first)["total"].R1CS)
		case "", "embed":
			runtime.GC()
			e := ops.GPT2Small
			e.Blocks, e.NoHead = 0, true
			em, err := gpt2Embedding(e, seq)
			if err != nil {
				b.Fatal(err)
			}
			compile("the embedding (wte gather_packed + wpe)", em, em.EstimateCost(vis).R1CS)
		}
	}
	b.Log("\n" + rep.String())
	if path := os.Getenv("ZKINFER_GPT2_REPORT"); path != "" {
		if err := quant.WriteFile(path, []byte(rep.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// shardRows cuts the greedy model m into k shards balanced by estimated
// constraints (compile-circuit --shards k) and reports each shard's
// nodes, boundary and estimate, then compiles each shard (one at a time,
// freed in between): the sharded row of issue 15's benchmark
// (ZKINFER_GPT2_SHARDS=k).
func shardRows(b *testing.B, rep *strings.Builder, m *quant.Model, k int, vis quant.Visibility, compile func(string, *quant.Model, int)) {
	bounds, err := m.BalancedCuts(k, vis)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(rep, "\n**In %d shards** (balanced by estimated constraints: cuts after nodes %v):\n", k, bounds)
	edges := append(append([]int{0}, bounds...), len(m.Graph.Nodes))
	for i := range k {
		sub, err := m.GraphShard(edges[i], edges[i+1])
		if err != nil {
			b.Fatal(err)
		}
		compile(fmt.Sprintf("shard %d: nodes %d:%d (%s … %s)", i, edges[i], edges[i+1], m.Graph.Nodes[edges[i]].Name, m.Graph.Nodes[edges[i+1]-1].Name), sub, sub.EstimateCost(vis).R1CS)
		runtime.GC()
	}
}

// sliceNote says which nodes of a greedy model run on the checked rows.
func sliceNote(m *quant.Model) string {
	var cuts []string
	for _, n := range m.Graph.Nodes {
		if _, ok := n.Op.(*ops.QSlice); ok && strings.HasSuffix(m.Graph.Values[n.Out[0]].Name, ".rows") {
			cuts = append(cuts, n.Name)
		}
	}
	if len(cuts) == 0 {
		return "nothing sliced: every position is checked"
	}
	return "rows sliced at " + strings.Join(cuts, ", ") + "; everything after them runs on the checked rows"
}

// proveRow runs the library pipeline on the greedy model m (hashed I/O,
// fixed weights): compile, dev setup, prove on a greedy completion of a
// random prompt, verify; it returns a report line with the times and the
// process's peak RSS.
func proveRow(b *testing.B, m *quant.Model, promptLen, newTokens int) string {
	b.Helper()
	tr, err := greedyTrace(m, promptLen, newTokens)
	if err != nil {
		b.Fatal(err)
	}
	c, compileT, setupT, proveT := timedPipeline(b, m, tr)
	est := m.EstimateCost(quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}).R1CS
	return fmt.Sprintf("\nPipeline on the sliced greedy model (prompt %d + %d new; Groth16, hashed ids and completion, fixed weights, dev setup): %d constraints (estimate %+.1f %%); compile %s, setup %s, prove %s (%.0f constraints/s), verified; peak RSS %s; %s\n",
		promptLen, newTokens, c.Header.Constraints, 100*float64(est-c.Header.Constraints)/float64(c.Header.Constraints), compileT.Round(time.Millisecond), setupT.Round(time.Millisecond), proveT.Round(time.Millisecond),
		float64(c.Header.Constraints)/proveT.Seconds(), peakRSSText(), loadAvg())
}

// timedPipeline runs the library pipeline on m and its trace tr at the
// default options: compile, dev setup, prove, verify; it returns the
// circuit and the compile, setup and prove times.
func timedPipeline(b *testing.B, m *quant.Model, tr *quant.Trace) (c *prover.Circuit, compileT, setupT, proveT time.Duration) {
	b.Helper()
	t0 := time.Now()
	c, err := prover.Compile(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	compileT = time.Since(t0)
	t0 = time.Now()
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	setupT = time.Since(t0)
	t0 = time.Now()
	p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		b.Fatal(err)
	}
	proveT = time.Since(t0)
	if err := prover.Verify(keys.VK, p.Proof, p.Public); err != nil {
		b.Fatalf("proof rejected: %v", err)
	}
	return c, compileT, setupT, proveT
}

// greedyTrace is the trace of the greedy model m (one new token) on a
// random prompt of promptLen ids, zero padding after: with one new token
// the model's input holds no completion token, so any prompt is honest.
func greedyTrace(m *quant.Model, promptLen, newTokens int) (*quant.Trace, error) {
	seq := m.Graph.Values[m.Graph.Inputs[0]].Size()
	rng := rand.New(rand.NewPCG(7, 7))
	hi := m.Graph.Values[m.Graph.Inputs[0]].Hi
	x := make([]int64, seq)
	for i := range promptLen {
		x[i] = rng.Int64N(hi + 1)
	}
	if newTokens != 1 {
		return nil, fmt.Errorf("greedyTrace: %d new tokens (only 1 is supported)", newTokens)
	}
	return m.Forward([][]int64{x})
}

// peakRSS is the process's peak resident set size (VmHWM).
// peakRSSText is peakRSS (hf_bench_test.go) as text for reports.
func peakRSSText() string {
	n := peakRSS()
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// gpt2Embedding is ExampleGPT2 of shape s (NoHead) calibrated and quantized.
func gpt2Embedding(s ops.GPT2Shape, seq int) (*quant.Model, error) {
	fm, err := ops.ExampleGPT2(s, seq, 1)
	if err != nil {
		return nil, err
	}
	st, err := quant.Calibrate(fm, randomIDs(s.Vocab, seq))
	if err != nil {
		return nil, err
	}
	return quant.Quantize(fm, st)
}

func randomIDs(vocab, seq int) [][]float64 {
	rng := rand.New(rand.NewPCG(2, 2))
	var cal [][]float64
	for range 4 {
		x := make([]float64, seq)
		for i := range x {
			x[i] = float64(rng.IntN(vocab))
		}
		cal = append(cal, x)
	}
	return cal
}

// gpt2LM builds ops.ExampleGPT2 at seq positions, calibrates it on 4
// random id sequences and quantizes it.
func gpt2LM(s ops.GPT2Shape, seq int) (*quant.Model, error) {
	fm, err := ops.ExampleGPT2(s, seq, 1)
	if err != nil {
		return nil, err
	}
	st, err := quant.Calibrate(fm, randomIDs(s.Vocab, seq))
	if err != nil {
		return nil, err
	}
	return quant.Quantize(fm, st)
}

// costSplit sums the ops' estimates by part: embed.*, h<i>.* (blocks),
// head.*, next_tokens (argmax), the exposure of ids and completion (io),
// and the total (quant.Model.EstimateCost).
func costSplit(m *quant.Model) map[string]quant.Cost {
	out := map[string]quant.Cost{}
	vals := func(ix []int) []quant.Value {
		v := make([]quant.Value, len(ix))
		for i, k := range ix {
			v[i] = m.Graph.Values[k]
		}
		return v
	}
	add := func(k string, c quant.Cost) {
		o := out[k]
		o.R1CS += c.R1CS
		o.SCS += c.SCS
		out[k] = o
	}
	var nodes quant.Cost
	for _, n := range m.Graph.Nodes {
		c := n.Op.Cost(vals(n.In), vals(n.Out))
		part := "blocks"
		switch {
		case strings.HasPrefix(n.Name, "embed."):
			part = "embed"
		case strings.HasPrefix(n.Name, "head."):
			part = "head"
		case strings.HasPrefix(n.Op.Kind(), "next_tokens"):
			part = "argmax"
		}
		add(part, c)
		nodes.R1CS += c.R1CS
		nodes.SCS += c.SCS
	}
	v := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}
	total := m.EstimateCost(v)
	out["total"] = total
	out["io"] = quant.Cost{R1CS: total.R1CS - nodes.R1CS, SCS: total.SCS - nodes.SCS}
	return out
}

var field = ecc.BN254.ScalarField()

// envInt reads a non-negative integer from the environment (def if unset).
func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a non-negative integer", name, s)
	}
	return n
}

// loadAvg is the machine's load average as uptime shows it.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "load unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}
