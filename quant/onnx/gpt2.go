package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// gpt2Tolerance bounds the difference, relative to the output's largest
// magnitude, between the graph and the extracted model: both compute in
// float64 from the same float32 weights, so only summation order differs.
// The erf GELU (0.5·x·(1+erf(x/√2))) differs from GPT-2's tanh form by ~1e-4,
// far above it, so the check also tells which of the two the graph computes.
const gpt2Tolerance = 1e-6

// gpt2Activations are the GELU forms tried, in order.
var gpt2Activations = []string{quant.ActivationGELU, quant.ActivationGELUErf}

type lnParams struct {
	gamma, beta []float64
	eps         float64
	node        int
}

type linParams struct {
	w    *tensor
	b    []float64
	node int
}

// importGPT2 extracts a GPT-2 stack from an export by structure (weights of
// MatMul nodes, LayerNorm scales and shifts, in graph order) and accepts it
// only if the extracted model computes the graph's output on a random input.
// Only the live nodes (see liveNodes) are evaluated or looked at.
func importGPT2(b *budget, g *onnxpb.GraphProto, live []bool, used map[string]bool, in *value) (*quant.FloatModel, error) {
	if in.width == 0 {
		return nil, fmt.Errorf("onnx: %w: input %q needs a static d_model for a GPT-2 graph", quant.ErrValidation, in.node)
	}
	seq, d := in.seq, in.width
	x, err := newTensor(b, []int{1, seq, d})
	if err != nil {
		return nil, fmt.Errorf("onnx: the input: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seq), uint64(d)))
	for i := range x.data {
		x.data[i] = rng.NormFloat64()
	}
	inName := in.node[len("input "):]
	if in.rank == 2 {
		x.dims = []int{seq, d}
	}
	env, dep, err := evalGraph(b, g, live, used, inName, x)
	if err != nil {
		return nil, err
	}
	out := env[g.GetOutput()[0].GetName()]
	if out == nil || len(out.data) != seq*d {
		return nil, fmt.Errorf("onnx: %w: the output is not [seq, d_model]", quant.ErrShape)
	}
	producer := map[string]*onnxpb.NodeProto{}
	consumers := map[string][]int{}
	for i, n := range g.GetNode() {
		if !live[i] {
			continue
		}
		for _, o := range n.GetOutput() {
			producer[o] = n
		}
		for _, s := range n.GetInput() {
			consumers[s] = append(consumers[s], i)
		}
	}
	nodes := g.GetNode()
	isConst := func(name string) bool { _, ok := env[name]; return ok && !dep[name] }
	// constOperand returns the constant operand of a binary node and the other one.
	constOperand := func(n *onnxpb.NodeProto) (*tensor, string, bool) {
		if len(n.GetInput()) != 2 {
			return nil, "", false
		}
		a, b := n.GetInput()[0], n.GetInput()[1]
		switch {
		case isConst(a) && dep[b]:
			return env[a], b, true
		case isConst(b) && dep[a]:
			return env[b], a, true
		}
		return nil, "", false
	}
	// The Add of a constant [width] consuming out, if any.
	addAfter := func(out string, width int) (*onnxpb.NodeProto, []float64) {
		for _, c := range consumers[out] {
			n := nodes[c]
			if n.GetOpType() != "Add" {
				continue
			}
			if t, _, ok := constOperand(n); ok && len(t.data) == width && len(t.dims) <= 2 {
				return n, t.data
			}
		}
		return nil, nil
	}
	var lins []linParams
	var lns []lnParams
	for i, n := range nodes {
		if !live[i] {
			continue
		}
		switch n.GetOpType() {
		case "MatMul":
			if len(n.GetInput()) == 2 && dep[n.GetInput()[0]] && isConst(n.GetInput()[1]) {
				w := env[n.GetInput()[1]]
				if len(w.dims) != 2 {
					return nil, fmt.Errorf("onnx: node %d %q (op MatMul): %w: weight of shape %v, want [in, out]", i, n.GetName(), quant.ErrShape, w.dims)
				}
				_, b := addAfter(n.GetOutput()[0], w.dims[1])
				if b == nil {
					b = make([]float64, w.dims[1])
				}
				lins = append(lins, linParams{w: w, b: b, node: i})
			}
		case "Gemm":
			// transformers' Conv1D exports as addmm: Gemm on the [seq, in] view.
			ins := n.GetInput()
			if len(ins) < 2 || !dep[ins[0]] || !isConst(ins[1]) {
				continue
			}
			at := attrs(n)
			if at["transA"].GetI() != 0 {
				return nil, fmt.Errorf("onnx: node %d %q (op Gemm): %w: transA = 1 is not supported", i, n.GetName(), quant.ErrValidation)
			}
			w := env[ins[1]]
			if len(w.dims) != 2 {
				return nil, fmt.Errorf("onnx: node %d %q (op Gemm): %w: weight of shape %v, want 2-D", i, n.GetName(), quant.ErrShape, w.dims)
			}
			var err error
			if at["transB"].GetI() != 0 {
				if w, err = transpose(b, w); err != nil {
					return nil, fmt.Errorf("onnx: node %d %q (op Gemm): %w", i, n.GetName(), err)
				}
			}
			alpha, beta := 1.0, 1.0
			if v, ok := at["alpha"]; ok {
				alpha = float64(v.GetF())
			}
			if v, ok := at["beta"]; ok {
				beta = float64(v.GetF())
			}
			scaled, err := scale(b, w, alpha)
			if err != nil {
				return nil, fmt.Errorf("onnx: node %d %q (op Gemm): %w", i, n.GetName(), err)
			}
			bias := make([]float64, w.dims[1])
			if len(ins) > 2 && ins[2] != "" {
				if !isConst(ins[2]) {
					return nil, fmt.Errorf("onnx: node %d %q (op Gemm): %w: the bias C must be a constant", i, n.GetName(), quant.ErrValidation)
				}
				c, err := biasOf(b, env[ins[2]], w.dims[1])
				if err != nil {
					return nil, fmt.Errorf("onnx: node %d %q (op Gemm): %w", i, n.GetName(), err)
				}
				for k := range c {
					bias[k] = beta * c[k]
				}
			}
			lins = append(lins, linParams{w: scaled, b: bias, node: i})
		case "LayerNormalization":
			eps := 1e-5
			if a, ok := attrs(n)["epsilon"]; ok {
				eps = float64(a.GetF())
			}
			gamma, beta := env[n.GetInput()[1]].data, env[n.GetInput()[2]].data
			if len(gamma) != d || len(beta) != d {
				return nil, fmt.Errorf("onnx: node %d %q (op LayerNormalization): %w: scale and bias of %d and %d, want d_model = %d", i, n.GetName(), quant.ErrShape, len(gamma), len(beta), d)
			}
			lns = append(lns, lnParams{gamma: gamma, beta: beta, eps: eps, node: i})
		case "Mul":
			// Decomposed LayerNorm: Div(x - mean, Sqrt(var + eps)) · gamma + beta.
			t, other, ok := constOperand(n)
			if !ok || len(t.data) != d || producer[other] == nil || producer[other].GetOpType() != "Div" {
				continue
			}
			_, beta := addAfter(n.GetOutput()[0], d)
			if beta == nil {
				beta = make([]float64, d)
			}
			ln := lnParams{gamma: t.data, beta: beta, eps: 0, node: i}
			if sq := producer[producer[other].GetInput()[1]]; sq != nil && sq.GetOpType() == "Sqrt" {
				if add := producer[sq.GetInput()[0]]; add != nil && add.GetOpType() == "Add" {
					if e, _, ok := constOperand(add); ok && len(e.data) == 1 {
						ln.eps = e.data[0]
					}
				}
			}
			lns = append(lns, ln)
		}
	}
	if len(lins) == 0 || len(lins)%4 != 0 {
		return nil, fmt.Errorf("onnx: %w: found %d linear layers (MatMul or Gemm by a constant), a GPT-2 stack has 4 per block", quant.ErrValidation, len(lins))
	}
	nl := len(lins) / 4
	if len(lns) != 2*nl && len(lns) != 2*nl+1 {
		return nil, fmt.Errorf("onnx: %w: found %d LayerNorms for %d blocks, want %d or %d", quant.ErrValidation, len(lns), nl, 2*nl, 2*nl+1)
	}
	// Exports store epsilon as float32: take the shortest decimal that rounds
	// to it (1e-5, not 9.99999974e-06), as the checkpoint's config says.
	for i := range lns {
		lns[i].eps, _ = strconv.ParseFloat(strconv.FormatFloat(lns[i].eps, 'g', -1, 32), 64)
	}
	h := lins[2].w.dims[1]
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: d, DHidden: h, SeqLen: seq, Activation: quant.ActivationGELU,
		NLayer: nl, LayerNormEpsilon: lns[0].eps, FinalLayerNorm: len(lns) == 2*nl+1}
	m := &quant.FloatModel{Config: cfg}
	dense := func(l linParams, r, c int, what string) (*mat.Dense, error) {
		if l.w.dims[0] != r || l.w.dims[1] != c {
			return nil, fmt.Errorf("onnx: node %d (%s): %w: weight of shape %v, want [%d %d]", l.node, what, quant.ErrShape, l.w.dims, r, c)
		}
		if err := b.constant(r * c); err != nil {
			return nil, fmt.Errorf("onnx: node %d (%s): %w", l.node, what, err)
		}
		return mat.NewDense(r, c, slices.Clone(l.w.data)), nil
	}
	for i := range nl {
		l, n := lins[4*i:4*i+4], lns[2*i:2*i+2]
		var b quant.FloatBlock
		if b.AttnW, err = dense(l[0], d, 3*d, "attn.c_attn"); err != nil {
			return nil, err
		}
		if b.AttnProjW, err = dense(l[1], d, d, "attn.c_proj"); err != nil {
			return nil, err
		}
		if b.FCW, err = dense(l[2], d, h, "mlp.c_fc"); err != nil {
			return nil, err
		}
		if b.ProjW, err = dense(l[3], h, d, "mlp.c_proj"); err != nil {
			return nil, err
		}
		b.AttnB, b.AttnProjB, b.FCB, b.ProjB = l[0].b, l[1].b, l[2].b, l[3].b
		b.LN1 = quant.FloatLayerNorm{Gamma: n[0].gamma, Beta: n[0].beta}
		b.LN2 = quant.FloatLayerNorm{Gamma: n[1].gamma, Beta: n[1].beta}
		m.Blocks = append(m.Blocks, b)
	}
	if cfg.FinalLayerNorm {
		f := lns[len(lns)-1]
		m.LNF = &quant.FloatLayerNorm{Gamma: f.gamma, Beta: f.beta}
	}
	for _, ln := range lns {
		if ln.eps != cfg.LayerNormEpsilon {
			return nil, fmt.Errorf("onnx: node %d: %w: LayerNorm epsilon %v differs from the first one's %v", ln.node, quant.ErrValidation, ln.eps, cfg.LayerNormEpsilon)
		}
	}
	// The head count and the GELU form are not in the weights: try each
	// divisor of d_model and each form, and keep the one that matches the
	// graph. Each try is a forward pass charged to the budget, so the head
	// counts go nearest to GPT-2's head size first, both forms for each.
	var heads []int
	for nh := 1; nh <= d; nh++ {
		if d%nh == 0 {
			heads = append(heads, nh)
		}
	}
	slices.SortStableFunc(heads, func(a, b int) int { return abs(d/a-gpt2HeadSize) - abs(d/b-gpt2HeadSize) })
	best := math.Inf(1)
	for _, nh := range heads {
		for _, act := range gpt2Activations {
			m.Config.NHead, m.Config.Activation = nh, act
			if err := m.Config.Validate(); err != nil {
				return nil, fmt.Errorf("onnx: %w", err)
			}
			if err := b.work(gpt2ForwardMACs(m.Config)); err != nil {
				return nil, fmt.Errorf("onnx: checking the extracted %d-block GPT-2 (%d heads, %s) against the graph: %w", nl, nh, act, err)
			}
			tr, err := m.ForwardGPT2(x.data)
			if err != nil {
				return nil, err
			}
			worst, mx := 0.0, 0.0
			for i, v := range tr.Final.RawMatrix().Data {
				worst = math.Max(worst, math.Abs(v-out.data[i]))
				mx = math.Max(mx, math.Abs(out.data[i]))
			}
			if worst <= gpt2Tolerance*math.Max(mx, 1) {
				return m, nil
			}
			best = math.Min(best, worst/math.Max(mx, 1))
		}
	}
	return nil, fmt.Errorf("onnx: %w: the graph has the layers of a %d-block GPT-2 stack but does not compute one (closest head count and GELU form: relative difference %.2g, tolerance %g): "+
		"supported are GPT-2 blocks with causal attention, GELU (tanh or erf form) and pre-LayerNorm", quant.ErrValidation, nl, best, gpt2Tolerance)
}

// gpt2HeadSize is GPT-2's d_model / n_head, in every released size.
const gpt2HeadSize = 64

func abs(v int) int { return max(v, -v) }

// gpt2ForwardMACs is the multiply-adds of a forward pass of cfg: per block
// and token, the four linear layers (4·d² + 2·d·h), and per block the
// attention scores and their product with the values (2·seq²·d).
func gpt2ForwardMACs(cfg quant.Config) int64 {
	s, d, h := int64(cfg.SeqLen), int64(cfg.DModel), int64(cfg.DHidden)
	return int64(cfg.NLayer) * (s*(4*d*d+2*d*h) + 2*s*s*d)
}
