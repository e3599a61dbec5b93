package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The legacy GPT-2 attention expressed as the attention op (causal,
// 1/√dh, the block's requantizations and formats) is bit-exact with gpt2's
// integer attention on random inputs, and the op's quantization at the
// legacy fractions chooses the legacy block's requantizations.
func TestAttentionMatchesLegacy(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 32, DHidden: 64, SeqLen: 6, NHead: 4, NLayer: 2,
		LayerNormEpsilon: 1e-5, Activation: quant.ActivationGELU}
	fm := quant.RandomModel(cfg, 7)
	samples := quant.RandomSamples(cfg, 8, 8)
	s, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	d, dh, seq := cfg.DModel, cfg.HeadDim(), cfg.SeqLen
	f := m.Scales.GPT2.Formats
	rng := rand.New(rand.NewPCG(70, 1))
	for trial := range 6 {
		x := make([][]int64, seq)
		for i := range x {
			x[i] = make([]int64, d)
			for j := range x[i] {
				x[i][j] = rng.Int64N(256) - 128
			}
		}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		for l, b := range m.Blocks {
			bt := tr.GPT2[l]
			ls := m.Scales.GPT2.Layers[l]
			// The float op quantized at the legacy fractions.
			a := &ops.Attention{Heads: cfg.NHead, KVHeads: cfg.NHead, HeadDim: dh, Scale: 1 / math.Sqrt(float64(dh)), Mask: ops.MaskCausal}
			val := func(frac int) quant.Value {
				return quant.Value{Shape: []int{seq, d}, Frac: frac, Lo: quant.Int8Min, Hi: quant.Int8Max}
			}
			out := []quant.Value{val(ls.Attn)}
			op, err := a.QuantizeInner([]quant.Value{val(ls.Q), val(ls.K), val(ls.V)}, out, []int{f.LogitFrac})
			if err != nil {
				t.Fatal(err)
			}
			q := op.(*ops.QAttention)
			// Quantize gives the per-row reciprocal softmax; the division
			// (Recip false) is gpt2's.
			if !q.Recip {
				t.Fatal("Quantize left Recip false")
			}
			q.Recip = false
			if q.Logit != b.Logit || q.Out != b.AttnOut || q.LogitBits != f.LogitBits {
				t.Fatalf("block %d: requantizations %+v %+v (%d bits), legacy %+v %+v (%d bits)", l, q.Logit, q.Out, q.LogitBits, b.Logit, b.AttnOut, f.LogitBits)
			}
			in := make([]*quant.Tensor, 3)
			for k := range in {
				in[k] = &quant.Tensor{Shape: []int{seq, d}}
				for i := 0; i < seq; i++ {
					in[k].Data = append(in[k].Data, bt.QKV[i][k*d:(k+1)*d]...)
				}
			}
			got, err := q.Forward(in, out)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < seq; i++ {
				for j := 0; j < d; j++ {
					if got[0].Data[i*d+j] != bt.Attn[i][j] {
						t.Fatalf("trial %d block %d: attn[%d][%d] = %d, legacy %d", trial, l, i, j, got[0].Data[i*d+j], bt.Attn[i][j])
					}
				}
			}
		}
	}
	// The legacy calibration's logit fraction is the op's rule on the same maximum.
	if got := (&ops.Attention{}).InnerFracs([]float64{3.7}); got[0] != quant.FracForRange(3.7, 511) {
		t.Errorf("inner fraction %v", got)
	}
}

// The float reference: a const mask of fill −1e30 is the causal mask, an
// additive fill adds to the scaled scores, and GQA reads kv head h/(H/Hkv).
func TestAttentionFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 2))
	tq, tk := randTensor(rng, 1, 4, 8), randTensor(rng, 1, 4, 4)
	keep := make([]int8, 16)
	for i := 0; i < 4; i++ {
		for j := 0; j <= i; j++ {
			keep[i*4+j] = 1
		}
	}
	eval := func(a *ops.Attention, q, k, v *quant.FloatTensor) []float64 {
		t.Helper()
		y, err := a.Eval([]*quant.FloatTensor{q, k, v})
		if err != nil {
			t.Fatal(err)
		}
		return y[0].Data
	}
	causal := eval(&ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal}, tq, tk, tk)
	masked := eval(&ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Keep: keep, Fill: -1e30}, tq, tk, tk)
	additive := eval(&ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Keep: keep, Fill: -1e30, Additive: true}, tq, tk, tk)
	// MQA = MHA with the kv head repeated.
	kk := &quant.FloatTensor{Shape: []int{1, 4, 8}}
	for i := 0; i < 4; i++ {
		kk.Data = append(kk.Data, tk.Data[i*4:(i+1)*4]...)
		kk.Data = append(kk.Data, tk.Data[i*4:(i+1)*4]...)
	}
	mha := eval(&ops.Attention{Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal}, tq, kk, kk)
	for i := range causal {
		for _, o := range [][]float64{masked, additive, mha} {
			if math.Abs(causal[i]-o[i]) > 1e-12 {
				t.Fatalf("value %d: %v vs %v", i, causal[i], o[i])
			}
		}
	}
	// Row 0 of the causal output is v's row 0.
	if math.Abs(causal[0]-tk.Data[0]) > 1e-12 {
		t.Errorf("row 0: %v, want %v", causal[0], tk.Data[0])
	}
	// A finite fill inside the softmax: −10 weighs exp(−10 − max).
	fill := eval(&ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Keep: keep, Fill: -10}, tq, tk, tk)
	if math.Abs(fill[0]-causal[0]) < 1e-9 || math.Abs(fill[0]-causal[0]) > 1e-2 {
		t.Errorf("fill −10 moved row 0 by %v", fill[0]-causal[0])
	}
}

// Hostile attributes are refused with an error, never a panic.
func TestAttentionRefuses(t *testing.T) {
	shapes := [][]int{{4, 8}, {4, 8}, {4, 8}}
	for name, a := range map[string]*ops.Attention{
		"heads":      {Heads: 3, KVHeads: 2, HeadDim: 4, Scale: 1, Mask: ops.MaskNone},
		"width":      {Heads: 2, KVHeads: 2, HeadDim: 3, Scale: 1, Mask: ops.MaskNone},
		"scale":      {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: math.Inf(1), Mask: ops.MaskNone},
		"neg scale":  {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: -1, Mask: ops.MaskNone},
		"mask":       {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 1, Mask: "alibi"},
		"keep":       {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 1, Mask: ops.MaskConst, Keep: []int8{1}},
		"keep value": {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 1, Mask: ops.MaskConst, Keep: make([]int8, 15), Fill: 2},
		"fill":       {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 1, Mask: ops.MaskConst, Keep: make([]int8, 16), Fill: math.NaN()},
		"zero heads": {Heads: 0, KVHeads: 0, HeadDim: 4, Scale: 1, Mask: ops.MaskNone},
	} {
		if _, err := a.OutShapes(shapes); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	q := &ops.QAttention{Heads: 2, KVHeads: 2, HeadDim: 4, Mask: ops.MaskConst, LogitFrac: 4, LogitBits: 10, Logit: quant.Requant{Mult: 1 << 15, Shift: 20}, Out: quant.Requant{Mult: 1 << 15, Shift: 20},
		Mode: make([]int8, 16), Value: make([]int64, 16)}
	v := quant.Value{Shape: []int{4, 8}, Frac: 4, Lo: quant.Int8Min, Hi: quant.Int8Max}
	if err := q.Check([]quant.Value{v, v, v}, []quant.Value{v}); err == nil {
		t.Error("a row keeping no position was accepted")
	}
	for i := range q.Mode {
		q.Mode[i] = ops.AttnComputed
	}
	q.Mode[1] = ops.AttnExcluded
	if err := q.Check([]quant.Value{v, v, v}, []quant.Value{v}); err == nil {
		t.Error("an excluded position before a kept one was accepted")
	}
	q.Mode[1], q.Mode[3] = ops.AttnConst, ops.AttnExcluded
	q.Value[1] = 1000
	if err := q.Check([]quant.Value{v, v, v}, []quant.Value{v}); err == nil {
		t.Error("a constant logit outside the range was accepted")
	}
	q.Value[1] = -3
	if err := q.Check([]quant.Value{v, v, v}, []quant.Value{v}); err != nil {
		t.Errorf("a valid mask was refused: %v", err)
	}
}

// Random (often invalid) attention nodes: Check never panics, and what it
// accepts runs Forward with int8 outputs.
func TestAttentionHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 3))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		h := int(hostilePick(rng, 0, 1, 2, 4))
		hkv := int(hostilePick(rng, 0, 1, 2, 3))
		dh := int(hostilePick(rng, 0, 1, 2, 3))
		tt, s := 1+rng.IntN(3), 1+rng.IntN(3)
		q := &ops.QAttention{Heads: h, KVHeads: hkv, HeadDim: dh, Mask: []string{ops.MaskNone, ops.MaskCausal, ops.MaskConst, "x"}[rng.IntN(4)],
			LogitFrac: int(hostilePick(rng, 0, 5, 40)), LogitBits: int(hostilePick(rng, 0, 4, 10, 14, 15)),
			Logit: quant.Requant{Mult: hostilePick(rng, 0, 1, 1<<15, 1<<16), Shift: uint(hostilePick(rng, 0, 9, 20, 48, 49))},
			Out:   quant.Requant{Mult: hostilePick(rng, 0, 1, 1<<15, 1<<16), Shift: uint(hostilePick(rng, 0, 9, 20, 48, 49))}}
		if q.Mask == ops.MaskConst || rng.IntN(8) == 0 {
			n := tt * s
			if rng.IntN(6) == 0 {
				n++
			}
			q.Mode, q.Value = make([]int8, n), make([]int64, n)
			for i := range q.Mode {
				q.Mode[i] = int8(hostilePick(rng, 0, 1, 1, 2, 3))
				q.Value[i] = hostilePick(rng, 0, -3, 600, -1<<40, 1<<62)
			}
		}
		shape := func(rows, width int) []int {
			if rng.IntN(8) == 0 {
				return hostileShape(rng)
			}
			if rng.IntN(2) == 0 {
				return []int{1, rows, width}
			}
			return []int{rows, width}
		}
		in := []quant.Value{hostileValue(rng, shape(tt, h*dh)), hostileValue(rng, shape(s, hkv*dh)), hostileValue(rng, shape(s, hkv*dh))}
		out := hostileValue(rng, in[0].Shape)
		if rng.IntN(2) == 0 {
			out.Lo, out.Hi = -128, 127
		}
		return q, in, []quant.Value{out}
	})
	if acc["attention"] == 0 {
		t.Error("no attention node accepted")
	}
}

// A quantized attention graph (q, k, v projections, GQA, causal) tracks
// the float graph.
func TestAttentionQuantizedClose(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 4))
	fm := attentionGraph(t, rng, 8, &ops.Attention{Heads: 4, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal})
	m := quantizedClose(t, fm, rng, 96, 0.1)
	if inner := m.Scales.Graph.Inner["attn"]; len(inner) != 1 || inner[0] != m.Graph.Nodes[3].Op.(*ops.QAttention).LogitFrac {
		t.Errorf("inner fractions %v", m.Scales.Graph.Inner)
	}
}

// attentionGraph is x [6, 16] → the projections q [6, 16], k and v [6, kv]
// (random weights) → attn, the float model.
func attentionGraph(t *testing.T, rng *rand.Rand, kv int, attn *ops.Attention) *quant.FloatModel {
	t.Helper()
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{6, 16}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name string
		op   quant.FloatOp
		in   []string
	}{
		{"q", ops.NewLinear(randTensor(rng, 0.5, 16, 16), randTensor(rng, 0.1, 16), false), []string{"x"}},
		{"k", ops.NewLinear(randTensor(rng, 0.5, 16, kv), randTensor(rng, 0.1, kv), false), []string{"x"}},
		{"v", ops.NewLinear(randTensor(rng, 0.5, 16, kv), randTensor(rng, 0.1, kv), false), []string{"x"}},
		{"attn", attn, []string{"q", "k", "v"}},
	} {
		if err := b.Node(n.name, n.op, n.in, []string{n.name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output("attn"); err != nil {
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
