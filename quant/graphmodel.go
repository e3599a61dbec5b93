package quant

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// validateGraph checks a graph model: no field of the other architectures,
// the graph, and its scales.
func (m *Model) validateGraph() error {
	var set []string
	if m.Config.Graph != nil {
		set = append(set, "config.graph (the float graph: a quantized model holds \"graph\")")
	}
	if m.Scales.StreamFrac != 0 || m.Scales.HiddenFrac != 0 || m.Scales.GPT2 != nil {
		set = append(set, "scales other than scales.graph")
	}
	if !m.FC.isZero() || !m.Proj.isZero() || len(m.Blocks) != 0 || m.LNF != nil || len(m.ExpTable) != 0 || len(m.GELUTable) != 0 {
		set = append(set, "ffn or gpt2 layers")
	}
	if len(set) > 0 {
		return fmt.Errorf("%w: graph model sets %v (leave it out)", ErrValidation, set)
	}
	if m.Graph == nil {
		return fmt.Errorf("%w: graph model without a graph", ErrValidation)
	}
	if err := m.Graph.Validate(); err != nil {
		return err
	}
	if m.Scales.Graph == nil || len(m.Scales.Graph.Fracs) != len(m.Graph.Values) {
		return fmt.Errorf("%w: graph model's scales.graph does not list one fraction per value", ErrValidation)
	}
	for id, v := range m.Graph.Values {
		if m.Scales.Graph.Fracs[id] != v.Frac {
			return fmt.Errorf("%w: value %d (%s): frac %d, scales.graph says %d", ErrValidation, id, v.Name, v.Frac, m.Scales.Graph.Fracs[id])
		}
	}
	return nil
}

// InputShape is the shape of the model input: [seq_len, d_model] for ffn
// and gpt2, the graph input's shape for a graph.
func (m *Model) InputShape() []int {
	if m.Graph != nil {
		return m.Graph.Input().Shape
	}
	return []int{m.Config.SeqLen, m.Config.DModel}
}

// OutputShape is the shape of the model output.
func (m *Model) OutputShape() []int {
	if m.Graph != nil {
		return m.Graph.Output().Shape
	}
	return []int{m.Config.SeqLen, m.Config.DModel}
}

// InputSize is the number of values of one input sample of cfg's model, or
// 0 where the config does not fix it.
func (c Config) InputSize() int {
	if c.Architecture == ArchitectureGraph {
		if c.Graph == nil || len(c.Graph.Inputs) != 1 {
			return 0
		}
		return ShapeSize(c.Graph.Inputs[0].Shape)
	}
	return c.SeqLen * c.DModel
}

// forwardGraph runs the integer graph; Trace.X and Y are the input and the
// output as rows of their last axis, Trace.Values every value.
func (m *Model) forwardGraph(x [][]int64) (*Trace, error) {
	flat := Flatten(x)
	vals, err := m.Graph.Forward(flat)
	if err != nil {
		return nil, err
	}
	return &Trace{X: toRows(flat, m.InputShape()), Y: toRows(vals[m.Graph.Outputs[0]], m.OutputShape()), Values: vals}, nil
}

func toRows(flat []int64, shape []int) [][]int64 {
	rows, width := Rows(shape)
	out := make([][]int64, rows)
	for r := range out {
		out[r] = append([]int64(nil), flat[r*width:(r+1)*width]...)
	}
	return out
}

func denseOf(rows, width int, data []float64) *mat.Dense {
	return mat.NewDense(rows, width, append([]float64(nil), data...))
}
