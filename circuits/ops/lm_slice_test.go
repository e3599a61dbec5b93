package ops_test

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// sliceLM is a one-block GPT-2-layout LM of vocabulary v, width 8, 2 heads
// over seq positions: wte (gather) + wpe (a per-position constant add) →
// ln_1 → q, k, v → causal attention → c_proj → residual → ln_2 → fc →
// GELU → proj → residual → ln_f → untied head.
func sliceLM(t testing.TB, seq, v int) *quant.Model {
	t.Helper()
	const d = 8
	rng := rand.New(rand.NewPCG(83, 84))
	ones := func(n int) *quant.FloatTensor {
		f := &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)}
		for i := range f.Data {
			f.Data[i] = 1
		}
		return f
	}
	zeros := func(n int) *quant.FloatTensor { return &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)} }
	w := 1 / math.Sqrt(d)
	lin := func(in, out int) *ops.Linear {
		return ops.NewLinear(graphtest.Tensor(rng, w, in, out), graphtest.Tensor(rng, 0.05, out), false)
	}
	type N = graphtest.Node
	return graphtest.TokenLM(t, rng, seq, v,
		N{Name: "wte", Op: ops.NewGather(graphtest.Tensor(rng, 1, v, d)), In: []string{"ids"}},
		N{Name: "wpe", Op: ops.NewAffine(ones(1), graphtest.Tensor(rng, 0.3, 1, seq, d), false), In: []string{"wte"}},
		N{Name: "ln_1", Op: ops.NewLayerNorm(ones(d), zeros(d), 1e-5), In: []string{"wpe"}},
		N{Name: "q", Op: lin(d, d), In: []string{"ln_1"}},
		N{Name: "k", Op: lin(d, d), In: []string{"ln_1"}},
		N{Name: "v", Op: lin(d, d), In: []string{"ln_1"}},
		N{Name: "attn", Op: &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: d / 2, Scale: 1 / math.Sqrt(d/2), Mask: ops.MaskCausal}, In: []string{"q", "k", "v"}},
		N{Name: "c_proj", Op: lin(d, d), In: []string{"attn"}},
		N{Name: "res_1", Op: &ops.Binary{Op: "add"}, In: []string{"wpe", "c_proj"}},
		N{Name: "ln_2", Op: ops.NewLayerNorm(ones(d), zeros(d), 1e-5), In: []string{"res_1"}},
		N{Name: "fc", Op: lin(d, 2*d), In: []string{"ln_2"}},
		N{Name: "gelu", Op: &ops.Unary{Fn: "gelu"}, In: []string{"fc"}},
		N{Name: "proj", Op: lin(2*d, d), In: []string{"gelu"}},
		N{Name: "res_2", Op: &ops.Binary{Op: "add"}, In: []string{"res_1", "proj"}},
		N{Name: "ln_f", Op: ops.NewLayerNorm(ones(d), zeros(d), 1e-5), In: []string{"res_2"}},
		N{Name: "lm_head", Op: lin(d, v), In: []string{"ln_f"}},
	)
}

// Greedy completion with the LM head sliced to the checked rows
// (NextTokensModel, issue 15): the row-uniform tail after the attention
// (c_proj, the MLP, both residuals, ln_f, the head) runs on the N checked
// rows only, after a free slice of the attention output and the residual
// stream. Pinned: which nodes move, the constraint counts before and after
// (compiled), and that the completion is the one-pass and step-by-step
// greedy completion of the unsliced model, bit for bit, on several prompts
// and paddings. The circuit accepts the honest completion and rejects a
// changed completion token (in the input ids or in the claimed output);
// the LM's commitment does not move and the sliced model shares its ops
// (weights) with the unsliced one.
func TestGreedySlicedHead(t *testing.T) {
	const seq, v, promptLen, newTokens = 8, 40, 3, 4
	lm := sliceLM(t, seq, v)
	before, err := quant.CommitString(lm)
	if err != nil {
		t.Fatal(err)
	}
	full, err := ops.NextTokensModelFull(lm, promptLen, newTokens)
	if err != nil {
		t.Fatal(err)
	}
	sliced, err := ops.NextTokensModel(lm, promptLen, newTokens)
	if err != nil {
		t.Fatal(err)
	}
	if after, err := quant.CommitString(lm); err != nil || after != before {
		t.Fatalf("the LM's commitment moved: %s → %s (%v)", before, after, err)
	}
	rs, ok, err := ops.SliceRows(lm.Graph, lm.Scales.Graph.Fracs, lm.Graph.Outputs[0], promptLen-1, newTokens)
	if err != nil || !ok {
		t.Fatalf("SliceRows: ok %v, %v", ok, err)
	}
	if want := []string{"c_proj+res_1", "ln_2", "fc", "gelu", "proj", "res_2", "ln_f", "lm_head"}; !slices.Equal(rs.Tail, want) {
		t.Fatalf("sliced tail %v, want %v", rs.Tail, want)
	}
	if want := []string{"attn", "wpe"}; !slices.Equal(rs.Cuts, want) {
		t.Fatalf("sliced inputs %v, want %v", rs.Cuts, want)
	}
	// Same ops (weights, shifts, tables) in both models.
	fullOps := map[string]quant.Op{}
	for _, n := range full.Graph.Nodes {
		fullOps[n.Name] = n.Op
	}
	for _, n := range sliced.Graph.Nodes {
		if o, found := fullOps[n.Name]; found && n.Name != "next_tokens" && o != n.Op {
			t.Fatalf("node %s: the sliced model has another op", n.Name)
		}
	}
	if k := sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1].Op.Kind(); k != "next_tokens_rows" {
		t.Fatalf("last node %s, want next_tokens_rows", k)
	}
	// Constraint counts, compiled (R1CS, public I/O, fixed weights).
	nFull, nSliced := graphtest.R1CS(t, full), graphtest.R1CS(t, sliced)
	t.Logf("constraints: full %d (estimate %d), sliced %d (estimate %d)", nFull, full.Graph.Cost().R1CS, nSliced, sliced.Graph.Cost().R1CS)
	if nFull != 17171 || nSliced != 14195 {
		t.Errorf("constraints: full %d, sliced %d; pinned 17171 and 14195 (17299 and 14259 before c_proj + res_1 fused, 17449 and 14445 with the softmax division, 17852 and 14848 before the packed exp table)", nFull, nSliced)
	}
	// Bit-exact: the same completion as step-by-step decoding of the LM
	// and as the unsliced one-pass model, whatever the padding.
	rng := rand.New(rand.NewPCG(1, 83))
	var honest *quant.Trace
	for trial := range 4 {
		prompt := make([]int64, promptLen)
		for i := range prompt {
			prompt[i] = rng.Int64N(v)
		}
		ids := greedyIDs(t, lm, prompt, newTokens)
		x := make([]int64, seq)
		copy(x, ids[:promptLen+newTokens-1])
		for i := promptLen + newTokens - 1; i < seq; i++ {
			x[i] = rng.Int64N(v)
		}
		a, err := full.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		b, err := sliced.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Outputs[0], ids[promptLen:]) || !slices.Equal(b.Outputs[0], ids[promptLen:]) {
			t.Fatalf("trial %d: step by step %v, unsliced %v, sliced %v", trial, ids[promptLen:], a.Outputs[0], b.Outputs[0])
		}
		honest = b
	}
	circ := graphtest.Circuit(t, sliced, graphtest.PublicIO)
	if err := test.IsSolved(circ, graphtest.Assign(t, sliced, honest), graphtest.Field); err != nil {
		t.Fatal(err)
	}
	// A changed completion token in the model's input.
	bad := slices.Clone(honest.Inputs[0])
	bad[promptLen] = (bad[promptLen] + 1) % v
	if _, err := sliced.Forward([][]int64{bad}); !errors.Is(err, ops.ErrNotGreedy) {
		t.Fatalf("a changed completion token: %v", err)
	}
	tr := *honest
	tr.Inputs = [][]int64{bad}
	if test.IsSolved(circ, graphtest.Assign(t, sliced, &tr), graphtest.Field) == nil {
		t.Fatal("a changed completion token in the input was accepted")
	}
	// A non-argmax token claimed (the last: no input position repeats it).
	out := slices.Clone(honest.Outputs[0])
	out[newTokens-1] = (out[newTokens-1] + 1) % v
	tr = *honest
	tr.Outputs = [][]int64{out}
	if test.IsSolved(circ, graphtest.Assign(t, sliced, &tr), graphtest.Field) == nil {
		t.Fatal("a non-argmax completion token was accepted")
	}
}

// verify --model's causality check on a row-sliced greedy model
// (CheckGreedyCausal: row k is position From + k): the honest model
// passes; a model file whose row slice starts one position late (row k
// would read position From + k + 1, so the prover's padding could steer
// the last checked row) is refused.
func TestGreedySlicedCausal(t *testing.T) {
	lm := sliceLM(t, 8, 40)
	m, err := ops.NextTokensModel(lm, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.CheckGreedyCausal(m); err != nil {
		t.Fatal(err)
	}
	if err := ops.CheckGreedyCausal(sliceOneLate(t, m)); !errors.Is(err, quant.ErrNotCausal) {
		t.Fatalf("a slice one position late: %v, want a causality refusal", err)
	}
}

// A row-sliced greedy model survives its file (kind next_tokens_rows, the
// same commitment and completion after a round trip); an LM whose logits
// come from a row-dependent op (a per-position bias) is not sliced
// (next_tokens on every row, as before); next_tokens_rows refuses logits
// of another row count than its tokens.
func TestGreedySlicedFileAndFallback(t *testing.T) {
	lm := sliceLM(t, 8, 40)
	m, err := ops.NextTokensModel(lm, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	back := reloaded(t, m)
	nt, ok := back.Graph.Nodes[len(back.Graph.Nodes)-1].Op.(*ops.NextTokens)
	if !ok || !nt.Sliced || nt.From != 2 || nt.Count != 4 {
		t.Fatalf("decoded op %#v", back.Graph.Nodes[len(back.Graph.Nodes)-1].Op)
	}
	ids := greedyIDs(t, lm, []int64{1, 2, 3}, 4)
	tr, err := back.Forward([][]int64{append(ids[:6:6], 0, 0)})
	if err != nil || !slices.Equal(tr.Outputs[0], ids[3:]) {
		t.Fatalf("decoded model: %v, %v", tr, err)
	}

	rng := rand.New(rand.NewPCG(8, 3))
	biased := graphtest.TokenLM(t, rng, 6, 20,
		graphtest.Node{Name: "e", Op: ops.NewGather(graphtest.Tensor(rng, 1, 20, 4)), In: []string{"ids"}},
		graphtest.Node{Name: "h", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 4, 20), graphtest.Tensor(rng, 0.1, 20), false), In: []string{"e"}},
		graphtest.Node{Name: "logits", Op: ops.NewAffine(graphtest.Tensor(rng, 1, 1), graphtest.Tensor(rng, 0.5, 1, 6, 20), false), In: []string{"h"}})
	if _, ok, err := ops.SliceRows(biased.Graph, nil, biased.Graph.Outputs[0], 1, 2); ok || err != nil {
		t.Fatalf("SliceRows on a per-position bias: ok %v, %v", ok, err)
	}
	g, err := ops.NextTokensModel(biased, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if k := g.Graph.Nodes[len(g.Graph.Nodes)-1].Op.Kind(); k != "next_tokens" {
		t.Fatalf("unsliceable LM: %s, want next_tokens", k)
	}
	// Every row checked: nothing to slice.
	if _, ok, _ := ops.SliceRows(lm.Graph, nil, lm.Graph.Outputs[0], 0, 8); ok {
		t.Fatal("sliced with every row checked")
	}

	op := &ops.NextTokens{From: 2, Count: 4, Sliced: true}
	logits := quant.Value{Shape: []int{1, 8, 40}, Lo: -128, Hi: 127}
	idsV := quant.Value{Shape: []int{1, 8}, DType: quant.DTypeIndex, Hi: 39}
	out := quant.Value{Shape: []int{4}, DType: quant.DTypeIndex, Hi: 39}
	if err := op.Check([]quant.Value{logits, idsV}, []quant.Value{out}); !errors.Is(err, quant.ErrShape) {
		t.Fatalf("next_tokens_rows on 8 rows for 4 tokens: %v", err)
	}
	logits.Shape = []int{1, 4, 40}
	if err := op.Check([]quant.Value{logits, idsV}, []quant.Value{out}); err != nil {
		t.Fatal(err)
	}
	op.From = 5 // From + Count > T
	if err := op.Check([]quant.Value{logits, idsV}, []quant.Value{out}); err == nil {
		t.Fatal("next_tokens_rows past the ids accepted")
	}
}

// wideHeadONNX is an ONNX LM with a head wider than quant.MaxDim: int64 ids
// [1, seq] → Gather(wte [v, d]) → MatMul(head [d, v]) → logits [1, seq, v]
// (built here, as torch.onnx.export writes a bias-free nn.Linear head:
// a MatMul with a [d, v] initializer).
func wideHeadONNX(t testing.TB, seq, v, d int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	init := func(name string, scale float64, dims ...int64) *onnxpb.TensorProto {
		n := int64(1)
		for _, x := range dims {
			n *= x
		}
		raw := make([]byte, 4*n)
		for i := range n {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32((rng.Float64()*2-1)*scale)))
		}
		return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}
	}
	vi := func(name string, et onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
		var ds []*onnxpb.TensorShapeProto_Dimension
		for _, x := range dims {
			ds = append(ds, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: x}})
		}
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(et)), Shape: &onnxpb.TensorShapeProto{Dim: ds}}}}}
	}
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(14)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("wide_head"),
			Node: []*onnxpb.NodeProto{
				{OpType: proto.String("Gather"), Name: proto.String("wte"), Input: []string{"wte.weight", "ids"}, Output: []string{"e"}},
				{OpType: proto.String("MatMul"), Name: proto.String("lm_head"), Input: []string{"e", "lm_head.weight"}, Output: []string{"logits"}},
			},
			Initializer: []*onnxpb.TensorProto{init("wte.weight", 1, int64(v), int64(d)), init("lm_head.weight", 0.5, int64(d), int64(v))},
			Input:       []*onnxpb.ValueInfoProto{vi("ids", onnxpb.TensorProto_INT64, 1, int64(seq))},
			Output:      []*onnxpb.ValueInfoProto{vi("logits", onnxpb.TensorProto_FLOAT, 1, int64(seq), int64(v))},
		}}
	data, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// An ONNX LM head of GPT-2's 50257 columns (beyond quant.MaxDim = 2^15, a
// linear op's bound) imports as two linears over column blocks of 25128
// and 25129 joined by a concat on the last axis: the float model is the
// wide product exactly; calibration gives both blocks one output fraction
// (one group), so the concat copies them (shifts 0); the greedy model
// slices the blocks and the concat to the checked row. The circuit of a
// 2-position greedy completion (one checked row) accepts the honest
// completion and rejects a changed token.
func TestWideONNXHead(t *testing.T) {
	const seq, v, d = 2, 50257, 4
	data := wideHeadONNX(t, seq, v, d, 15)
	fm, _, err := onnx.ParseGraph(data, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range fm.Graph.Nodes {
		kinds = append(kinds, n.Op.Kind())
	}
	if !slices.Equal(kinds, []string{"gather", "linear", "linear", "concat"}) {
		t.Fatalf("nodes %v", kinds)
	}
	if a, b := fm.Graph.Nodes[1].Op.(*ops.Linear), fm.Graph.Nodes[2].Op.(*ops.Linear); a.Weight.T.Shape[1] != 25128 || b.Weight.T.Shape[1] != 25129 || a.Group == "" || a.Group != b.Group {
		t.Fatalf("blocks %v, %v, groups %q %q", a.Weight.T.Shape, b.Weight.T.Shape, a.Group, b.Group)
	}
	// The float model is ids → wte rows → x·W, column for column.
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	f32 := func(tp *onnxpb.TensorProto) []float64 {
		raw := tp.GetRawData()
		out := make([]float64, len(raw)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		return out
	}
	wte, head := f32(mp.Graph.Initializer[0]), f32(mp.Graph.Initializer[1])
	ids := []float64{7, 50256}
	vals, err := fm.Graph.Eval(ids)
	if err != nil {
		t.Fatal(err)
	}
	logits := vals[fm.Graph.Outputs[0]]
	for r, id := range ids {
		for c := range v {
			want := 0.0
			for j := range d {
				want += wte[int(id)*d+j] * head[j*v+c]
			}
			if got := logits[r*v+c]; math.Abs(got-want) > 1e-9 {
				t.Fatalf("logit [%d, %d] = %g, want %g", r, c, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var cal [][]float64
	for range 8 {
		cal = append(cal, []float64{float64(rng.IntN(v)), float64(rng.IntN(v))})
	}
	lm := graphtest.Quantized(t, fm, cal)
	g := lm.Graph
	b1, b2 := g.Values[g.Nodes[1].Out[0]], g.Values[g.Nodes[2].Out[0]]
	cat := g.Nodes[3].Op.(*ops.QConcat)
	if b1.Frac != b2.Frac || slices.Max(cat.Shifts) != 0 {
		t.Fatalf("block fracs %d, %d; concat shifts %v", b1.Frac, b2.Frac, cat.Shifts)
	}
	m, err := ops.NextTokensModel(lm, 1, 2) // prompt 1, 2 new tokens: rows 0 and 1
	if err != nil {
		t.Fatal(err)
	}
	m1, err := ops.NextTokensModel(lm, 2, 1) // prompt 2, 1 new token: row 1 only
	if err != nil {
		t.Fatal(err)
	}
	if k := m1.Graph.Nodes[len(m1.Graph.Nodes)-1].Op.Kind(); k != "next_tokens_rows" {
		t.Fatalf("one new token after 2: %s, want next_tokens_rows", k)
	}
	if k := m.Graph.Nodes[len(m.Graph.Nodes)-1].Op.Kind(); k != "next_tokens" {
		t.Fatalf("every row checked: %s, want next_tokens", k)
	}
	prompt := []int64{123, 45678}
	want := greedyIDs(t, lm, prompt, 1)[2]
	tr, err := m1.Forward([][]int64{prompt})
	if err != nil || tr.Outputs[0][0] != want {
		t.Fatalf("sliced completion %v (%v), step by step %d", tr, err, want)
	}
	ccs, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, graphtest.Circuit(t, m1, graphtest.PublicIO))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("greedy model, 1 checked row of 50257: %d R1CS constraints (estimate %d)", ccs.GetNbConstraints(), m1.Graph.Cost().R1CS)
	if err := solve(t, ccs, m1, tr, nil); err != nil {
		t.Fatal(err)
	}
	bad := *tr
	bad.Outputs = [][]int64{{(want + 1) % v}}
	if solve(t, ccs, m1, &bad, nil) == nil {
		t.Fatal("a non-argmax token was accepted")
	}
}

// ops.ExampleLlama at a tiny size (RMSNorm, RoPE per head, GQA 4/2,
// SwiGLU, untied head) is causal, its greedy completion model slices at
// the attention output, agrees with step-by-step decoding, and its circuit
// accepts exactly the integer reference (a moved completion rejected).
func TestExampleLlamaGreedy(t *testing.T) {
	const seq, v = 6, 50
	fm, err := ops.ExampleLlama(ops.LlamaShape{Vocab: v, D: 16, Heads: 4, KVHeads: 2, Hidden: 24, Blocks: 1}, seq, 3)
	if err != nil {
		t.Fatal(err)
	}
	lm := graphtest.IDCalibrated(t, rand.New(rand.NewPCG(4, 4)), fm, v)
	m, err := ops.NextTokensModel(lm, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if note := m.Graph.Nodes[len(m.Graph.Nodes)-1].Op.Kind(); note != "next_tokens_rows" {
		t.Fatalf("last op %s", note)
	}
	prompt := []int64{7, 42}
	ids := greedyIDs(t, lm, prompt, 4)
	tr, err := m.Forward([][]int64{append(ids[:5:5], 1)})
	if err != nil || !slices.Equal(tr.Outputs[0], ids[2:]) {
		t.Fatalf("one pass %v (%v), step by step %v", tr, err, ids[2:])
	}
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
		t.Fatal(err)
	}
	bad := *tr
	bad.Outputs = [][]int64{slices.Clone(tr.Outputs[0])}
	bad.Outputs[0][3] = (bad.Outputs[0][3] + 1) % v
	if test.IsSolved(circ, graphtest.Assign(t, m, &bad), graphtest.Field) == nil {
		t.Fatal("a moved completion token was accepted")
	}
}

// Column blocks in one calibration group (ops.Linear.Group,
// quant.SharedFrac) get one output fraction even when their magnitudes
// differ 16-fold, so their concat copies them; without the group the
// smaller block gets a finer fraction and the concat requantizes it.
func TestLinearGroupSharesFrac(t *testing.T) {
	for _, grouped := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(6, 6))
		small, large := ops.NewLinear(graphtest.Tensor(rng, 0.05, 4, 5), graphtest.Tensor(rng, 0.01, 5), false), ops.NewLinear(graphtest.Tensor(rng, 0.8, 4, 6), graphtest.Tensor(rng, 0.01, 6), false)
		if grouped {
			small.Group, large.Group = "head", "head"
		}
		m := graphtest.Chain(t, rng, []int{1, 3, 4},
			graphtest.Node{Name: "a", Op: small, In: []string{"x"}},
			graphtest.Node{Name: "b", Op: large, In: []string{"x"}},
			graphtest.Node{Name: "y", Op: &ops.Concat{Axis: -1}, In: []string{"a", "b"}})
		g := m.Graph
		fa, fb := g.Values[g.Nodes[0].Out[0]].Frac, g.Values[g.Nodes[1].Out[0]].Frac
		shifts := g.Nodes[2].Op.(*ops.QConcat).Shifts
		if grouped && (fa != fb || slices.Max(shifts) != 0) {
			t.Fatalf("grouped: fracs %d, %d, shifts %v", fa, fb, shifts)
		}
		if !grouped && (fa <= fb || slices.Max(shifts) == 0) {
			t.Fatalf("ungrouped: fracs %d, %d, shifts %v (the test needs blocks of different scales)", fa, fb, shifts)
		}
		graphtest.Matches(t, m, graphtest.Inputs(rng, m, 1))
	}
}

// sliceOneLate is m (a row-sliced completion model with two slice nodes)
// with every row slice starting one position late: causal for row k as
// position From + k + 1 only, which the causality checks must refuse.
func sliceOneLate(t *testing.T, m *quant.Model) *quant.Model {
	t.Helper()
	g := *m.Graph
	g.Nodes = slices.Clone(g.Nodes)
	late := 0
	for k, n := range g.Nodes {
		if s, ok := n.Op.(*ops.QSlice); ok {
			starts := slices.Clone(s.Starts)
			starts[len(starts)-2]++
			g.Nodes[k].Op = &ops.QSlice{Starts: starts, Steps: s.Steps}
			late++
		}
	}
	if late != 2 {
		t.Fatalf("%d slice nodes, want 2", late)
	}
	bad := *m
	bad.Graph = &g
	if err := bad.Validate(); err != nil {
		t.Fatal(err)
	}
	return &bad
}

// reloaded is m written to a file and read back, with its commitment
// checked unchanged.
func reloaded(t *testing.T, m *quant.Model) *quant.Model {
	t.Helper()
	path := t.TempDir() + "/model.json"
	if err := quant.WriteQuantized(path, m); err != nil {
		t.Fatal(err)
	}
	back, err := quant.LoadQuantized(path)
	if err != nil {
		t.Fatal(err)
	}
	c1, err1 := quant.CommitString(m)
	c2, err2 := quant.CommitString(back)
	if err1 != nil || err2 != nil || c1 != c2 {
		t.Fatalf("commitment %s → %s (%v, %v)", c1, c2, err1, err2)
	}
	return back
}
