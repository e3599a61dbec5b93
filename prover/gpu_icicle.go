//go:build icicle

package prover

import (
	"fmt"
	"os"
	"sync"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/accelerated/icicle"
	icicle_bn254 "github.com/consensys/gnark/backend/accelerated/icicle/groth16/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	cs_bn254 "github.com/consensys/gnark/constraint/bn254"
	icicle_runtime "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/runtime"
)

const gpuBuilt = true

// ICICLEBackendDir is where ICICLE's device backends (libicicle_backend_cuda_*)
// are loaded from when $ICICLE_BACKEND_INSTALL_DIR is unset. prover/gpu/build.sh
// sets it with -ldflags -X, so the binary it builds runs without environment.
var ICICLEBackendDir string

const deviceCUDA = "CUDA"

// loadICICLE loads the CUDA backend once per process. gnark's top-level
// icicle/groth16 package does this too, but panics on failure and links the
// libraries of all four of its curves; the bn254 package alone needs only
// libicicle_*_bn254.
var loadICICLE = sync.OnceValues(func() (int, error) {
	dir := os.Getenv("ICICLE_BACKEND_INSTALL_DIR")
	if dir == "" {
		dir = ICICLEBackendDir
	}
	var e icicle_runtime.EIcicleError
	if dir != "" {
		e = icicle_runtime.LoadBackend(dir, true)
	} else {
		e = icicle_runtime.LoadBackendFromEnvOrDefault()
	}
	if e != icicle_runtime.Success {
		return 0, fmt.Errorf("%w: loading the ICICLE backend from %q (set ICICLE_BACKEND_INSTALL_DIR to the lib/backend folder build.sh installed): %s", ErrGPU, orDefault(dir), e.AsString())
	}
	dev := icicle_runtime.CreateDevice(deviceCUDA, 0)
	if !icicle_runtime.IsDeviceAvailable(&dev) {
		return 0, fmt.Errorf("%w: ICICLE loaded no CUDA backend from %q", ErrGPU, orDefault(dir))
	}
	// The device count is per device type and thread: ask on a CUDA thread.
	type count struct {
		n int
		e icicle_runtime.EIcicleError
	}
	done := make(chan count, 1)
	icicle_runtime.RunOnDevice(&dev, func(...any) {
		n, e := icicle_runtime.GetDeviceCount()
		done <- count{n, e}
	})
	c := <-done
	if c.e != icicle_runtime.Success {
		return 0, fmt.Errorf("%w: counting CUDA devices: %s", ErrGPU, c.e.AsString())
	}
	if c.n == 0 {
		return 0, fmt.Errorf("%w: no CUDA device found", ErrGPU)
	}
	return c.n, nil
})

func orDefault(dir string) string {
	if dir == "" {
		return "/opt/icicle/lib/backend"
	}
	return dir
}

// proveGPU proves with gnark's ICICLE Groth16 prover on CUDA device.
//
// gnark's ICICLE prover panics on device errors, mostly inside goroutines
// of its own (icicle_runtime.RunOnDevice), where no recover can reach: those
// end the process. So the device is checked here first, and the recover
// below only turns the panics of the calling goroutine into errors.
func proveGPU(r1cs constraint.ConstraintSystem, pk *groth16bn254.ProvingKey, full witness.Witness, device int) (proof ProofData, err error) {
	n, err := loadICICLE()
	if err != nil {
		return nil, err
	}
	if device >= n {
		return nil, fmt.Errorf("%w: device %d: this machine has %d CUDA device(s), numbered from 0", ErrGPU, device, n)
	}
	cs, ok := r1cs.(*cs_bn254.R1CS)
	if !ok {
		return nil, fmt.Errorf("%w: %w: constraint system is %T, want BN254 R1CS", ErrGPU, ErrBackendMismatch, r1cs)
	}
	cfg, err := icicle.NewConfig(
		icicle.WithDeviceID(device),
		// Same hash-to-field as the CPU prover, or the Solidity verifier
		// rejects the BSB22 commitment.
		icicle.WithProverOptions(solidity.WithProverTargetSolidityVerifier(backend.GROTH16)),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGPU, err)
	}
	defer func() {
		if r := recover(); r != nil {
			proof, err = nil, fmt.Errorf("%w: icicle: %v", ErrGPU, r)
		}
	}()
	// The ICICLE key embeds the CPU key (same serialization): wrapping the
	// key already loaded avoids reading the file twice. Its device copies
	// are freed after the proof, as the CLI proves once per process.
	dpk := &icicle_bn254.ProvingKey{ProvingKey: *pk}
	// Freeing checks that each device slice belongs to the calling
	// thread's active device, so it must run on a device thread: from
	// this goroutine it panics ("DeviceSlice on a different device") and
	// the recover above turned every successful GPU proof into an error.
	defer func() {
		dev := icicle_runtime.CreateDevice(deviceCUDA, device)
		freed := make(chan struct{})
		icicle_runtime.RunOnDevice(&dev, func(...any) {
			defer close(freed)
			dpk.FreeGPUResources()
		})
		<-freed
	}()
	p, err := icicle_bn254.Prove(cs, dpk, full, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGPU, err)
	}
	return p, nil
}
