package quant

import "fmt"

// ConstraintsPerOutput is the estimated R1CS cost of one requantized output
// (hinted quotient, range-checked remainder, clamp). With clamp tables
// (circuits/fixedpoint.Plan) a wide dense output costs 6 and the GPT-2
// circuits average 7–8 per output including LayerNorm, attention and the
// amortized tables; circuits too small for a table to pay off cost about 15,
// so the estimate is low for tiny models and right for the ones where the
// setup cost matters. Products of two witnesses (attention's QKᵀ and
// softmax·V) cost one constraint each on top; products with constant
// weights cost nothing under Groth16.
const ConstraintsPerOutput = 8

// LayerSummary describes one layer of a model as zkinfer will prove it.
type LayerSummary struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// In and Out are the per-token widths (for attention: d_model).
	In  int `json:"in"`
	Out int `json:"out"`
	// Params counts the learned parameters.
	Params int `json:"params"`
	// Outputs counts the requantized values over the whole sequence.
	Outputs int `json:"outputs"`
	// Products counts multiplications of two witnesses.
	Products int `json:"products,omitempty"`
	// Constraints is the estimate ConstraintsPerOutput·Outputs + Products
	// (for a layer graph's node: its op's Cost, R1CS).
	Constraints int `json:"constraints"`
	// A layer graph's node: its op's attributes, the shapes of its inputs
	// and output, and its PLONK estimate.
	Attrs    string  `json:"attrs,omitempty"`
	InShapes [][]int `json:"in_shapes,omitempty"`
	OutShape []int   `json:"out_shape,omitempty"`
	SCS      int     `json:"scs,omitempty"`
}

// Summary is a model as zkinfer understands it, before any setup.
type Summary struct {
	Config      Config         `json:"config"`
	Layers      []LayerSummary `json:"layers"`
	Params      int            `json:"params"`
	Constraints int            `json:"constraints_estimate"`
	// SCS is a layer graph's PLONK estimate.
	SCS int `json:"scs_estimate,omitempty"`
	// Notes are remarks on the estimate or the import.
	Notes []string `json:"notes,omitempty"`
}

// Summarize lists the layers of fm with their shapes, parameter counts and
// an estimate of the circuit size (Groth16, weights fixed): a figure to decide
// whether a setup is affordable, not a promise: compile-circuit counts exactly.
func Summarize(fm *FloatModel) Summary {
	if fm.Config.Architecture == ArchitectureGraph && fm.Graph != nil {
		return summarizeGraph(fm)
	}
	c := fm.Config
	s := Summary{Config: c}
	add := func(name, kind string, in, out, params, outputs, products int) {
		l := LayerSummary{Name: name, Kind: kind, In: in, Out: out, Params: params, Outputs: outputs, Products: products,
			Constraints: ConstraintsPerOutput*outputs + products}
		s.Layers = append(s.Layers, l)
		s.Params += params
		s.Constraints += l.Constraints
	}
	seq, d, h := c.SeqLen, c.DModel, c.DHidden
	if c.Architecture != ArchitectureGPT2 {
		add("mlp.c_fc+relu", "dense+relu", d, h, d*h+h, seq*h, 0)
		add("mlp.c_proj", "dense", h, d, h*d+d, seq*d, 0)
		add("residual", "add", d, d, 0, seq*d, 0)
		return s
	}
	// Causal attention scores only the pairs j ≤ i.
	pairs := seq * (seq + 1) / 2 * c.NHead
	for i := range c.NLayer {
		p := fmt.Sprintf("h.%d.", i)
		add(p+"ln_1", "layernorm", d, d, 2*d, seq*d, 0)
		add(p+"attn.c_attn", "dense", d, 3*d, 3*d*d+3*d, seq*3*d, 0)
		add(p+"attn", "attention", d, d, 0, 2*pairs+seq*d, 2*pairs*c.HeadDim())
		add(p+"attn.c_proj", "dense", d, d, d*d+d, seq*d, 0)
		add(p+"residual_1", "add", d, d, 0, seq*d, 0)
		add(p+"ln_2", "layernorm", d, d, 2*d, seq*d, 0)
		add(p+"mlp.c_fc+gelu", "dense+gelu", d, h, d*h+h, 2*seq*h, 0)
		add(p+"mlp.c_proj", "dense", h, d, h*d+d, seq*d, 0)
		add(p+"residual_2", "add", d, d, 0, seq*d, 0)
	}
	if c.FinalLayerNorm {
		add("ln_f", "layernorm", d, d, 2*d, seq*d, 0)
	}
	return s
}
