package contracts

import (
	"context"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// AnchorRegistry is the kind of anchor RegistryAnchor returns: the
// verifying key a registry entry was registered with.
const AnchorRegistry = "registry"

// RegistryAnchor returns the trust anchor an offline verifier gets from a
// registry entry it chose (registry address and model id: the id names the
// registrant, so choosing it is choosing whom to trust): the digest of the
// verifying key the model was registered with, and the registered model
// commitment, which the bundle's proven commitment must equal. Every
// auditor listed must have attested the entry with that digest.
//
// The registry stores the commitment as a bare field element, so the anchor
// writes it in the Poseidon2 form (quant.FormatCommitment) whatever the
// weights' visibility; the verifier compares an anchor's commitment with a
// bundle's by value, so a committed-weights bundle (bsb22-keccak:) matches
// the entry it was registered under, and the pinned digest, which covers
// the key's layout, fixes the visibility.
func (c *Chain) RegistryAnchor(ctx context.Context, registry common.Address, modelID common.Hash, auditors []common.Address) (*verifier.Anchor, error) {
	m, err := c.Model(ctx, registry, modelID)
	if err != nil {
		return nil, err
	}
	for _, a := range auditors {
		ok, err := c.IsAttested(ctx, registry, modelID, a)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("contracts: %w: auditor %s has not attested model %s", verifier.ErrUnpinned, a.Hex(), modelID.Hex())
		}
	}
	a, err := verifier.PinDigest(FormatVKDigest(m.VkDigest))
	if err != nil {
		return nil, fmt.Errorf("contracts: model %s: %w", modelID.Hex(), err)
	}
	var e fr.Element
	if err := e.SetBytesCanonical(m.Commitment[:]); err != nil {
		return nil, fmt.Errorf("contracts: model %s: registered commitment: %w", modelID.Hex(), err)
	}
	a.Kind = AnchorRegistry
	a.Source = fmt.Sprintf("registry %s model %s on %s", registry.Hex(), modelID.Hex(), c.Name())
	a.Commitment = quant.FormatCommitment(e)
	return a, nil
}

// DialReader connects to a node for reading only (RegistryAnchor, Model):
// its signing key is a fresh random one that holds nothing and is never
// shown, so no transaction it could sign would be accepted.
func DialReader(ctx context.Context, rawURL string, wantChainID *big.Int) (*Chain, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("contracts: dial: %w", err)
	}
	return DialChain(ctx, rawURL, key, wantChainID)
}
