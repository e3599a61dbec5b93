package prover_test

import (
	"errors"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
)

// GPU requests ICICLE cannot serve fail before any work, in every build.
func TestProveGPURefusals(t *testing.T) {
	c := compilePlonkTiny(t, 7)
	pk, err := prover.NewProvingKey(prover.BackendPLONK)
	if err != nil {
		t.Fatal(err)
	}
	h := c.Header
	h.Format = prover.FormatProvingKey
	if _, err := prover.Prove(c, pk, h, nil, nil, nil, prover.WithGPU(0)); !errors.Is(err, prover.ErrGPUBackend) {
		t.Errorf("plonk on gpu: %v", err)
	}
	g := compileTiny(t, 7)
	gpk, err := prover.NewProvingKey(prover.BackendGroth16)
	if err != nil {
		t.Fatal(err)
	}
	h = g.Header
	h.Format = prover.FormatProvingKey
	if _, err := prover.Prove(g, gpk, h, nil, nil, nil, prover.WithGPU(-1)); !errors.Is(err, prover.ErrGPU) {
		t.Errorf("device -1: %v", err)
	}
}
