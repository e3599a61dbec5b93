package quant

import "fmt"

// Trace holds every intermediate of the integer forward pass of one input:
// the circuit's witness is derived from it, and tests compare the circuit
// with it. All tensors are seq × width, row-major per token.
type Trace struct {
	X      [][]int64 // input, int8 at StreamFrac
	FCAcc  [][]int64 // c_fc accumulators
	Hidden [][]int64 // ReLU(requant(FCAcc)), int8 at HiddenFrac
	PAcc   [][]int64 // c_proj accumulators
	Proj   [][]int64 // requant(PAcc), int8 at StreamFrac
	Y      [][]int64 // clamp(X + Proj), int8 at StreamFrac

	// GPT2 holds the intermediates of each block of a gpt2 model; X and Y
	// are then the model's input and output.
	GPT2 []BlockTrace

	// Values holds every value of a graph model, by id (flat); X and Y are
	// then its input and output as rows of their last axis.
	Values [][]int64
}

// QuantizeInput maps one float sample (seq_len·d_model values) to int8 at the stream scale.
func (m *Model) QuantizeInput(x []float64) ([][]int64, error) {
	c := m.Config
	rows, width := Rows(m.InputShape())
	if len(x) != rows*width {
		if m.Graph != nil {
			return nil, fmt.Errorf("%w: input has %d values, the graph takes %v = %d", ErrShape, len(x), m.InputShape(), rows*width)
		}
		return nil, fmt.Errorf("%w: input has %d values, want seq_len·d_model = %d·%d = %d", ErrShape, len(x), c.SeqLen, c.DModel, c.SeqLen*c.DModel)
	}
	out := make([][]int64, rows)
	for t := range out {
		out[t] = make([]int64, width)
		for i := range out[t] {
			out[t][i] = QuantizeValue(x[t*width+i], m.InputFrac())
		}
	}
	return out, nil
}

// Forward runs the integer reference forward pass on x (seq × d_model, int8).
func (m *Model) Forward(x [][]int64) (*Trace, error) {
	c := m.Config
	if m.Graph != nil {
		rows, width := Rows(m.InputShape())
		if len(x) != rows {
			return nil, fmt.Errorf("%w: input has %d rows, want %d", ErrShape, len(x), rows)
		}
		if err := checkInt8Rows(x, width); err != nil {
			return nil, err
		}
		return m.forwardGraph(x)
	}
	if len(x) != c.SeqLen {
		return nil, fmt.Errorf("%w: input has %d tokens, want %d", ErrShape, len(x), c.SeqLen)
	}
	if err := checkInt8Rows(x, c.DModel); err != nil {
		return nil, err
	}
	if c.Architecture == ArchitectureGPT2 {
		return m.forwardGPT2(x), nil
	}
	tr := &Trace{}
	for _, xt := range x {
		fcAcc, h := m.FC.Apply(xt)
		pAcc, p := m.Proj.Apply(h)
		y := make([]int64, c.DModel)
		for i := range y {
			y[i] = ResidualAdd(xt[i], p[i])
		}
		tr.X = append(tr.X, append([]int64(nil), xt...))
		tr.FCAcc = append(tr.FCAcc, fcAcc)
		tr.Hidden = append(tr.Hidden, h)
		tr.PAcc = append(tr.PAcc, pAcc)
		tr.Proj = append(tr.Proj, p)
		tr.Y = append(tr.Y, y)
	}
	return tr, nil
}

// ResidualAdd is the saturating int8 addition of two tensors at the same scale.
func ResidualAdd(a, b int64) int64 {
	return Clamp(a+b, Int8Min, Int8Max)
}

// InputFrac is the fixed-point fraction of the model input: stream_frac
// (ffn) or residual_frac (gpt2).
func (m *Model) InputFrac() int {
	if m.Graph != nil {
		return m.Graph.Input().Frac
	}
	if m.Config.Architecture == ArchitectureGPT2 && m.Scales.GPT2 != nil {
		return m.Scales.GPT2.Formats.ResidualFrac
	}
	return m.Scales.StreamFrac
}

// OutputFrac is the fixed-point fraction of the model output: stream_frac
// (ffn) or output_frac (gpt2: ln_f_frac with ln_f, else residual_frac).
func (m *Model) OutputFrac() int {
	if m.Graph != nil {
		return m.Graph.Output().Frac
	}
	if m.Config.Architecture == ArchitectureGPT2 && m.Scales.GPT2 != nil {
		return m.Scales.GPT2.Formats.OutputFrac
	}
	return m.Scales.StreamFrac
}

func checkInt8Rows(x [][]int64, d int) error {
	for t, xt := range x {
		if len(xt) != d {
			return fmt.Errorf("%w: token %d has %d values, want %d", ErrShape, t, len(xt), d)
		}
		for i, v := range xt {
			if v < Int8Min || v > Int8Max {
				return fmt.Errorf("%w: token %d value %d = %d is not int8", ErrRange, t, i, v)
			}
		}
	}
	return nil
}

// DequantizeOutput maps the int8 output back to reals, row-major.
func (m *Model) DequantizeOutput(y [][]int64) []float64 {
	out := make([]float64, 0, ShapeSize(m.OutputShape()))
	for _, row := range y {
		for _, v := range row {
			out = append(out, DequantizeValue(v, m.OutputFrac()))
		}
	}
	return out
}
