package circuits

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

// New returns the circuit of a quantized model, chosen by its architecture,
// with its variables allocated and ready to compile. Every circuit exposes its
// input and output as its public inputs, in that order, as v says (modelio).
// opts choose the fixed-point gadgets' range-check strategy.
func New(m *quant.Model, v quant.Visibility, opts ...fixedpoint.Option) (frontend.Circuit, error) {
	if err := checkCommitted(m, v); err != nil {
		return nil, err
	}
	switch m.Config.Architecture {
	case quant.ArchitectureFFN, quant.ArchitectureGPT2, quant.ArchitectureGraph:
		// An ffn or gpt2 model is walked as its graph form
		// (ops.FromLegacyFFN, ops.FromLegacyGPT2), constraint for
		// constraint the former circuits/ffn and circuits/gpt2.
		return graph.New(m, v, opts...)
	}
	return nil, fmt.Errorf("circuits: no circuit for architecture %q", m.Config.Architecture)
}

// Assignment returns the witness of the circuit of m for one trace of the
// integer reference forward pass; salts serve private input or output.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (frontend.Circuit, error) {
	if err := checkCommitted(m, v); err != nil {
		return nil, err
	}
	switch m.Config.Architecture {
	case quant.ArchitectureFFN, quant.ArchitectureGPT2, quant.ArchitectureGraph:
		return graph.Assignment(m, tr, v, salts)
	}
	return nil, fmt.Errorf("circuits: no circuit for architecture %q", m.Config.Architecture)
}

// checkCommitted refuses committed weights outside layer graphs and legacy
// gpt2 models (walked as their layer graph): the legacy ffn circuit
// recomputes the Poseidon2 commitment only.
func checkCommitted(m *quant.Model, v quant.Visibility) error {
	if v.Weights == quant.VisibilityCommitted && m.Config.Architecture != quant.ArchitectureGraph && m.Config.Architecture != quant.ArchitectureGPT2 {
		return fmt.Errorf("circuits: %w: %s weights need a layer-graph or gpt2 model (architecture %q has hashed, public or fixed weights)", quant.ErrValidation, quant.VisibilityCommitted, m.Config.Architecture)
	}
	return nil
}
