package contracts

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// A bundle carries its own verifying key, and the prover chose every byte of
// it: a verifier generated from that key accepts whatever its maker can
// prove, e.g. a trivial circuit with the same public inputs. Every EVM path
// here therefore builds, deploys or trusts a verifier only for a pinned key
// (one the caller made, audited, or read from a registration it trusts), and
// the bundle's key must be that key.
var (
	// ErrNotPinned: no pinned verifying key was given.
	ErrNotPinned = errors.New("the verifying key is not pinned")
	// ErrKeyMismatch: the bundle's key, or a registration's, is not the
	// pinned key.
	ErrKeyMismatch = fmt.Errorf("%w: verifying key mismatch", verifier.ErrRejected)
)

// VKDigest is the registry's form of prover.VerifyingKeyDigest(vk): the 32
// bytes of the SHA-256, without the "sha256:" prefix.
func VKDigest(vk prover.VerifyingKey, l prover.Layout) (common.Hash, error) {
	s, err := prover.VerifyingKeyDigest(vk, l)
	if err != nil {
		return common.Hash{}, fmt.Errorf("contracts: %w", err)
	}
	return ParseVKDigest(s)
}

// ParseVKDigest turns a "sha256:<64 hex>" digest into its 32 bytes.
func ParseVKDigest(s string) (common.Hash, error) {
	if _, err := prover.ParseVKDigest(s); err != nil {
		return common.Hash{}, fmt.Errorf("contracts: %w", err)
	}
	b, _ := hex.DecodeString(strings.TrimPrefix(s, prover.VKDigestPrefix))
	return common.BytesToHash(b), nil
}

// FormatVKDigest is the inverse of ParseVKDigest.
func FormatVKDigest(h common.Hash) string {
	return prover.VKDigestPrefix + hex.EncodeToString(h[:])
}

// ModelCommitment turns a model commitment (quant.FormatCommitment) into the
// bytes32 the registry stores: the same field element the proof's last
// public input holds.
func ModelCommitment(commitment string) (common.Hash, error) {
	h, ok := strings.CutPrefix(commitment, quant.CommitmentPrefix+"0x")
	if !ok {
		// Committed weights: Keccak of the weights' point, also the last
		// public input.
		h, ok = strings.CutPrefix(commitment, prover.CommittedPrefix+"0x")
	}
	b, err := hex.DecodeString(h)
	if !ok || err != nil || len(b) != 32 {
		return common.Hash{}, fmt.Errorf("contracts: model commitment %q is not %s0x<64 hex digits> (or %s0x… for committed weights)", commitment, quant.CommitmentPrefix, prover.CommittedPrefix)
	}
	return common.BytesToHash(b), nil
}

// CheckBundleKey checks that the bundle's verifying key is pinned: the same
// key with the same layout of public inputs l (compared by digest of the
// decoded keys with their layouts, prover.VerifyingKeyDigest, so two
// encodings of one key agree and a relabelled visibility or shape does
// not). It returns the pinned key's digest.
func CheckBundleKey(b *verifier.Bundle, pinned prover.VerifyingKey, l prover.Layout) (common.Hash, error) {
	if pinned == nil {
		return common.Hash{}, ErrNotPinned
	}
	want, err := VKDigest(pinned, l)
	if err != nil {
		return common.Hash{}, err
	}
	vk, _, err := verifier.Decode(b)
	if err != nil {
		return common.Hash{}, err
	}
	got, err := VKDigest(vk, b.Layout())
	if err != nil {
		return common.Hash{}, err
	}
	if got != want {
		return common.Hash{}, fmt.Errorf("%w: the bundle's verifying key %s is not the pinned key %s", ErrKeyMismatch, FormatVKDigest(got), FormatVKDigest(want))
	}
	return want, nil
}

// ExportSolidity writes the Solidity verifier of a key of either backend:
// both compile to a contract named "Verifier" (PlonkContract) whose
// verifyProof reverts on a proof it rejects.
func ExportSolidity(vk prover.VerifyingKey) ([]byte, error) {
	var src bytes.Buffer
	var err error
	switch vk := vk.(type) {
	case *groth16bn254.VerifyingKey:
		err = ExportVerifier(vk, &src)
	case *plonkbn254.VerifyingKey:
		err = ExportPlonkVerifier(vk, &src)
	default:
		err = fmt.Errorf("contracts: export: %w: verifying key is %T", prover.ErrUnsupportedBackend, vk)
	}
	return src.Bytes(), err
}

// RegistryBackend returns the registry's backend and public input count for
// the verifier of vk.
func RegistryBackend(vk prover.VerifyingKey) (Backend, int, error) {
	switch vk := vk.(type) {
	case *groth16bn254.VerifyingKey:
		n, err := Groth16PublicInputs(vk)
		return BackendGroth16, n, err
	case *plonkbn254.VerifyingKey:
		return BackendPlonk, int(vk.NbPublicVariables), nil
	}
	return 0, 0, fmt.Errorf("contracts: %w: verifying key is %T", prover.ErrUnsupportedBackend, vk)
}

// BundleCalldata encodes a bundle's proof and public inputs for its
// verifier and the registry. opts give the basis file of a committed input
// or output (verifier.IOBasisFiles), whose public input is recomputed from
// the bundle's values.
func BundleCalldata(b *verifier.Bundle, opts ...verifier.Option) ([]byte, []*big.Int, error) {
	if err := CheckOnChain(b.Visibility); err != nil {
		return nil, nil, err
	}
	_, proof, err := verifier.Decode(b)
	if err != nil {
		return nil, nil, err
	}
	pub, _, err := verifier.PublicWitnessWith(b, opts...)
	if err != nil {
		return nil, nil, err
	}
	inputs := pub.Vector().(fr.Vector)
	switch proof := proof.(type) {
	case *groth16bn254.Proof:
		return Groth16Calldata(proof, inputs)
	case *plonkbn254.Proof:
		return PlonkCalldata(proof, inputs)
	}
	return nil, nil, fmt.Errorf("%w: proof of unsupported type %T", verifier.ErrBundle, proof)
}

// BundleResult is what an on-chain verification of a bundle found.
type BundleResult struct {
	Accepted     bool   `json:"accepted"`
	Backend      string `json:"backend"`
	Chain        string `json:"chain"`
	VKDigest     string `json:"vk_digest,omitempty"`
	Address      string `json:"verifier_address,omitempty"`
	DeployGas    uint64 `json:"deploy_gas,omitempty"`
	VerifyGas    uint64 `json:"verify_gas,omitempty"`
	PublicInputs int    `json:"public_inputs"`
	// Registry path: verifyInference through the model registry.
	Registry          string `json:"registry_address,omitempty"`
	ModelID           string `json:"model_id,omitempty"`
	RegistryVerifyGas uint64 `json:"registry_verify_gas,omitempty"`
	TxHash            string `json:"tx_hash,omitempty"`
	PublicInputsHash  string `json:"public_inputs_hash,omitempty"`
}

// VerifyBundle verifies a bundle on chain with the verifier of the pinned
// key: it refuses a bundle whose key is not pinned before anything is
// deployed, then deploys comp (the pinned key's compiled verifier; compiled
// here when nil), sends verifyProof, and, when the verifier accepts,
// deploys a registry, registers the model with the key's digest and
// verifies again through it, for the registry's gas. A proof the verifier
// rejects is Accepted false with a nil error.
//
// opts give the basis files of a committed input or output
// (verifier.IOBasisFiles): checked against the pinned layout l's.
func (c *Chain) VerifyBundle(ctx context.Context, b *verifier.Bundle, pinned prover.VerifyingKey, l prover.Layout, comp *Compiled, opts ...verifier.Option) (*BundleResult, error) {
	digest, err := CheckBundleKey(b, pinned, l)
	if err != nil {
		return nil, err
	}
	if err := verifier.CheckLayout(b); err != nil {
		return nil, err
	}
	commitment, err := ModelCommitment(b.ModelCommitment)
	if err != nil {
		return nil, err
	}
	backend, nPublic, err := RegistryBackend(pinned)
	if err != nil {
		return nil, err
	}
	proofBytes, inputs, err := BundleCalldata(b, opts...)
	if err != nil {
		return nil, err
	}
	return c.deployAndRegister(ctx, pinned, comp, backend, ModelRegistration{
		Commitment: commitment, Backend: backend, PublicInputs: nPublic, VKDigest: digest,
	}, proofBytes, inputs)
}

// deployAndRegister is the common tail of VerifyBundle and
// VerifyAggregated: it deploys comp (the pinned key's compiled verifier;
// compiled here when nil), sends verifyProof with the calldata of the
// backend verifyAs, and, when the verifier accepts, deploys a registry,
// registers the model (r, with the deployed verifier) and verifies again
// through verifyInference. A proof the verifier rejects is Accepted false
// with a nil error.
func (c *Chain) deployAndRegister(ctx context.Context, pinned prover.VerifyingKey, comp *Compiled, verifyAs Backend, r ModelRegistration, proofBytes []byte, inputs []*big.Int) (*BundleResult, error) {
	if comp == nil {
		src, err := ExportSolidity(pinned)
		if err != nil {
			return nil, err
		}
		if comp, err = Compile(ctx, src, PlonkContract); err != nil {
			return nil, err
		}
	}
	addr, deployGas, err := c.Deploy(ctx, comp)
	if err != nil {
		return nil, err
	}
	var ok bool
	var gas uint64
	if verifyAs == BackendGroth16 {
		ok, gas, err = c.VerifyGroth16Calldata(ctx, comp, addr, proofBytes, inputs)
	} else {
		ok, gas, err = c.VerifyPLONKCalldata(ctx, comp, addr, proofBytes, inputs)
	}
	if err != nil {
		return nil, err
	}
	res := &BundleResult{
		Accepted: ok, Backend: r.Backend.String(), Chain: c.Name(), VKDigest: FormatVKDigest(r.VKDigest),
		Address: addr.Hex(), DeployGas: deployGas, VerifyGas: gas, PublicInputs: len(inputs),
	}
	if !ok {
		return res, nil
	}
	reg, err := c.DeployRegistry(ctx)
	if err != nil {
		return nil, err
	}
	r.Verifier = addr
	id, _, err := c.RegisterModel(ctx, reg.ContractAddress, r)
	if err != nil {
		return nil, err
	}
	ev, rcpt, err := c.VerifyInference(ctx, reg.ContractAddress, id, proofBytes, inputs)
	if err != nil {
		return nil, err
	}
	res.Registry, res.ModelID, res.RegistryVerifyGas = reg.ContractAddress.Hex(), id.Hex(), rcpt.GasUsed
	res.TxHash, res.PublicInputsHash = rcpt.TxHash.Hex(), common.Hash(ev.PublicInputsHash).Hex()
	return res, nil
}

// VerifyBundleRegistered verifies a bundle through the registry entry of a
// deployment. The registered verifier is the anchor here (its code hash is
// pinned by the registry), with the registered verifying-key digest: the
// bundle's key and layout must be it (the layout says how the calldata is
// recomputed from the bundle: a committed side's basis digest, which the
// basis file in opts must match), and its tensors encoded as its
// visibility says (verifier.CheckLayout). pinned, when not nil, must also
// be the bundle's key and the key the model was registered with. A proof
// the registry rejects is Accepted false with a nil error.
func (c *Chain) VerifyBundleRegistered(ctx context.Context, d *Deployment, b *verifier.Bundle, pinned prover.VerifyingKey, l prover.Layout, opts ...verifier.Option) (*BundleResult, error) {
	if d.ChainID != c.chainID.Uint64() {
		return nil, fmt.Errorf("contracts: %w: the deployment is on chain id %d, the node serves %s", ErrWrongChain, d.ChainID, c.chainID)
	}
	m, err := c.Model(ctx, d.Registry, d.ModelID)
	if err != nil {
		return nil, err
	}
	if pinned != nil {
		want, err := CheckBundleKey(b, pinned, l)
		if err != nil {
			return nil, err
		}
		if m.VkDigest != want {
			return nil, fmt.Errorf("%w: model %s is registered with verifying key %s, not the pinned key %s", ErrKeyMismatch, d.ModelID, FormatVKDigest(m.VkDigest), FormatVKDigest(want))
		}
	}
	// The registered digest pins the bundle's layout too: the calldata is
	// read by it (a committed side's basis digest, the parts), so a bundle
	// whose layout is not the registered key's (its own input_basis, with
	// a basis file of its own making) is refused before any is read.
	vk, _, err := verifier.Decode(b)
	if err != nil {
		return nil, err
	}
	got, err := VKDigest(vk, b.Layout())
	if err != nil {
		return nil, err
	}
	if got != m.VkDigest {
		return nil, fmt.Errorf("%w: model %s is registered with verifying key %s, the bundle's key and layout are %s", ErrKeyMismatch, d.ModelID, FormatVKDigest(m.VkDigest), FormatVKDigest(got))
	}
	if err := verifier.CheckLayout(b); err != nil {
		return nil, err
	}
	proofBytes, inputs, err := BundleCalldata(b, opts...)
	if err != nil {
		return nil, err
	}
	return c.verifyRegistered(ctx, d, m, proofBytes, inputs)
}

// verifyRegistered sends verifyInference to the registry entry d (model m,
// looked up) for VerifyBundleRegistered and VerifyAggregatedRegistered. A
// proof the registry rejects is Accepted false with a nil error.
func (c *Chain) verifyRegistered(ctx context.Context, d *Deployment, m *Model, proofBytes []byte, inputs []*big.Int) (*BundleResult, error) {
	res := &BundleResult{
		Backend: Backend(m.Backend).String(), Chain: c.Name(), VKDigest: FormatVKDigest(m.VkDigest), PublicInputs: len(inputs),
		Registry: d.Registry.Hex(), ModelID: d.ModelID.Hex(),
	}
	ev, rcpt, err := c.VerifyInference(ctx, d.Registry, d.ModelID, proofBytes, inputs)
	if RevertName(err) == "ProofRejected" {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Accepted, res.RegistryVerifyGas, res.TxHash = true, rcpt.GasUsed, rcpt.TxHash.Hex()
	res.PublicInputsHash = common.Hash(ev.PublicInputsHash).Hex()
	return res, nil
}

// ErrCommittedIO: committed input and output together, or either with
// committed weights, are not verified on chain.
var ErrCommittedIO = errors.New("contracts: more than one committed side is not supported on chain")

// CheckOnChain refuses visibilities the on-chain verifier does not
// support. Every committed side (weights, input, output; quant.
// VisibilityCommitted) is a BSB22 commitment of its own, and the lookups
// add one: the Solidity rewrite (multicommit.go) verifies two commitments,
// so one committed side at most. With a committed input or output the
// contract's caller supplies that side's public input, Keccak256 of Σ v·B
// over the key's basis (verifier.PublicWitnessWith recomputes it from the
// bundle's values and the pinned key's basis file): the contract checks
// the proof against it like any public input.
func CheckOnChain(v quant.Visibility) error {
	cin, cout := v.CommittedIO()
	n := 0
	for _, c := range []bool{cin, cout, v.Weights == quant.VisibilityCommitted} {
		if c {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w: input %s, output %s, weights %s make %d BSB22 commitments with the lookups', and the Solidity verifier checks at most two; verify off chain with zkinfer verify, or commit one side only", ErrCommittedIO, v.Input, v.Output, v.Weights, n+1)
	}
	return nil
}
