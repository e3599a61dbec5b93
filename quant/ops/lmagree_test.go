package ops_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// lmCalibrated calibrates fm on 16 random id sequences and quantizes it.
func lmCalibrated(t *testing.T, fm *quant.FloatModel, seed uint64) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	in := fm.Graph.InputSpecs[0]
	var cal [][]float64
	for range 16 {
		x := make([]float64, quant.ShapeSize(in.Shape))
		for i := range x {
			x[i] = float64(rng.Int64N(in.Hi + 1))
		}
		cal = append(cal, x)
	}
	return calibrated(t, fm, cal)
}

// The agreement report on a tiny GPT-2-layout LM: deterministic per seed,
// consistent counts, and every recorded disagreement reproduced by running
// the two models on its prompt prefix (causal: the padding after it does
// not matter).
func TestLMAgreementGPT2(t *testing.T) {
	const seq, vocab = 6, 48
	fm, err := ops.ExampleGPT2(ops.GPT2Shape{Vocab: vocab, Positions: seq, D: 8, Heads: 2, Blocks: 1}, seq, 3)
	if err != nil {
		t.Fatal(err)
	}
	m := lmCalibrated(t, fm, 3)
	calls := 0
	rep, err := quant.LMAgreement(fm, m, quant.LMAgreementOptions{Seed: 7, Progress: func(done, total int) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("agreement %.3f, per position %.2f, all %d/%d, ties %d, gap %.4f, %d examples", rep.Agree, rep.PerPosition, rep.AllAgree, rep.Prompts, rep.IntegerTies, rep.MeanGap, len(rep.Examples))
	if rep.Prompts != quant.DefaultLMPrompts || rep.PromptLen != seq || rep.Vocab != vocab || !rep.Causal || calls != rep.Prompts {
		t.Fatalf("report %+v after %d progress calls", rep, calls)
	}
	if rep.Agree < 0.5 || rep.Agree > 1 || rep.AllAgree > rep.Prompts || rep.IntegerTies > rep.Prompts*seq {
		t.Errorf("agreement %.3f, %d prompts all agree, %d ties", rep.Agree, rep.AllAgree, rep.IntegerTies)
	}
	mean := 0.0
	for _, f := range rep.PerPosition {
		mean += f / seq
	}
	if math.Abs(mean-rep.Agree) > 1e-9 {
		t.Errorf("per position mean %v, overall %v", mean, rep.Agree)
	}
	if rep.Agree < 1 && (len(rep.Examples) == 0 || rep.MeanGap < 0) {
		t.Errorf("disagreements without examples: %+v", rep)
	}
	for _, e := range rep.Examples {
		if len(e.Context) != e.Position+1 || e.Float == e.Integer || e.Gap < 0 {
			t.Fatalf("example %+v", e)
		}
		ids := make([]float64, seq) // the prefix, then other padding than the report's
		for i := range ids {
			ids[i] = float64(vocab - 1)
		}
		for i, id := range e.Context {
			ids[i] = float64(id)
		}
		fv, err := fm.Graph.Eval(ids)
		if err != nil {
			t.Fatal(err)
		}
		xq, err := m.QuantizeInput(ids)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(xq)
		if err != nil {
			t.Fatal(err)
		}
		// The float graph's ids: quantization drops the values of fused
		// nodes (linear_residual).
		out := m.Graph.Outputs[0]
		fr, ir := fv[fm.Graph.Outputs[0]][e.Position*vocab:(e.Position+1)*vocab], tr.Values[out][e.Position*vocab:(e.Position+1)*vocab]
		ft, it := 0, 0
		for j := range vocab {
			if fr[j] > fr[ft] {
				ft = j
			}
			if ir[j] > ir[it] {
				it = j
			}
		}
		if int64(ft) != e.Float || int64(it) != e.Integer || math.Abs(fr[ft]-fr[it]-e.Gap) > 1e-9 {
			t.Errorf("example %+v: float %d, integer %d, gap %v", e, ft, it, fr[ft]-fr[it])
		}
	}
	again, err := quant.LMAgreement(fm, m, quant.LMAgreementOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, rep) {
		t.Errorf("seed 7 twice: %+v, then %+v", rep, again)
	}
	other, err := quant.LMAgreement(fm, m, quant.LMAgreementOptions{Seed: 8, Prompts: 120, Len: 3})
	if err != nil {
		t.Fatal(err)
	}
	if other.Prompts != 120 || other.PromptLen != 3 || len(other.PerPosition) != 3 || reflect.DeepEqual(other.Examples, rep.Examples) && len(rep.Examples) > 0 {
		t.Errorf("seed 8, 120 prompts of 3: %+v", other)
	}
	for _, o := range []quant.LMAgreementOptions{{Len: seq + 1}, {Len: -1}, {Prompts: -1}} {
		if _, err := quant.LMAgreement(fm, m, o); !errors.Is(err, quant.ErrValidation) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	// A model that is no LM: named.
	g, err := ops.ExampleGraph(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := quant.LMShape(lmOrNot(t, g)); !errors.Is(err, quant.ErrNotLM) {
		t.Errorf("example graph: %v", err)
	}
}

func lmOrNot(t *testing.T, fm *quant.FloatModel) *quant.Model {
	t.Helper()
	return calibrated(t, fm, samples(rand.New(rand.NewPCG(1, 2)), 4, fm.Graph.InputSize()))
}

// A head whose two best logits differ by less than one int8 step: the
// integer logits tie and the lowest id wins (as next_tokens proves), the
// float argmax is the other id, at every position: agreement 0, every
// position a tie, the gap reported. With the logits a step apart: 1.
func TestLMAgreementTies(t *testing.T) {
	const seq, vocab = 4, 4
	for _, c := range []struct {
		second float64
		agree  float64
	}{{0.001, 0}, {0.5, 1}} {
		table := &quant.FloatTensor{Shape: []int{vocab, 2}, Data: make([]float64, vocab*2)}
		for i := range table.Data {
			table.Data[i] = 1
		}
		w := &quant.FloatTensor{Shape: []int{2, vocab}, Data: make([]float64, 2*vocab)}
		b := &quant.FloatTensor{Shape: []int{vocab}, Data: []float64{0, c.second, -1, -1}}
		bld := quant.NewGraphBuilder()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(bld.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: vocab - 1}))
		must(bld.Node("e", ops.NewGather(table), []string{"ids"}, []string{"e"}))
		must(bld.Node("logits", ops.NewLinear(w, b, false), []string{"e"}, []string{"logits"}))
		must(bld.Output("logits"))
		g, err := bld.Build()
		must(err)
		fm, err := quant.NewGraphModel(g)
		must(err)
		m := lmCalibrated(t, fm, 1)
		rep, err := quant.LMAgreement(fm, m, quant.LMAgreementOptions{Prompts: 100, Seed: 1})
		must(err)
		if rep.Agree != c.agree || !rep.Causal {
			t.Fatalf("second logit %v: %+v", c.second, rep)
		}
		if c.agree == 0 {
			if rep.IntegerTies != 100*seq || rep.AllAgree != 0 || len(rep.Examples) != quant.LMExamples || math.Abs(rep.MeanGap-c.second) > 1e-9 {
				t.Errorf("ties: %+v", rep)
			}
			if e := rep.Examples[0]; e.Float != 1 || e.Integer != 0 {
				t.Errorf("example %+v", e)
			}
		} else if rep.IntegerTies != 0 || rep.AllAgree != 100 || len(rep.Examples) != 0 {
			t.Errorf("apart: %+v", rep)
		}
	}
}

// The per-layer table of a graph: one row per value, named by the kind of
// the node that writes it, with RMS and range; the logits' RMS recomputed.
func TestAccuracyPerNode(t *testing.T) {
	const seq, vocab = 4, 16
	fm, err := ops.ExampleGPT2(ops.GPT2Shape{Vocab: vocab, Positions: seq, D: 8, Heads: 2, Blocks: 1}, seq, 5)
	if err != nil {
		t.Fatal(err)
	}
	m := lmCalibrated(t, fm, 5)
	rng := rand.New(rand.NewPCG(9, 9))
	var samples [][]float64
	for range 5 {
		x := make([]float64, seq)
		for i := range x {
			x[i] = float64(rng.IntN(vocab))
		}
		samples = append(samples, x)
	}
	rep, err := quant.Accuracy(fm, m, samples)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if len(rep.Layers) != len(g.Values) {
		t.Fatalf("%d rows for %d values", len(rep.Layers), len(g.Values))
	}
	kind := map[string]string{g.Values[g.Inputs[0]].Name: "input"}
	for _, n := range g.Nodes {
		for _, id := range n.Out {
			kind[g.Values[id].Name] = n.Op.Kind()
		}
	}
	for _, l := range rep.Layers {
		if l.Op != kind[l.Layer] || l.RMS > l.MaxAbs || l.RMS < 0 || (l.Range > 0 && math.Abs(l.Rel-l.MaxAbs/l.Range) > 1e-12) {
			t.Errorf("row %+v (writer %q)", l, kind[l.Layer])
		}
	}
	out := g.Values[g.Outputs[0]]
	sq, n := 0.0, 0
	for _, x := range samples {
		fv, err := fm.Graph.Eval(x)
		if err != nil {
			t.Fatal(err)
		}
		xq, err := m.QuantizeInput(x)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(xq)
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range tr.Values[g.Outputs[0]] {
			e := quant.DequantizeValue(q, out.Frac) - fv[g.Outputs[0]][i]
			sq += e * e
			n++
		}
	}
	last := rep.Layers[g.Outputs[0]]
	if last.Layer != out.Name || math.Abs(last.RMS-math.Sqrt(sq/float64(n))) > 1e-12 || last.Op != "concat" && last.Op != "linear" {
		t.Errorf("logits row %+v, want rms %v", last, math.Sqrt(sq/float64(n)))
	}
}
