package contracts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// PlonkContract is the contract to deploy from ExportPlonkVerifier's source.
// It has the Groth16 verifier's name so tools deploy "Verifier" whatever the
// backend.
const PlonkContract = "Verifier"

// plonkWrapper is appended to gnark's PlonkVerifier. gnark's Verify returns
// false for a proof that fails the pairing check (it reverts only on
// malformed input), so a caller that ignored the result would accept
// anything; verifyProof reverts instead, like the Groth16 verifier, and is
// what users and other contracts should call.
const plonkWrapper = `

/// @title zkinfer PLONK verifier
/// @notice verifyProof reverts unless the proof verifies; Verify (inherited)
/// returns a bool that callers must check.
contract Verifier is PlonkVerifier {
  function verifyProof(bytes calldata proof, uint256[] calldata public_inputs) external view {
    require(Verify(proof, public_inputs), "zkinfer: proof rejected");
  }
}
`

// ExportPlonkVerifier writes gnark's Solidity PLONK verifier for vk followed
// by the Verifier wrapper contract (see PlonkContract). Proofs must be made
// with solidity.WithProverTargetSolidityVerifier(backend.PLONK).
func ExportPlonkVerifier(vk plonk.VerifyingKey, w io.Writer) error {
	if w == nil {
		return errors.New("contracts: export plonk verifier: nil writer")
	}
	bvk, ok := vk.(*plonkbn254.VerifyingKey)
	if !ok {
		return fmt.Errorf("contracts: export plonk verifier: verifying key is %T, want BN254 (*plonkbn254.VerifyingKey)", vk)
	}
	if bvk == nil {
		return errors.New("contracts: export plonk verifier: nil verifying key")
	}
	if err := bvk.ExportSolidity(w); err != nil {
		return fmt.Errorf("contracts: export plonk verifier: %w", err)
	}
	if _, err := io.WriteString(w, plonkWrapper); err != nil {
		return fmt.Errorf("contracts: export plonk verifier: %w", err)
	}
	return nil
}

// PlonkCalldata converts a gnark BN254 PLONK proof and its public inputs
// into the arguments of verifyProof and Verify.
func PlonkCalldata(proof plonk.Proof, publicInputs fr.Vector) (proofBytes []byte, inputs []*big.Int, err error) {
	p, ok := proof.(*plonkbn254.Proof)
	if !ok {
		return nil, nil, fmt.Errorf("contracts: plonk calldata: proof is %T, want BN254 (*plonkbn254.Proof)", proof)
	}
	if p == nil {
		return nil, nil, errors.New("contracts: plonk calldata: nil proof")
	}
	defer func() {
		if r := recover(); r != nil {
			proofBytes, inputs, err = nil, nil, fmt.Errorf("contracts: plonk calldata: %v", r)
		}
	}()
	proofBytes = p.MarshalSolidity()
	inputs = make([]*big.Int, len(publicInputs))
	for i := range publicInputs {
		inputs[i] = publicInputs[i].BigInt(new(big.Int))
	}
	return proofBytes, inputs, nil
}

// VerifyPLONK sends a transaction calling verifyProof on the Verifier
// deployed at addr (from ExportPlonkVerifier) and reports whether it
// accepted the proof: a revert is accepted=false with a nil error, as in
// VerifyGroth16.
func (c *Chain) VerifyPLONK(ctx context.Context, comp *Compiled, addr common.Address, proof plonk.Proof, publicInputs fr.Vector) (accepted bool, gasUsed uint64, err error) {
	proofBytes, inputs, err := PlonkCalldata(proof, publicInputs)
	if err != nil {
		return false, 0, err
	}
	return c.VerifyPLONKCalldata(ctx, comp, addr, proofBytes, inputs)
}

// VerifyPLONKCalldata is VerifyPLONK on raw calldata.
func (c *Chain) VerifyPLONKCalldata(ctx context.Context, comp *Compiled, addr common.Address, proof []byte, inputs []*big.Int) (accepted bool, gasUsed uint64, err error) {
	if comp == nil {
		return false, 0, errors.New("contracts: verify: nil compiled contract")
	}
	data, err := packPlonk(comp.ABI, "verifyProof", proof, inputs)
	if err != nil {
		return false, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sim == nil {
		return false, 0, errors.New("contracts: verify: chain is closed")
	}
	gas, err := c.client.EstimateGas(ctx, ethereum.CallMsg{From: c.from, To: &addr, Data: data})
	if err != nil {
		if isRevert(err) {
			return false, 0, nil
		}
		return false, 0, fmt.Errorf("contracts: verify: estimate gas: %w", err)
	}
	rcpt, err := c.send(ctx, &addr, data, gas)
	if err != nil {
		return false, 0, fmt.Errorf("contracts: verify: %w", err)
	}
	return rcpt.Status == types.ReceiptStatusSuccessful, rcpt.GasUsed, nil
}

// CallPlonkVerify calls gnark's bool-returning Verify at addr without a
// transaction and returns its result; a revert (malformed proof or inputs)
// is false with a nil error. It is for contracts that only have Verify: the
// caller must act on the bool, which is the whole point of returning it.
func (c *Chain) CallPlonkVerify(ctx context.Context, comp *Compiled, addr common.Address, proof []byte, inputs []*big.Int) (bool, error) {
	if comp == nil {
		return false, errors.New("contracts: verify: nil compiled contract")
	}
	data, err := packPlonk(comp.ABI, "Verify", proof, inputs)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sim == nil {
		return false, errors.New("contracts: verify: chain is closed")
	}
	out, err := c.client.CallContract(ctx, ethereum.CallMsg{From: c.from, To: &addr, Data: data}, nil)
	if err != nil {
		if isRevert(err) {
			return false, nil
		}
		return false, fmt.Errorf("contracts: verify: call: %w", err)
	}
	parsed, _ := abi.JSON(strings.NewReader(comp.ABI))
	res, err := parsed.Unpack("Verify", out)
	if err != nil || len(res) != 1 {
		return false, fmt.Errorf("contracts: verify: decode result: %v", err)
	}
	ok, isBool := res[0].(bool)
	if !isBool {
		return false, fmt.Errorf("contracts: verify: Verify returned %T, want bool", res[0])
	}
	return ok, nil
}

// packPlonk ABI-encodes name(bytes, uint256[]) from the contract's own ABI.
func packPlonk(abiJSON, name string, proof []byte, inputs []*big.Int) ([]byte, error) {
	parsed, err := abi.JSON(strings.NewReader(abiJSON))
	if err != nil {
		return nil, fmt.Errorf("contracts: verify: parse abi: %w", err)
	}
	m, ok := parsed.Methods[name]
	if !ok {
		return nil, fmt.Errorf("contracts: verify: abi has no %s method (is this a PLONK verifier from ExportPlonkVerifier?)", name)
	}
	if len(m.Inputs) != 2 || m.Inputs[0].Type.T != abi.BytesTy || m.Inputs[1].Type.T != abi.SliceTy {
		return nil, fmt.Errorf("contracts: verify: %s is %s, want %s(bytes,uint256[])", name, m.Sig, name)
	}
	for i, v := range inputs {
		if v == nil {
			return nil, fmt.Errorf("contracts: verify: public input %d is nil", i)
		}
	}
	data, err := parsed.Pack(name, proof, inputs)
	if err != nil {
		return nil, fmt.Errorf("contracts: verify: pack calldata: %w", err)
	}
	return data, nil
}
