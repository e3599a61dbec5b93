package verifier_test

import (
	"bytes"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// trivialCircuit has the public inputs of a model circuit with hashed input
// and output (input hash, output hash, model commitment) and proves nothing
// about them: in + out + model == s for a private s.
type trivialCircuit struct {
	In, Out, Model frontend.Variable `gnark:",public"`
	S              frontend.Variable
}

func (c *trivialCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Add(c.In, c.Out, c.Model), c.S)
	return nil
}

// forge makes the attack of issue 13: a bundle of f's model whose output is
// all 127s, proven with a trivial circuit under keys the attacker made, and
// labelled with f's digests and a ceremony setup.
func forge(t *testing.T, f *fixture) *verifier.Bundle {
	t.Helper()
	b, err := verifier.Parse(mustEncode(t, f.bundle))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := b.Tensor(verifier.TensorOutput)
	for i := range out.Values {
		out.Values[i] = 127
	}
	pub, _, err := verifier.PublicWitness(b)
	if err != nil {
		t.Fatal(err)
	}
	var in, o, m, s big.Int
	vec := pub.Vector().(fr.Vector)
	vec[0].BigInt(&in)
	vec[1].BigInt(&o)
	vec[2].BigInt(&m)
	s.Add(&in, &o).Add(&s, &m).Mod(&s, ecc.BN254.ScalarField())
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &trivialCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(&trivialCircuit{In: &in, Out: &o, Model: &m, S: &s}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(cs, pk, w)
	if err != nil {
		t.Fatal(err)
	}
	var pb, vb bytes.Buffer
	proof.WriteTo(&pb)
	vk.WriteTo(&vb)
	b.Proof, b.VerifyingKey = pb.Bytes(), vb.Bytes()
	b.Setup, b.Warning, b.SetupDigest = prover.SetupGroth16MPC, "", "sha256:"+string(bytes.Repeat([]byte("ab"), 32))
	b.VKDigest = f.bundle.VKDigest // the label of the real key: checked against the carried key
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

	// The bundle names the real key's digest but carries another key.
	if _, err := verifier.Verify(forged, nil, verifier.InsecureUnpinned()); !errors.Is(err, verifier.ErrBundle) {
		t.Fatalf("forged bundle whose vk_digest is not its key's: %v", err)
	}
	// With an honest label, the forgery is a valid proof for its own key:
	// the attack is real, and only an anchor stops it.
	forged.VKDigest = ""
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
