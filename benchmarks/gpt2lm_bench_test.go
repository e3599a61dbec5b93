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
// blocks, ln_f, the tied LM head and next_tokens (prompt seq, 1 new
// token). It builds ZKINFER_GPT2_BLOCKS blocks (default 1) at
// ZKINFER_GPT2_SEQ positions (default 1), reports the ops' estimates
// (quant.Op.Cost) per part and their 12-block extrapolation (the blocks'
// part scaled by 12/blocks, labelled), and compiles (R1CS, public ids and
// output, fixed weights) the embedding alone (wte packed + wpe: the part
// this branch adds) to check its estimate at GPT-2 scale; with
// ZKINFER_GPT2_COMPILE=all it compiles the whole model too (GiBs: the LM
// head alone is 50257·768 weight terms per position; run under the heavy
// lock). ZKINFER_GPT2_REPORT=FILE writes the report.
func BenchmarkGPT2SmallLM(b *testing.B) {
	seq := envInt(b, "ZKINFER_GPT2_SEQ", 1)
	blocks := envInt(b, "ZKINFER_GPT2_BLOCKS", 1)
	var rep strings.Builder
	fmt.Fprintf(&rep, "# GPT-2-small-shaped greedy LM (random weights)\n\n%s, %s/%s, %d CPUs (GOMAXPROCS %d), gnark %s, %s. R1CS and PLONK estimates, public ids and completion, fixed weights; %d positions, prompt %d + 1 new token.\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), prover.GnarkVersion(), loadAvg(), seq, seq)
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
		m, err := gpt2Greedy(s, seq)
		if err != nil {
			b.Fatal(err)
		}
		split := costSplit(m)
		fmt.Fprintf(&rep, "%d block(s) built, calibrated on 4 random id sequences, quantized in %s.\n\n", blocks, time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(&rep, "| part | R1CS estimate | PLONK estimate | R1CS, 12 blocks (extrapolated) |\n|---|---|---|---|\n")
		var tot12 int
		for _, p := range []string{"embed", "blocks", "head", "argmax", "io"} {
			x := split[p].R1CS
			if p == "blocks" && blocks > 0 {
				x = x * 12 / blocks
			}
			tot12 += x
			fmt.Fprintf(&rep, "| %s | %d | %d | %d |\n", p, split[p].R1CS, split[p].SCS, x)
		}
		fmt.Fprintf(&rep, "| total | %d | %d | %d |\n", split["total"].R1CS, split["total"].SCS, tot12)
		if os.Getenv("ZKINFER_GPT2_COMPILE") == "all" {
			compile(fmt.Sprintf("the whole model (%d blocks)", blocks), m, split["total"].R1CS)
		}
		m = nil
		runtime.GC()
		e := ops.GPT2Small
		e.Blocks, e.NoHead = 0, true
		em, err := gpt2Embedding(e, seq)
		if err != nil {
			b.Fatal(err)
		}
		compile("the embedding (wte gather_packed + wpe)", em, em.EstimateCost(vis).R1CS)
	}
	b.Log("\n" + rep.String())
	if path := os.Getenv("ZKINFER_GPT2_REPORT"); path != "" {
		if err := quant.WriteFile(path, []byte(rep.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
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

// gpt2Greedy builds ops.ExampleGPT2 at seq positions, calibrates it on 4
// random id sequences, quantizes it and appends next_tokens (prompt seq,
// 1 new token).
func gpt2Greedy(s ops.GPT2Shape, seq int) (*quant.Model, error) {
	fm, err := ops.ExampleGPT2(s, seq, 1)
	if err != nil {
		return nil, err
	}
	st, err := quant.Calibrate(fm, randomIDs(s.Vocab, seq))
	if err != nil {
		return nil, err
	}
	m, err := quant.Quantize(fm, st)
	if err != nil {
		return nil, err
	}
	return ops.NextTokensModel(m, seq, 1)
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
		case n.Name == "next_tokens":
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
