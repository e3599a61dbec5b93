package contracts

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// An aggregated model (zkinfer aggregate) needs nothing new on chain: its
// outer proof is an ordinary Groth16 proof whose last public input is the
// shards commitment, so the registry registers it with register(shards
// commitment, outer verifier, Groth16, 3, outer key digest) and
// verifyInference checks it like a single model's proof, the commitment
// check pinning the shards commitment.

// AggregatedCalldata encodes an aggregated bundle's outer proof and public
// inputs for its verifier and the registry.
func AggregatedCalldata(a *verifier.AggregatedBundle) ([]byte, []*big.Int, error) {
	proof, err := a.DecodeProof()
	if err != nil {
		return nil, nil, err
	}
	st, err := a.Statement()
	if err != nil {
		return nil, nil, err
	}
	return Groth16Calldata(proof, st[:])
}

// CheckAggregatedKey checks that the aggregated bundle was proven under the
// pinned outer key, and returns the key's registry digest.
func CheckAggregatedKey(a *verifier.AggregatedBundle, pinned prover.VerifyingKey) (common.Hash, error) {
	if pinned == nil {
		return common.Hash{}, fmt.Errorf("contracts: %w: an aggregated bundle does not carry its outer key", ErrNotPinned)
	}
	d, err := VKDigest(pinned, verifier.OuterLayout)
	if err != nil {
		return common.Hash{}, err
	}
	if FormatVKDigest(d) != a.OuterVKDigest {
		return common.Hash{}, fmt.Errorf("%w: the aggregated proof names outer key %s, the pinned key is %s", ErrKeyMismatch, a.OuterVKDigest, FormatVKDigest(d))
	}
	return d, nil
}

// VerifyAggregated verifies an aggregated bundle on chain with the verifier
// of the pinned outer key: refused before anything is deployed unless the
// bundle names that key; then comp (compiled here when nil) is deployed and
// verifyProof sent, and when it accepts a registry is deployed, the
// aggregated model registered (the shards commitment, the outer verifier,
// the key's digest) and the proof verified again through verifyInference.
// A proof the verifier rejects is Accepted false with a nil error.
func (c *Chain) VerifyAggregated(ctx context.Context, a *verifier.AggregatedBundle, pinned prover.VerifyingKey, comp *Compiled) (*BundleResult, error) {
	digest, err := CheckAggregatedKey(a, pinned)
	if err != nil {
		return nil, err
	}
	commitment, err := ModelCommitment(a.ShardsCommitment)
	if err != nil {
		return nil, err
	}
	backend, nPublic, err := RegistryBackend(pinned)
	if err != nil {
		return nil, err
	}
	proofBytes, inputs, err := AggregatedCalldata(a)
	if err != nil {
		return nil, err
	}
	// The outer proof is a Groth16 proof whatever the pinned key claims.
	return c.deployAndRegister(ctx, pinned, comp, BackendGroth16, ModelRegistration{
		Commitment: commitment, Backend: backend, PublicInputs: nPublic, VKDigest: digest,
	}, proofBytes, inputs)
}

// VerifyAggregatedRegistered verifies an aggregated bundle through the
// registry entry of a deployment (deploy-evm --vk with the outer key). The
// registered verifier is the anchor; pinned, when not nil, must also be the
// bundle's outer key and the key the model was registered with. A proof
// the registry rejects is Accepted false with a nil error; a bundle of
// other shards reverts with CommitmentMismatch.
func (c *Chain) VerifyAggregatedRegistered(ctx context.Context, d *Deployment, a *verifier.AggregatedBundle, pinned prover.VerifyingKey) (*BundleResult, error) {
	if d.ChainID != c.chainID.Uint64() {
		return nil, fmt.Errorf("contracts: %w: the deployment is on chain id %d, the node serves %s", ErrWrongChain, d.ChainID, c.chainID)
	}
	proofBytes, inputs, err := AggregatedCalldata(a)
	if err != nil {
		return nil, err
	}
	m, err := c.Model(ctx, d.Registry, d.ModelID)
	if err != nil {
		return nil, err
	}
	if pinned != nil {
		want, err := CheckAggregatedKey(a, pinned)
		if err != nil {
			return nil, err
		}
		if m.VkDigest != want {
			return nil, fmt.Errorf("%w: model %s is registered with verifying key %s, not the pinned outer key %s", ErrKeyMismatch, d.ModelID, FormatVKDigest(m.VkDigest), FormatVKDigest(want))
		}
	}
	return c.verifyRegistered(ctx, d, m, proofBytes, inputs)
}
