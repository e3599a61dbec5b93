package ops_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The quantized embedding's outputs are exactly the quantized table rows
// of the ids, at the table's own scale; the model survives its file form.
func TestGatherIsTableRows(t *testing.T) {
	fm, err := ops.ExampleEmbedding(3)
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
	q := m.Graph.Nodes[0].Op.(*ops.QGather)
	table := fm.Graph.Nodes[0].Op.(*ops.Gather).Table.T
	e := m.Graph.Values[m.Graph.Nodes[0].Out[0]]
	for i, x := range table.Data {
		if got, want := int64(q.Table[i]), quant.QuantizeValue(x, e.Frac); got != want {
			t.Fatalf("table entry %d: %d, want %d", i, got, want)
		}
	}
	tr, err := m.Forward([][]int64{{7, 0, 7, 2}})
	if err != nil {
		t.Fatal(err)
	}
	got := tr.Values[m.Graph.Nodes[0].Out[0]]
	for k, id := range []int{7, 0, 7, 2} {
		for j := range 6 {
			if got[k*6+j] != int64(q.Table[id*6+j]) {
				t.Fatalf("row %d (id %d) column %d: %d, want %d", k, id, j, got[k*6+j], q.Table[id*6+j])
			}
		}
	}
	// Float reference: the rows themselves; the quantized rows are within
	// half a step of them (no saturation: the table sets the scale).
	fv, err := fm.Graph.Eval([]float64{7, 0, 7, 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range fv[m.Graph.Nodes[0].Out[0]] {
		if d := x - quant.DequantizeValue(got[i], e.Frac); d > 0.5/float64(int(1)<<e.Frac)+1e-12 || -d > 0.5/float64(int(1)<<e.Frac)+1e-12 {
			t.Fatalf("value %d: float %v, integer %v", i, x, quant.DequantizeValue(got[i], e.Frac))
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back quant.Model
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	c1, _ := quant.CommitString(m)
	c2, _ := quant.CommitString(&back)
	if c1 != c2 {
		t.Fatalf("commitment after the file round trip: %s, want %s", c2, c1)
	}
	if _, err := m.Forward([][]int64{{8, 0, 0, 0}}); !errors.Is(err, quant.ErrRange) {
		t.Fatalf("id 8 for ids within [0, 7]: %v", err)
	}
}

// Tables beyond 2^22 entries are refused with a clear error by gather
// (Pack 1; by default they become gather_packed), before anything is
// allocated by their size; ids must be an index input within the table.
func TestGatherRefusals(t *testing.T) {
	big := ops.NewGather(&quant.FloatTensor{Shape: []int{1 << 12, 1<<10 + 1}})
	if _, err := big.OutShapes([][]int{{4}}); err != nil {
		t.Fatalf("a table of 2^22 + 2^12 entries, packed by default: %v", err)
	}
	big.Pack = 1
	if _, err := big.OutShapes([][]int{{4}}); err == nil || !strings.Contains(err.Error(), "at most 4194304 entries") {
		t.Fatalf("a table of 2^22 + 2^12 entries: %v", err)
	}
	q := &ops.QGather{V: 1 << 12, D: 1<<10 + 1}
	ids := quant.Value{Name: "ids", Shape: []int{4}, DType: quant.DTypeIndex, Lo: 0, Hi: 10}
	if err := q.Check([]quant.Value{ids}, []quant.Value{{Shape: []int{4, 1<<10 + 1}, Lo: -128, Hi: 127}}); err == nil {
		t.Fatal("QGather.Check accepted a table beyond 2^22 entries")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{4}); err != nil {
		t.Fatal(err)
	}
	if err := b.Node("embed", ops.NewGather(randTensor(rng, 1, 10, 3)), []string{"x"}, []string{"y"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Output("y"); err != nil {
		t.Fatal(err)
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.NewGraphModel(g)
	if err != nil {
		t.Fatal(err)
	}
	s, err := quant.Calibrate(fm, [][]float64{{0, 1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Quantize(fm, s); err == nil || !strings.Contains(err.Error(), "index input") {
		t.Fatalf("gather of a real input: %v", err)
	}
	// ids declared beyond the table
	b = quant.NewGraphBuilder()
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{4}, DType: quant.DTypeIndex, Hi: 10}); err != nil {
		t.Fatal(err)
	}
	if err := b.Node("embed", ops.NewGather(randTensor(rng, 1, 10, 3)), []string{"ids"}, []string{"y"}); err != nil {
		t.Fatal(err)
	}
	_ = b.Output("y")
	g, _ = b.Build()
	fm, _ = quant.NewGraphModel(g)
	s, err = quant.Calibrate(fm, [][]float64{{0, 1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Quantize(fm, s); err == nil {
		t.Fatal("ids within [0, 10] for a table of 10 rows were accepted")
	}
	// Index inputs must declare bounds.
	if err := quant.NewGraphBuilder().TypedInput(quant.GraphInput{Name: "ids", Shape: []int{4}, DType: quant.DTypeIndex}); err == nil {
		t.Fatal("an index input without hi was accepted")
	}
}
