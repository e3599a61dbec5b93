package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	kzgbls "github.com/consensys/gnark-crypto/ecc/bls12-381/kzg"
	kzgbn254 "github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/rogpeppe/go-internal/testscript"
	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
	"github.com/zkinfer/zkinfer/verifier/verifiertest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"zkinfer": func() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) },
	})
}

// long runs the scripts of testdata/long too: end-to-end cases on models
// large enough to take minutes (.ci/run passes it).
var long = flag.Bool("long", false, "also run the long CLI scripts in testdata/long (minutes)")

// TestScripts runs the CLI scripts in testdata/*.txt on tiny models.
func TestScripts(t *testing.T) {
	runScripts(t, "testdata")
}

// TestLongScripts runs testdata/long/*.txt with -long: the demo on its real
// model and the larger sharded runs.
func TestLongScripts(t *testing.T) {
	if !*long {
		t.Skip("long CLI scripts run with -long")
	}
	runScripts(t, filepath.Join("testdata", "long"))
}

func runScripts(t *testing.T, dir string) {
	solc, err := contracts.FindSolc()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv(contracts.SolcEnv, solc)
			env.Setenv("REPO", root)
			return nil
		},
		// [gpubuilt]: the binary under test has the ICICLE prover (tag icicle).
		// [lmlong]: see below.
		Condition: func(cond string) (bool, error) {
			if cond == "gpubuilt" {
				return prover.GPUBuilt(), nil
			}
			// [lmlong]: ZKINFER_LM_LONG is set; the GPT-2-vocabulary
			// generate script (12 min, 4.6 GB) runs only then.
			if cond == "lmlong" {
				return os.Getenv("ZKINFER_LM_LONG") != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gen-model":     genModelCmd,
			"gen-gpt2":      genGPT2Cmd,
			"gen-onnx":      genONNXCmd,
			"gen-hf":        genHFCmd,
			"gen-onnx-gpt2": genONNXGPT2Cmd,
			"tamper":        tamperCmd,
			"forge":         forgeCmd,
			"shard-tamper":  shardTamperCmd,
			"truncate":      truncateCmd,
			"gen-srs":       genSRSCmd,
			"permute-model": permuteModelCmd,
			"gen-graph":     genGraphCmd,
			"gen-lm":        genLMCmd,
		},
	})
}

// forge BUNDLE OUT writes the forgery of issue 13 (verifiertest.Forge):
// BUNDLE with an output of all 127s, proven by a trivial circuit under the
// attacker's own key, labelled as made by a ceremony.
func forgeCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: forge BUNDLE OUT")
	}
	b, err := verifier.Read(ts.MkAbs(args[0]))
	ts.Check(err)
	f, err := verifiertest.Forge(b)
	ts.Check(err)
	ts.Check(f.Write(ts.MkAbs(args[1])))
}

// gen-model DIR D_MODEL D_HIDDEN SEQ_LEN SEED writes a random example model.
func genModelCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 5 {
		ts.Fatalf("usage: gen-model DIR D_MODEL D_HIDDEN SEQ_LEN SEED")
	}
	n := make([]int, 4)
	for i := range n {
		v, err := strconv.Atoi(args[i+1])
		ts.Check(err)
		n[i] = v
	}
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: n[0], DHidden: n[1], SeqLen: n[2], Activation: quant.ActivationReLU}
	ts.Check(quant.WriteExample(ts.MkAbs(args[0]), cfg, uint64(n[3]), 8))
}

// gen-gpt2 DIR D_MODEL D_HIDDEN SEQ_LEN N_HEAD N_LAYER SEED writes a random
// GPT-2 example model with ln_f.
func genGPT2Cmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 7 {
		ts.Fatalf("usage: gen-gpt2 DIR D_MODEL D_HIDDEN SEQ_LEN N_HEAD N_LAYER SEED")
	}
	n := make([]int, 6)
	for i := range n {
		v, err := strconv.Atoi(args[i+1])
		ts.Check(err)
		n[i] = v
	}
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: n[0], DHidden: n[1], SeqLen: n[2], NHead: n[3], NLayer: n[4],
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	ts.Check(quant.WriteExample(ts.MkAbs(args[0]), cfg, uint64(n[5]), 8))
}

// gen-lm FILE VOCAB D HEADS BLOCKS SEQ SEED writes a quantized GPT-2-layout
// language model with random weights (ops.ExampleGPT2: token and position
// embeddings, pre-LN causal blocks, ln_f, tied head; logits [1, SEQ,
// VOCAB]) calibrated on 4 random id sequences.
func genLMCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 7 {
		ts.Fatalf("usage: gen-lm FILE VOCAB D HEADS BLOCKS SEQ SEED")
	}
	n := make([]int, 6)
	for i := range n {
		v, err := strconv.Atoi(args[i+1])
		ts.Check(err)
		n[i] = v
	}
	fm, err := ops.ExampleGPT2(ops.GPT2Shape{Vocab: n[0], Positions: n[4], D: n[1], Heads: n[2], Blocks: n[3]}, n[4], uint64(n[5]))
	ts.Check(err)
	rng := rand.New(rand.NewPCG(uint64(n[5]), 1))
	var cal [][]float64
	for range 4 {
		x := make([]float64, n[4])
		for i := range x {
			x[i] = float64(rng.IntN(n[0]))
		}
		cal = append(cal, x)
	}
	st, err := quant.Calibrate(fm, cal)
	ts.Check(err)
	m, err := quant.Quantize(fm, st)
	ts.Check(err)
	ts.Check(quant.WriteQuantized(ts.MkAbs(args[0]), m))
}

// permute-model SRC DST writes into DST the ffn example model of SRC with
// its hidden units in reverse order, and SRC's config, input and calibration
// samples: other weights (another commitment) computing the same function, so
// calibration picks the same formats and shifts, i.e. the same architecture.
func permuteModelCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: permute-model SRC DST")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	cfg, err := quant.LoadConfig(filepath.Join(src, quant.ExampleConfig))
	ts.Check(err)
	fm, err := quant.LoadModel(filepath.Join(src, quant.ExampleWeights), cfg)
	ts.Check(err)
	if cfg.Architecture != quant.ArchitectureFFN {
		ts.Fatalf("permute-model: ffn models only")
	}
	d, h := cfg.DModel, cfg.DHidden
	pm := &quant.FloatModel{Config: cfg, W1: mat.NewDense(d, h, nil), B1: make([]float64, h), W2: mat.NewDense(h, d, nil), B2: fm.B2}
	for j := 0; j < h; j++ {
		pm.B1[j] = fm.B1[h-1-j]
		for i := 0; i < d; i++ {
			pm.W1.Set(i, j, fm.W1.At(i, h-1-j))
			pm.W2.Set(j, i, fm.W2.At(h-1-j, i))
		}
	}
	weights, err := quant.EncodeSafetensors(pm)
	ts.Check(err)
	ts.Check(os.MkdirAll(dst, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dst, quant.ExampleWeights), weights, 0o644))
	for _, name := range []string{quant.ExampleConfig, quant.ExampleInput, quant.ExampleCalibration} {
		data, err := os.ReadFile(filepath.Join(src, name))
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dst, name), data, 0o644))
	}
}

// tamper FILE WHAT changes one thing in a proof bundle: proof, output,
// input or version.
func tamperCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: tamper BUNDLE proof|output|input|alias-input|version|commitment")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var b map[string]any
	ts.Check(json.Unmarshal(data, &b))
	switch args[1] {
	case "proof":
		p := []byte(b["proof"].(string))
		// Change one base64 digit in the middle of the proof.
		i := len(p) / 2
		if p[i] == 'A' {
			p[i] = 'B'
		} else {
			p[i] = 'A'
		}
		b["proof"] = string(p)
	case "output", "input":
		for _, t := range b["public_inputs"].([]any) {
			tm := t.(map[string]any)
			if tm["name"] == args[1] {
				vals := tm["values"].([]any)
				v := vals[0].(float64)
				if v == 127 {
					v = 126
				} else {
					v++
				}
				vals[0] = v
			}
		}
	case "alias-input":
		// The first id raised by 2^24, the second lowered by one: the same
		// packed public element (24-bit limbs) if values were not
		// range-checked before packing.
		for _, t := range b["public_inputs"].([]any) {
			tm := t.(map[string]any)
			if tm["name"] == "input" {
				vals := tm["values"].([]any)
				vals[0] = vals[0].(float64) + 1<<24
				vals[1] = vals[1].(float64) - 1
			}
		}
	case "version":
		b["media_type"] = "application/vnd.zkinfer.bundle.v9+json"
	case "commitment":
		c := []byte(b["model_commitment"].(string))
		c[len(c)-1] = "10"[min(1, int(c[len(c)-1]-'0'))]
		b["model_commitment"] = string(c)
	default:
		ts.Fatalf("tamper: unknown %q", args[1])
	}
	out, err := json.Marshal(b)
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o644))
	fmt.Fprintf(ts.Stdout(), "tampered %s of %s\n", args[1], args[0])
}

// truncate FILE cuts a file to half its size.
func truncateCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: truncate FILE")
	}
	path := ts.MkAbs(args[0])
	fi, err := os.Stat(path)
	ts.Check(err)
	ts.Check(os.Truncate(path, fi.Size()/2))
}

// gen-srs FILE SIZE [bn254|bls12-381] writes a KZG SRS with SIZE G1 powers
// (from a fixed, known secret: for tests only).
func genSRSCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: gen-srs FILE SIZE [bn254|bls12-381]")
	}
	size, err := strconv.Atoi(args[1])
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	var srs io.WriterTo
	if len(args) == 3 && args[2] == "bls12-381" {
		srs, err = kzgbls.NewSRS(uint64(size), big.NewInt(42))
	} else {
		srs, err = kzgbn254.NewSRS(uint64(size), big.NewInt(42))
	}
	ts.Check(err)
	_, err = srs.WriteTo(f)
	ts.Check(err)
}

func intArgs(ts *testscript.TestScript, args []string) []int {
	n := make([]int, len(args))
	for i, a := range args {
		v, err := strconv.Atoi(a)
		ts.Check(err)
		n[i] = v
	}
	return n
}

// writeSamples writes input.json (one sample) and calibration.json (8) for cfg into dir.
func writeSamples(ts *testscript.TestScript, dir string, cfg quant.Config, seed uint64) {
	for name, n := range map[string]int{quant.ExampleInput: 1, quant.ExampleCalibration: 8} {
		data, err := json.Marshal(quant.Input{InputData: quant.RandomSamples(cfg, n, seed+uint64(n))})
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
}

// gen-onnx DIR matmul|gemm|sigmoid static|dynamic D_MODEL D_HIDDEN SEQ_LEN SEED
// writes a random ffn block as DIR/model.onnx, laid out as torch.onnx.export
// writes nn.Linear, with samples. "sigmoid" is the matmul form with its Relu
// node turned into a Sigmoid, which the importer must reject.
func genONNXCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 7 {
		ts.Fatalf("usage: gen-onnx DIR matmul|gemm|sigmoid|nonzero static|dynamic D_MODEL D_HIDDEN SEQ_LEN SEED")
	}
	n := intArgs(ts, args[3:])
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: n[0], DHidden: n[1], SeqLen: n[2], Activation: quant.ActivationReLU}
	data, err := onnx.EncodeFFN(quant.RandomModel(cfg, uint64(n[3])), args[1], args[2] == "dynamic")
	ts.Check(err)
	if op := map[string]string{"sigmoid": "Sigmoid", "nonzero": "NonZero"}[args[1]]; op != "" {
		var mp onnxpb.ModelProto
		ts.Check(proto.Unmarshal(data, &mp))
		mp.GetGraph().GetNode()[2].OpType = proto.String(op)
		data, err = proto.Marshal(&mp)
		ts.Check(err)
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, "model.onnx"), data, 0o644))
	writeSamples(ts, dir, cfg, uint64(n[3]))
}

// gen-hf DIR D_MODEL D_HIDDEN SEQ_LEN N_HEAD N_LAYER SEED writes a random GPT-2
// as a Hugging Face checkpoint (config.json, model.safetensors with the
// "transformer." prefix, embeddings and mask buffers), with samples of
// SEQ_LEN tokens.
func genHFCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 7 {
		ts.Fatalf("usage: gen-hf DIR D_MODEL D_HIDDEN SEQ_LEN N_HEAD N_LAYER SEED")
	}
	n := intArgs(ts, args[1:])
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: n[0], DHidden: n[1], SeqLen: n[2], NHead: n[3], NLayer: n[4],
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	config, weights, err := hf.EncodeCheckpoint(quant.RandomModel(cfg, uint64(n[5])))
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644))
	ts.Check(os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644))
	writeSamples(ts, dir, cfg, uint64(n[5]))
}

// gen-onnx-gpt2 DIR tanh|erf|fused|addmm D_MODEL D_HIDDEN SEQ_LEN N_HEAD N_LAYER SEED
// writes a random GPT-2 stack with ln_f as DIR/model.onnx, laid out as
// torch.onnx.export writes transformers' blocks, with samples.
func genONNXGPT2Cmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 8 {
		ts.Fatalf("usage: gen-onnx-gpt2 DIR tanh|erf|fused|addmm D_MODEL D_HIDDEN SEQ_LEN N_HEAD N_LAYER SEED")
	}
	n := intArgs(ts, args[2:])
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: n[0], DHidden: n[1], SeqLen: n[2], NHead: n[3], NLayer: n[4],
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	data, err := onnx.EncodeGPT2(quant.RandomModel(cfg, uint64(n[5])), args[1])
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, "model.onnx"), data, 0o644))
	writeSamples(ts, dir, cfg, uint64(n[5]))
}

// shard-tamper FILE swap|reorder|drop|chain changes a sharded bundle: swap
// the proofs of shards 0 and 1, swap shards 1 and 2, drop shard 1, or
// replace the hash between shards 0 and 1 on both sides.
func shardTamperCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: shard-tamper BUNDLE swap|reorder|drop|chain|output")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var b map[string]any
	ts.Check(json.Unmarshal(data, &b))
	shards := b["shards"].([]any)
	bundle := func(i int) map[string]any { return shards[i].(map[string]any)["bundle"].(map[string]any) }
	switch args[1] {
	case "swap":
		bundle(0)["proof"], bundle(1)["proof"] = bundle(1)["proof"], bundle(0)["proof"]
	case "reorder":
		shards[1], shards[2] = shards[2], shards[1]
	case "drop":
		b["shards"] = append(shards[:1], shards[2:]...)
	case "chain":
		h := "0x" + strings.Repeat("0", 63) + "7"
		bundle(0)["public_inputs"].([]any)[1].(map[string]any)["commitment"] = h
		bundle(1)["public_inputs"].([]any)[0].(map[string]any)["commitment"] = h
	case "output":
		// The last shard's first output value moved by one (a completion
		// token changed, an activation nudged).
		t := bundle(len(shards) - 1)["public_inputs"].([]any)[1].(map[string]any)
		vals := t["values"].([]any)
		vals[0] = vals[0].(float64) + 1
	default:
		ts.Fatalf("shard-tamper: unknown change %q", args[1])
	}
	out, err := json.Marshal(b)
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o644))
}
