package quant_test

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Known answers of the parts encodings (IndexTag, IOTag, PackUint24,
// HashIndex, HashParts, PackParts), for other implementations: a change
// here breaks every recorded input/output commitment of a model with
// several inputs or index inputs.
func TestPartsKnownAnswers(t *testing.T) {
	must := func(e fr.Element, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return quant.FormatCommitment(e)
	}
	parts := []quant.IOPart{{Name: "a", Shape: []int{2}, Lo: -128, Hi: 127}, {Name: "ids", Shape: []int{3}, DType: quant.DTypeIndex, Lo: 0, Hi: 99}}
	vals := [][]int64{{-128, 127}, {0, 5, 99}}
	seven := fr.NewElement(7)
	for name, c := range map[string]struct{ got, want string }{
		// "zkinfer.index24" ‖ n (8 bytes)
		"IndexTag(5)": {must(quant.IndexTag(5)), "poseidon2:0x0000000000000000007a6b696e6665722e696e64657832340000000000000005"},
		// "zkinfer.io" ‖ s ‖ k (8 bytes)
		"IOTag(2, unsalted)":        {must(quant.IOTag(2, false)), "poseidon2:0x000000000000000000000000007a6b696e6665722e696f000000000000000002"},
		"IOTag(3, salted)":          {must(quant.IOTag(3, true)), "poseidon2:0x000000000000000000000000007a6b696e6665722e696f010000000000000003"},
		"HashIndex[0,1,2^24-1]":     {must(quant.HashIndex([]int64{0, 1, 1<<24 - 1})), "poseidon2:0x0d2a26716df7842e1b573fa232d2d6c147b9e6629d5a35cd6f03abe5a5f7c678"},
		"HashParts(int8, index)":    {must(quant.HashParts(parts, vals, nil)), "poseidon2:0x2162eacb19dc875d2312e97fcabfb0c752a2c094ef9025eff3fbd849bdb2b6d5"},
		"HashParts salt 7":          {must(quant.HashParts(parts, vals, &seven)), "poseidon2:0x185a6cc35117d683e8c0778b37047b35f27897345f23a6642342b3c47597e0a4"},
		"HashParts one int8 part":   {must(quant.HashParts(parts[:1], vals[:1], nil)), must(quant.HashPacked(vals[0], nil))},
		"HashParts one int8 salted": {must(quant.HashParts(parts[:1], vals[:1], &seven)), must(quant.HashPacked(vals[0], &seven))},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", name, c.got, c.want)
		}
	}
	p, err := quant.PackUint24([]int64{0, 1, 1<<24 - 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x %x", p[0], p[1]); got != "8000007000006000005000004000003000002ffffff000001000000 a000009" {
		t.Errorf("PackUint24: %s", got)
	}
	pp, err := quant.PackParts(parts, vals)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x %x", pp[0], pp[1]); got != "ff00 63000005000000" {
		t.Errorf("PackParts: %s", got)
	}
	for _, bad := range [][]int64{{-1}, {1 << 24}} {
		if _, err := quant.PackUint24(bad); !errors.Is(err, quant.ErrRange) {
			t.Errorf("PackUint24(%v): %v", bad, err)
		}
	}
	if _, err := quant.HashParts(parts, [][]int64{{0, 0}, {0, 100, 0}}, nil); !errors.Is(err, quant.ErrRange) {
		t.Errorf("HashParts of an id above hi: %v", err)
	}
	// Distinct kinds of tags never collide: distinct bit lengths.
	tt, _ := quant.TensorTag(5, false)
	it, _ := quant.IndexTag(5)
	io, _ := quant.IOTag(5, false)
	lens := map[int]string{}
	for name, e := range map[string]fr.Element{"tensor": tt, "index": it, "io": io} {
		n := e.BigInt(new(big.Int)).BitLen()
		if other, dup := lens[n]; dup {
			t.Errorf("%s and %s tags have %d bits both", name, other, n)
		}
		lens[n] = name
	}
}

// Index values flow only into op inputs that declare them; dtypes are
// checked per kind.
func TestGraphIndexValidation(t *testing.T) {
	m := embeddingModel(t)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	ids := m.Graph.Inputs[0]
	if v := m.Graph.Values[ids]; v.DType != quant.DTypeIndex || v.Lo != 0 || v.Hi != 7 || v.Frac != 0 {
		t.Fatalf("ids value %+v", v)
	}
	for name, mutate := range map[string]func(g *quant.Graph){
		"index into linear": func(g *quant.Graph) {
			// the linear node reads e; make e an index value
			g.Values[g.Nodes[1].In[0]].DType = quant.DTypeIndex
			g.Values[g.Nodes[1].In[0]].Lo, g.Values[g.Nodes[1].In[0]].Hi, g.Values[g.Nodes[1].In[0]].Frac = 0, 5, 0
		},
		"index with frac":     func(g *quant.Graph) { g.Values[ids].Frac = 2 },
		"index above max":     func(g *quant.Graph) { g.Values[ids].Hi = quant.MaxIndex + 1 },
		"negative index":      func(g *quant.Graph) { g.Values[ids].Lo = -1 },
		"unknown dtype":       func(g *quant.Graph) { g.Values[ids].DType = "int16" },
		"ids as int8":         func(g *quant.Graph) { g.Values[ids].DType = ""; g.Values[ids].Hi = 7 },
		"ids beyond table":    func(g *quant.Graph) { g.Values[ids].Hi = 10 },
		"output listed twice": func(g *quant.Graph) { g.Outputs = append(g.Outputs, g.Outputs[0]) },
	} {
		g := cloneGraph(m.Graph)
		mutate(g)
		if err := g.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func cloneGraph(g *quant.Graph) *quant.Graph {
	c := *g
	c.Values = append([]quant.Value(nil), g.Values...)
	c.Outputs = append([]int(nil), g.Outputs...)
	return &c
}

func embeddingModel(t *testing.T) *quant.Model {
	t.Helper()
	fm, err := ops.ExampleEmbedding(5)
	if err != nil {
		t.Fatal(err)
	}
	s, err := quant.Calibrate(fm, [][]float64{{0, 1, 2, 3}, {4, 5, 6, 7}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func multiIOModel(t *testing.T) *quant.Model {
	t.Helper()
	fm, err := ops.ExampleMultiIO(4)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 24)
	for i := range 16 {
		x[i] = float64(i%5)/4 - 0.5
	}
	x[16], x[20] = 1, 1
	s, err := quant.Calibrate(fm, [][]float64{x})
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Input files: EZKL's input_data (one flattened array per graph input) for
// several inputs, a list of such samples for calibration, integers for
// index inputs, true/false/0/1 for booleans, clear errors naming the input.
func TestParseInputParts(t *testing.T) {
	mm := multiIOModel(t)
	em := embeddingModel(t)
	a8 := "[0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4]"
	mask := "[true, false, 1, 0, true, true, false, false]"
	one := fmt.Sprintf(`{"input_data": [%s, %s, %s]}`, a8, a8, mask)
	in, err := quant.ParseInputParts([]byte(one), mm.InputParts())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.InputData) != 1 || len(in.InputData[0]) != 24 || in.InputData[0][16] != 1 || in.InputData[0][17] != 0 {
		t.Fatalf("one sample: %v", in.InputData)
	}
	two := fmt.Sprintf(`{"input_data": [[%s, %s, %s], [%s, %s, %s]]}`, a8, a8, mask, a8, a8, mask)
	if in, err = quant.ParseInputParts([]byte(two), mm.InputParts()); err != nil || len(in.InputData) != 2 {
		t.Fatalf("two samples: %v %v", in, err)
	}
	xq, err := mm.QuantizeInput(in.InputData[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mm.Forward(xq)
	if err != nil || len(tr.Outputs) != 2 || tr.Y != nil || tr.X != nil {
		t.Fatalf("forward: %v %+v", err, tr)
	}
	ids, err := quant.ParseInputParts([]byte(`{"input_data": [[0, 7, 3, 3], [1, 2, 3, 4]]}`), em.InputParts())
	if err != nil || len(ids.InputData) != 2 {
		t.Fatalf("ids: %v %v", ids, err)
	}
	for name, c := range map[string]struct {
		model *quant.Model
		data  string
		want  string
	}{
		"id not an integer": {em, `{"input_data": [[0, 1.5, 3, 3]]}`, `input "ids" value 1 = 1.5 is not an integer`},
		"id out of range":   {em, `{"input_data": [[0, 8, 3, 3]]}`, `input "ids" value 1 = 8 is not within [0, 7]`},
		"id negative":       {em, `{"input_data": [[0, -1, 3, 3]]}`, `input "ids" value 1 = -1 is not within [0, 7]`},
		"id as bool":        {em, `{"input_data": [[0, true, 3, 3]]}`, `input "ids" value 1 is true; the input is index`},
		"ids too few":       {em, `{"input_data": [[0, 1, 3]]}`, `input "ids" has 3 values, it takes [4] = 4`},
		"mask 2":            {mm, fmt.Sprintf(`{"input_data": [%s, %s, [2, 0, 0, 0, 0, 0, 0, 0]]}`, a8, a8), `input "mask" value 0 = 2 is not within [0, 1]`},
		"real as bool":      {mm, fmt.Sprintf(`{"input_data": [[true, 0, 0, 0, 0, 0, 0, 0], %s, %s]}`, a8, mask), `input "a" value 0 is true; the input is int8`},
		"missing input":     {mm, fmt.Sprintf(`{"input_data": [%s, %s]}`, a8, a8), `has 2 arrays, the graph has 3 inputs`},
		"string":            {mm, fmt.Sprintf(`{"input_data": [["x", 0, 0, 0, 0, 0, 0, 0], %s, %s]}`, a8, mask), `input "a" value 0: "x" is not a number`},
		"empty":             {mm, `{"input_data": []}`, `input_data is empty`},
	} {
		_, err := quant.ParseInputParts([]byte(c.data), c.model.InputParts())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	// The quantizer refuses what the parser would (callers that bypass it).
	if _, err := em.QuantizeInput([]float64{0, 9, 1, 1}); err == nil {
		t.Error("QuantizeInput accepted id 9")
	}
}

// Input files for parts never panic, and what they accept has one value per
// input value, integers within bounds for index and boolean inputs.
func FuzzParseInputParts(f *testing.F) {
	for _, s := range []string{
		`{"input_data": [[0.5, 1, 2], [3, 1], [true, false]]}`,
		`{"input_data": [[[0.5, 1, 2], [3, 1], [1, 0]], [[0, 0, 0], [0, 0], [0, 0]]]}`,
		`{"input_data": [[0.5, 1, 2], [3, 1.5], [true, 2]]}`,
		`{"input_data": [[], [], []]}`,
		`{"input_data": [[[1e400]]]}`,
	} {
		f.Add([]byte(s))
	}
	parts := []quant.IOPart{
		{Name: "x", Shape: []int{3}, Lo: -128, Hi: 127, Frac: 4},
		{Name: "ids", Shape: []int{2}, DType: quant.DTypeIndex, Lo: 0, Hi: 9},
		{Name: "mask", Shape: []int{2}, Lo: 0, Hi: 1},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := quant.ParseInputParts(data, parts)
		if err != nil {
			return
		}
		for _, x := range in.InputData {
			if len(x) != 7 {
				t.Fatalf("a sample of %d values", len(x))
			}
			for j, v := range x[3:] {
				hi := 9.0
				if j >= 2 {
					hi = 1
				}
				if v != float64(int64(v)) || v < 0 || v > hi {
					t.Fatalf("integer value %d = %v accepted", j, v)
				}
			}
		}
	})
}
