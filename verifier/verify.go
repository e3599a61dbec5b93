package verifier

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Result is what Verify checked.
type Result struct {
	Backend       string `json:"backend"`
	Curve         string `json:"curve"`
	ModelDigest   string `json:"model_digest"`
	CircuitDigest string `json:"circuit_digest"`
	Setup         string `json:"setup"`
	PublicInputs  int    `json:"public_inputs"`
}

// Verify checks the bundle's proof against its verifying key and public
// inputs. It returns an error wrapping ErrRejected when the proof does not
// verify, and ErrBundle when the bundle cannot be checked at all.
func Verify(b *Bundle) (*Result, error) {
	if b.Backend != prover.BackendGroth16 || b.Curve != prover.CurveBN254 {
		return nil, fmt.Errorf("%w: backend %q on curve %q is not supported (supported: %s on %s)", ErrBundle, b.Backend, b.Curve, prover.BackendGroth16, prover.CurveBN254)
	}
	vk := new(groth16bn254.VerifyingKey)
	if err := prover.Decode(vk, b.VerifyingKey); err != nil {
		return nil, fmt.Errorf("%w: verifying key: %v", ErrBundle, err)
	}
	proof := groth16.NewProof(ecc.BN254)
	if err := prover.Decode(proof, b.Proof); err != nil {
		return nil, fmt.Errorf("%w: proof: %v", ErrBundle, err)
	}
	pub, n, err := PublicWitness(b)
	if err != nil {
		return nil, err
	}
	// K holds one point per public input, one for the constant wire and one
	// per BSB22 commitment.
	if want := len(vk.G1.K) - 1 - len(vk.CommitmentKeys); n != want {
		return nil, fmt.Errorf("%w: %d public inputs, the verifying key expects %d", ErrBundle, n, want)
	}
	if err := prover.Verify(vk, proof, pub); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return &Result{Backend: b.Backend, Curve: b.Curve, ModelDigest: b.ModelDigest, CircuitDigest: b.CircuitDigest, Setup: b.Setup, PublicInputs: n}, nil
}

// PublicWitness builds gnark's public witness from the bundle's tensors, in
// order, encoding each as the circuit exposes it.
func PublicWitness(b *Bundle) (witness.Witness, int, error) {
	var vals []*big.Int
	for _, t := range b.PublicInputs {
		packed, err := quant.PackInt8(t.Values)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
		}
		vals = append(vals, packed...)
	}
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, 0, err
	}
	ch := make(chan any, len(vals))
	for _, v := range vals {
		ch <- v
	}
	close(ch)
	if err := w.Fill(len(vals), 0, ch); err != nil {
		return nil, 0, fmt.Errorf("%w: public inputs: %v", ErrBundle, err)
	}
	return w, len(vals), nil
}
