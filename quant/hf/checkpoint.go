package hf

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"
	"github.com/x448/float16"

	"github.com/zkinfer/zkinfer/quant"
)

// checkpoint reads the tensors of a model.safetensors. The safetensors
// library (github.com/nlpodyssey/safetensors) checks the header against the
// file before anything is allocated from it: a header of at most 100 MB
// within the file, contiguous data offsets, every tensor's byte length equal
// to its element count times its dtype size (overflow-checked), and the
// data ending exactly at the end of the file. A tensor is decoded only
// after its shape matched the one config.json implies, so every allocation
// is bounded by the file's length (at most 4× it: a 2-byte value becomes a
// float64).
type checkpoint struct {
	st safetensors.SafeTensors
}

// MaxHeaderSize bounds a checkpoint's safetensors header: the bound every
// safetensors reader of zkinfer applies (quant.MaxSafetensorsHeader).
const MaxHeaderSize = quant.MaxSafetensorsHeader

// openCheckpoint parses the safetensors header of data.
func openCheckpoint(data []byte) (c *checkpoint, err error) {
	st, err := quant.DeserializeSafetensors(data)
	if err != nil {
		return nil, err
	}
	return &checkpoint{st: st}, nil
}

func (c *checkpoint) has(name string) bool {
	_, ok := c.st.Tensor(name)
	return ok
}

// tensor decodes tensor name, which must have the given shape, as float64s.
func (c *checkpoint) tensor(name string, shape ...int) (*quant.FloatTensor, error) {
	tv, ok := c.st.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q is missing from the checkpoint (%d tensors)", quant.ErrValidation, name, c.st.Len())
	}
	want := make([]uint64, len(shape))
	for i, s := range shape {
		want[i] = uint64(s)
	}
	if got := tv.Shape(); !slices.Equal(got, want) {
		return nil, fmt.Errorf("%w: tensor %q has shape %v, config.json implies %v", quant.ErrShape, name, got, want)
	}
	raw := tv.Data()
	var size int
	switch tv.DType() {
	case safetensors.F32:
		size = 4
	case safetensors.F16, safetensors.BF16:
		size = 2
	case safetensors.F64:
		size = 8
	default:
		return nil, fmt.Errorf("%w: tensor %q has dtype %s (supported: F32, F16, BF16, F64)", quant.ErrValidation, name, tv.DType())
	}
	n := quant.ShapeSize(shape)
	if len(raw) != n*size { // the library checked it; a defence in depth
		return nil, fmt.Errorf("%w: tensor %q holds %d bytes, want %d", quant.ErrValidation, name, len(raw), n*size)
	}
	out := make([]float64, n)
	for i := range out {
		b := raw[i*size:]
		switch tv.DType() {
		case safetensors.F32:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case safetensors.F16:
			out[i] = float64(float16.Frombits(binary.LittleEndian.Uint16(b)).Float32())
		case safetensors.BF16:
			out[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
		case safetensors.F64:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		if math.IsNaN(out[i]) || math.IsInf(out[i], 0) {
			return nil, fmt.Errorf("%w: tensor %q element %d is %v", quant.ErrRange, name, i, out[i])
		}
	}
	return &quant.FloatTensor{Shape: slices.Clone(shape), Data: out}, nil
}

// transposed returns the [in, out] weight of a torch nn.Linear stored as
// [out, in] (Llama's projections, lm_head).
func transposed(w *quant.FloatTensor) *quant.FloatTensor {
	r, c := w.Shape[0], w.Shape[1]
	t := &quant.FloatTensor{Shape: []int{c, r}, Data: make([]float64, r*c)}
	for i := range r {
		for j := range c {
			t.Data[j*r+i] = w.Data[i*c+j]
		}
	}
	return t
}

// columns returns columns lo..hi−1 of a [rows, cols] matrix.
func columns(w *quant.FloatTensor, lo, hi int) *quant.FloatTensor {
	r, c := w.Shape[0], w.Shape[1]
	t := &quant.FloatTensor{Shape: []int{r, hi - lo}, Data: make([]float64, 0, r*(hi-lo))}
	for i := range r {
		t.Data = append(t.Data, w.Data[i*c+lo:i*c+hi]...)
	}
	return t
}

// slice1 returns elements lo..hi−1 of a vector.
func slice1(v *quant.FloatTensor, lo, hi int) *quant.FloatTensor {
	return &quant.FloatTensor{Shape: []int{hi - lo}, Data: slices.Clone(v.Data[lo:hi])}
}

func zeros(n int) *quant.FloatTensor {
	return &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)}
}
