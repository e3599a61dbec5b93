package verifier

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Result is what Verify checked.
type Result struct {
	Backend     string `json:"backend"`
	Curve       string `json:"curve"`
	ModelDigest string `json:"model_digest"`
	// ModelCommitment is proven: it is a public input of the proof.
	ModelCommitment string           `json:"model_commitment"`
	Visibility      quant.Visibility `json:"visibility"`
	CircuitDigest   string           `json:"circuit_digest"`
	Setup           string           `json:"setup"`
	SetupDigest     string           `json:"setup_digest,omitempty"`
	PublicInputs    int              `json:"public_inputs"`
}

// ErrNotProduction is returned by Verify with RequireProduction for a
// bundle whose keys come from a dev setup.
var ErrNotProduction = errors.New("keys from an unsafe dev setup")

// Option configures Verify.
type Option func(*options)

type options struct{ production bool }

// RequireProduction makes Verify refuse bundles whose keys were not made by
// a ceremony or from an SRS file (ErrNotProduction), before any checking.
func RequireProduction() Option { return func(o *options) { o.production = true } }

// Verify checks the bundle's proof against its verifying key and public
// inputs. It returns an error wrapping ErrRejected when the proof does not
// verify, and ErrBundle when the bundle cannot be checked at all.
//
// The bundle's setup label is the prover's claim; the verifying key itself
// cannot show how it was made. A verifier that cares pins the key
// (zkinfer verify --vk) to one whose ceremony it has audited.
func Verify(b *Bundle, opts ...Option) (*Result, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.production && !prover.IsProduction(b.Setup) {
		return nil, fmt.Errorf("%w: setup %q; production keys come from a Groth16 ceremony (%s) or a PLONK SRS file (%s)", ErrNotProduction, b.Setup, prover.SetupGroth16MPC, prover.SetupKZGSRS)
	}
	if prover.CheckBackend(b.Backend) != nil || b.Curve != prover.CurveBN254 {
		return nil, fmt.Errorf("%w: backend %q on curve %q is not supported (supported: %s or %s on %s)", ErrBundle, b.Backend, b.Curve, prover.BackendGroth16, prover.BackendPLONK, prover.CurveBN254)
	}
	if err := checkLayout(b); err != nil {
		return nil, err
	}
	n, err := verifyProof(b)
	if err != nil {
		return nil, err
	}
	return &Result{Backend: b.Backend, Curve: b.Curve, ModelDigest: b.ModelDigest, ModelCommitment: b.ModelCommitment, Visibility: b.Visibility, CircuitDigest: b.CircuitDigest, Setup: b.Setup, SetupDigest: b.SetupDigest, PublicInputs: n}, nil
}

// verifyProof checks the proof of a bundle whose layout was checked against
// its verifying key and public inputs, and returns the number of public inputs.
func verifyProof(b *Bundle) (int, error) {
	vk, proof, err := Decode(b)
	if err != nil {
		return 0, err
	}
	pub, n, err := PublicWitness(b)
	if err != nil {
		return 0, err
	}
	if want := nbPublic(vk); n != want {
		return 0, fmt.Errorf("%w: %d public inputs, the verifying key expects %d", ErrBundle, n, want)
	}
	if err := prover.Verify(vk, proof, pub); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return n, nil
}

// checkLayout checks the public tensors are input, output and model, encoded
// as the bundle's visibility says, so that a bundle cannot label a hashed
// value public or drop the model commitment.
func checkLayout(b *Bundle) error {
	enc := map[string]string{quant.VisibilityPublic: EncodingPackedInt8, quant.VisibilityHashed: EncodingHashedInt8, quant.VisibilityPrivate: EncodingSaltedInt8}
	want := []struct{ name, enc string }{{TensorInput, enc[b.Visibility.Input]}, {TensorOutput, enc[b.Visibility.Output]}}
	if b.Visibility.Weights == quant.VisibilityPublic {
		want = append(want, struct{ name, enc string }{TensorWeights, EncodingWeightElements})
	}
	want = append(want, struct{ name, enc string }{TensorModel, EncodingModelCommitment})
	if len(b.PublicInputs) != len(want) {
		return fmt.Errorf("%w: %d public tensors, want %d (input, output, [weights,] model)", ErrBundle, len(b.PublicInputs), len(want))
	}
	for i, w := range want {
		if t := b.PublicInputs[i]; t.Name != w.name || t.Encoding != w.enc {
			return fmt.Errorf("%w: public tensor %d is %q (%s), want %q (%s)", ErrBundle, i, t.Name, t.Encoding, w.name, w.enc)
		}
	}
	return nil
}

// nbPublic is the number of public inputs vk expects. A Groth16 key's K
// holds one point per public input, one for the constant wire and one per
// BSB22 commitment, which gnark's NbPublicWitness counts as inputs.
func nbPublic(vk prover.VerifyingKey) int {
	if g, ok := vk.(*groth16bn254.VerifyingKey); ok {
		return len(g.G1.K) - 1 - len(g.CommitmentKeys)
	}
	return vk.NbPublicWitness()
}

// Decode returns the bundle's verifying key and proof, decoded for its backend.
func Decode(b *Bundle) (prover.VerifyingKey, prover.ProofData, error) {
	vk, err := prover.NewVerifyingKey(b.Backend)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if err := prover.Decode(vk, b.VerifyingKey); err != nil {
		return nil, nil, fmt.Errorf("%w: verifying key: %v", ErrBundle, err)
	}
	proof, _ := prover.NewProof(b.Backend)
	if err := prover.Decode(proof, b.Proof); err != nil {
		return nil, nil, fmt.Errorf("%w: proof: %v", ErrBundle, err)
	}
	return vk, proof, nil
}

// PublicWitness builds gnark's public witness from the bundle's tensors, in
// order, encoding each as the circuit exposes it: packed values are packed
// again and hashed values hashed again, so a bundle whose carried values
// differ from what was proven fails verification.
func PublicWitness(b *Bundle) (witness.Witness, int, error) {
	var vals []*big.Int
	for _, t := range b.PublicInputs {
		var (
			els []*big.Int
			err error
		)
		switch t.Encoding {
		case EncodingPackedInt8:
			els, err = quant.PackInt8(t.Values)
		case EncodingHashedInt8:
			var h fr.Element
			if h, err = quant.HashPacked(t.Values, nil); err == nil {
				els = []*big.Int{h.BigInt(new(big.Int))}
			}
		case EncodingSaltedInt8, EncodingChainHash:
			var c fr.Element
			if c, err = parseElement(t.Commitment); err == nil {
				els = []*big.Int{c.BigInt(new(big.Int))}
			}
		case EncodingWeightElements:
			for _, e := range t.Elements {
				var c fr.Element
				if c, err = parseElement(e); err != nil {
					break
				}
				els = append(els, c.BigInt(new(big.Int)))
			}
		case EncodingModelCommitment:
			var c fr.Element
			if c, err = parseCommitment(b.ModelCommitment); err == nil {
				els = []*big.Int{c.BigInt(new(big.Int))}
			}
		default:
			err = fmt.Errorf("encoding %q", t.Encoding)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
		}
		vals = append(vals, els...)
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
