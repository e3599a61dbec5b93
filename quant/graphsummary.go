package quant

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// summarizeGraph lists a graph's nodes with their shapes and the circuit
// cost their integer ops estimate (Op.Cost) after a quick quantization at
// fractions calibrated on a few fixed pseudo-random inputs in [-1, 1]: the
// costs depend on shapes and weights, hardly on the fractions. When that
// quantization fails, the estimate is ConstraintsPerOutput per output of
// every node that computes (shape-only ops cost nothing).
func summarizeGraph(fm *FloatModel) Summary {
	g := fm.Graph
	s := Summary{Config: fm.Config}
	var qg *Graph
	m, err := quickQuantize(fm)
	if err == nil {
		qg = m.Graph
	} else {
		s.Notes = append(s.Notes, fmt.Sprintf("estimates from shapes only: the quick quantization failed (%v)", err))
	}
	// The quantized node of each float node, by name: a node fused with
	// the next one it feeds (NodeFusion, "<first>+<second>") carries the
	// fused node's estimate on the first's row, none on the second's.
	qnode := map[string]int{}
	var fused []string
	if qg != nil {
		for k, qn := range qg.Nodes {
			qnode[qn.Name] = k
		}
		for i := range g.Nodes {
			if _, ok := qnode[g.Nodes[i].Name]; ok {
				continue
			}
			for j := i + 1; j < len(g.Nodes); j++ {
				name := g.Nodes[i].Name + "+" + g.Nodes[j].Name
				if k, ok := qnode[name]; ok {
					qnode[g.Nodes[i].Name], qnode[g.Nodes[j].Name] = k, -1
					fused = append(fused, name)
					break
				}
			}
		}
	}
	if len(fused) > 0 {
		shown := fused
		if len(shown) > 4 {
			shown = append(shown[:4:4], "…")
		}
		s.Notes = append(s.Notes, fmt.Sprintf("%d linear layers fused with the residual adds that read them when quantized (linear_residual: %s): each layer's row carries the fused node's estimate, its add's row none", len(fused), strings.Join(shown, ", ")))
	}
	for _, n := range g.Nodes {
		l := LayerSummary{Name: n.Name, Kind: n.Op.Kind()}
		if a, err := json.Marshal(n.Op); err == nil && string(a) != "{}" {
			l.Attrs = string(a)
		}
		for _, id := range n.In {
			l.InShapes = append(l.InShapes, g.Shapes[id])
		}
		l.OutShape = g.Shapes[n.Out[0]]
		_, l.In = Rows(g.Shapes[n.In[0]])
		_, l.Out = Rows(l.OutShape)
		for _, id := range n.Out {
			l.Outputs += ShapeSize(g.Shapes[id])
		}
		if qg != nil {
			if k, ok := qnode[n.Name]; ok && k >= 0 {
				qn := qg.Nodes[k]
				c := qn.Op.Cost(qg.ValuesOf(qn.In), qg.ValuesOf(qn.Out))
				l.Params, l.Constraints, l.SCS = c.Params, c.R1CS, c.SCS
			}
		} else {
			for _, p := range n.Op.Params() {
				l.Params += len(p.T.Data)
			}
			if k := n.Op.Kind(); k != "reshape" && k != "transpose" {
				l.Constraints = ConstraintsPerOutput * l.Outputs
			}
		}
		s.Layers = append(s.Layers, l)
		s.Params += l.Params
		s.Constraints += l.Constraints
		s.SCS += l.SCS
	}
	if qg != nil {
		// Exposing the input and output under the default visibility.
		all, nodes := m.EstimateCost(DefaultVisibility), qg.Cost()
		attrs := fmt.Sprintf(`{"input":%q,"output":%q`, DefaultVisibility.Input, DefaultVisibility.Output)
		// Several inputs or outputs: their names, which per-part
		// visibility (--input-visibility NAME=VIS) takes.
		for _, side := range []struct {
			key string
			ids []int
		}{{"inputs", g.Inputs}, {"outputs", g.Outputs}} {
			if len(side.ids) > 1 {
				names := make([]string, len(side.ids))
				for i, id := range side.ids {
					names[i] = g.Names[id]
				}
				js, _ := json.Marshal(names)
				attrs += fmt.Sprintf(`,%q:%s`, side.key, js)
			}
		}
		io := LayerSummary{Name: "input/output", Kind: "io", Attrs: attrs + "}",
			InShapes: [][]int{g.Shapes[g.Inputs[0]]}, OutShape: g.Shapes[g.Outputs[0]], Constraints: all.R1CS - nodes.R1CS, SCS: all.SCS - nodes.SCS}
		s.Layers = append(s.Layers, io)
		s.Constraints += io.Constraints
		s.SCS += io.SCS
	}
	return s
}

// quickQuantize quantizes fm at fractions calibrated on four fixed
// pseudo-random inputs: real values in [-1, 1], integers within the bounds
// of index and bool inputs (token ids).
func quickQuantize(fm *FloatModel) (*Model, error) {
	rng := rand.New(rand.NewPCG(14, 14))
	g := fm.Graph
	samples := make([][]float64, 4)
	for k := range samples {
		for j, id := range g.Inputs {
			var spec GraphInput
			if j < len(g.InputSpecs) {
				spec = g.InputSpecs[j]
			}
			p := spec.Part()
			for range ShapeSize(g.Shapes[id]) {
				v := rng.Float64()*2 - 1
				if spec.DType != "" {
					v = float64(p.Lo + rng.Int64N(p.Hi-p.Lo+1))
				}
				samples[k] = append(samples[k], v)
			}
		}
	}
	s, err := Calibrate(fm, samples)
	if err != nil {
		return nil, err
	}
	return Quantize(fm, s)
}

// DescribeGraph renders a graph config in one line: its input and its nodes by kind.
func DescribeGraph(c Config) string {
	if c.Graph == nil || len(c.Graph.Inputs) != 1 {
		return "graph"
	}
	count := map[string]int{}
	var order []string
	for _, n := range c.Graph.Nodes {
		if count[n.Op] == 0 {
			order = append(order, n.Op)
		}
		count[n.Op]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s×%d", k, count[k])
	}
	in := c.Graph.Inputs[0]
	return fmt.Sprintf("graph: input %s %v, %d nodes (%s)", in.Name, in.Shape, len(c.Graph.Nodes), strings.Join(parts, ", "))
}

// LoadInputFor reads an input file for the quantized model m, whose config
// does not hold a graph's input shape (the graph does): every sample must
// hold exactly the values of m's input (for several inputs, or index or
// boolean ones, see Input).
func LoadInputFor(path string, m *Model) (*Input, error) {
	if m.Graph != nil && !plainParts(m.InputParts()) {
		return loadInputParts(path, m) // several inputs, index or boolean inputs
	}
	cfg := m.Config
	if m.Graph != nil && len(m.Graph.Inputs) == 1 {
		in := m.Graph.Input()
		cfg.Graph = &GraphSpec{Inputs: []GraphInput{{Name: in.Name, Shape: in.Shape}}}
	}
	return LoadInput(path, cfg)
}
