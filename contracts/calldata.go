package contracts

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// CalldataMediaType is the format of Calldata as JSON.
const CalldataMediaType = "application/vnd.zkinfer.calldata.v1+json"

// CalldataNote is said wherever calldata is shown: turning a bundle into
// calldata checks nothing about it.
const CalldataNote = "not verified: a bundle is evidence chosen by its prover; verify it against a key you pinned (zkinfer verify --vk vk.key), or let the registered verifier decide on chain"

// VerifierMethod is the verifier's entry point on both backends.
const VerifierMethod = "verifyProof"

// PublicInput is one public input of a bundle's proof, as the verifier and
// the registry take it: a uint256, in circuit order.
type PublicInput struct {
	Index int `json:"index"`
	// Name is the bundle tensor it comes from ("input", "output", "model",
	// ...), with "[i]" when the tensor spans several inputs.
	Name     string `json:"name"`
	Encoding string `json:"encoding"`
	// Meaning says what the value is, for people.
	Meaning string `json:"meaning"`
	Decimal string `json:"decimal"`
	// Hex is "0x" and 64 hex digits (the bytes32 form).
	Hex string `json:"hex"`
}

// Call is one contract function: its signature and selector, and, when all
// its arguments are known, the whole ABI-encoded calldata (selector
// included) to send as a transaction's or eth_call's data.
type Call struct {
	Signature string `json:"signature"`
	Selector  string `json:"selector"`
	To        string `json:"to,omitempty"`
	Data      string `json:"data,omitempty"`
}

// Calldata is what the Solidity verifier of a bundle's key and the
// registry take for the bundle: verifyProof(proof, publicInputs) and
// verifyInference(modelId, proof, publicInputs).
type Calldata struct {
	MediaType string `json:"media_type"`
	Note      string `json:"note"`
	Backend   string `json:"backend"`
	// VKDigest is the digest of the key the bundle carries: the key its
	// proof claims, unchecked here.
	VKDigest        string `json:"vk_digest"`
	ModelCommitment string `json:"model_commitment"`
	// Proof is the proof in the encoding the Solidity verifier reads
	// (gnark's MarshalSolidity: uncompressed points; for Groth16 with a
	// BSB22 commitment, the commitment and its proof of knowledge follow).
	Proof        string        `json:"proof"`
	ProofBytes   int           `json:"proof_bytes"`
	PublicInputs []PublicInput `json:"public_inputs"`
	Verifier     Call          `json:"verifier"`
	Registry     Call          `json:"registry"`
	// ModelID is the registry model id the registry call names, when given.
	ModelID string `json:"model_id,omitempty"`
}

// NewCalldata encodes a bundle for its verifier and for the registry. It
// verifies nothing (see CalldataNote). modelID, when not nil, completes the
// registry call's data; registry and verifierAddr, when not nil, are
// recorded as the calls' targets.
//
// opts give the basis file of a committed input or output
// (verifier.IOBasisFiles).
func NewCalldata(b *verifier.Bundle, modelID *common.Hash, registry, verifierAddr *common.Address, opts ...verifier.Option) (*Calldata, error) {
	proof, inputs, err := BundleCalldata(b, opts...)
	if err != nil {
		return nil, fmt.Errorf("contracts: calldata: %w", err)
	}
	names, err := publicInputNames(b, len(inputs))
	if err != nil {
		return nil, fmt.Errorf("contracts: calldata: %w", err)
	}
	cd := &Calldata{
		MediaType: CalldataMediaType, Note: CalldataNote, Backend: b.Backend, VKDigest: b.VKDigest,
		ModelCommitment: b.ModelCommitment, Proof: hexutil.Encode(proof), ProofBytes: len(proof),
	}
	for i, v := range inputs {
		n := names[i]
		n.Index, n.Decimal, n.Hex = i, v.String(), common.BigToHash(v).Hex()
		cd.PublicInputs = append(cd.PublicInputs, n)
	}
	fixed := b.Backend == "groth16"
	sig := VerifierSignature(fixed, len(inputs))
	data, err := packProofInputs(fixed, proof, inputs)
	if err != nil {
		return nil, fmt.Errorf("contracts: calldata: %w", err)
	}
	id := crypto.Keccak256([]byte(sig))[:4]
	cd.Verifier = Call{Signature: sig, Selector: hexutil.Encode(id), Data: hexutil.Encode(append(id, data...))}
	if verifierAddr != nil {
		cd.Verifier.To = verifierAddr.Hex()
	}
	m := registryBinding.GetABI().Methods["verifyInference"]
	cd.Registry = Call{Signature: m.Sig, Selector: hexutil.Encode(m.ID)}
	if registry != nil {
		cd.Registry.To = registry.Hex()
	}
	if modelID != nil {
		data, err := registryBinding.TryPackVerifyInference(*modelID, proof, inputs)
		if err != nil {
			return nil, fmt.Errorf("contracts: calldata: %w", err)
		}
		cd.Registry.Data, cd.ModelID = hexutil.Encode(data), modelID.Hex()
	}
	return cd, nil
}

// VerifierSignature is the verifier's verifyProof signature: Groth16's
// takes a fixed-size array of its n public inputs (fixed), the PLONK
// wrapper's a dynamic one.
func VerifierSignature(fixed bool, n int) string {
	if fixed {
		return fmt.Sprintf("%s(bytes,uint256[%d])", VerifierMethod, n)
	}
	return VerifierMethod + "(bytes,uint256[])"
}

// packProofInputs ABI-encodes (bytes proof, uint256[N] or uint256[] inputs),
// without a selector.
func packProofInputs(fixed bool, proof []byte, inputs []*big.Int) ([]byte, error) {
	arrType := "uint256[]"
	var arr any = inputs
	if fixed {
		arrType = fmt.Sprintf("uint256[%d]", len(inputs))
		// The ABI packer insists on a Go array for a fixed-size Solidity array.
		a := reflect.New(reflect.ArrayOf(len(inputs), reflect.TypeFor[*big.Int]())).Elem()
		for i, v := range inputs {
			a.Index(i).Set(reflect.ValueOf(v))
		}
		arr = a.Interface()
	}
	bytesT, err := abi.NewType("bytes", "", nil)
	if err != nil {
		return nil, err
	}
	arrT, err := abi.NewType(arrType, "", nil)
	if err != nil {
		return nil, err
	}
	return abi.Arguments{{Type: bytesT}, {Type: arrT}}.Pack(proof, arr)
}

// publicInputNames names the n public inputs after the bundle's tensors.
// How many inputs a tensor yields is asked of verifier.PublicWitness, one
// tensor at a time, so the names follow the very encoding that produced the
// values.
func publicInputNames(b *verifier.Bundle, n int) ([]PublicInput, error) {
	var out []PublicInput
	for _, t := range b.PublicInputs {
		one := *b
		one.PublicInputs = []verifier.Tensor{t}
		k := 1 // a committed side: one element, BundleCalldata recomputed it
		if t.Encoding != verifier.EncodingCommittedInt8 {
			var err error
			if _, k, err = verifier.PublicWitness(&one); err != nil {
				return nil, err
			}
		}
		mixed := mixedMeanings(b, t, k)
		for i := range k {
			name := t.Name
			if k > 1 {
				name = fmt.Sprintf("%s[%d]", t.Name, i)
			}
			m := meaning(t)
			if mixed != nil {
				m = mixed[i]
			}
			out = append(out, PublicInput{Name: name, Encoding: t.Encoding, Meaning: m})
		}
	}
	if len(out) != n {
		return nil, errors.New("public inputs: the tensors do not add up to the public witness")
	}
	return out, nil
}

// mixedMeanings says what each of the k public inputs of a mixed tensor
// (parts of different visibilities) is, nil for any other tensor.
func mixedMeanings(b *verifier.Bundle, t verifier.Tensor, k int) []string {
	if t.Encoding != verifier.EncodingMixedParts {
		return nil
	}
	var vis []string
	var err error
	if t.Name == verifier.TensorOutput {
		vis, err = b.Visibility.OutputsOf(t.Parts)
	} else {
		vis, err = b.Visibility.InputsOf(t.Parts)
	}
	if err != nil {
		return nil
	}
	pub, hashed, private := quant.PartGroups(vis)
	names := func(idx []int) string {
		var s []string
		for _, i := range idx {
			s = append(s, t.Parts[i].Name)
		}
		return strings.Join(s, ", ")
	}
	var out []string
	for range quant.NbPackedParts(quant.Pick(t.Parts, pub)) {
		out = append(out, "the public "+t.Name+" parts "+names(pub)+", in turn: int8 packed 31, index values 10 per field element")
	}
	if len(hashed) > 0 {
		out = append(out, "Poseidon2 hash of the hashed "+t.Name+" parts "+names(hashed)+" (quant.HashParts); recompute it from the bundle's values")
	}
	if len(private) > 0 {
		out = append(out, "salted Poseidon2 commitment to the private "+t.Name+" parts "+names(private)+" (the salt stays with the prover)")
	}
	if len(out) != k {
		return nil
	}
	return out
}

func meaning(t verifier.Tensor) string {
	switch t.Encoding {
	case verifier.EncodingHashedInt8:
		return "Poseidon2 hash of the " + t.Name + " values (int8, 31 per field element); recompute it from the bundle's values"
	case verifier.EncodingSaltedInt8:
		return "salted Poseidon2 commitment to the " + t.Name + " (the salt stays with the prover)"
	case verifier.EncodingChainHash:
		return "Poseidon2 hash of the " + t.Name + " activation, chaining shards"
	case verifier.EncodingPackedInt8:
		return "the " + t.Name + " values, int8 packed 31 per field element"
	case verifier.EncodingCommittedInt8:
		return "Keccak256 mod r of the BSB22 commitment to the " + t.Name + " values over the key's " + t.Name + " basis; recompute it from the bundle's values and the basis file"
	case verifier.EncodingHashedParts:
		return "Poseidon2 hash of the " + t.Name + " parts (quant.HashParts: one hash per part); recompute it from the bundle's values"
	case verifier.EncodingSaltedParts:
		return "salted Poseidon2 commitment to the " + t.Name + " parts (the salt stays with the prover)"
	case verifier.EncodingPackedParts:
		return "the " + t.Name + " values, part by part: int8 packed 31, index values 10 per field element"
	case verifier.EncodingWeightElements:
		return "a field element of the public weights"
	case verifier.EncodingModelCommitment:
		return "the model commitment (the registry requires the one registered under the model id)"
	}
	return t.Encoding
}
