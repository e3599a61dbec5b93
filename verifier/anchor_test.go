package verifier_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
	"github.com/zkinfer/zkinfer/verifier/verifiertest"
)

// forge is the attack of issue 13 on f's bundle (verifiertest.Forge).
func forge(t *testing.T, f *fixture) *verifier.Bundle {
	t.Helper()
	b, err := verifiertest.Forge(f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustEncode(t *testing.T, b *verifier.Bundle) []byte {
	t.Helper()
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Issue 13, attack 1: a forged bundle verifies against its own key (the old
// behaviour of verify with no --vk, with --require-production and with
// --model); pinned by the key file, the digest or the model, it is rejected.
func TestForgedBundleRejected(t *testing.T) {
	f := newFixture(t, 31)
	forged := forge(t, f)

	// The forgery is a valid proof for its own key: the attack is real,
	// and only an anchor stops it.
	if _, err := verifier.Verify(forged, nil, verifier.InsecureUnpinned()); err != nil {
		t.Fatalf("the forgery does not verify against its own key (the test does not attack): %v", err)
	}
	if _, err := verifier.Verify(forged, nil); !errors.Is(err, verifier.ErrUnpinned) {
		t.Fatalf("no anchor: %v, want ErrUnpinned", err)
	}
	if _, err := verifier.Verify(forged, nil, verifier.RequireProduction()); err == nil {
		t.Fatal("no anchor with RequireProduction: accepted")
	}
	d, err := verifier.PinDigest(f.bundle.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*verifier.Anchor{"key file": f.pin(t), "digest": d} {
		if _, err := verifier.Verify(forged, a); !errors.Is(err, verifier.ErrKeyMismatch) {
			t.Errorf("%s: forged bundle: %v, want ErrKeyMismatch", name, err)
		}
		if res, err := verifier.Verify(f.bundle, a); err != nil || res.VKDigest != f.bundle.VKDigest || res.Anchor != a {
			t.Errorf("%s: honest bundle: %+v, %v", name, res, err)
		}
	}
	// The model check compares the model with the pinned key, not with
	// the digests the bundle writes about itself.
	if err := verifier.CheckModel(forged, d, f.m, nil); !errors.Is(err, verifier.ErrUnpinned) {
		t.Errorf("model check with a bare digest: %v", err)
	}
	// A bundle naming the real key's digest while carrying another key.
	forged.VKDigest = f.bundle.VKDigest
	if _, err := verifier.Verify(forged, nil, verifier.InsecureUnpinned()); !errors.Is(err, verifier.ErrBundle) {
		t.Fatalf("forged bundle whose vk_digest is not its key's: %v", err)
	}
}

// A key file written by setup and read back pins the same key as the one
// in memory, and the digest setup writes beside it is the bundle's.
func TestPinKeyFile(t *testing.T) {
	f := newFixture(t, 32)
	dir := t.TempDir()
	pk, vk := filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key")
	if err := prover.WriteKeys(pk, vk, f.keys); err != nil {
		t.Fatal(err)
	}
	a, err := verifier.PinKeyFile(vk)
	if err != nil {
		t.Fatal(err)
	}
	if a.VKDigest != f.bundle.VKDigest || a.Kind != verifier.AnchorVKFile {
		t.Fatalf("anchor %+v, bundle key %s", a, f.bundle.VKDigest)
	}
	res, err := verifier.Verify(f.bundle, a)
	if err != nil {
		t.Fatal(err)
	}
	if res.IOFrom != verifier.IOFromKey || res.Setup != prover.SetupDevUnsafe || res.CircuitDigest != f.c.Header.CircuitDigest {
		t.Fatalf("result %+v", res)
	}
	if _, err := verifier.PinDigest("sha256:XY"); err == nil {
		t.Fatal("malformed digest accepted")
	}
}

// Issue 13, attack 6: shapes, fractions and the count of carried values
// come from the pinned key. Trailing -128 values appended to a packed
// public output (which packing cannot see) or a relabelled frac are
// rejected.
func TestTensorsAuthenticated(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}
	f := newFixtureVis(t, 33, prover.BackendGroth16, vis)
	fresh := func() *verifier.Bundle {
		b, err := verifier.Parse(mustEncode(t, f.bundle))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := fresh()
	out, _ := b.Tensor(verifier.TensorOutput)
	out.Values = append(out.Values, -128, -128, -128, -128)
	out.Shape = []int{out.Shape[0] + 1, out.Shape[1]}
	b.VKDigest = "" // the forger drops the label that no longer matches
	if _, err := verifier.Verify(b, nil, verifier.InsecureUnpinned()); err != nil {
		t.Fatalf("padded output is not invisible to the proof (the test does not attack): %v", err)
	}
	if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Errorf("padded output: %v, want ErrKeyMismatch", err)
	}
	b = fresh()
	in, _ := b.Tensor(verifier.TensorInput)
	in.Frac++
	if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Errorf("relabelled frac: %v, want ErrKeyMismatch", err)
	}
	res, err := verifier.Verify(fresh(), f.pin(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.IOFrom != verifier.IOFromKey || !slices.Equal(res.Output.Shape, f.c.Header.Output.Shape) || res.Output.Frac != f.m.OutputFrac() {
		t.Fatalf("result %+v", res)
	}
}
