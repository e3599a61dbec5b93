package contracts_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Committed weights: the last public input is the committed-weights model
// commitment the prover and an auditor compute from the key's basis
// (contracts.ModelCommitment reads it as the registry's bytes32), two
// weight sets have two; the key has two BSB22 commitments (the weights',
// the lookups'), which gnark's Solidity verifier does not support, so
// ExportVerifier refuses it rather than emit a contract that would check
// only the first.
func TestCommittedWeightsExport(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityCommitted}
	rng := rand.New(rand.NewPCG(5, 5))
	ma := graphtest.Chain(t, rng, []int{1, 6},
		graphtest.Node{Name: "fc", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 6, 4), graphtest.Tensor(rng, 0.1, 4), true), In: []string{"x"}})
	data, err := json.Marshal(ma)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	mb.Graph.Nodes[0].Op.(*ops.QLinear).W[0] ^= 1

	c, err := prover.Compile(ma, nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	proveOne := func(m *quant.Model) ([]byte, []*big.Int) {
		tr, err := m.Forward([][]int64{{3, -7, 127, -128, 0, 55}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
		if err != nil {
			t.Fatal(err)
		}
		proof, in, err := contracts.Groth16Calldata(p.Proof.(groth16.Proof), p.Public.Vector().(fr.Vector))
		if err != nil {
			t.Fatal(err)
		}
		want, err := prover.ModelCommitmentOf(c, keys.PK, m)
		if err != nil {
			t.Fatal(err)
		}
		h, err := contracts.ModelCommitment(want)
		if err != nil {
			t.Fatal(err)
		}
		if common.BigToHash(in[len(in)-1]) != h {
			t.Fatalf("last public input %x, the model's committed-weights commitment %s", in[len(in)-1], want)
		}
		return proof, in
	}
	_, inA := proveOne(ma)
	_, inB := proveOne(mb)
	n := len(inA)
	if inA[n-1].Cmp(inB[n-1]) == 0 {
		t.Fatal("two weight sets with one commitment")
	}

	// gnark's Solidity verifier supports one commitment; this key has two.
	var src bytes.Buffer
	if err := contracts.ExportVerifier(keys.VK.(groth16.VerifyingKey), &src); err == nil || !strings.Contains(err.Error(), "2 BSB22 commitments") {
		t.Fatalf("export of a two-commitment key: %v, want a refusal", err)
	}
}
