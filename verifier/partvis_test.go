package verifier_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

func sideVisibility(t *testing.T, in, out string) quant.Visibility {
	t.Helper()
	v := quant.Visibility{Weights: quant.VisibilityFixed}
	var err error
	if v.Input, v.InputParts, err = quant.ParseIOVisibility("input", in, quant.VisibilityHashed); err != nil {
		t.Fatal(err)
	}
	if v.Output, v.OutputParts, err = quant.ParseIOVisibility("output", out, quant.VisibilityHashed); err != nil {
		t.Fatal(err)
	}
	return v
}

// A bundle whose parts have different visibilities verifies against its
// key and its digest; the public and hashed parts' values are checked
// (packed, rehashed), the private parts' are not carried and their group's
// commitment opens with the salt; changing a value, the commitment or any
// part's visibility label is rejected.
func TestMixedBundle(t *testing.T) {
	vis := sideVisibility(t, "a=public,b=hashed,mask=private", "y1=public,y2=private")
	f := partsFixture(t, vis)
	if f.c.Header.Visibility.Input != quant.VisibilityMixed || f.c.Header.Visibility.Output != quant.VisibilityMixed {
		t.Fatalf("circuit header visibility %+v", *f.c.Header.Visibility)
	}
	key := f.pin(t)
	digest, err := verifier.PinDigest(key.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*verifier.Anchor{key, digest} {
		res, err := verifier.Verify(reparse(t, f.bundle), a)
		if err != nil {
			t.Fatalf("%s: %v", a.Kind, err)
		}
		if res.Visibility != *f.c.Header.Visibility || res.PublicInputs != 3+2+1 {
			t.Fatalf("%s: result visibility %+v, %d public inputs", a.Kind, res.Visibility, res.PublicInputs)
		}
	}
	in, _ := f.bundle.Tensor(verifier.TensorInput)
	out, _ := f.bundle.Tensor(verifier.TensorOutput)
	if in.Encoding != verifier.EncodingMixedParts || len(in.Values) != 16 || in.Commitment == "" || !slices.Equal(in.Values[:8], f.tr.Inputs[0]) || !slices.Equal(in.Values[8:], f.tr.Inputs[1]) {
		t.Fatalf("input tensor %+v", in)
	}
	if out.Encoding != verifier.EncodingMixedParts || !slices.Equal(out.Values, f.tr.Outputs[0]) || out.Commitment == "" {
		t.Fatalf("output tensor %+v", out)
	}
	// The private groups open with the salts, and only with their values.
	if err := verifier.Open(f.bundle, verifier.TensorInput, f.tr.Inputs[2], f.salts.Input); err != nil {
		t.Fatal(err)
	}
	if err := verifier.Open(f.bundle, verifier.TensorOutput, f.tr.Outputs[1], f.salts.Output); err != nil {
		t.Fatal(err)
	}
	wrong := slices.Clone(f.tr.Outputs[1])
	wrong[0] ^= 1
	if err := verifier.Open(f.bundle, verifier.TensorOutput, wrong, f.salts.Output); !errors.Is(err, verifier.ErrOpening) {
		t.Fatalf("a wrong private output opened: %v", err)
	}

	resolved := func(in, out string) quant.Visibility {
		v, err := sideVisibility(t, in, out).Resolve(f.m.InputParts(), f.m.OutputParts())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	relabel := func(in, out string) func(b *verifier.Bundle) {
		return func(b *verifier.Bundle) { b.Visibility = resolved(in, out) }
	}
	for name, c := range map[string]struct {
		mutate func(b *verifier.Bundle)
		want   error
	}{
		"public input value":  {func(b *verifier.Bundle) { x, _ := b.Tensor(verifier.TensorInput); x.Values[0] ^= 1 }, verifier.ErrRejected},
		"hashed input value":  {func(b *verifier.Bundle) { x, _ := b.Tensor(verifier.TensorInput); x.Values[9] ^= 1 }, verifier.ErrRejected},
		"public output value": {func(b *verifier.Bundle) { x, _ := b.Tensor(verifier.TensorOutput); x.Values[1] ^= 1 }, verifier.ErrRejected},
		"input commitment": {func(b *verifier.Bundle) {
			x, _ := b.Tensor(verifier.TensorInput)
			y, _ := b.Tensor(verifier.TensorOutput)
			x.Commitment = y.Commitment
		}, verifier.ErrRejected},
		// b labelled public (its values then packed, not hashed): another
		// layout, so another key digest; for the key file also another
		// visibility than its header's.
		"b relabelled public": {relabel("a=public,b=public,mask=private", "y1=public,y2=private"), verifier.ErrKeyMismatch},
		"y2 relabelled hashed": {func(b *verifier.Bundle) {
			b.Visibility = resolved("a=public,b=hashed,mask=private", "y1=public,y2=hashed")
			y, _ := b.Tensor(verifier.TensorOutput)
			y.Values = append(y.Values, f.tr.Outputs[1]...)
			y.Commitment = ""
		}, verifier.ErrKeyMismatch},
	} {
		for _, a := range []*verifier.Anchor{key, digest} {
			b := reparse(t, f.bundle)
			c.mutate(b)
			data, err := b.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if b, err = verifier.Parse(data); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := verifier.Verify(b, a); !errors.Is(err, c.want) {
				t.Errorf("%s, %s: %v, want %v", name, a.Kind, err, c.want)
			}
		}
	}
	// Values of a private part carried, or one value short: malformed.
	for name, mutate := range map[string]func(b *verifier.Bundle){
		"private values carried": func(b *verifier.Bundle) {
			x, _ := b.Tensor(verifier.TensorInput)
			x.Values = append(x.Values, f.tr.Inputs[2]...)
		},
		"one value short": func(b *verifier.Bundle) {
			x, _ := b.Tensor(verifier.TensorInput)
			x.Values = x.Values[1:]
		},
		"no commitment": func(b *verifier.Bundle) {
			x, _ := b.Tensor(verifier.TensorOutput)
			x.Commitment = ""
		},
		// The whole visibility made uniform: the tensors' encoding no
		// longer matches it.
		"uniform label": func(b *verifier.Bundle) { b.Visibility = resolved("hashed", "hashed") },
	} {
		b := reparse(t, f.bundle)
		mutate(b)
		data, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if b, err = verifier.Parse(data); err == nil {
			_, err = verifier.Verify(b, key)
		}
		if !errors.Is(err, verifier.ErrBundle) {
			t.Errorf("%s: %v, want ErrBundle", name, err)
		}
	}
}

// Without per-part visibility nothing moves for a one-input model (ffn
// here; gpt2 and one-input graphs share the code path): naming its one
// part resolves to the plain visibility and compiles to the same circuit
// and layout, the header's visibility JSON has no part list, and the
// public witness is the plain encodings (PackInt8, salted HashPacked) and
// the commitment.
func TestLegacyLayoutUnchanged(t *testing.T) {
	plain := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}
	f := newFixtureVis(t, 3, prover.BackendGroth16, plain)
	named := sideVisibility(t, "input=public", "output=private")
	c, err := prover.Compile(f.m, nil, prover.WithVisibility(named))
	if err != nil {
		t.Fatal(err)
	}
	if c.Header.CircuitDigest != f.c.Header.CircuitDigest || *c.Header.Visibility != plain {
		t.Fatalf("named parts: circuit %s visibility %+v, want %s %+v", c.Header.CircuitDigest, *c.Header.Visibility, f.c.Header.CircuitDigest, plain)
	}
	l1, _ := json.Marshal(c.Header.Layout())
	l2, _ := json.Marshal(f.keys.VKHeader.Layout())
	if string(l1) != string(l2) || strings.Contains(string(l2), "parts") {
		t.Fatalf("layouts %s and %s", l1, l2)
	}
	in, err := modelio.Public(quant.Flatten(f.tr.X), quant.VisibilityPublic, f.salts.Input)
	if err != nil {
		t.Fatal(err)
	}
	out, err := modelio.Public(quant.Flatten(f.tr.Y), quant.VisibilityPrivate, f.salts.Output)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := quant.Commit(f.m)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(in, out...), commit.BigInt(new(big.Int)))
	got := f.proof.Public.Vector().(fr.Vector)
	if len(got) != len(want) {
		t.Fatalf("%d public inputs, want %d", len(got), len(want))
	}
	for i := range want {
		if g := got[i].BigInt(new(big.Int)); g.Cmp(want[i]) != 0 {
			t.Fatalf("public input %d is %s, want %s", i, g, want[i])
		}
	}
	for _, tn := range f.bundle.PublicInputs {
		if tn.Encoding == verifier.EncodingMixedParts || tn.Parts != nil {
			t.Fatalf("tensor %s: %s with parts %v", tn.Name, tn.Encoding, tn.Parts)
		}
	}
}
