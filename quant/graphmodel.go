package quant

import (
	"fmt"
	"math"

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
		if c.Graph == nil || len(c.Graph.Inputs) == 0 {
			return 0
		}
		n := 0
		for _, in := range c.Graph.Inputs {
			if CheckShape(in.Shape) != nil {
				return 0
			}
			n += ShapeSize(in.Shape)
		}
		return n
	}
	return c.SeqLen * c.DModel
}

// forwardGraph runs the integer graph on its inputs (one flat slice per
// graph input); Trace.Values holds every value, Inputs and Outputs the
// graph's, and X (Y) the input (output) as rows of its last axis when the
// graph has one int8 input (output).
func (m *Model) forwardGraph(inputs [][]int64) (*Trace, error) {
	vals, err := m.Graph.Forward(inputs...)
	if err != nil {
		return nil, err
	}
	tr := &Trace{Values: vals}
	for _, id := range m.Graph.Inputs {
		tr.Inputs = append(tr.Inputs, vals[id])
	}
	for _, id := range m.Graph.Outputs {
		tr.Outputs = append(tr.Outputs, vals[id])
	}
	if SingleInt8(m.InputParts()) {
		tr.X = toRows(tr.Inputs[0], m.InputShape())
	}
	if SingleInt8(m.OutputParts()) {
		tr.Y = toRows(tr.Outputs[0], m.OutputShape())
	}
	return tr, nil
}

// quantizeParts maps one sample (every part's values, one after the
// other) to one slice per part: int8 parts quantized at their fraction
// (clamped to int8, as QuantizeInput does), boolean and index parts taken
// as the integers they must hold.
func quantizeParts(parts []IOPart, x []float64) ([][]int64, error) {
	if n := PartsSize(parts); len(x) != n {
		return nil, fmt.Errorf("%w: input has %d values, the graph's inputs (%s) take %d", ErrShape, len(x), partNames(parts), n)
	}
	out := make([][]int64, len(parts))
	off := 0
	for i, p := range parts {
		out[i] = make([]int64, p.Size())
		for j := range out[i] {
			v := x[off+j]
			if p.DType == DTypeIndex || p.IsBool() {
				q, err := integerOf(p, j, v)
				if err != nil {
					return nil, err
				}
				out[i][j] = q
				continue
			}
			out[i][j] = QuantizeValue(v, p.Frac)
		}
		off += p.Size()
	}
	return out, nil
}

// integerOf reads value j of an index or boolean part: an integer within
// the part's bounds.
func integerOf(p IOPart, j int, v float64) (int64, error) {
	if v != math.Trunc(v) || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%w: input %q value %d = %v is not an integer (%s input)", ErrValidation, p.Name, j, v, kindOf(p))
	}
	if v < float64(p.Lo) || v > float64(p.Hi) {
		return 0, fmt.Errorf("%w: input %q value %d = %v is not within [%d, %d] (%s input)", ErrRange, p.Name, j, v, p.Lo, p.Hi, kindOf(p))
	}
	return int64(v), nil
}

func kindOf(p IOPart) string {
	switch {
	case p.DType == DTypeIndex:
		return "index"
	case p.IsBool():
		return "boolean"
	}
	return "int8"
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
