package prover

import (
	"errors"
	"testing"
)

// Aggregatable proofs are Groth16 on the CPU only: anything else is refused
// before any work, and an unknown proof hash is an error, not Keccak.
func TestAggregatableRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		c    *Circuit
		opts []ProveOption
	}{
		{"plonk", &Circuit{Header: Header{Backend: BackendPLONK}}, []ProveOption{WithAggregatable()}},
		{"gpu", &Circuit{Header: Header{Backend: BackendGroth16}}, []ProveOption{WithAggregatable(), WithGPU(0)}},
	} {
		_, err := Prove(c.c, nil, Header{}, nil, nil, nil, c.opts...)
		if !errors.Is(err, ErrNotAggregatable) && !(c.name == "gpu" && err != nil) {
			t.Errorf("%s: %v, want ErrNotAggregatable", c.name, err)
		}
	}
	for _, h := range []string{"", ProofHashKeccak, ProofHashMiMC} {
		if err := CheckProofHash(h); err != nil {
			t.Errorf("CheckProofHash(%q): %v", h, err)
		}
	}
	if err := CheckProofHash("sha3"); !errors.Is(err, ErrCorrupted) {
		t.Errorf("CheckProofHash(sha3): %v", err)
	}
	if err := VerifyWithHash(nil, nil, nil, "sha3"); err == nil {
		t.Error("VerifyWithHash with an unknown hash")
	}
}
