package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// FromLegacyFFN re-expresses a legacy ffn model, y = clamp(x + Proj(ReLU(FC(x)))),
// as a layer graph over the generic ops: x [seq, d_model] → linear (c_fc,
// ReLU in its clamp) → linear (c_proj) → residual (x + ·). The layers'
// integers are shared with m (quant.Dense), so the graph's forward pass is
// m's bit for bit, its sites are the legacy circuit's, and the graph
// circuit (circuits/graph) has the legacy circuit's constraint count.
// m keeps its architecture, encoding (commitment v2) and public inputs:
// the graph is how its circuit is built, not a new model.
func FromLegacyFFN(m *quant.Model) (*quant.Graph, error) {
	c := m.Config
	if c.Architecture != quant.ArchitectureFFN {
		return nil, fmt.Errorf("%w: FromLegacyFFN of a %s model", quant.ErrValidation, c.Architecture)
	}
	s := m.Scales
	x := quant.Value{Name: "x", Shape: []int{c.SeqLen, c.DModel}, Frac: s.StreamFrac, Lo: quant.Int8Min, Hi: quant.Int8Max}
	h := quant.Value{Name: "h", Shape: []int{c.SeqLen, m.FC.Out}, Frac: s.HiddenFrac, Lo: m.FC.Lo, Hi: m.FC.Hi}
	p := quant.Value{Name: "p", Shape: []int{c.SeqLen, m.Proj.Out}, Frac: s.StreamFrac, Lo: m.Proj.Lo, Hi: m.Proj.Hi}
	y := quant.Value{Name: "y", Shape: []int{c.SeqLen, c.DModel}, Frac: s.StreamFrac, Lo: quant.Int8Min, Hi: quant.Int8Max}
	g := &quant.Graph{
		Values:  []quant.Value{x, h, p, y},
		Inputs:  []int{0},
		Outputs: []int{3},
		Nodes: []quant.Node{
			{Name: "c_fc", Op: &QLinear{Dense: m.FC}, In: []int{0}, Out: []int{1}},
			{Name: "c_proj", Op: &QLinear{Dense: m.Proj}, In: []int{1}, Out: []int{2}},
			{Name: "residual", Op: &QResidual{}, In: []int{0, 2}, Out: []int{3}},
		},
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("ffn as a graph: %w", err)
	}
	return g, nil
}
