package benchmarks

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
)

// BenchmarkHFImportGPT2Small imports a Hugging Face checkpoint of
// GPT-2-small's shape (vocabulary 50257, 1024 positions, d 768, 12 heads,
// 12 blocks: 124 M parameters, F32 as the hub's gpt2 model.safetensors,
// names without a prefix, the attn.bias buffers; RANDOM weights: no
// checkpoint is available offline) as a whole language model (hf.LoadLM,
// what gen-settings --lm and inspect --lm do) at ZKINFER_HF_SEQ positions
// (default 16), then runs inspect's estimate (quant.Summarize: a quick
// calibration and quantization). Reports the times, the file size, the
// peak RSS and the estimate; ZKINFER_HF_REPORT=FILE writes the report. A
// GiB-scale run: under the heavy lock.
func BenchmarkHFImportGPT2Small(b *testing.B) {
	seq := envInt(b, "ZKINFER_HF_SEQ", 16)
	const v, p, d, heads, layers = 50257, 1024, 768, 12, 12
	dir := b.TempDir()
	start := time.Now()
	size := writeGPT2Checkpoint(b, dir, v, p, d, heads, layers)
	written := time.Since(start)
	var rep strings.Builder
	fmt.Fprintf(&rep, "# Hugging Face GPT-2-small-shaped checkpoint → language model (random weights)\n\n%s, %s/%s, %d CPUs, %s.\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadAvg())
	fmt.Fprintf(&rep, "model.safetensors: %.1f MB F32 (written in %s).\n\n", float64(size)/1e6, written.Round(time.Millisecond))
	for range b.N {
		runtime.GC()
		start := time.Now()
		fm, err := hf.LoadLM(filepath.Join(dir, "config.json"), filepath.Join(dir, "model.safetensors"), seq)
		if err != nil {
			b.Fatal(err)
		}
		load := time.Since(start)
		rss := peakRSS()
		kinds := map[string]int{}
		params := 0
		for _, n := range fm.Graph.Nodes {
			kinds[n.Op.Kind()]++
			for _, p := range n.Op.Params() {
				params += len(p.T.Data)
			}
		}
		start = time.Now()
		sum := quant.Summarize(fm)
		est := time.Since(start)
		fmt.Fprintf(&rep, "hf.LoadLM at %d positions: %s, %d nodes %v, %d parameters in the graph; peak RSS %.2f GiB (%s)\n\n",
			seq, load.Round(time.Millisecond), len(fm.Graph.Nodes), kinds, params, float64(rss)/(1<<30), loadAvg())
		fmt.Fprintf(&rep, "inspect's estimate (quant.Summarize): %s, %d R1CS (%d PLONK), notes %q; peak RSS %.2f GiB\n",
			est.Round(time.Millisecond), sum.Constraints, sum.SCS, sum.Notes, float64(peakRSS())/(1<<30))
		runtime.KeepAlive(fm)
	}
	b.Log("\n" + rep.String())
	if path := os.Getenv("ZKINFER_HF_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(rep.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			var kb int64
			fmt.Sscan(f[1], &kb)
			return kb << 10
		}
	}
	return 0
}

// writeGPT2Checkpoint writes config.json and an F32 model.safetensors of
// GPT-2's layout with random weights into dir, streaming the data, and
// returns the file's size.
func writeGPT2Checkpoint(b *testing.B, dir string, v, p, d, heads, layers int) int64 {
	b.Helper()
	config, err := json.Marshal(map[string]any{"model_type": "gpt2", "vocab_size": v, "n_positions": p, "n_embd": d, "n_head": heads,
		"n_layer": layers, "n_inner": nil, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644); err != nil {
		b.Fatal(err)
	}
	type tensor struct {
		name  string
		shape []int
		scale float64 // 0: the mask buffer; < 0: 1 + |scale|·N(0, 1) (norm gains)
	}
	ts := []tensor{{"wte.weight", []int{v, d}, 0.1}, {"wpe.weight", []int{p, d}, 0.02}, {"ln_f.weight", []int{d}, -0.1}, {"ln_f.bias", []int{d}, 0.02}}
	for i := range layers {
		n := fmt.Sprintf("h.%d.", i)
		w := 1 / math.Sqrt(float64(d))
		ts = append(ts,
			tensor{n + "ln_1.weight", []int{d}, -0.1}, tensor{n + "ln_1.bias", []int{d}, 0.02},
			tensor{n + "attn.bias", []int{1, 1, p, p}, 0},
			tensor{n + "attn.c_attn.weight", []int{d, 3 * d}, w}, tensor{n + "attn.c_attn.bias", []int{3 * d}, 0.02},
			tensor{n + "attn.c_proj.weight", []int{d, d}, w}, tensor{n + "attn.c_proj.bias", []int{d}, 0.02},
			tensor{n + "ln_2.weight", []int{d}, -0.1}, tensor{n + "ln_2.bias", []int{d}, 0.02},
			tensor{n + "mlp.c_fc.weight", []int{d, 4 * d}, w}, tensor{n + "mlp.c_fc.bias", []int{4 * d}, 0.02},
			tensor{n + "mlp.c_proj.weight", []int{4 * d, d}, w / 2}, tensor{n + "mlp.c_proj.bias", []int{d}, 0.02})
	}
	slices.SortFunc(ts, func(a, b tensor) int { return strings.Compare(a.name, b.name) })
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	off := 0
	for _, t := range ts {
		n := 4 * quant.ShapeSize(t.shape)
		header[t.name] = map[string]any{"dtype": "F32", "shape": t.shape, "data_offsets": []int{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(len(hb)))
	w.Write(buf[:])
	w.Write(hb)
	// The tensors in data-offset order: the header's map is sorted by name
	// and so were the offsets.
	rng := rand.New(rand.NewPCG(2, 15))
	for _, t := range ts {
		n := quant.ShapeSize(t.shape)
		for k := range n {
			x := t.scale * rng.NormFloat64()
			switch {
			case t.scale == 0: // the causal mask buffer [1, 1, p, p]
				x = 0
				if r, c := k/p%p, k%p; c <= r {
					x = 1
				}
			case t.scale < 0:
				x = 1 + t.scale*rng.NormFloat64()
			}
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(float32(x)))
			w.Write(buf[:4])
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return int64(8 + len(hb) + off)
}
