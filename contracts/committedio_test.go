package contracts_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Committed input or output on chain: with one side committed the key has
// two BSB22 commitments (the side's, the lookups'), which the exported
// verifier checks (multicommit.go); the honest proof verifies with the
// public inputs the Go verifier recomputes, and its gas is logged against
// hashed input and output. Both sides committed (three commitments) is
// refused by CheckOnChain and by the export.
func TestCommittedIOOnChain(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m, tr := committedIOModel(t, 6)
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	h, c := quant.VisibilityHashed, quant.VisibilityCommitted
	for _, v := range []quant.Visibility{{Input: h, Output: h}, {Input: c, Output: h}, {Input: h, Output: c}, {Input: c, Output: c}} {
		v.Weights = quant.VisibilityFixed
		name := "input " + v.Input + ", output " + v.Output
		_, keys, p := proveDev(t, m, tr, v)
		var src bytes.Buffer
		err = contracts.ExportVerifier(keys.VK.(groth16.VerifyingKey), &src)
		ncom := len(keys.VK.(*groth16bn254.VerifyingKey).CommitmentKeys)
		onChain := contracts.CheckOnChain(v)
		if v.Input == c && v.Output == c {
			if err == nil || !errors.Is(onChain, contracts.ErrCommittedIO) {
				t.Fatalf("%s (%d commitments): export %v, CheckOnChain %v, want both refused", name, ncom, err, onChain)
			}
			continue
		}
		if err != nil || onChain != nil {
			t.Fatalf("%s: export %v, CheckOnChain %v", name, err, onChain)
		}
		comp, err := contracts.Compile(ctx, src.Bytes(), "Verifier")
		if err != nil {
			t.Fatal(err)
		}
		r, err := chain.DeployReceipt(ctx, comp)
		if err != nil {
			t.Fatal(err)
		}
		pub := p.Public.Vector().(fr.Vector)
		ok, gas, err := chain.VerifyGroth16(ctx, comp, r.ContractAddress, p.Proof.(groth16.Proof), pub)
		if err != nil || !ok {
			t.Fatalf("%s: accepted %v, %v", name, ok, err)
		}
		t.Logf("%s (%d commitments): %d gas", name, ncom, gas)
		// A public input off by one: refused.
		bad := append(fr.Vector(nil), pub...)
		bad[0].Add(&bad[0], new(fr.Element).SetOne())
		if ok, _, err := chain.VerifyGroth16(ctx, comp, r.ContractAddress, p.Proof.(groth16.Proof), bad); ok && err == nil {
			t.Fatalf("%s: a changed public input accepted", name)
		}
	}
}

// committedIOModel is the committed-I/O tests' model (one linear layer,
// weights drawn from seed) and its trace on a fixed input of extremes.
func committedIOModel(t *testing.T, seed uint64) (*quant.Model, *quant.Trace) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	m := graphtest.Chain(t, rng, []int{2, 6},
		graphtest.Node{Name: "fc", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 6, 4), graphtest.Tensor(rng, 0.1, 4), true), In: []string{"x"}})
	x := [][]int64{{1, -2, 3, 127, -128, 0}, {5, 6, -7, 8, 9, -10}}
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	return m, tr
}

// proveDev compiles m with visibility vis, sets up development keys and
// proves tr.
func proveDev(t *testing.T, m *quant.Model, tr *quant.Trace, vis quant.Visibility) (*prover.Circuit, *prover.Keys, *prover.Proof) {
	t.Helper()
	pc, err := prover.Compile(m, nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(pc, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prover.Prove(pc, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pc, keys, p
}
