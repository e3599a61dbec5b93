package ops_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// nmTensor is a tensor of uniform values in [−scale, scale].
func nmTensor(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
	for i := range t.Data {
		t.Data[i] = (rng.Float64()*2 - 1) * scale
	}
	return t
}

type nmNode struct {
	name string
	op   quant.FloatOp
	in   []string
}

// nmGraph builds x (shape) → nodes (each writing its name) → the last node.
func nmGraph(t testing.TB, shape []int, nodes ...nmNode) *quant.FloatModel {
	t.Helper()
	b := quant.NewGraphBuilder()
	if err := b.Input("x", shape); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := b.Node(n.name, n.op, n.in, []string{n.name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output(nodes[len(nodes)-1].name); err != nil {
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
	return fm
}

// nmQuantize calibrates fm on samples of uniform values in [−scale, scale]
// and quantizes it.
func nmQuantize(t testing.TB, fm *quant.FloatModel, rng *rand.Rand, scale float64) *quant.Model {
	t.Helper()
	n := fm.Graph.InputSize()
	var cal [][]float64
	for range 32 {
		cal = append(cal, nmTensor(rng, scale, n).Data)
	}
	m := calibrated(t, fm, cal)
	// The quantized model survives its file form with the same commitment.
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	c1, err := quant.CommitString(m)
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := quant.CommitString(m2); c1 != c2 {
		t.Fatal("commitment changed over the file form")
	}
	return m
}

// nmErrors runs the float and the integer graph on samples and returns,
// per value name, the largest error relative to the float value's largest
// magnitude, and the fraction of outputs that differ by more than tol·mag.
func nmErrors(t testing.TB, fm *quant.FloatModel, m *quant.Model, rng *rand.Rand, scale float64, tol float64) (rel, off map[string]float64) {
	t.Helper()
	g := m.Graph
	in := g.Input()
	maxErr := make([]float64, len(g.Values))
	mag := make([]float64, len(g.Values))
	type pair struct{ f, q float64 }
	var all [][]pair = make([][]pair, len(g.Values))
	for range 16 {
		x := nmTensor(rng, scale, in.Size()).Data
		fv, err := fm.Graph.Eval(x)
		if err != nil {
			t.Fatal(err)
		}
		xi := make([]int64, len(x))
		for i, v := range x {
			xi[i] = quant.QuantizeValue(v, in.Frac)
		}
		iv, err := g.Forward(xi)
		if err != nil {
			t.Fatal(err)
		}
		for id, v := range g.Values {
			for k := range fv[id] {
				q := quant.DequantizeValue(iv[id][k], v.Frac)
				maxErr[id] = math.Max(maxErr[id], math.Abs(q-fv[id][k]))
				mag[id] = math.Max(mag[id], math.Abs(fv[id][k]))
				all[id] = append(all[id], pair{fv[id][k], q})
			}
		}
	}
	rel, off = map[string]float64{}, map[string]float64{}
	for id, v := range g.Values {
		if mag[id] > 0 {
			rel[v.Name] = maxErr[id] / mag[id]
		}
		bad := 0
		for _, p := range all[id] {
			if math.Abs(p.f-p.q) > tol*mag[id] {
				bad++
			}
		}
		off[v.Name] = float64(bad) / float64(len(all[id]))
	}
	return rel, off
}

// naiveNorm is the textbook formula, element by element.
func naiveNorm(x []float64, d int, gamma, beta []float64, eps float64, rms bool) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x)/d; r++ {
		mean, ms := 0.0, 0.0
		for i := 0; i < d; i++ {
			mean += x[r*d+i] / float64(d)
		}
		if rms {
			mean = 0
		}
		for i := 0; i < d; i++ {
			ms += math.Pow(x[r*d+i]-mean, 2) / float64(d)
		}
		for i := 0; i < d; i++ {
			y[r*d+i] = (x[r*d+i] - mean) / math.Sqrt(ms+eps) * gamma[i]
			if beta != nil {
				y[r*d+i] += beta[i]
			}
		}
	}
	return y
}

func TestNormFloatMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 1))
	x := nmTensor(rng, 3, 3, 2, 5)
	g, b := nmTensor(rng, 1, 5), nmTensor(rng, 1, 5)
	ln, err := ops.NewLayerNorm(g, b, 1e-5).Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	rms, err := ops.NewRMSNorm(g, 1e-6).Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2][]float64{
		"layernorm": {ln[0].Data, naiveNorm(x.Data, 5, g.Data, b.Data, 1e-5, false)},
		"rmsnorm":   {rms[0].Data, naiveNorm(x.Data, 5, g.Data, nil, 1e-6, true)},
	} {
		for i := range c[0] {
			if math.Abs(c[0][i]-c[1][i]) > 1e-9 {
				t.Fatalf("%s: value %d = %v, naive %v", name, i, c[0][i], c[1][i])
			}
		}
	}
}

// QLayerNorm is quant.LayerNorm row by row, and QRMSNorm is LayerNorm's
// integer semantics on a row whose mean is taken as zero: on rows with a
// zero sum both agree exactly.
func TestNormIntegerSemantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 2))
	d := 8
	fm := nmGraph(t, []int{4, d},
		nmNode{"ln", ops.NewLayerNorm(nmTensor(rng, 1, d), nmTensor(rng, 0.5, d), 1e-5), []string{"x"}},
	)
	m := nmQuantize(t, fm, rng, 2)
	q := m.Graph.Nodes[0].Op.(*ops.QLayerNorm)
	rms := &ops.QRMSNorm{D: q.D, Gamma: q.Gamma, Mult: q.Mult, Shift: q.Shift, K: q.K, Eps: q.Eps}
	zeroBeta := q.LayerNorm
	zeroBeta.Beta = make([]int64, d)
	for range 300 {
		row := make([]int64, d)
		var s int64
		for i := range row[:d-1] {
			row[i] = rng.Int64N(64) - 32
			s += row[i]
		}
		if s < -127 || s > 127 {
			continue
		}
		row[d-1] = -s // a zero sum: the mean is 0
		if a, b := rms.Apply(row), zeroBeta.Apply(row); !slices.Equal(a, b) {
			t.Fatalf("row %v: rmsnorm %v, layernorm %v", row, a, b)
		}
	}
	tr, err := m.Forward([][]int64{{1, 2, 3, 4, 5, 6, 7, 8}, {-128, 127, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0}, {127, 127, 127, 127, 127, 127, 127, 127}})
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range tr.Y {
		if want := q.Apply(tr.X[r]); !slices.Equal(row, want) {
			t.Fatalf("row %d: %v, quant.LayerNorm %v", r, row, want)
		}
	}
}

// Small graphs with the new ops quantize close to their float graphs.
func TestNormGraphsQuantizeClose(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 3))
	lin := func(in, out int, relu bool) quant.FloatOp {
		return ops.NewLinear(nmTensor(rng, 0.5, in, out), nmTensor(rng, 0.1, out), relu)
	}
	half, neg := 0.25, -3.0
	cases := []struct {
		name  string
		shape []int
		nodes []nmNode
		tol   map[string]float64 // relative error per value (default 0.15)
		flips map[string]float64 // for 0/1 values: the fraction of outputs that may differ
	}{
		{"linear→layernorm→softmax", []int{2, 16}, []nmNode{
			{"fc", lin(16, 16, false), []string{"x"}},
			{"ln", ops.NewLayerNorm(nmTensor(rng, 1, 16), nmTensor(rng, 0.3, 16), 1e-5), []string{"fc"}},
			{"sm", &ops.Softmax{}, []string{"ln"}},
		}, map[string]float64{"sm": 0.05}, nil},
		{"linear→rmsnorm→linear", []int{3, 16}, []nmNode{
			{"fc", lin(16, 16, false), []string{"x"}},
			{"rms", ops.NewRMSNorm(nmTensor(rng, 1, 16), 1e-6), []string{"fc"}},
			{"fc2", lin(16, 8, false), []string{"rms"}},
		}, nil, nil},
		{"linear→reduce_mean", []int{2, 3, 8}, []nmNode{
			{"fc", lin(8, 8, false), []string{"x"}},
			{"mean", &ops.Reduce{Op: "mean", Axes: []int{-1}, KeepDims: true}, []string{"fc"}},
			{"sum", &ops.Reduce{Op: "sum", Axes: []int{0, 1}}, []string{"mean"}},
		}, nil, nil},
		{"reduce max/min, max/min", []int{4, 8}, []nmNode{
			{"fc", lin(8, 8, false), []string{"x"}},
			{"rmax", &ops.Reduce{Op: "max", Axes: []int{1}, KeepDims: true}, []string{"fc"}},
			{"rmin", &ops.Reduce{Op: "min", Axes: []int{0}}, []string{"x"}},
			{"mx", &ops.MinMax{Op: "max"}, []string{"x", "rmax"}},
			{"mn", &ops.MinMax{Op: "min"}, []string{"mx", "rmin"}},
		}, nil, nil},
		{"compare→where", []int{2, 8}, []nmNode{
			{"fc", lin(8, 8, false), []string{"x"}},
			{"lt", &ops.Compare{Op: "less", Const: &half}, []string{"fc"}},
			{"ge", &ops.Compare{Op: "greater_equal"}, []string{"x", "fc"}},
			{"w1", &ops.Where{}, []string{"lt", "fc", "x"}},
			{"w2", &ops.Where{}, []string{"ge", "w1", "x"}},
			{"w3", &ops.Where{X: &half}, []string{"lt", "w2"}},
			{"w4", &ops.Where{Y: &neg}, []string{"ge", "w3"}},
		}, nil, map[string]float64{"lt": 0.05, "ge": 0.05, "w1": 0.05, "w2": 0.1, "w3": 0.1, "w4": 0.1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fm := nmGraph(t, c.shape, c.nodes...)
			m := nmQuantize(t, fm, rng, 1)
			rel, off := nmErrors(t, fm, m, rng, 1, 0.1)
			for _, n := range c.nodes {
				tol := 0.15
				if v, ok := c.tol[n.name]; ok {
					tol = v
				}
				if f, ok := c.flips[n.name]; ok {
					t.Logf("%-5s %.1f %% of outputs off by > 10 %%", n.name, 100*off[n.name])
					if off[n.name] > f {
						t.Errorf("%s: %.1f %% of the outputs differ from the float graph", n.name, 100*off[n.name])
					}
					continue
				}
				t.Logf("%-5s relative error %.4f", n.name, rel[n.name])
				if rel[n.name] > tol {
					t.Errorf("%s: relative error %.3f", n.name, rel[n.name])
				}
			}
		})
	}
}
