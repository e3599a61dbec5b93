package verifier_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
	"github.com/zkinfer/zkinfer/verifier/verifiertest"
)

var committedIOVis = quant.Visibility{Input: quant.VisibilityCommitted, Output: quant.VisibilityCommitted, Weights: quant.VisibilityFixed}

// ioFixture is a committed-I/O key pair of committedModel, its basis
// files and one honest bundle.
type ioFixture struct {
	committedFixture
	in, out string
}

func newIOFixture(t *testing.T, m *quant.Model, vis quant.Visibility) *ioFixture {
	t.Helper()
	c, err := prover.Compile(m, nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vk := filepath.Join(dir, "vk.key")
	f := &ioFixture{committedFixture: committedFixture{m: m, c: c, keys: keys}}
	cin, cout := vis.CommittedIO()
	if cin {
		f.in = prover.InputBasisPath(vk)
		if err := prover.WriteIOBasis(f.in, c.CS, vis, keys.PK, prover.SideInput); err != nil {
			t.Fatal(err)
		}
	}
	if cout {
		f.out = prover.OutputBasisPath(vk)
		if err := prover.WriteIOBasis(f.out, c.CS, vis, keys.PK, prover.SideOutput); err != nil {
			t.Fatal(err)
		}
	}
	if vis.Weights == quant.VisibilityCommitted {
		f.basis = filepath.Join(dir, "vk.basis")
		if err := prover.WriteWeightsBasis(f.basis, c.CS, keys.PK); err != nil {
			t.Fatal(err)
		}
	}
	f.bundle = proveCommitted(t, &f.committedFixture, m)
	return f
}

func (f *ioFixture) verify(b *verifier.Bundle, a *verifier.Anchor) (*verifier.Result, error) {
	return verifier.Verify(b, a, verifier.IOBasisFiles(f.in, f.out))
}

// Committed input and output end to end, in the verifier's view: the
// honest bundle verifies with the pinned key's basis files and is labelled
// committed; a value changed by one, a proof made with another key (other
// basis), a bundle claiming committed against a hashed key, or a missing
// or foreign basis file are each rejected.
func TestCommittedIO(t *testing.T) {
	m := committedModel(t, 1)
	f := newIOFixture(t, m, committedIOVis)
	h := f.keys.VKHeader
	if h.InputBasis == nil || h.InputBasis.Values != 2*8 || h.InputBasis.Commitment != 0 || h.OutputBasis == nil || h.OutputBasis.Values != 2*4 || h.OutputBasis.Commitment != 1 {
		t.Fatalf("bases %+v %+v, want 16 input values (commitment 0) and 8 output values (commitment 1)", h.InputBasis, h.OutputBasis)
	}
	for _, name := range []string{verifier.TensorInput, verifier.TensorOutput} {
		if tn, ok := f.bundle.Tensor(name); !ok || tn.Encoding != verifier.EncodingCommittedInt8 || len(tn.Values) == 0 {
			t.Fatalf("%s tensor %+v", name, tn)
		}
	}
	a := f.pin(t, "")
	res, err := f.verify(f.bundle, a)
	if err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	if res.Visibility.Input != quant.VisibilityCommitted || res.Visibility.Output != quant.VisibilityCommitted {
		t.Fatalf("result visibility %+v", res.Visibility)
	}
	// By digest too: the bundle's bases are then the ones the digest pins.
	da, err := verifier.PinDigest(a.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.verify(f.bundle, da); err != nil {
		t.Fatalf("honest proof pinned by digest: %v", err)
	}

	// Without the basis files the public input cannot be recomputed.
	if _, err := verifier.Verify(f.bundle, a); !errors.Is(err, verifier.ErrBundle) {
		t.Fatalf("no basis files: %v, want ErrBundle", err)
	}
	// A value changed by one, input or output: another point, rejected.
	for _, name := range []string{verifier.TensorInput, verifier.TensorOutput} {
		b := verifiertest.CloneBundle(t, f.bundle)
		tn, _ := b.Tensor(name)
		if tn.Values[3] < quant.Int8Max {
			tn.Values[3]++
		} else {
			tn.Values[3]--
		}
		if _, err := f.verify(b, a); !errors.Is(err, verifier.ErrRejected) {
			t.Fatalf("%s changed by one: %v, want ErrRejected", name, err)
		}
	}

	// Another key of the same circuit (another setup, another basis).
	keys2, err := prover.SetupDev(f.c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if keys2.VKHeader.InputBasis.Digest == h.InputBasis.Digest {
		t.Fatal("two setups, one input basis")
	}
	g := &ioFixture{committedFixture: committedFixture{m: m, c: f.c, keys: keys2}}
	b2 := proveCommitted(t, &g.committedFixture, m)
	if _, err := f.verify(b2, a); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("proof of another key against the pinned key: %v, want ErrKeyMismatch", err)
	}
	// The same proof relabelled with the pinned key: its commitment points
	// are over the other basis, so the recomputed public inputs differ.
	b2.VerifyingKey, b2.VKDigest, b2.InputBasis, b2.OutputBasis = f.bundle.VerifyingKey, f.bundle.VKDigest, f.bundle.InputBasis, f.bundle.OutputBasis
	if _, err := f.verify(b2, a); !errors.Is(err, verifier.ErrRejected) {
		t.Fatalf("proof of another key relabelled: %v, want ErrRejected", err)
	}
	// The other key's basis file against the pinned key: not its digest.
	other := filepath.Join(t.TempDir(), "other.input.basis")
	if err := prover.WriteIOBasis(other, f.c.CS, committedIOVis, keys2.PK, prover.SideInput); err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(f.bundle, a, verifier.IOBasisFiles(other, f.out)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("another key's basis file: %v, want ErrKeyMismatch", err)
	}

	// A bundle claiming committed, verified against a hashed key.
	hv := committedIOVis
	hv.Input, hv.Output = quant.VisibilityHashed, quant.VisibilityHashed
	hc, err := prover.Compile(m, nil, prover.WithVisibility(hv))
	if err != nil {
		t.Fatal(err)
	}
	hk, err := prover.SetupDev(hc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ha, err := verifier.PinKey(verifier.AnchorVKFile, "hashed.vk", hk.VK, hk.VKHeader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.verify(f.bundle, ha); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("committed bundle against a hashed key: %v, want ErrKeyMismatch", err)
	}
	// Relabelled hashed, against its own key: the hash is not the
	// commitment's Keccak wire.
	hb := verifiertest.CloneBundle(t, f.bundle)
	hb.Visibility = hv
	hb.InputBasis, hb.OutputBasis = nil, nil
	for i := range hb.PublicInputs[:2] {
		hb.PublicInputs[i].Encoding = verifier.EncodingHashedInt8
	}
	if _, err := verifier.Verify(hb, f.pin(t, "")); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("committed proof relabelled hashed: %v, want ErrKeyMismatch", err)
	}
}

// Committed input with hashed output and committed weights: three BSB22
// commitments (weights, input, lookups), each side where the prover says.
func TestCommittedIOWithCommittedWeights(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityCommitted, Output: quant.VisibilityHashed, Weights: quant.VisibilityCommitted}
	f := newIOFixture(t, committedModel(t, 2), vis)
	h := f.keys.VKHeader
	if h.InputBasis == nil || h.InputBasis.Commitment != 1 || h.OutputBasis != nil || h.WeightsBasis == nil {
		t.Fatalf("bases %+v %+v %+v", h.WeightsBasis, h.InputBasis, h.OutputBasis)
	}
	reg := f.registered(t, f.m)
	if _, err := f.verify(f.bundle, f.pin(t, reg)); err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	b := verifiertest.CloneBundle(t, f.bundle)
	b.PublicInputs[0].Values[0] ^= 1
	if _, err := f.verify(b, f.pin(t, reg)); !errors.Is(err, verifier.ErrRejected) {
		t.Fatalf("input changed: %v, want ErrRejected", err)
	}
}

// Where committed input or output is refused, with a reason.
func TestCommittedIORefusals(t *testing.T) {
	m := committedModel(t, 1)
	if _, err := prover.Compile(m, nil, prover.WithVisibility(committedIOVis), prover.WithBackend(prover.BackendPLONK)); !errors.Is(err, quant.ErrValidation) {
		t.Fatalf("plonk: %v", err)
	}
	dir := t.TempDir()
	if _, err := prover.CompileGraphShards(m, []int{1}, filepath.Join(dir, "c.zkc"), filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil, prover.WithVisibility(committedIOVis)); err == nil || !strings.Contains(err.Error(), "not supported with shards") {
		t.Fatalf("shards: %v", err)
	}
	mixed := committedIOVis
	mixed.InputParts = quant.NewPartVisibility([]quant.PartVis{{Name: "x", Visibility: quant.VisibilityHashed}})
	if err := mixed.Validate(); !errors.Is(err, quant.ErrValidation) {
		t.Fatalf("per-part committed: %v", err)
	}
}
