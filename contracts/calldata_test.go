package contracts

import (
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// TestNewCalldata encodes a bundle for the verifier and the registry and
// checks the parts against what the contracts' ABIs encode.
func TestNewCalldata(t *testing.T) {
	var commitment fr.Element
	commitment.SetUint64(12345)
	b, _ := forgedBundle(t, commitment, []int64{1, 2, 3, 4}, []int64{42, -7})
	proof, inputs, err := BundleCalldata(b)
	if err != nil {
		t.Fatal(err)
	}
	id := common.HexToHash("0x01")
	reg := common.HexToAddress("0x02")
	cd, err := NewCalldata(b, &id, &reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cd.MediaType != CalldataMediaType || cd.Note != CalldataNote || cd.Proof != hexutil.Encode(proof) || cd.ProofBytes != 256 {
		t.Fatalf("header: %+v", cd)
	}
	names := []string{"input", "output", "model"}
	for i, p := range cd.PublicInputs {
		if p.Index != i || p.Name != names[i] || p.Decimal != inputs[i].String() || p.Hex != common.BigToHash(inputs[i]).Hex() {
			t.Fatalf("public input %d: %+v", i, p)
		}
	}
	if cd.PublicInputs[2].Decimal != "12345" || !strings.Contains(cd.PublicInputs[0].Meaning, "Poseidon2 hash") {
		t.Fatalf("public inputs: %+v", cd.PublicInputs)
	}
	// The verifier's data is what packVerifyProof makes from a verifier ABI.
	const verifierABI = `[{"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes"},{"name":"input","type":"uint256[3]"}],"outputs":[]}]`
	want, err := packVerifyProof(verifierABI, proof, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if cd.Verifier.Signature != "verifyProof(bytes,uint256[3])" || cd.Verifier.Data != hexutil.Encode(want) || cd.Verifier.Selector != hexutil.Encode(want[:4]) {
		t.Fatalf("verifier call: %+v", cd.Verifier)
	}
	want, err = registryBinding.TryPackVerifyInference(id, proof, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if cd.Registry.Signature != "verifyInference(bytes32,bytes,uint256[])" || cd.Registry.Data != hexutil.Encode(want) || cd.Registry.To != reg.Hex() || cd.ModelID != id.Hex() {
		t.Fatalf("registry call: %+v", cd.Registry)
	}

	// Without a model id the registry call has no data; PLONK's array is dynamic.
	if cd, err = NewCalldata(b, nil, nil, nil); err != nil || cd.Registry.Data != "" || cd.Registry.Selector == "" {
		t.Fatalf("no model id: %+v, %v", cd.Registry, err)
	}
	if got := VerifierSignature(false, 3); got != "verifyProof(bytes,uint256[])" {
		t.Fatal(got)
	}
}

// TestRevertErrorReadable: a registry revert reads as its Solidity error,
// ids and addresses in hex, never as Go byte arrays.
func TestRevertErrorReadable(t *testing.T) {
	abi := registryBinding.GetABI()
	id := common.HexToHash("0x49c2000000000000000000000000000000000000000000000000000000000001")
	got, _ := new(big.Int).SetString("21888242871839275222246405745257275088548364400416034343698204186575808495616", 10)
	auditor := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"CommitmentMismatch", []any{id, got}, "contracts: verify inference: the registry reverted with CommitmentMismatch(modelId=" + id.Hex() + ", got=0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000)"},
		{"NotAttested", []any{id, auditor}, "NotAttested(modelId=" + id.Hex() + ", auditor=0x000000000000000000000000000000000000dEaD)"},
		{"PublicInputCountMismatch", []any{id, big.NewInt(3), big.NewInt(2)}, "PublicInputCountMismatch(modelId=" + id.Hex() + ", want=3, got=2)"},
		{"NoAuditors", nil, "reverted with NoAuditors()"},
	} {
		e := abi.Errors[tc.name]
		data, err := e.Inputs.Pack(tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		r := decodeRevert("verify inference", append(e.ID[:4:4], data...))
		if r.Name != tc.name || !strings.Contains(r.Error(), tc.want) || strings.Contains(r.Error(), "[") {
			t.Errorf("%s: %q, want %q", tc.name, r.Error(), tc.want)
		}
	}
}
