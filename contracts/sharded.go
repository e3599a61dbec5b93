package contracts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/zkinfer/zkinfer/contracts/registrybind"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// ShardSpec is what a registrant names for one shard of a sharded model:
// its verifier, backend, public input count, the shard sub-model's
// commitment and the verifying key's digest.
type ShardSpec = registrybind.RegistryShardSpec

// ShardedModel is a sharded registry entry as the contract stores it.
type ShardedModel = registrybind.RegistryShardedModel

// ShardedInferenceVerified is a decoded ShardedInferenceVerified event.
type ShardedInferenceVerified = registrybind.RegistryShardedInferenceVerified

// ShardedRegistration is what the owner of a model proven in shards
// registers: the shards in order (two at least).
type ShardedRegistration struct {
	// ShardsCommitment is quant.ShardsCommitment of the shards' ranges and
	// commitments (the keys manifest's shards_commitment).
	ShardsCommitment common.Hash
	Shards           []ShardSpec
	MetadataURI      string
}

// ErrShardedKeys marks a keys manifest, shard key or sharded registration
// that does not fit the sharded bundle or model it is used with.
var ErrShardedKeys = fmt.Errorf("%w: sharded keys", ErrKeyMismatch)

// ShardedModelID is the registry's shardedModelIdOf(registrant,
// shardsCommitment, verifiers), computed locally.
func ShardedModelID(registrant common.Address, shardsCommitment common.Hash, verifiers []common.Address) common.Hash {
	buf := make([]byte, 0, 32*(4+len(verifiers)))
	buf = append(buf, common.LeftPadBytes(registrant.Bytes(), 32)...)
	buf = append(buf, shardsCommitment.Bytes()...)
	buf = append(buf, common.LeftPadBytes(big.NewInt(96).Bytes(), 32)...)
	buf = append(buf, common.LeftPadBytes(big.NewInt(int64(len(verifiers))).Bytes(), 32)...)
	for _, v := range verifiers {
		buf = append(buf, common.LeftPadBytes(v.Bytes(), 32)...)
	}
	return crypto.Keccak256Hash(buf)
}

// RegisterShardedModel registers reg with the registry at registry, owned
// by c's account, and returns the model id.
func (c *Chain) RegisterShardedModel(ctx context.Context, registry common.Address, reg ShardedRegistration) (common.Hash, *types.Receipt, error) {
	data, err := registryBinding.TryPackRegisterSharded(reg.ShardsCommitment, reg.Shards, reg.MetadataURI)
	if err != nil {
		return common.Hash{}, nil, fmt.Errorf("contracts: register sharded: %w", err)
	}
	rcpt, err := c.transact(ctx, "register sharded", registry, data)
	if err != nil {
		return common.Hash{}, rcpt, err
	}
	for _, l := range rcpt.Logs {
		if ev, err := registryBinding.UnpackShardedModelRegisteredEvent(l); err == nil && l.Address == registry {
			return ev.ModelId, rcpt, nil
		}
	}
	return common.Hash{}, rcpt, fmt.Errorf("contracts: register sharded: no ShardedModelRegistered event in transaction %s", rcpt.TxHash)
}

// DeregisterShardedModel removes a sharded model for good; only its owner
// may.
func (c *Chain) DeregisterShardedModel(ctx context.Context, registry common.Address, modelID common.Hash) (*types.Receipt, error) {
	data, err := registryBinding.TryPackDeregisterSharded(modelID)
	if err != nil {
		return nil, fmt.Errorf("contracts: deregister sharded: %w", err)
	}
	return c.transact(ctx, "deregister sharded", registry, data)
}

// ShardedModel reads a sharded registry entry; an unknown id is a
// *RevertError named "UnknownModel", a deregistered one "ModelRetired".
func (c *Chain) ShardedModel(ctx context.Context, registry common.Address, modelID common.Hash) (*ShardedModel, error) {
	data, err := registryBinding.TryPackShardedModel(modelID)
	if err != nil {
		return nil, fmt.Errorf("contracts: sharded model: %w", err)
	}
	out, err := c.call(ctx, "sharded model", registry, data)
	if err != nil {
		return nil, err
	}
	m, err := registryBinding.UnpackShardedModel(out)
	if err != nil {
		return nil, fmt.Errorf("contracts: sharded model: %w", err)
	}
	return &m, nil
}

// VerifyShardedInference sends verifyShardedInference(modelID, proofs,
// inputs) to the registry: one transaction that verifies every shard and
// the hash chain between them. A revert is a *RevertError named after the
// registry's custom error ("ShardProofRejected", "BrokenShardChain",
// "ShardCommitmentMismatch", "WrongShardCount", ...), seen during gas
// estimation, so no transaction is sent.
func (c *Chain) VerifyShardedInference(ctx context.Context, registry common.Address, modelID common.Hash, proofs [][]byte, inputs [][]*big.Int) (*ShardedInferenceVerified, *types.Receipt, error) {
	for i, in := range inputs {
		if err := checkUint256s(in); err != nil {
			return nil, nil, fmt.Errorf("contracts: verify sharded inference: shard %d: %w", i, err)
		}
	}
	data, err := registryBinding.TryPackVerifyShardedInference(modelID, proofs, inputs)
	if err != nil {
		return nil, nil, fmt.Errorf("contracts: verify sharded inference: %w", err)
	}
	const op = "verify sharded inference"
	rcpt, err := c.transact(ctx, op, registry, data)
	if err != nil {
		return nil, rcpt, err
	}
	for _, l := range rcpt.Logs {
		if ev, err := registryBinding.UnpackShardedInferenceVerifiedEvent(l); err == nil && l.Address == registry {
			return ev, rcpt, nil
		}
	}
	return nil, rcpt, fmt.Errorf("contracts: %s: no ShardedInferenceVerified event in transaction %s", op, rcpt.TxHash)
}

// ShardedCalldata encodes every shard of a sharded bundle for the registry's
// verifyShardedInference: the proofs and the public inputs, in shard order.
func ShardedCalldata(s *verifier.ShardedBundle) ([][]byte, [][]*big.Int, error) {
	proofs, inputs := make([][]byte, len(s.Shards)), make([][]*big.Int, len(s.Shards))
	for i, sh := range s.Shards {
		if sh.Bundle == nil {
			return nil, nil, fmt.Errorf("contracts: shard %d: %w: no bundle", i, verifier.ErrBundle)
		}
		p, in, err := BundleCalldata(sh.Bundle)
		if err != nil {
			return nil, nil, fmt.Errorf("contracts: shard %d: %w", i, err)
		}
		proofs[i], inputs[i] = p, in
	}
	return proofs, inputs, nil
}

// ShardedIOHashes are the inputHash and outputHash ShardedInferenceVerified
// carries for these public inputs: keccak256 of the first shard's inputs
// but its last two, and of the last shard's inputs but its first and last.
func ShardedIOHashes(inputs [][]*big.Int) (in, out common.Hash) {
	if len(inputs) == 0 {
		return
	}
	first, last := inputs[0], inputs[len(inputs)-1]
	if len(first) >= 2 {
		in = PublicInputsHash(first[:len(first)-2])
	}
	if len(last) >= 2 {
		out = PublicInputsHash(last[1 : len(last)-1])
	}
	return in, out
}

// CheckShardedKeys checks that a sharded bundle is pinned by keys, a keys
// manifest the caller trusts: it is the manifest's model, sharded as the
// manifest says, and every shard's bundle carries the key whose digest
// (with the shard's layout) the manifest pins for that shard. It checks no
// proof: that is the chain's job. It returns the pinned digests.
func CheckShardedKeys(s *verifier.ShardedBundle, keys *prover.KeysManifest) ([]common.Hash, error) {
	if keys == nil {
		return nil, ErrNotPinned
	}
	if len(s.Shards) != s.NShards {
		return nil, fmt.Errorf("contracts: %w: the bundle holds %d of its %d shards", verifier.ErrIncomplete, len(s.Shards), s.NShards)
	}
	if keys.ShardsVersion != s.ShardsVersion || keys.NLayer != s.NLayer || len(keys.Shards) != len(s.Shards) || keys.Visibility != s.Visibility {
		return nil, fmt.Errorf("%w: the bundle has %d shards of %d blocks with visibility %+v, the keys manifest %d of %d with %+v", ErrShardedKeys, len(s.Shards), s.NLayer, s.Visibility, len(keys.Shards), keys.NLayer, keys.Visibility)
	}
	if keys.ModelCommitment != s.ModelCommitment || keys.ShardsCommitment != s.ShardsCommitment {
		return nil, fmt.Errorf("%w: the bundle claims model %s sharded as %s, the keys manifest pins model %s sharded as %s", ErrShardedKeys, s.ModelCommitment, s.ShardsCommitment, keys.ModelCommitment, keys.ShardsCommitment)
	}
	digests := make([]common.Hash, len(s.Shards))
	for i, sh := range s.Shards {
		e := keys.Shards[i]
		if sh.Index != i || sh.From != e.From || sh.To != e.To || sh.Bundle == nil {
			return nil, fmt.Errorf("%w: position %d holds shard %d with blocks %d:%d, the keys manifest's shard %d covers %d:%d", ErrShardedKeys, i, sh.Index, sh.From, sh.To, i, e.From, e.To)
		}
		want, err := ParseVKDigest(e.VKDigest)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		vk, _, err := verifier.Decode(sh.Bundle)
		if err != nil {
			return nil, fmt.Errorf("contracts: shard %d: %w", i, err)
		}
		got, err := VKDigest(vk, sh.Bundle.Layout())
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		if got != want {
			return nil, fmt.Errorf("%w: shard %d: the bundle's verifying key %s is not the pinned key %s", ErrKeyMismatch, i, FormatVKDigest(got), FormatVKDigest(want))
		}
		digests[i] = want
	}
	return digests, nil
}

// ShardedRegistrationOf builds the registration of the sharded model keys
// pins, with vks the shard verifying keys (keys.Shards order; each must
// have the digest the manifest pins, with its entry's layout) and
// verifiers their deployed verifiers. Each shard's commitment is its key
// header's, and they must hash with the ranges to the manifest's shards
// commitment.
func ShardedRegistrationOf(keys *prover.KeysManifest, vks []prover.VerifyingKey, verifiers []common.Address, metadataURI string) (*ShardedRegistration, error) {
	if keys == nil {
		return nil, ErrNotPinned
	}
	n := len(keys.Shards)
	if n < 2 || len(vks) != n || len(verifiers) != n {
		return nil, fmt.Errorf("contracts: register sharded: %d shards, %d keys and %d verifiers; want as many, two at least", n, len(vks), len(verifiers))
	}
	sc, err := ModelCommitment(keys.ShardsCommitment)
	if err != nil {
		return nil, fmt.Errorf("shards commitment: %w", err)
	}
	reg := &ShardedRegistration{ShardsCommitment: sc, MetadataURI: metadataURI}
	ranges := make([]quant.ShardRange, n)
	commits := make([]fr.Element, n)
	for i, e := range keys.Shards {
		if err := checkShardKey(i, e, vks[i]); err != nil {
			return nil, err
		}
		digest, _ := ParseVKDigest(e.VKDigest)
		commitment, err := ModelCommitment(e.Key.Commitment)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		if err := commits[i].SetBytesCanonical(commitment.Bytes()); err != nil {
			return nil, fmt.Errorf("contracts: shard %d: commitment %s is not a field element", i, e.Key.Commitment)
		}
		ranges[i] = quant.ShardRange{From: e.From, To: e.To}
		backend, nPublic, err := RegistryBackend(vks[i])
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		if nPublic < 2 || nPublic > 0xffff {
			return nil, fmt.Errorf("contracts: shard %d: %d public inputs; want 2 to 65535", i, nPublic)
		}
		reg.Shards = append(reg.Shards, ShardSpec{Verifier: verifiers[i], Backend: uint8(backend), PublicInputs: uint16(nPublic), Commitment: commitment, VkDigest: digest})
	}
	var model fr.Element
	if keys.ShardsVersion == quant.GraphShardsVersion {
		mc, err := ModelCommitment(keys.ModelCommitment)
		if err != nil {
			return nil, fmt.Errorf("model commitment: %w", err)
		}
		if err := model.SetBytesCanonical(mc.Bytes()); err != nil {
			return nil, fmt.Errorf("contracts: model commitment %s is not a field element", keys.ModelCommitment)
		}
	}
	got, err := quant.ShardsCommitmentOf(keys.ShardsVersion, model, keys.NLayer, ranges, commits)
	if err != nil {
		return nil, fmt.Errorf("contracts: %w", err)
	}
	if s := quant.FormatCommitment(got); s != keys.ShardsCommitment {
		return nil, fmt.Errorf("%w: the shard keys' commitments hash to %s, the keys manifest names %s", ErrShardedKeys, s, keys.ShardsCommitment)
	}
	return reg, nil
}

// checkShardKey checks vk has the digest entry e pins.
func checkShardKey(i int, e prover.KeyEntry, vk prover.VerifyingKey) error {
	want, err := ParseVKDigest(e.VKDigest)
	if err != nil {
		return fmt.Errorf("shard %d: %w", i, err)
	}
	got, err := VKDigest(vk, e.Key.Layout())
	if err != nil {
		return fmt.Errorf("shard %d: %w", i, err)
	}
	if got != want {
		return fmt.Errorf("%w: shard %d: verifying key %s is not the key %s the keys manifest pins", ErrKeyMismatch, i, FormatVKDigest(got), FormatVKDigest(want))
	}
	return nil
}

// ShardedDeploymentMediaType is the deployment file of a sharded model.
const ShardedDeploymentMediaType = "application/vnd.zkinfer.sharded-deployment.v1+json"

// DeployedShard is one shard of a sharded deployment. VerifierTx is nil
// for a shard that shares an earlier shard's verifier (the same key).
type DeployedShard struct {
	Index        int            `json:"index"`
	From         int            `json:"from"`
	To           int            `json:"to"`
	Verifier     common.Address `json:"verifier"`
	VerifierTx   *Tx            `json:"verifier_deploy,omitempty"`
	Commitment   common.Hash    `json:"model_commitment"`
	VKDigest     string         `json:"vk_digest"`
	PublicInputs int            `json:"public_inputs"`
}

// ShardedDeployment records where a sharded model's verifiers and registry
// entry live.
type ShardedDeployment struct {
	MediaType        string          `json:"media_type"`
	Chain            string          `json:"chain"`
	ChainID          uint64          `json:"chain_id"`
	Backend          string          `json:"backend"`
	Registry         common.Address  `json:"registry"`
	RegistryTx       *Tx             `json:"registry_deploy,omitempty"`
	ModelID          common.Hash     `json:"model_id"`
	ModelCommitment  string          `json:"model_commitment"`
	ShardsCommitment common.Hash     `json:"shards_commitment"`
	Shards           []DeployedShard `json:"shards"`
	RegisterTx       *Tx             `json:"register"`
}

// CompileFunc compiles the Solidity verifier of a verifying key.
type CompileFunc func(ctx context.Context, vk prover.VerifyingKey) (*Compiled, error)

// CompileVerifier is the default CompileFunc: ExportSolidity and Compile.
func CompileVerifier(ctx context.Context, vk prover.VerifyingKey) (*Compiled, error) {
	src, err := ExportSolidity(vk)
	if err != nil {
		return nil, err
	}
	return Compile(ctx, src, PlonkContract)
}

// DeployShardedModel deploys one verifier per distinct shard key of keys
// (vks in keys.Shards order, each checked against its pinned digest before
// anything is compiled or deployed), deploys a registry unless registry is
// given, and registers the sharded model. compile nil is CompileVerifier.
func DeployShardedModel(ctx context.Context, c *Chain, keys *prover.KeysManifest, vks []prover.VerifyingKey, compile CompileFunc, registry *common.Address, metadataURI string) (*ShardedDeployment, error) {
	if keys == nil {
		return nil, ErrNotPinned
	}
	if len(vks) != len(keys.Shards) {
		return nil, fmt.Errorf("contracts: deploy sharded: %d keys for %d shards", len(vks), len(keys.Shards))
	}
	for i, e := range keys.Shards {
		if err := checkShardKey(i, e, vks[i]); err != nil {
			return nil, err
		}
	}
	if compile == nil {
		compile = CompileVerifier
	}
	d := &ShardedDeployment{MediaType: ShardedDeploymentMediaType, Chain: c.Name(), ChainID: c.chainID.Uint64(), Backend: keys.Backend, ModelCommitment: keys.ModelCommitment}
	byDigest := map[string]common.Address{}
	verifiers := make([]common.Address, len(vks))
	for i, e := range keys.Shards {
		ds := DeployedShard{Index: i, From: e.From, To: e.To, VKDigest: e.VKDigest}
		if addr, ok := byDigest[e.VKDigest]; ok {
			ds.Verifier = addr
		} else {
			comp, err := compile(ctx, vks[i])
			if err != nil {
				return nil, fmt.Errorf("shard %d: %w", i, err)
			}
			rcpt, err := c.DeployReceipt(ctx, comp)
			if err != nil {
				return nil, fmt.Errorf("shard %d: %w", i, err)
			}
			ds.Verifier, ds.VerifierTx = rcpt.ContractAddress, &Tx{rcpt.TxHash, rcpt.GasUsed}
			byDigest[e.VKDigest] = rcpt.ContractAddress
		}
		verifiers[i] = ds.Verifier
		d.Shards = append(d.Shards, ds)
	}
	reg, err := ShardedRegistrationOf(keys, vks, verifiers, metadataURI)
	if err != nil {
		return nil, err
	}
	for i, s := range reg.Shards {
		d.Shards[i].Commitment, d.Shards[i].PublicInputs = s.Commitment, int(s.PublicInputs)
	}
	d.ShardsCommitment = reg.ShardsCommitment
	if registry != nil {
		d.Registry = *registry
	} else {
		rr, err := c.DeployRegistry(ctx)
		if err != nil {
			return nil, err
		}
		d.Registry, d.RegistryTx = rr.ContractAddress, &Tx{rr.TxHash, rr.GasUsed}
	}
	id, rcpt, err := c.RegisterShardedModel(ctx, d.Registry, *reg)
	if err != nil {
		return nil, err
	}
	d.ModelID, d.RegisterTx = id, &Tx{rcpt.TxHash, rcpt.GasUsed}
	return d, nil
}

// Write writes the deployment to path atomically.
func (d *ShardedDeployment) Write(path string) error { return writeDeployment(path, d) }

// IsShardedDeployment reports whether the deployment file at path is a
// sharded one (by its media type).
func IsShardedDeployment(path string) bool {
	data, err := readDeploymentFile(path)
	if err != nil {
		return false
	}
	var probe struct {
		MediaType string `json:"media_type"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.MediaType == ShardedDeploymentMediaType
}

// ReadShardedDeployment reads a deployment file written by
// ShardedDeployment.Write.
func ReadShardedDeployment(path string) (*ShardedDeployment, error) {
	var d ShardedDeployment
	if err := readDeployment(path, ShardedDeploymentMediaType, &d, func() (string, common.Address, common.Hash) { return d.MediaType, d.Registry, d.ModelID }); err != nil {
		return nil, err
	}
	return &d, nil
}

// ShardedResult is what an on-chain verification of a sharded bundle found.
type ShardedResult struct {
	Accepted bool   `json:"accepted"`
	Backend  string `json:"backend"`
	Chain    string `json:"chain"`
	Shards   int    `json:"shards"`
	// Reason is the registry's custom error when it rejected the bundle.
	Reason           string   `json:"reason,omitempty"`
	Registry         string   `json:"registry_address"`
	ModelID          string   `json:"model_id"`
	ShardsCommitment string   `json:"shards_commitment"`
	VKDigests        []string `json:"vk_digests"`
	// Verifiers are the shard verifiers, in shard order.
	Verifiers []string `json:"verifier_addresses"`
	DeployGas uint64   `json:"deploy_gas,omitempty"`
	VerifyGas uint64   `json:"registry_verify_gas,omitempty"`
	TxHash    string   `json:"tx_hash,omitempty"`
	InputHash string   `json:"input_hash,omitempty"`
	// OutputHash is keccak256 of the last shard's output public inputs.
	OutputHash string `json:"output_hash,omitempty"`
}

// rejections are the registry errors that mean "this bundle is not a valid
// proof of this model", as opposed to a misuse or a node failure.
var rejections = map[string]bool{"ShardProofRejected": true, "BrokenShardChain": true, "ShardCommitmentMismatch": true, "ShardPublicInputCountMismatch": true, "WrongShardCount": true}

// VerifyShardedBundle verifies a sharded bundle on chain against keys, a
// keys manifest the caller trusts, with vks the shard keys it pins: it
// refuses a bundle whose shard keys are not the pinned ones before anything
// is deployed, then deploys the shard verifiers and a registry, registers
// the model and sends one verifyShardedInference. A bundle the registry
// rejects is Accepted false (Reason names the error) with a nil error.
func (c *Chain) VerifyShardedBundle(ctx context.Context, s *verifier.ShardedBundle, keys *prover.KeysManifest, vks []prover.VerifyingKey, compile CompileFunc) (*ShardedResult, error) {
	if _, err := CheckShardedKeys(s, keys); err != nil {
		return nil, err
	}
	proofs, inputs, err := ShardedCalldata(s)
	if err != nil {
		return nil, err
	}
	d, err := DeployShardedModel(ctx, c, keys, vks, compile, nil, "")
	if err != nil {
		return nil, err
	}
	res := shardedResult(c, d)
	for _, sh := range d.Shards {
		if sh.VerifierTx != nil {
			res.DeployGas += sh.VerifierTx.GasUsed
		}
	}
	return res, c.sendSharded(ctx, res, d, proofs, inputs)
}

// VerifyShardedBundleRegistered verifies a sharded bundle through the
// registry entry of a sharded deployment. The registered verifiers are the
// anchor (the registry pins their code hashes); keys, when not nil, must
// pin the bundle's shard keys and be what the model was registered with.
func (c *Chain) VerifyShardedBundleRegistered(ctx context.Context, d *ShardedDeployment, s *verifier.ShardedBundle, keys *prover.KeysManifest) (*ShardedResult, error) {
	if d.ChainID != c.chainID.Uint64() {
		return nil, fmt.Errorf("contracts: %w: the deployment is on chain id %d, the node serves %s", ErrWrongChain, d.ChainID, c.chainID)
	}
	m, err := c.ShardedModel(ctx, d.Registry, d.ModelID)
	if err != nil {
		return nil, err
	}
	if keys != nil {
		digests, err := CheckShardedKeys(s, keys)
		if err != nil {
			return nil, err
		}
		sc, err := ModelCommitment(keys.ShardsCommitment)
		if err != nil {
			return nil, err
		}
		if m.ShardsCommitment != sc || len(m.Shards) != len(digests) {
			return nil, fmt.Errorf("%w: model %s is registered with %d shards as %s, the keys manifest pins %d as %s", ErrShardedKeys, d.ModelID, len(m.Shards), common.Hash(m.ShardsCommitment), len(digests), keys.ShardsCommitment)
		}
		for i, sh := range m.Shards {
			if sh.VkDigest != digests[i] {
				return nil, fmt.Errorf("%w: model %s registers shard %d with verifying key %s, not the pinned key %s", ErrKeyMismatch, d.ModelID, i, FormatVKDigest(sh.VkDigest), FormatVKDigest(digests[i]))
			}
		}
	}
	proofs, inputs, err := ShardedCalldata(s)
	if err != nil {
		return nil, err
	}
	res := &ShardedResult{Chain: c.Name(), Shards: len(m.Shards), Registry: d.Registry.Hex(), ModelID: d.ModelID.Hex(), ShardsCommitment: common.Hash(m.ShardsCommitment).Hex()}
	for _, sh := range m.Shards {
		res.Backend = Backend(sh.Backend).String()
		res.VKDigests = append(res.VKDigests, FormatVKDigest(sh.VkDigest))
		res.Verifiers = append(res.Verifiers, sh.Verifier.Hex())
	}
	return res, c.sendSharded(ctx, res, d, proofs, inputs)
}

func shardedResult(c *Chain, d *ShardedDeployment) *ShardedResult {
	res := &ShardedResult{Backend: d.Backend, Chain: c.Name(), Shards: len(d.Shards), Registry: d.Registry.Hex(), ModelID: d.ModelID.Hex(), ShardsCommitment: d.ShardsCommitment.Hex()}
	for _, sh := range d.Shards {
		res.VKDigests = append(res.VKDigests, sh.VKDigest)
		res.Verifiers = append(res.Verifiers, sh.Verifier.Hex())
	}
	return res
}

func (c *Chain) sendSharded(ctx context.Context, res *ShardedResult, d *ShardedDeployment, proofs [][]byte, inputs [][]*big.Int) error {
	ev, rcpt, err := c.VerifyShardedInference(ctx, d.Registry, d.ModelID, proofs, inputs)
	var rerr *RevertError
	if errors.As(err, &rerr) && rejections[rerr.Name] {
		res.Reason = rerr.Name + formatArgs(rerr.Args)
		return nil
	}
	if err != nil {
		return err
	}
	res.Accepted, res.VerifyGas, res.TxHash = true, rcpt.GasUsed, rcpt.TxHash.Hex()
	res.InputHash, res.OutputHash = common.Hash(ev.InputHash).Hex(), common.Hash(ev.OutputHash).Hex()
	return nil
}
