package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// BenchmarkLM runs the tiny language-model exports of testdata/onnx/lm
// (export_lm.py) through the library path of the pipeline — import at 8
// positions, calibrate on 24 random id sequences, quantize, compile
// (Groth16, hashed input and output, fixed weights), dev setup, prove,
// verify — and the nanoGPT greedy completion (prompt 4, 4 new tokens, one
// padding position). It reports the compiled constraints, the times, and
// the split of the ops' estimates (quant.Op.Cost) into embeddings, blocks,
// head (final norm and LM head, pooling and classifier) and the argmax
// check. With ZKINFER_LM_REPORT=FILE the table is written there.
//
//	ZKINFER_LM_REPORT=$PWD/benchmarks/results/lm.md go test ./benchmarks -run '^$' -bench '^BenchmarkLM$' -benchtime 1x -timeout 0
func BenchmarkLM(b *testing.B) {
	var rep strings.Builder
	fmt.Fprintf(&rep, "# Tiny language models through the pipeline\n\n%s, %s/%s, %d CPUs (GOMAXPROCS %d), gnark %s. Groth16, hashed input and output, fixed weights, dev setup.\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), prover.GnarkVersion())
	rep.WriteString("| model | positions | constraints | per position | estimate: embeddings / blocks / head / argmax | setup | prove |\n|---|---|---|---|---|---|---|\n")
	for range b.N {
		for _, c := range []struct {
			name, file string
			seq        int
			greedy     bool
		}{
			{"nanoGPT (2 blocks, d 16, V 64)", "nanogpt_op14", 8, false},
			{"nanoGPT greedy, prompt 4 + 4 new", "nanogpt_op14", 8, true},
			{"Llama-style (1 layer, GQA 4/2, RoPE, SwiGLU)", "llama_op14", 8, false},
			{"BERT-style (1 layer, post-LN, mean-pool)", "bert_op14", 0, false},
		} {
			row, err := lmRow(c.file, c.seq, c.greedy)
			if err != nil {
				b.Errorf("%s: %v", c.name, err)
				continue
			}
			rep.WriteString("| " + c.name + " | " + row + " |\n")
		}
	}
	b.Log("\n" + rep.String())
	if path := os.Getenv("ZKINFER_LM_REPORT"); path != "" {
		if err := quant.WriteFile(path, []byte(rep.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func lmRow(file string, seq int, greedy bool) (string, error) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "onnx", "lm", file+".onnx"))
	if err != nil {
		return "", err
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{SeqLen: seq})
	if err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(15, 1))
	sample := func() []float64 {
		var x []float64
		for _, in := range fm.Graph.InputSpecs {
			for range quant.ShapeSize(in.Shape) {
				x = append(x, float64(rng.Int64N(in.Hi+1)))
			}
		}
		return x
	}
	var cal [][]float64
	for range 24 {
		cal = append(cal, sample())
	}
	s, err := quant.Calibrate(fm, cal)
	if err != nil {
		return "", err
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		return "", err
	}
	x, err := m.QuantizeInput(sample())
	if err != nil {
		return "", err
	}
	positions := quant.ShapeSize(m.InputParts()[0].Shape)
	if greedy {
		const promptLen, newTokens = 4, 4
		ids := x[0][:promptLen]
		v := m.OutputShape()[len(m.OutputShape())-1]
		for k := range newTokens {
			in := make([]int64, positions)
			copy(in, ids)
			tr, err := m.Forward([][]int64{in})
			if err != nil {
				return "", err
			}
			ids = append(ids, ops.Greedy(tr.Outputs[0], v, promptLen-1+k, 1)[0])
		}
		if m, err = ops.NextTokensModel(m, promptLen, newTokens); err != nil {
			return "", err
		}
		x = [][]int64{append(ids[:positions-1:positions-1], 0)}
	}
	var split [4]int // embeddings, blocks, head, argmax
	g := m.Graph
	for _, n := range g.Nodes {
		var in, out []quant.Value
		for _, id := range n.In {
			in = append(in, g.Values[id])
		}
		for _, id := range n.Out {
			out = append(out, g.Values[id])
		}
		c := n.Op.Cost(in, out).R1CS
		switch {
		case strings.HasPrefix(n.Op.Kind(), "next_tokens"):
			split[3] += c
		case strings.Contains(n.Name, "/h.") || strings.Contains(n.Name, "/layers.") || strings.Contains(n.Name, "/layers/"):
			split[1] += c
		case n.Op.Kind() == "gather" || strings.Contains(n.Name, "/emb") || n.Name == "/Add" || n.Name == "/Add_1":
			split[0] += c
		default:
			split[2] += c
		}
	}
	c, err := prover.Compile(m, nil)
	if err != nil {
		return "", err
	}
	t0 := time.Now()
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		return "", err
	}
	setup := time.Since(t0)
	tr, err := m.Forward(x)
	if err != nil {
		return "", err
	}
	t0 = time.Now()
	p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		return "", err
	}
	prove := time.Since(t0)
	if err := prover.Verify(keys.VK, p.Proof, p.Public); err != nil {
		return "", fmt.Errorf("proof rejected: %w", err)
	}
	got := c.Header.Constraints
	return fmt.Sprintf("%d | %d | %d | %d / %d / %d / %d | %s | %s", positions, got, got/positions, split[0], split[1], split[2], split[3],
		setup.Round(time.Millisecond), prove.Round(time.Millisecond)), nil
}
