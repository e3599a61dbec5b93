//go:build icicle

package prover_test

import (
	"testing"

	"github.com/zkinfer/zkinfer/prover"
)

// A GPU proof of a small model verifies with the CPU verifier (Keccak
// hash-to-field, as the Solidity contract checks) under the same keys, and
// a wrong device number is an error, not a crash. Needs a CUDA GPU and the
// libraries of prover/gpu/build.sh.
func TestProveGPU(t *testing.T) {
	if !prover.GPUBuilt() {
		t.Fatal("icicle build without GPU support")
	}
	m := tinyModel(t, 9)
	c := compileTiny(t, 9)
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
	gpu, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, prover.WithGPU(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(keys.VK, gpu.Proof, gpu.Public); err != nil {
		t.Fatalf("GPU proof rejected by the CPU verifier: %v", err)
	}
	// The proving key is untouched by the GPU prover: the CPU proves with it after.
	cpu, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(keys.VK, cpu.Proof, cpu.Public); err != nil {
		t.Fatal(err)
	}
	if _, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, prover.WithGPU(1<<20)); err == nil {
		t.Fatal("device 1<<20 accepted")
	}
}
