package verifier_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

var committedVis = quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityCommitted}

// committedModel is a two-layer dense graph (8 → 8 ReLU → 4, two tokens).
func committedModel(t testing.TB, seed uint64) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	return graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "fc1", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 8), graphtest.Tensor(rng, 0.1, 8), true), In: []string{"x"}},
		graphtest.Node{Name: "fc2", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"fc1"}},
	)
}

// otherCommitted returns m with one weight changed: the same architecture
// (same circuit, same key), another model.
func otherCommitted(t testing.TB, m *quant.Model) *quant.Model {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	o, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range o.Graph.Nodes {
		if q, ok := n.Op.(*ops.QLinear); ok {
			q.W[0] ^= 1
			break
		}
	}
	a1, err1 := quant.ArchitectureDigest(m)
	a2, err2 := quant.ArchitectureDigest(o)
	if err1 != nil || err2 != nil || a1 != a2 {
		t.Fatalf("not the same architecture: %v %v", err1, err2)
	}
	return o
}

type committedFixture struct {
	m      *quant.Model
	c      *prover.Circuit
	keys   *prover.Keys
	basis  string // the basis file
	bundle *verifier.Bundle
}

// proveCommitted proves m with f's keys on a fixed random input and
// bundles it with f's verifying key header.
func proveCommitted(t *testing.T, f *committedFixture, m *quant.Model) *verifier.Bundle {
	t.Helper()
	return proveHeader(t, f, m, f.keys.VKHeader)
}

func newCommittedFixture(t *testing.T) *committedFixture {
	t.Helper()
	return newCommittedFixtureOf(t, committedModel(t, 1))
}

// newCommittedFixtureOf compiles m with committed weights, sets up dev keys,
// writes the weights basis file and proves m.
func newCommittedFixtureOf(t *testing.T, m *quant.Model) *committedFixture {
	t.Helper()
	c, err := prover.Compile(m, nil, prover.WithVisibility(committedVis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &committedFixture{m: m, c: c, keys: keys, basis: filepath.Join(t.TempDir(), "weights.basis")}
	if err := prover.WriteWeightsBasis(f.basis, c.CS, keys.PK); err != nil {
		t.Fatal(err)
	}
	f.bundle = proveCommitted(t, f, m)
	return f
}

// registered is the model commitment an auditor computes from the
// published model and the basis file the pinned key's header names.
func (f *committedFixture) registered(t *testing.T, m *quant.Model) string {
	t.Helper()
	b, err := prover.ReadWeightsBasis(f.basis, f.keys.VKHeader.WeightsBasis)
	if err != nil {
		t.Fatal(err)
	}
	c, err := prover.CommittedCommitment(m, b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *committedFixture) pin(t *testing.T, commitment string) *verifier.Anchor {
	t.Helper()
	a, err := verifier.PinKey(verifier.AnchorVKFile, "vk.key", f.keys.VK, f.keys.VKHeader)
	if err != nil {
		t.Fatal(err)
	}
	a.Commitment = commitment
	return a
}

// Committed weights end to end: the honest proof verifies against the
// commitment an auditor recomputes from the model and the basis file; a
// proof of other weights (same key) is refused by that commitment; a bundle
// claiming the registered commitment for it fails the proof; a bundle whose
// basis digest is changed is not the pinned key's.
func TestCommittedWeights(t *testing.T) {
	f := newCommittedFixture(t)
	reg := f.registered(t, f.m)
	if !strings.HasPrefix(reg, prover.CommittedPrefix) || f.bundle.ModelCommitment != reg {
		t.Fatalf("bundle commitment %s, recomputed %s", f.bundle.ModelCommitment, reg)
	}
	if wb := f.keys.VKHeader.WeightsBasis; wb == nil || wb.Weights != 8*8+8+8+8*4+4+4 {
		t.Fatalf("weights basis %+v, want 120 weights", wb)
	}
	res, err := verifier.Verify(f.bundle, f.pin(t, reg))
	if err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	if res.ModelCommitment != reg {
		t.Fatalf("proven %s, want %s", res.ModelCommitment, reg)
	}

	// Other weights, same key: a valid proof, of another model.
	o := otherCommitted(t, f.m)
	ob := proveCommitted(t, f, o)
	if ob.ModelCommitment == reg || ob.ModelCommitment != f.registered(t, o) {
		t.Fatalf("other model's commitment %s (registered %s)", ob.ModelCommitment, reg)
	}
	if _, err := verifier.Verify(ob, f.pin(t, ob.ModelCommitment)); err != nil {
		t.Fatalf("other model against its own commitment: %v", err)
	}
	if err := verifier.CheckModelBasis(f.bundle, f.pin(t, reg), o, f.basis, nil); !errors.Is(err, verifier.ErrModelMismatch) {
		t.Fatalf("CheckModelBasis of another model: %v, want ErrModelMismatch", err)
	}
	if _, err := verifier.Verify(ob, f.pin(t, reg)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("other weights against the registered commitment: %v, want ErrKeyMismatch", err)
	}
	// The same proof claiming the registered commitment: the last public
	// input is then not the hash of the proof's commitment point.
	ob.ModelCommitment = reg
	if _, err := verifier.Verify(ob, f.pin(t, reg)); !errors.Is(err, verifier.ErrRejected) {
		t.Fatalf("other weights claiming the registered commitment: %v, want ErrRejected", err)
	}
	// The honest bundle claiming another point's commitment.
	hb := *f.bundle
	hb.ModelCommitment = ob.ModelCommitment
	hb.ModelCommitment = f.registered(t, o)
	if _, err := verifier.Verify(&hb, f.pin(t, "")); !errors.Is(err, verifier.ErrRejected) {
		t.Fatalf("honest proof claiming another point: %v, want ErrRejected", err)
	}
	// A Poseidon2 commitment label is not accepted for committed weights.
	hb.ModelCommitment, _ = quant.CommitString(f.m)
	if _, err := verifier.Verify(&hb, f.pin(t, "")); err == nil {
		t.Fatal("a poseidon2 commitment accepted under committed weights")
	}
	// Another basis digest: not the pinned key's layout.
	hb = *f.bundle
	wb := *hb.WeightsBasis
	wb.Digest = "sha256:" + strings.Repeat("0", 64)
	hb.WeightsBasis = &wb
	if _, err := verifier.Verify(&hb, f.pin(t, reg)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("another basis digest: %v, want ErrKeyMismatch", err)
	}
	// A basis file that is not the key's is refused.
	if _, err := prover.ReadWeightsBasis(f.basis, &wb); err == nil {
		t.Fatal("a basis file with another digest was read")
	}
}

// Committed weights beyond dense layers: a LayerNorm's γ, β and multiplier
// are committed with the dense weights, next to table ops (softmax,
// sigmoid); the honest proof verifies against the auditor's commitment.
func TestCommittedWeightsLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	m := graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "fc1", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 8), graphtest.Tensor(rng, 0.1, 8), false), In: []string{"x"}},
		graphtest.Node{Name: "ln", Op: ops.NewLayerNorm(graphtest.Tensor(rng, 1, 8), graphtest.Tensor(rng, 0.1, 8), 1e-5), In: []string{"fc1"}},
		// Table lookups (std/lookup/logderivlookup) commit in deferred
		// callbacks: the circuit's own use of std/multicommit must not
		// close the multicommitter before them.
		graphtest.Node{Name: "sm", Op: &ops.Softmax{}, In: []string{"ln"}},
		graphtest.Node{Name: "sig", Op: &ops.Unary{Fn: "sigmoid"}, In: []string{"sm"}},
		graphtest.Node{Name: "fc2", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"sig"}},
	)
	f := newCommittedFixtureOf(t, m)
	b := f.bundle
	reg := f.registered(t, m)
	if _, err := verifier.Verify(b, f.pin(t, reg)); err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	if err := verifier.CheckModelBasis(b, f.pin(t, reg), m, f.basis, nil); err != nil {
		t.Fatalf("CheckModelBasis: %v", err)
	}
	if err := verifier.CheckModel(b, f.pin(t, reg), m, nil); err == nil {
		t.Fatal("CheckModel (Poseidon2) accepted a committed-weights bundle")
	}
}
