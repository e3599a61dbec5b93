package ops_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func MixedGraph(t testing.TB, seed uint64) *quant.FloatModel {
	t.Helper()
	fm, err := ops.ExampleGraph(seed)
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

func randTensor(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
	for i := range t.Data {
		t.Data[i] = (rng.Float64()*2 - 1) * scale
	}
	return t
}

func samples(rng *rand.Rand, n, size int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = randTensor(rng, 1, size).Data
	}
	return out
}

// calibrated calibrates fm on cal and quantizes it.
func calibrated(t testing.TB, fm *quant.FloatModel, cal [][]float64) *quant.Model {
	t.Helper()
	s, err := quant.Calibrate(fm, cal)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The integer graph follows the float graph within a few quantization steps.
func TestGraphQuantizesClose(t *testing.T) {
	quantizedClose(t, MixedGraph(t, 1), rand.New(rand.NewPCG(2, 2)), 16, 0.15)
}

// A quantized graph survives its file form: same integers, same commitment;
// a changed weight changes the commitment.
func TestGraphModelRoundTrip(t *testing.T) {
	fm := MixedGraph(t, 3)
	s, err := quant.Calibrate(fm, samples(rand.New(rand.NewPCG(4, 4)), 8, 16))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := quant.CommitString(m)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := quant.CommitString(m2)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 {
		t.Fatalf("commitment changed over the file form: %s vs %s", c1, c2)
	}
	m2.Graph.Nodes[0].Op.(*ops.QLinear).W[3] ^= 1
	if c3, _ := quant.CommitString(m2); c3 == c1 {
		t.Fatal("a changed weight kept the commitment")
	}
	// The float model survives its files too (config.json + safetensors).
	st, err := quant.EncodeSafetensors(fm)
	if err != nil {
		t.Fatal(err)
	}
	cfgJSON, err := json.Marshal(fm.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := quant.ParseConfig(cfgJSON)
	if err != nil {
		t.Fatal(err)
	}
	fm2, err := quant.ParseModel(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := samples(rand.New(rand.NewPCG(5, 5)), 1, 16)[0]
	a, _ := fm.Graph.Eval(x)
	b, err := fm2.Graph.Eval(x)
	if err != nil {
		t.Fatal(err)
	}
	out := fm.Graph.Outputs[0]
	for i := range a[out] {
		if math.Abs(a[out][i]-b[out][i]) > 1e-5 {
			t.Fatalf("float model changed over its files: %v vs %v", a[out][i], b[out][i])
		}
	}
}

// Model files are untrusted: unknown ops and fields, bad wiring and shapes
// are refused with errors.
func TestGraphValidateRefuses(t *testing.T) {
	fm := MixedGraph(t, 6)
	s, _ := quant.Calibrate(fm, samples(rand.New(rand.NewPCG(7, 7)), 4, 16))
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(m)
	var doc map[string]any
	for name, mutate := range map[string]func(g map[string]any){
		"unknown op":     func(g map[string]any) { node(g, 0)["op"] = "frobnicate" },
		"unknown attr":   func(g map[string]any) { node(g, 1)["attrs"].(map[string]any)["extra"] = 1 },
		"forward ref":    func(g map[string]any) { node(g, 0)["in"] = []any{5} },
		"twice produced": func(g map[string]any) { node(g, 1)["out"] = []any{1} },
		"shape":          func(g map[string]any) { val(g, 1)["shape"] = []any{2, 15} },
		"huge shape":     func(g map[string]any) { val(g, 0)["shape"] = []any{1 << 20, 1 << 20} },
		"rank":           func(g map[string]any) { val(g, 0)["shape"] = []any{1, 1, 1, 1, 1, 1, 1, 16} },
		"frac":           func(g map[string]any) { val(g, 2)["frac"] = 99 },
		"bounds":         func(g map[string]any) { val(g, 1)["lo"] = -128 },
		"table entry":    func(g map[string]any) { node(g, 1)["attrs"].(map[string]any)["table"].([]any)[0] = 500 },
		"short table":    func(g map[string]any) { node(g, 1)["attrs"].(map[string]any)["table"] = []any{1} },
		"binary shifts":  func(g map[string]any) { node(g, 3)["attrs"].(map[string]any)["shift"] = 7 },
		"binary op":      func(g map[string]any) { node(g, 3)["attrs"].(map[string]any)["op"] = "div" },
		"transpose perm": func(g map[string]any) { node(g, 4)["attrs"].(map[string]any)["perm"] = []any{0, 0} },
		"reshape size":   func(g map[string]any) { node(g, 5)["attrs"].(map[string]any)["shape"] = []any{15} },
		"two inputs":     func(g map[string]any) { g["inputs"] = []any{0, 1} },
		"no output":      func(g map[string]any) { g["outputs"] = []any{99} },
	} {
		if err := json.Unmarshal(good, &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc["graph"].(map[string]any))
		bad, _ := json.Marshal(doc)
		if _, err := quant.ParseModelJSON(bad); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func node(g map[string]any, i int) map[string]any { return g["nodes"].([]any)[i].(map[string]any) }
func val(g map[string]any, i int) map[string]any  { return g["values"].([]any)[i].(map[string]any) }

// Every registered op has a kind, an ID and both constructors.
func TestRegistry(t *testing.T) {
	seen := map[int64]bool{}
	for _, info := range quant.RegisteredOps() {
		if info.Kind == "" || info.New == nil || info.NewFloat == nil || info.Doc == "" || seen[info.ID] {
			t.Errorf("bad registration %+v", info)
		}
		seen[info.ID] = true
		if info.New().Kind() != info.Kind || info.NewFloat().Kind() != info.Kind {
			t.Errorf("%s: constructors make another kind", info.Kind)
		}
	}
}

// quantizedClose calibrates fm on 32 samples of size values, quantizes it,
// and checks every layer's relative error on 16 other samples stays below
// maxRel; it returns the model.
func quantizedClose(t *testing.T, fm *quant.FloatModel, rng *rand.Rand, size int, maxRel float64) *quant.Model {
	t.Helper()
	m := calibrated(t, fm, samples(rng, 32, size))
	rep, err := quant.Accuracy(fm, m, samples(rng, 16, size))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Layers {
		t.Logf("%-6s max abs %.4f rel %.3f", l.Layer, l.MaxAbs, l.Rel)
		if l.Rel > maxRel {
			t.Errorf("%s: relative error %.3f", l.Layer, l.Rel)
		}
	}
	return m
}
