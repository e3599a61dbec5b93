package circuits

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/ffn"
	"github.com/zkinfer/zkinfer/circuits/gpt2"
	"github.com/zkinfer/zkinfer/quant"
)

// New returns the circuit of a quantized model, chosen by its architecture,
// with its variables allocated and ready to compile. Every circuit exposes the
// packed input and output (quant.PackInt8) as its public inputs, in that order.
func New(m *quant.Model) (frontend.Circuit, error) {
	switch m.Config.Architecture {
	case quant.ArchitectureFFN:
		return ffn.New(m), nil
	case quant.ArchitectureGPT2:
		return gpt2.New(m), nil
	}
	return nil, fmt.Errorf("circuits: no circuit for architecture %q", m.Config.Architecture)
}

// Assignment returns the witness of the circuit of m for one trace of the
// integer reference forward pass.
func Assignment(m *quant.Model, tr *quant.Trace) (frontend.Circuit, error) {
	switch m.Config.Architecture {
	case quant.ArchitectureFFN:
		return ffn.Assignment(tr)
	case quant.ArchitectureGPT2:
		return gpt2.Assignment(tr)
	}
	return nil, fmt.Errorf("circuits: no circuit for architecture %q", m.Config.Architecture)
}
