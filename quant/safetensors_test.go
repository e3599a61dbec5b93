package quant

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// A header beyond MaxSafetensorsHeader is refused by every safetensors
// reader before it is decoded (a 94 MB header of one shape once took 4.3 GB).
func TestSafetensorsHeaderBoundedEverywhere(t *testing.T) {
	data := make([]byte, 16)
	binary.LittleEndian.PutUint64(data, MaxSafetensorsHeader+1)
	cfg := Config{Architecture: ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 1,
		Activation: ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	for name, parse := range map[string]func() error{
		"DeserializeSafetensors": func() error { _, err := DeserializeSafetensors(data); return err },
		"ParseModel":             func() error { _, err := ParseModel(data, cfg); return err },
		"ParseGPT2Checkpoint":    func() error { _, err := ParseGPT2Checkpoint(data, cfg, 0); return err },
	} {
		err := parse()
		if err == nil || !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "header too large") {
			t.Errorf("%s: got %v, want a header-too-large validation error", name, err)
		}
	}
}
