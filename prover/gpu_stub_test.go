//go:build !icicle

package prover_test

import (
	"errors"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
)

// Without the icicle tag, --gpu is an error naming the fix, never the panic
// of gnark's ICICLE stub.
func TestProveGPUNotBuilt(t *testing.T) {
	if prover.GPUBuilt() {
		t.Fatal("GPUBuilt in a build without the icicle tag")
	}
	m := tinyModel(t, 8)
	c := compileTiny(t, 8)
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	xq, err := m.QuantizeInput(make([]float64, m.Config.SeqLen*m.Config.DModel))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	_, err = prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, prover.WithGPU(0))
	if !errors.Is(err, prover.ErrGPUNotBuilt) {
		t.Fatalf("got %v, want ErrGPUNotBuilt", err)
	}
}
