package onnx_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

var tiny = quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 16, SeqLen: 4, Activation: quant.ActivationReLU}

// evalGraph is an independent float evaluation of the ops the importer
// supports, on the graph as stored (weights in their exported layout), so
// the test compares the importer against the graph's own semantics.
func evalGraph(t *testing.T, data []byte, x []float64, seq int) []float64 {
	t.Helper()
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	type mat struct {
		r, c int
		v    []float64
	}
	env := map[string]mat{}
	for _, in := range mp.GetGraph().GetInitializer() {
		var vals []float64
		raw := in.GetRawData()
		for i := 0; i+4 <= len(raw); i += 4 {
			vals = append(vals, float64(math.Float32frombits(uint32(raw[i])|uint32(raw[i+1])<<8|uint32(raw[i+2])<<16|uint32(raw[i+3])<<24)))
		}
		d := in.GetDims()
		if len(d) == 1 {
			env[in.GetName()] = mat{1, int(d[0]), vals}
		} else {
			env[in.GetName()] = mat{int(d[0]), int(d[1]), vals}
		}
	}
	env[mp.GetGraph().GetInput()[0].GetName()] = mat{seq, len(x) / seq, x}
	mul := func(a, b mat, transB bool) mat {
		br, bc := b.r, b.c
		at := func(k, j int) float64 { return b.v[k*bc+j] }
		if transB {
			br, bc = b.c, b.r
			at = func(k, j int) float64 { return b.v[j*b.c+k] }
		}
		if a.c != br {
			t.Fatalf("matmul %dx%d by %dx%d", a.r, a.c, br, bc)
		}
		out := mat{a.r, bc, make([]float64, a.r*bc)}
		for i := 0; i < a.r; i++ {
			for j := 0; j < bc; j++ {
				for k := 0; k < a.c; k++ {
					out.v[i*bc+j] += a.v[i*a.c+k] * at(k, j)
				}
			}
		}
		return out
	}
	add := func(a, b mat) mat {
		if a.r < b.r {
			a, b = b, a
		}
		out := mat{a.r, a.c, make([]float64, len(a.v))}
		for i := range out.v {
			out.v[i] = a.v[i] + b.v[(i/a.c%b.r)*b.c+i%a.c]
		}
		return out
	}
	for _, n := range mp.GetGraph().GetNode() {
		in := n.GetInput()
		var out mat
		switch n.GetOpType() {
		case "MatMul":
			out = mul(env[in[0]], env[in[1]], false)
		case "Gemm":
			out = add(mul(env[in[0]], env[in[1]], true), env[in[2]])
		case "Add":
			out = add(env[in[0]], env[in[1]])
		case "Relu":
			a := env[in[0]]
			out = mat{a.r, a.c, make([]float64, len(a.v))}
			for i, v := range a.v {
				out.v[i] = math.Max(v, 0)
			}
		default:
			t.Fatalf("evalGraph: op %s", n.GetOpType())
		}
		env[n.GetOutput()[0]] = out
	}
	return env[mp.GetGraph().GetOutput()[0].GetName()].v
}

func TestImportFFN(t *testing.T) {
	src := quant.RandomModel(tiny, 11)
	samples := quant.RandomSamples(tiny, 8, 12)
	for _, form := range []string{onnx.FormMatMul, onnx.FormGemm} {
		for _, dynamic := range []bool{false, true} {
			data, err := onnx.EncodeFFN(src, form, dynamic)
			if err != nil {
				t.Fatal(err)
			}
			opts := onnx.Options{}
			if dynamic {
				if _, err := onnx.Parse(data, opts); err == nil || !strings.Contains(err.Error(), "--seq-len") {
					t.Fatalf("%s: dynamic axis without a length: %v", form, err)
				}
				opts.SeqLen = tiny.SeqLen
			}
			fm, err := onnx.Parse(data, opts)
			if err != nil {
				t.Fatalf("%s dynamic=%v: %v", form, dynamic, err)
			}
			if fm.Config != tiny {
				t.Fatalf("%s: config %+v, want %+v", form, fm.Config, tiny)
			}
			scales, err := quant.Calibrate(fm, samples)
			if err != nil {
				t.Fatal(err)
			}
			qm, err := quant.Quantize(fm, scales)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range samples {
				want := evalGraph(t, data, x, tiny.SeqLen)
				ft, err := fm.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				// The float import is the graph up to float32 weight rounding.
				for i, v := range ft.Output.RawMatrix().Data {
					if math.Abs(v-want[i]) > 1e-5 {
						t.Fatalf("%s: float output %d = %v, graph says %v", form, i, v, want[i])
					}
				}
				q, err := qm.QuantizeInput(x)
				if err != nil {
					t.Fatal(err)
				}
				tr, err := qm.Forward(q)
				if err != nil {
					t.Fatal(err)
				}
				got := qm.DequantizeOutput(tr.Y)
				// The documented bound of the quant tests: every layer within
				// 10% of the tensor's largest magnitude.
				mx, worst := 0.0, 0.0
				for i := range want {
					mx = math.Max(mx, math.Abs(want[i]))
					worst = math.Max(worst, math.Abs(got[i]-want[i]))
				}
				if worst > 0.1*mx {
					t.Fatalf("%s: integer output off by %v (largest magnitude %v)", form, worst, mx)
				}
			}
		}
	}
}

func TestRejects(t *testing.T) {
	data, err := onnx.EncodeFFN(quant.RandomModel(tiny, 1), onnx.FormMatMul, false)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(g *onnxpb.GraphProto)) []byte {
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(data, &mp); err != nil {
			t.Fatal(err)
		}
		f(mp.GetGraph())
		out, err := proto.Marshal(&mp)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"softmax", edit(func(g *onnxpb.GraphProto) { g.Node[2].OpType = proto.String("Softmax") }),
			`found 2 linear layers (MatMul or Gemm by a constant), a GPT-2 stack has 4 per block`},
		{"sigmoid", edit(func(g *onnxpb.GraphProto) { g.Node[2].OpType = proto.String("Sigmoid") }),
			`onnx: node 2 "/act/Relu" (op Sigmoid): invalid input: op type Sigmoid is not supported (supported: ffn blocks: Add, Constant, Gemm, Identity, MatMul, Relu; GPT-2 blocks: Add, Cast,`},
		{"no residual", edit(func(g *onnxpb.GraphProto) { g.Node = g.Node[:5]; g.Output[0].Name = proto.String("/fc2/output_0") }),
			`the output is linear, want the residual Add`},
		{"no relu", edit(func(g *onnxpb.GraphProto) {
			g.Node[3].Input[0] = "/fc1/output_0"
			g.Node = append(g.Node[:2], g.Node[3:]...)
		}),
			`want Relu before the second linear layer, got linear`},
		{"two inputs", edit(func(g *onnxpb.GraphProto) { g.Input = append(g.Input, g.Input[0]) }), `2 inputs`},
		{"external data", edit(func(g *onnxpb.GraphProto) {
			g.Initializer[0].DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
		}), `external tensor data is not supported`},
		{"short data", edit(func(g *onnxpb.GraphProto) { g.Initializer[0].RawData = g.Initializer[0].RawData[1:] }), `data bytes for shape`},
		{"custom domain", edit(func(g *onnxpb.GraphProto) { g.Node[0].Domain = proto.String("com.microsoft") }), `operator domain "com.microsoft"`},
		{"not onnx", []byte("hello, world"), `invalid input`},
		{"empty", nil, `the model has no graph`},
	} {
		_, err := onnx.Parse(c.data, onnx.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, quant.ErrValidation) && !errors.Is(err, quant.ErrShape) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, form := range []string{onnx.FormMatMul, onnx.FormGemm} {
		data, err := onnx.EncodeFFN(quant.RandomModel(tiny, 1), form, true)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	gpt2, err := onnx.EncodeGPT2(quant.RandomModel(tinyGPT2, 1), onnx.GELUTanh)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gpt2)
	f.Add([]byte{})
	// A real torch export, whole and cut. (The GPT-2 exports, 43–56 KB, make
	// the fuzzer spend minutes minimizing each new input.)
	real, err := os.ReadFile(filepath.Join(torchDir, "ffn_op13_dyn.onnx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(real[:len(real)*2/3])
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := onnx.Parse(data, onnx.Options{SeqLen: 2})
		if err == nil {
			if err := fm.Config.Validate(); err != nil {
				t.Fatalf("imported an invalid config: %v", err)
			}
		}
	})
}

var tinyGPT2 = quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 4, NHead: 2, NLayer: 2,
	Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}

func TestImportGPT2(t *testing.T) {
	erfCfg := tinyGPT2
	erfCfg.Activation = quant.ActivationGELUErf
	samples := quant.RandomSamples(tinyGPT2, 8, 22)
	for _, c := range []struct {
		cfg  quant.Config
		form string
	}{
		{tinyGPT2, onnx.GELUTanh}, {tinyGPT2, onnx.GELUFused}, {tinyGPT2, onnx.GELUAddmm},
		{erfCfg, onnx.GELUErf}, {erfCfg, onnx.GELUFused},
	} {
		form := c.cfg.Activation + "/" + c.form
		data, err := onnx.EncodeGPT2(quant.RandomModel(c.cfg, 21), c.form)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := onnx.Parse(data, onnx.Options{}); err == nil || !strings.Contains(err.Error(), "--seq-len") {
			t.Fatalf("%s: dynamic axis without a length: %v", form, err)
		}
		fm, err := onnx.Parse(data, onnx.Options{SeqLen: 4})
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if fm.Config != c.cfg {
			t.Fatalf("%s: config %+v, want %+v", form, fm.Config, c.cfg)
		}
		if fm2, err := onnx.Parse(data, onnx.Options{InputValues: 4 * 8}); err != nil || fm2.Config != c.cfg {
			t.Fatalf("%s: sequence length from the input's values: %v", form, err)
		}
		// The importer checked the float model against the graph; check the
		// integer reference against the float model, as the quant tests do.
		scales, err := quant.Calibrate(fm, samples)
		if err != nil {
			t.Fatal(err)
		}
		qm, err := quant.Quantize(fm, scales)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := quant.Accuracy(fm, qm, samples)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range rep.Layers {
			if l.Rel > 0.15 {
				t.Errorf("%s: layer %s off by %.1f%%", form, l.Layer, 100*l.Rel)
			}
		}
	}
	// A GELU of neither form, 0.5·x·(1 + tanh(x/√2)), is rejected.
	data, err := onnx.EncodeGPT2(quant.RandomModel(erfCfg, 21), onnx.GELUErf)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.GetGraph().GetNode() {
		if n.GetOpType() == "Erf" {
			n.OpType = proto.String("Tanh")
		}
	}
	if _, err := onnx.Import(&mp, onnx.Options{SeqLen: 4}); err == nil || !strings.Contains(err.Error(), "does not compute one") {
		t.Fatalf("tanh(x/√2) GELU: got %v, want a rejection", err)
	}
	if _, err := onnx.Import(&mp, onnx.Options{InputValues: 4*8 + 1}); err == nil || !strings.Contains(err.Error(), "not a whole number of rows") {
		t.Fatalf("input of 33 values: got %v", err)
	}
}
