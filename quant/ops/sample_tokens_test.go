package ops_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// sample_tokens as a float op in a graph with a seed input: quantized, its
// table is the temperature's at the logits' format; the integer pass
// accepts exactly the step-by-step samples; the model file round-trips and
// the table is in the commitment.
func TestSampleTokensFloatOp(t *testing.T) {
	const seq, v = 6, 12
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m := sampleTokensModel(t, seq, v, &ops.SampleTokens{From: 1, Count: 4, TopK: 5, Temperature: 0.7}, rand.New(rand.NewPCG(4, 4)), true)
	n := m.Graph.Nodes[len(m.Graph.Nodes)-1]
	op := n.Op.(*ops.SampleTokens)
	logits := m.Graph.Values[n.In[0]]
	if !slices.Equal(op.Weights, ops.SampleWeights(0.7, logits.Frac)) {
		t.Fatalf("table %v", op.Weights[:4])
	}
	// Step by step with the integer graph's logits, then the one pass.
	const seed = 777
	ids := []int64{3, 8}
	for k := range 4 {
		x := make([]int64, seq)
		copy(x, ids)
		ids = append(ids, ops.Sampled(forwardLogits(t, m, x, seed), v, 1+k, 1, op.TopK, op.Weights, seed)[0])
	}
	x := slices.Clone(ids[:seq])
	x[4] = (x[4] + 1) % v // not the third sample: the pass refuses
	if _, err := m.Forward([][]int64{x, {seed}}); err == nil {
		t.Fatal("a changed sampled token was accepted")
	}
	tr, err := m.Forward([][]int64{ids[:seq], {seed}})
	must(err)
	if !slices.Equal(tr.Outputs[0], ids[2:]) {
		t.Fatalf("one pass %v, step by step %v", tr.Outputs[0], ids[2:])
	}
	data, err := json.Marshal(m)
	must(err)
	back, err := quant.ParseModelJSON(data)
	must(err)
	c1, err := quant.Commit(m)
	must(err)
	c2, err := quant.Commit(back)
	must(err)
	if c1 != c2 {
		t.Fatal("the model file does not round-trip")
	}
	op.Weights[200]--
	c3, err := quant.Commit(m)
	must(err)
	if c3 == c1 {
		t.Fatal("the weight table is not in the commitment")
	}
}

// sampleTokensModel is a quantized graph ids (1×seq, tokens < v), seed →
// gather (v×4) → linear (4×v) → op (on logits, ids, seed), its weights
// drawn from rng, calibrated on 8 random id rows whose seed is drawn below
// 1000 where calSeed, else 0.
func sampleTokensModel(t *testing.T, seq, v int, op *ops.SampleTokens, rng *rand.Rand, calSeed bool) *quant.Model {
	t.Helper()
	rnd := func(shape ...int) *quant.FloatTensor {
		x := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
		for i := range x.Data {
			x.Data[i] = rng.Float64()*2 - 1
		}
		return x
	}
	b := quant.NewGraphBuilder()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(v - 1)}))
	must(b.TypedInput(quant.GraphInput{Name: "seed", Shape: []int{1}, DType: quant.DTypeIndex, Hi: quant.MaxIndex}))
	must(b.Node("e", ops.NewGather(rnd(v, 4)), []string{"ids"}, []string{"e"}))
	must(b.Node("logits", ops.NewLinear(rnd(4, v), rnd(v), false), []string{"e"}, []string{"logits"}))
	must(b.Node("s", op, []string{"logits", "ids", "seed"}, []string{"s"}))
	must(b.Output("s"))
	g, err := b.Build()
	must(err)
	fm, err := quant.NewGraphModel(g)
	must(err)
	var cal [][]float64
	for range 8 {
		x := make([]float64, seq+1)
		for i := range seq {
			x[i] = float64(rng.IntN(v))
		}
		if calSeed {
			x[seq] = float64(rng.IntN(1000))
		}
		cal = append(cal, x)
	}
	return calibrated(t, fm, cal)
}

// forwardLogits runs m's graph up to its sample_tokens node's logits.
func forwardLogits(t *testing.T, m *quant.Model, ids []int64, seed int64) []int64 {
	t.Helper()
	g := *m.Graph
	n := g.Nodes[len(g.Nodes)-1]
	g.Nodes = g.Nodes[:len(g.Nodes)-1]
	g.Outputs = []int{n.In[0]}
	vals, err := g.Forward(ids, []int64{seed})
	if err != nil {
		t.Fatal(err)
	}
	return vals[n.In[0]]
}

// The verifier prints a sampling model's temperature (verify --model), but
// the commitment binds only the weight table: a model file whose
// temperature field was edited (same table, same commitment) or whose
// table is not that temperature's (an imported or hand-made table) must
// not load, so the temperature shown is the table's.
func TestSampleTokensTemperatureBound(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m := sampleTokensModel(t, 5, 10, &ops.SampleTokens{From: 1, Count: 3, TopK: 4, Temperature: 1.3}, rand.New(rand.NewPCG(9, 9)), false)
	op := m.Graph.Nodes[len(m.Graph.Nodes)-1].Op.(*ops.SampleTokens)
	c0, err := quant.Commit(m)
	must(err)
	load := func(name string, edit func(*ops.SampleTokens), ok bool) {
		t.Helper()
		keep := *op
		keep.Weights = slices.Clone(op.Weights)
		defer func() { *op = keep }()
		edit(op)
		data, err := json.Marshal(m)
		must(err)
		_, err = quant.ParseModelJSON(data)
		switch {
		case ok && err != nil:
			t.Errorf("%s: refused: %v", name, err)
		case !ok && err == nil:
			c, _ := quant.Commit(m)
			t.Errorf("%s: loaded (commitment unchanged: %v), the verifier would print temperature %g", name, c == c0, op.Temperature)
		case !ok:
			t.Logf("%s: %v", name, err)
		}
	}
	load("honest", func(*ops.SampleTokens) {}, true)
	load("temperature edited", func(o *ops.SampleTokens) { o.Temperature = 0.1 }, false)
	load("temperature slightly edited", func(o *ops.SampleTokens) { o.Temperature = 1.2 }, false)
	load("greedy table at temperature 1.3", func(o *ops.SampleTokens) {
		for d := 1; d < len(o.Weights); d++ {
			o.Weights[d] = 0
		}
	}, false)
	load("flat table at temperature 1.3", func(o *ops.SampleTokens) {
		for d := range o.Weights {
			o.Weights[d] = ops.SampleWeightOne
		}
	}, false)
	// A last-ulp difference of exp between machines may move an entry by
	// one: still that temperature's table.
	load("an entry off by one", func(o *ops.SampleTokens) {
		for d := 1; d < len(o.Weights); d++ {
			if o.Weights[d] > 0 && o.Weights[d] < o.Weights[d-1] {
				o.Weights[d]--
				return
			}
		}
	}, true)
}

// sample_tokens_rows (ID 84) is sample_tokens on the checked rows only:
// on random int8 logits, for several seeds, top-k and temperatures, the
// sliced op over rows From … From + Count − 1 samples exactly the unsliced
// op's tokens (integer and float rule: the draw hashes the position From +
// k, not the row k), and both refuse ids that do not follow them. The
// kinds decode to the right form.
func TestSampleTokensRows(t *testing.T) {
	const seq, v, from, count = 9, 30, 3, 5
	rng := rand.New(rand.NewPCG(84, 1))
	logits := make([]int64, seq*v)
	for i := range logits {
		logits[i] = rng.Int64N(256) - 128
	}
	rows := logits[from*v : (from+count)*v]
	for _, c := range []struct {
		topK int
		temp float64
		seed int64
	}{{5, 0.9, 42}, {v, 1.3, 7}, {1, 1, 3}, {12, 0.4, 1 << 20}, {2, 2.5, quant.MaxIndex}} {
		w := ops.SampleWeights(c.temp, 4)
		full := &ops.SampleTokens{From: from, Count: count, TopK: c.topK, Temperature: c.temp, Weights: w}
		sliced := &ops.SampleTokens{From: from, Count: count, TopK: c.topK, Temperature: c.temp, Weights: w, Sliced: true}
		want := ops.Sampled(logits, v, from, count, c.topK, w, c.seed)
		if got := full.Sample(logits, v, c.seed); !slices.Equal(got, want) {
			t.Fatalf("unsliced Sample %v, Sampled %v", got, want)
		}
		if got := sliced.Sample(rows, v, c.seed); !slices.Equal(got, want) {
			t.Fatalf("top-k %d, temperature %v, seed %d: sliced %v, unsliced %v", c.topK, c.temp, c.seed, got, want)
		}
		ids := make([]int64, seq)
		for i := range ids {
			ids[i] = rng.Int64N(v)
		}
		for k := range count - 1 {
			ids[from+k+1] = want[k]
		}
		idsT := &quant.Tensor{Shape: []int{1, seq}, Data: ids}
		seedT := &quant.Tensor{Shape: []int{1}, Data: []int64{c.seed}}
		a, err := full.Forward([]*quant.Tensor{{Shape: []int{1, seq, v}, Data: logits}, idsT, seedT}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sliced.Forward([]*quant.Tensor{{Shape: []int{1, count, v}, Data: rows}, idsT, seedT}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a[0].Data, want) || !slices.Equal(b[0].Data, want) {
			t.Fatalf("Forward: unsliced %v, sliced %v, want %v", a[0].Data, b[0].Data, want)
		}
		if count > 1 && c.topK > 1 {
			bad := &quant.Tensor{Shape: idsT.Shape, Data: slices.Clone(ids)}
			bad.Data[from+1] = (bad.Data[from+1] + 1) % v
			if _, err := sliced.Forward([]*quant.Tensor{{Shape: []int{1, count, v}, Data: rows}, bad, seedT}, nil); err == nil {
				t.Fatal("sliced: a changed sampled token was accepted")
			}
		}
		// The float rule (calibration) reads the same rows.
		fl := func(x []int64, shape ...int) *quant.FloatTensor {
			f := &quant.FloatTensor{Shape: shape, Data: make([]float64, len(x))}
			for i, e := range x {
				f.Data[i] = float64(e) / 16
			}
			return f
		}
		fid := &quant.FloatTensor{Shape: []int{1, seq}, Data: make([]float64, seq)}
		fseed := &quant.FloatTensor{Shape: []int{1}, Data: []float64{float64(c.seed)}}
		fa, err := full.Eval([]*quant.FloatTensor{fl(logits, 1, seq, v), fid, fseed})
		if err != nil {
			t.Fatal(err)
		}
		fb, err := sliced.Eval([]*quant.FloatTensor{fl(rows, 1, count, v), fid, fseed})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fa[0].Data, fb[0].Data) {
			t.Fatalf("float rule: unsliced %v, sliced %v", fa[0].Data, fb[0].Data)
		}
	}
	for kind, sliced := range map[string]bool{"sample_tokens": false, "sample_tokens_rows": true} {
		info, ok := quant.LookupOp(kind)
		if !ok {
			t.Fatalf("kind %s not registered", kind)
		}
		op := info.New().(*ops.SampleTokens)
		if op.Sliced != sliced || op.Kind() != kind {
			t.Fatalf("kind %s decodes to Sliced %v, Kind %s", kind, op.Sliced, op.Kind())
		}
	}
}
