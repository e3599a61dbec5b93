package verifier_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
	"github.com/zkinfer/zkinfer/verifier/verifiertest"
)

// Committed input and output against a prover who controls the bundle and
// offers basis files: pinned by the key file or by its digest, every
// substitution of a basis (the other side's, truncated or padded, one of
// the prover's making over which other values commit to the proof's point,
// the bundle's basis header relabelled, swapped or pointed at another
// commitment) is refused before the proof is checked, and never verifies.
func TestCommittedIOBasisSubstitution(t *testing.T) {
	f := newIOFixture(t, committedModel(t, 3), committedIOVis)
	a := f.pin(t, "")
	da, err := verifier.PinDigest(a.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]*verifier.Anchor{"key file": a, "digest": da}
	for name, an := range anchors {
		if _, err := f.verify(f.bundle, an); err != nil {
			t.Fatalf("%s: honest bundle: %v", name, err)
		}
	}
	dir := t.TempDir()
	refused := func(what string, b *verifier.Bundle, in, out string) {
		t.Helper()
		for name, an := range anchors {
			_, err := verifier.Verify(b, an, verifier.IOBasisFiles(in, out))
			if err == nil {
				t.Fatalf("%s, pinned by %s: verified", what, name)
			}
			if !errors.Is(err, verifier.ErrKeyMismatch) {
				t.Fatalf("%s, pinned by %s: %v, want ErrKeyMismatch", what, name, err)
			}
		}
	}
	refused("the two basis files swapped", f.bundle, f.out, f.in)
	raw, err := os.ReadFile(f.in)
	if err != nil {
		t.Fatal(err)
	}
	for what, data := range map[string][]byte{
		"truncated":         raw[:len(raw)-1],
		"padded":            append(bytes.Clone(raw), 0),
		"one point changed": append(bytes.Clone(raw[:len(raw)-32]), raw[len(raw)-64:len(raw)-32]...),
		"one point short":   raw[:len(raw)-32],
	} {
		p := filepath.Join(dir, "in.basis")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		refused("input basis "+what, f.bundle, p, f.out)
	}

	// The bundle's basis header relabelled (digest mode reads it): sides
	// swapped, the input's pointed at commitment 2 (the lookups'), dropped.
	relabel := func(what string, edit func(b *verifier.Bundle)) {
		b := verifiertest.CloneBundle(t, f.bundle)
		edit(b)
		b.VKDigest = ""
		refused(what, b, f.in, f.out)
	}
	relabel("bases swapped in the bundle", func(b *verifier.Bundle) { b.InputBasis, b.OutputBasis = b.OutputBasis, b.InputBasis })
	relabel("input basis at the lookups' commitment", func(b *verifier.Bundle) { x := *b.InputBasis; x.Commitment = 2; b.InputBasis = &x })
	relabel("input basis count off by one", func(b *verifier.Bundle) { x := *b.InputBasis; x.Values--; b.InputBasis = &x })
	relabel("input basis dropped", func(b *verifier.Bundle) { b.InputBasis = nil })

	// Forged: other input values, and a basis of the prover's making over
	// which they commit to the proof's input point D, named in the bundle
	// and handed out as the basis file.
	forged := verifiertest.CloneBundle(t, f.bundle)
	in, _ := forged.Tensor(verifier.TensorInput)
	for j := range in.Values {
		in.Values[j] = int64(j%5) - 2
	}
	in.Values[0] = 1
	genuine, err := prover.ReadIOBasis(f.in, f.keys.VKHeader.InputBasis)
	if err != nil {
		t.Fatal(err)
	}
	proof := new(groth16bn254.Proof)
	if _, err := proof.ReadFrom(bytes.NewReader(forged.Proof)); err != nil {
		t.Fatal(err)
	}
	fb := verifiertest.ForgeIOBasis(t, in.Values, genuine, proof.Commitments[f.keys.VKHeader.InputBasis.Commitment])
	fp := filepath.Join(dir, "forged.input.basis")
	fd := verifiertest.WriteIOBasisFile(t, fp, fb)
	// The forged basis does reproduce the proof's public input: only the
	// pin stands between it and an accepted bundle.
	if _, err := verifier.Verify(withInputBasis(t, forged, fd), nil, verifier.InsecureUnpinned(), verifier.IOBasisFiles(fp, f.out)); err != nil {
		t.Fatalf("the forged basis does not reproduce the proof's input (the attack is not set up): %v", err)
	}
	refused("forged basis named in the bundle", withInputBasis(t, forged, fd), fp, f.out)
	refused("forged basis, the bundle's header kept", forged, fp, f.out)
}

func withInputBasis(t *testing.T, b *verifier.Bundle, digest string) *verifier.Bundle {
	t.Helper()
	c := verifiertest.CloneBundle(t, b)
	x := *c.InputBasis
	x.Digest = digest
	c.InputBasis, c.VKDigest = &x, ""
	return c
}

// Committed weights, input and output together (off chain: four BSB22
// commitments with the lookups'): each side's commitment index is its own
// (weights 0, input 1, output 2), the honest bundle verifies, and a value
// changed on either side, or the weights' basis file offered as a side's,
// is refused.
func TestCommittedIOWithAllCommitted(t *testing.T) {
	vis := committedIOVis
	vis.Weights = quant.VisibilityCommitted
	m := committedModel(t, 4)
	f := newIOFixture(t, m, vis)
	h := f.keys.VKHeader
	if h.WeightsBasis == nil || h.WeightsBasis.Commitment != 0 || h.InputBasis.Commitment != 1 || h.OutputBasis.Commitment != 2 {
		t.Fatalf("bases %+v %+v %+v, want commitments 0, 1, 2", h.WeightsBasis, h.InputBasis, h.OutputBasis)
	}
	a := f.pin(t, f.registered(t, m))
	if _, err := f.verify(f.bundle, a); err != nil {
		t.Fatalf("honest bundle: %v", err)
	}
	for _, name := range []string{verifier.TensorInput, verifier.TensorOutput} {
		b := verifiertest.CloneBundle(t, f.bundle)
		tn, _ := b.Tensor(name)
		tn.Values[1] ^= 1
		if _, err := f.verify(b, a); !errors.Is(err, verifier.ErrRejected) {
			t.Fatalf("%s changed: %v, want ErrRejected", name, err)
		}
	}
	if _, err := verifier.Verify(f.bundle, a, verifier.IOBasisFiles(f.basis, f.out)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("the weights' basis as the input's: %v, want ErrKeyMismatch", err)
	}
}
