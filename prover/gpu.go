package prover

import (
	"errors"
	"fmt"
)

// Errors of GPU proving. ErrGPUNotBuilt is what a binary built without the
// icicle tag returns instead of gnark's stub panic.
var (
	ErrGPU         = errors.New("gpu")
	ErrGPUNotBuilt = fmt.Errorf("%w: this binary was built without GPU support (build tag icicle)", ErrGPU)
	ErrGPUBackend  = fmt.Errorf("%w: ICICLE accelerates Groth16 only", ErrGPU)
)

// GPUBuildHint tells users how to get a binary that proves on the GPU.
const GPUBuildHint = "build the GPU binary with 'prover/gpu/build.sh' (needs the CUDA toolkit, cmake and an NVIDIA GPU; see README, GPU proving), or prove without --gpu"

// GPUBuilt reports whether this binary was built with ICICLE (tag icicle).
func GPUBuilt() bool { return gpuBuilt }

// WithGPU proves on CUDA device number device through ICICLE. Only Groth16
// has a GPU prover; the proof is the same kind as the CPU one (same keys,
// same Keccak hash-to-field), so every verifier accepts it.
func WithGPU(device int) ProveOption {
	return func(c *proveConfig) { c.gpu, c.device = true, device }
}

// checkGPU refuses what no GPU prover can do, before any work is done.
func checkGPU(cfg proveConfig, backend string) error {
	if !cfg.gpu {
		return nil
	}
	if backend != BackendGroth16 {
		return fmt.Errorf("%w: the circuit is %s", ErrGPUBackend, backend)
	}
	if cfg.device < 0 {
		return fmt.Errorf("%w: device %d: device numbers start at 0", ErrGPU, cfg.device)
	}
	if !gpuBuilt {
		return ErrGPUNotBuilt
	}
	return nil
}
