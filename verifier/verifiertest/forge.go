// Package verifiertest holds attacks on verification, for tests: what a
// dishonest prover can build with nothing but public information.
package verifiertest

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// trivial has the public inputs of a model circuit and proves nothing about
// them: their sum is a private S.
type trivial struct {
	Public []frontend.Variable `gnark:",public"`
	S      frontend.Variable
}

func (c *trivial) Define(api frontend.API) error {
	sum := frontend.Variable(0)
	for _, p := range c.Public {
		sum = api.Add(sum, p)
	}
	api.AssertIsEqual(sum, c.S)
	return nil
}

// Forge returns a copy of the honest bundle b whose carried output is all
// 127s (where it carries values), proven by a trivial circuit with b's
// public inputs under a Groth16 key the attacker made, labelled with b's
// digests as made by a ceremony, with no warning. Its proof is valid for the
// key it carries: only a verifier that pins its key rejects it.
func Forge(b *verifier.Bundle) (*verifier.Bundle, error) {
	data, err := b.Encode()
	if err != nil {
		return nil, err
	}
	f, err := verifier.Parse(data)
	if err != nil {
		return nil, err
	}
	if out, ok := f.Tensor(verifier.TensorOutput); ok {
		for i := range out.Values {
			out.Values[i] = 127
		}
	}
	pub, n, err := verifier.PublicWitness(f)
	if err != nil {
		return nil, err
	}
	vec := pub.Vector().(fr.Vector)
	assignment := &trivial{Public: make([]frontend.Variable, n)}
	var s fr.Element
	for i := range vec {
		assignment.Public[i] = vec[i].BigInt(new(big.Int))
		s.Add(&s, &vec[i])
	}
	assignment.S = s.BigInt(new(big.Int))
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &trivial{Public: make([]frontend.Variable, n)})
	if err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	proof, err := groth16.Prove(cs, pk, w)
	if err != nil {
		return nil, err
	}
	var pb, vb bytes.Buffer
	if _, err := proof.WriteTo(&pb); err != nil {
		return nil, err
	}
	if _, err := vk.WriteTo(&vb); err != nil {
		return nil, err
	}
	f.Backend, f.Proof, f.VerifyingKey = prover.BackendGroth16, pb.Bytes(), vb.Bytes()
	f.Setup, f.Warning, f.SetupDigest = prover.SetupGroth16MPC, "", "sha256:"+fmt.Sprintf("%064x", 0xab)
	f.VKDigest, err = prover.VerifyingKeyDigest(vk.(prover.VerifyingKey), f.Layout())
	if err != nil {
		return nil, err
	}
	return f, nil
}
