package contracts

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/zkinfer/zkinfer/contracts/registrybind"
)

//go:generate go run ./internal/bindgen

// RegistrySource is the Solidity source of the model registry, compiled with
// the pinned solc into the bytecode that registrybind deploys (a test in
// internal/bindgen fails when the two drift).
//
//go:embed Registry.sol
var RegistrySource []byte

// RegistryContract is the registry's contract name in RegistrySource.
const RegistryContract = "Registry"

// Backend is the proof system of a registered verifier, as Registry.sol's
// enum numbers it.
type Backend uint8

// The backends a registry entry can name.
const (
	BackendNone    Backend = 0
	BackendGroth16 Backend = 1
	BackendPlonk   Backend = 2
)

func (b Backend) String() string {
	switch b {
	case BackendGroth16:
		return "groth16"
	case BackendPlonk:
		return "plonk"
	}
	return fmt.Sprintf("backend(%d)", uint8(b))
}

// ModelRegistration is what a model owner registers.
type ModelRegistration struct {
	// Commitment is the model commitment (quant.Commit; the proof's last
	// public input), as ModelCommitment returns it.
	Commitment common.Hash
	// Verifier is the deployed verifier contract of the model's circuit.
	Verifier common.Address
	Backend  Backend
	// PublicInputs is the number of public inputs the verifier takes.
	PublicInputs int
	// VKDigest is the SHA-256 of the verifying key the verifier was
	// generated from: VKDigest(vk), prover.VerifyingKeyDigest's 32 bytes.
	// The registry refuses a zero digest.
	VKDigest common.Hash
	// MetadataURI points at human-facing metadata; free-form.
	MetadataURI string
}

// Model is a registry entry as the contract stores it.
type Model = registrybind.RegistryModel

// InferenceVerified is a decoded InferenceVerified event.
type InferenceVerified = registrybind.RegistryInferenceVerified

// RevertError is a transaction or call the registry reverted with one of its
// custom errors. Name is the Solidity error name ("ProofRejected",
// "UnknownModel", ...) and Args the decoded arguments (the binding's struct
// for that error); unknown revert data leaves Name empty.
type RevertError struct {
	Op   string
	Name string
	Args any
	Data []byte
}

func (e *RevertError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("contracts: %s: reverted (data %s)", e.Op, hexutil.Encode(e.Data))
	}
	return fmt.Sprintf("contracts: %s: the registry reverted with %s%s", e.Op, e.Name, formatArgs(e.Args))
}

// RevertName returns the custom error name of a registry revert in err's
// chain, or "".
func RevertName(err error) string {
	var r *RevertError
	if errors.As(err, &r) {
		return r.Name
	}
	return ""
}

var registryBinding = registrybind.NewRegistry()

// RegistryCompiled is the registry as registrybind holds it (the ABI and
// the creation code DeployRegistry deploys), for writing its artifacts
// (WriteArtifacts: Registry.abi.json, Registry.bin) for other clients.
func RegistryCompiled() (*Compiled, error) {
	bin, err := hexutil.Decode(registrybind.RegistryMetaData.Bin)
	if err != nil {
		return nil, fmt.Errorf("contracts: registry bytecode: %w", err)
	}
	return &Compiled{Name: RegistryContract, ABI: registrybind.RegistryMetaData.ABI, Bin: bin}, nil
}

// DeployRegistry deploys the registry contract.
func (c *Chain) DeployRegistry(ctx context.Context) (*types.Receipt, error) {
	comp, err := RegistryCompiled()
	if err != nil {
		return nil, err
	}
	return c.DeployReceipt(ctx, comp)
}

// RegisterModel registers reg with the registry at registry, owned by c's
// account, and returns the model id.
func (c *Chain) RegisterModel(ctx context.Context, registry common.Address, reg ModelRegistration) (common.Hash, *types.Receipt, error) {
	if reg.PublicInputs < 0 || reg.PublicInputs > 0xffff {
		return common.Hash{}, nil, fmt.Errorf("contracts: register: %d public inputs out of range", reg.PublicInputs)
	}
	data, err := registryBinding.TryPackRegister(reg.Commitment, reg.Verifier, uint8(reg.Backend), uint16(reg.PublicInputs), reg.VKDigest, reg.MetadataURI)
	if err != nil {
		return common.Hash{}, nil, fmt.Errorf("contracts: register: %w", err)
	}
	rcpt, err := c.transact(ctx, "register", registry, data)
	if err != nil {
		return common.Hash{}, rcpt, err
	}
	for _, l := range rcpt.Logs {
		if ev, err := registryBinding.UnpackModelRegisteredEvent(l); err == nil && l.Address == registry {
			return ev.ModelId, rcpt, nil
		}
	}
	return common.Hash{}, rcpt, fmt.Errorf("contracts: register: no ModelRegistered event in transaction %s", rcpt.TxHash)
}

// DeregisterModel removes a model; only its owner may.
func (c *Chain) DeregisterModel(ctx context.Context, registry common.Address, modelID common.Hash) (*types.Receipt, error) {
	data, err := registryBinding.TryPackDeregister(modelID)
	if err != nil {
		return nil, fmt.Errorf("contracts: deregister: %w", err)
	}
	return c.transact(ctx, "deregister", registry, data)
}

// TransferModelOwnership hands a model to newOwner; only its owner may.
func (c *Chain) TransferModelOwnership(ctx context.Context, registry common.Address, modelID common.Hash, newOwner common.Address) (*types.Receipt, error) {
	data, err := registryBinding.TryPackTransferOwnership(modelID, newOwner)
	if err != nil {
		return nil, fmt.Errorf("contracts: transfer ownership: %w", err)
	}
	return c.transact(ctx, "transfer ownership", registry, data)
}

// Model reads a registry entry; an unknown id is a *RevertError named
// "UnknownModel", a deregistered one "ModelRetired".
func (c *Chain) Model(ctx context.Context, registry common.Address, modelID common.Hash) (*Model, error) {
	data, err := registryBinding.TryPackModel(modelID)
	if err != nil {
		return nil, fmt.Errorf("contracts: model: %w", err)
	}
	out, err := c.call(ctx, "model", registry, data)
	if err != nil {
		return nil, err
	}
	m, err := registryBinding.UnpackModel(out)
	if err != nil {
		return nil, fmt.Errorf("contracts: model: %w", err)
	}
	return &m, nil
}

// VerifyInference sends verifyInference(modelID, proof, inputs) to the
// registry and returns the decoded InferenceVerified event with the receipt.
// A rejected proof is a *RevertError named "ProofRejected"; the revert is
// seen during gas estimation, so no transaction is sent (and no gas paid).
// A verifier whose code is no longer the registered code is a *RevertError
// named "VerifierCodeChanged".
func (c *Chain) VerifyInference(ctx context.Context, registry common.Address, modelID common.Hash, proof []byte, inputs []*big.Int) (*InferenceVerified, *types.Receipt, error) {
	if err := checkUint256s(inputs); err != nil {
		return nil, nil, fmt.Errorf("contracts: verify inference: %w", err)
	}
	data, err := registryBinding.TryPackVerifyInference(modelID, proof, inputs)
	if err != nil {
		return nil, nil, fmt.Errorf("contracts: verify inference: %w", err)
	}
	return c.verifyInference(ctx, "verify inference", registry, data)
}

// VerifyInferenceAttested is VerifyInference that also requires an
// attestation of modelID from every one of auditors; a missing one is a
// *RevertError named "NotAttested".
func (c *Chain) VerifyInferenceAttested(ctx context.Context, registry common.Address, modelID common.Hash, proof []byte, inputs []*big.Int, auditors []common.Address) (*InferenceVerified, *types.Receipt, error) {
	if err := checkUint256s(inputs); err != nil {
		return nil, nil, fmt.Errorf("contracts: verify inference attested: %w", err)
	}
	data, err := registryBinding.TryPackVerifyInferenceAttested(modelID, proof, inputs, auditors)
	if err != nil {
		return nil, nil, fmt.Errorf("contracts: verify inference attested: %w", err)
	}
	return c.verifyInference(ctx, "verify inference attested", registry, data)
}

func (c *Chain) verifyInference(ctx context.Context, op string, registry common.Address, data []byte) (*InferenceVerified, *types.Receipt, error) {
	rcpt, err := c.transact(ctx, op, registry, data)
	if err != nil {
		return nil, rcpt, err
	}
	for _, l := range rcpt.Logs {
		if ev, err := registryBinding.UnpackInferenceVerifiedEvent(l); err == nil && l.Address == registry {
			return ev, rcpt, nil
		}
	}
	return nil, rcpt, fmt.Errorf("contracts: %s: no InferenceVerified event in transaction %s", op, rcpt.TxHash)
}

func checkUint256s(inputs []*big.Int) error {
	for i, v := range inputs {
		if v == nil || v.Sign() < 0 || v.BitLen() > 256 {
			return fmt.Errorf("public input %d is not a uint256", i)
		}
	}
	return nil
}

// Attest records, from c's account as an auditor, an attestation of
// modelID. vkDigest is the key digest the auditor checked; the registry
// refuses it unless it is the registration's ("VkDigestMismatch").
func (c *Chain) Attest(ctx context.Context, registry common.Address, modelID, vkDigest common.Hash) (*types.Receipt, error) {
	data, err := registryBinding.TryPackAttest(modelID, vkDigest)
	if err != nil {
		return nil, fmt.Errorf("contracts: attest: %w", err)
	}
	return c.transact(ctx, "attest", registry, data)
}

// RevokeAttestation withdraws c's account's attestation of modelID.
func (c *Chain) RevokeAttestation(ctx context.Context, registry common.Address, modelID common.Hash) (*types.Receipt, error) {
	data, err := registryBinding.TryPackRevokeAttestation(modelID)
	if err != nil {
		return nil, fmt.Errorf("contracts: revoke attestation: %w", err)
	}
	return c.transact(ctx, "revoke attestation", registry, data)
}

// IsAttested reports whether auditor attests modelID and modelID is
// registered.
func (c *Chain) IsAttested(ctx context.Context, registry common.Address, modelID common.Hash, auditor common.Address) (bool, error) {
	data, err := registryBinding.TryPackIsAttested(modelID, auditor)
	if err != nil {
		return false, fmt.Errorf("contracts: is attested: %w", err)
	}
	out, err := c.call(ctx, "is attested", registry, data)
	if err != nil {
		return false, err
	}
	ok, err := registryBinding.UnpackIsAttested(out)
	if err != nil {
		return false, fmt.Errorf("contracts: is attested: %w", err)
	}
	return ok, nil
}

// ModelID is the registry's modelIdOf(registrant, commitment, verifier),
// computed locally: the id a relying party derives from the registrant it
// trusts.
func ModelID(registrant common.Address, commitment common.Hash, verifier common.Address) common.Hash {
	buf := make([]byte, 0, 96)
	buf = append(buf, common.LeftPadBytes(registrant.Bytes(), 32)...)
	buf = append(buf, commitment.Bytes()...)
	buf = append(buf, common.LeftPadBytes(verifier.Bytes(), 32)...)
	return crypto.Keccak256Hash(buf)
}

// InferenceEvents reads the InferenceVerified events of modelID (all models
// when modelID is zero) from block fromBlock on, through eth_getLogs. Key on
// a model id you derived from a registrant you trust (ModelID): the events
// of all models are anybody's, whatever commitment they carry.
func (c *Chain) InferenceEvents(ctx context.Context, registry common.Address, modelID common.Hash, fromBlock uint64) ([]*InferenceVerified, error) {
	c.mu.Lock()
	client := c.client
	c.mu.Unlock()
	if client == nil {
		return nil, errors.New("contracts: inference events: chain is closed")
	}
	topics := [][]common.Hash{{registryBinding.GetABI().Events["InferenceVerified"].ID}}
	if modelID != (common.Hash{}) {
		topics = append(topics, []common.Hash{modelID})
	}
	logs, err := client.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(fromBlock), Addresses: []common.Address{registry}, Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("contracts: inference events: %w", err)
	}
	evs := make([]*InferenceVerified, 0, len(logs))
	for i := range logs {
		ev, err := registryBinding.UnpackInferenceVerifiedEvent(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("contracts: inference events: %w", err)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// PublicInputsHash is the publicInputsHash the registry emits:
// keccak256 of the inputs as 32-byte big-endian words.
func PublicInputsHash(inputs []*big.Int) common.Hash {
	buf := make([]byte, 0, 32*len(inputs))
	for _, v := range inputs {
		buf = append(buf, common.BigToHash(v).Bytes()...)
	}
	return common.BytesToHash(crypto.Keccak256(buf))
}

// transact estimates, signs, sends and mines a call to a registry; a revert
// during estimation is decoded into a *RevertError.
func (c *Chain) transact(ctx context.Context, op string, to common.Address, data []byte) (*types.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil, fmt.Errorf("contracts: %s: chain is closed", op)
	}
	gas, err := c.client.EstimateGas(ctx, ethereum.CallMsg{From: c.from, To: &to, Data: data})
	if err != nil {
		return nil, revertOr(op, err)
	}
	rcpt, err := c.send(ctx, &to, data, gas)
	if err != nil {
		return nil, fmt.Errorf("contracts: %s: %w", op, err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return rcpt, fmt.Errorf("contracts: %s: transaction %s reverted", op, rcpt.TxHash)
	}
	return rcpt, nil
}

func (c *Chain) call(ctx context.Context, op string, to common.Address, data []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil, fmt.Errorf("contracts: %s: chain is closed", op)
	}
	out, err := c.client.CallContract(ctx, ethereum.CallMsg{From: c.from, To: &to, Data: data}, nil)
	if err != nil {
		return nil, revertOr(op, err)
	}
	return out, nil
}

// revertOr decodes the revert data a node attaches to a JSON-RPC error
// (code 3, data = hex revert bytes) into a *RevertError; other errors are
// wrapped as they are.
func revertOr(op string, err error) error {
	var derr rpc.DataError
	if errors.As(err, &derr) && isRevert(err) {
		if s, ok := derr.ErrorData().(string); ok {
			if raw, herr := hexutil.Decode(s); herr == nil {
				return decodeRevert(op, raw)
			}
		}
	}
	if isRevert(err) {
		return &RevertError{Op: op}
	}
	return fmt.Errorf("contracts: %s: %w", op, err)
}

func decodeRevert(op string, raw []byte) *RevertError {
	r := &RevertError{Op: op, Data: raw}
	if len(raw) < 4 {
		return r
	}
	for name, e := range registryBinding.GetABI().Errors {
		if string(e.ID[:4]) == string(raw[:4]) {
			r.Name = name
			if args, err := registryBinding.UnpackError(raw); err == nil {
				r.Args = args
			}
			return r
		}
	}
	return r
}

// formatArgs renders a decoded custom error's fields as the Solidity
// error reads: "(modelId=0x…, got=0x…)", with ids, hashes and addresses in
// hex and field elements (any uint256 above 2^64) in 0x hex, counts in
// decimal.
func formatArgs(args any) string {
	v := reflect.Indirect(reflect.ValueOf(args))
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return ""
	}
	parts := make([]string, 0, v.NumField())
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		name = strings.ToLower(name[:1]) + name[1:]
		parts = append(parts, name+"="+formatArg(v.Field(i).Interface()))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func formatArg(x any) string {
	switch x := x.(type) {
	case [32]byte:
		return common.Hash(x).Hex()
	case common.Address:
		return x.Hex()
	case *big.Int:
		if x == nil {
			return "<nil>"
		}
		if x.IsUint64() {
			return x.String()
		}
		return common.BigToHash(x).Hex()
	}
	return fmt.Sprint(x)
}
