package verifier_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

type fixture struct {
	m      *quant.Model
	c      *prover.Circuit
	keys   *prover.Keys
	bundle *verifier.Bundle
	proof  *prover.Proof
	tr     *quant.Trace
	salts  modelio.Salts
}

func newFixture(t *testing.T, seed uint64) *fixture {
	t.Helper()
	return newFixtureFor(t, seed, prover.BackendGroth16)
}

func newFixtureFor(t *testing.T, seed uint64, backend string) *fixture {
	t.Helper()
	return newFixtureVis(t, seed, backend, quant.DefaultVisibility)
}

func newFixtureVis(t *testing.T, seed uint64, backend string, vis quant.Visibility) *fixture {
	t.Helper()
	return newFixtureSalts(t, seed, backend, vis, nil)
}

// newFixtureSalts is newFixtureVis with the salts pick chooses for the
// trace (random salts when pick is nil): a dishonest prover chooses its
// salts.
func newFixtureSalts(t *testing.T, seed uint64, backend string, vis quant.Visibility, pick func(*quant.Trace) modelio.Salts) *fixture {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU}
	fm := quant.RandomModel(cfg, seed)
	samples := quant.RandomSamples(cfg, 4, seed)
	s, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := prover.Compile(m, nil, prover.WithBackend(backend), prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	xq, _ := m.QuantizeInput(samples[0])
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	salts, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	if pick != nil {
		salts = pick(tr)
	}
	p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, prover.WithSalts(salts))
	if err != nil {
		t.Fatal(err)
	}
	b, err := verifier.NewBundle(m, c, keys.VK, keys.VKHeader, p, tr)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{m: m, c: c, keys: keys, bundle: b, proof: p, tr: tr, salts: salts}
}

// pin is the anchor of a verifier who holds the fixture's verifying key.
func (f *fixture) pin(t *testing.T) *verifier.Anchor {
	t.Helper()
	a, err := verifier.PinKey(verifier.AnchorVKFile, "vk.key", f.keys.VK, f.keys.VKHeader)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBundleRoundTrip(t *testing.T) {
	f := newFixture(t, 1)
	// The bundle's public inputs are exactly the prover's public witness.
	pub, _, err := verifier.PublicWitness(f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pub.Vector().(fr.Vector), f.proof.Public.Vector().(fr.Vector)) {
		t.Fatal("bundle public inputs differ from the prover's public witness")
	}
	path := filepath.Join(t.TempDir(), "proof.json")
	if err := f.bundle.Write(path); err != nil {
		t.Fatal(err)
	}
	b, err := verifier.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verifier.Verify(b, f.pin(t))
	if err != nil {
		t.Fatalf("honest bundle rejected: %v", err)
	}
	if res.Setup != prover.SetupDevUnsafe || b.Warning == "" {
		t.Fatalf("dev setup not labelled: %+v", res)
	}
}

func TestTamperedBundlesRejected(t *testing.T) {
	for _, backend := range prover.Backends {
		t.Run(backend, func(t *testing.T) { testTampered(t, backend) })
	}
}

func testTampered(t *testing.T, backend string) {
	f := newFixtureFor(t, 2, backend)
	if _, err := verifier.Verify(f.bundle, f.pin(t)); err != nil {
		t.Fatalf("honest %s bundle rejected: %v", backend, err)
	}
	data, err := f.bundle.Encode()
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *verifier.Bundle {
		b, err := verifier.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]func(b *verifier.Bundle){
		"output+1": func(b *verifier.Bundle) {
			o, _ := b.Tensor(verifier.TensorOutput)
			o.Values[0] = o.Values[0] ^ 1
		},
		"input-1": func(b *verifier.Bundle) {
			o, _ := b.Tensor(verifier.TensorInput)
			o.Values[3] = o.Values[3] ^ 1
		},
		"proof byte": func(b *verifier.Bundle) { b.Proof[len(b.Proof)/2] ^= 0x01 },
		"vk byte":    func(b *verifier.Bundle) { b.VerifyingKey[100] ^= 0x01 },
		"swapped outputs": func(b *verifier.Bundle) {
			o, _ := b.Tensor(verifier.TensorOutput)
			o.Values[0], o.Values[1] = o.Values[1]^2, o.Values[0]^4
		},
	}
	for name, mutate := range cases {
		b := fresh()
		mutate(b)
		if _, err := verifier.Verify(b, f.pin(t)); err == nil {
			t.Errorf("%s: tampered bundle accepted", name)
		}
	}
	// Claiming the other backend makes the bundle undecodable or rejected.
	b := fresh()
	b.Backend = map[string]string{prover.BackendGroth16: prover.BackendPLONK, prover.BackendPLONK: prover.BackendGroth16}[backend]
	if _, err := verifier.Verify(b, f.pin(t)); err == nil {
		t.Error("bundle with the wrong backend accepted")
	}
	// A proof of another model cannot pass for this one.
	other := newFixtureFor(t, 3, backend)
	b = fresh()
	b.Proof = other.bundle.Proof
	if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrRejected) {
		t.Errorf("proof of another circuit: got %v, want ErrRejected", err)
	}
	// Keys of another circuit are refused before proving.
	if _, err := prover.Prove(f.c, other.keys.PK, other.keys.PKHeader, f.m, nil, nil); !errors.Is(err, prover.ErrCircuitMismatch) {
		t.Errorf("keys of another circuit: got %v", err)
	}
}

func TestRequireProduction(t *testing.T) {
	f := newFixture(t, 7)
	if _, err := verifier.Verify(f.bundle, f.pin(t), verifier.RequireProduction()); !errors.Is(err, verifier.ErrNotProduction) {
		t.Fatalf("dev bundle with RequireProduction: %v", err)
	}
	// Issue 13, attack 7: a bundle relabelled as made by a ceremony, and a
	// key file whose header says so, are still a dev key: the setup comes
	// from the pinned key's header, never from the bundle.
	b := *f.bundle
	b.Setup, b.Warning = prover.SetupGroth16MPC, ""
	if _, err := verifier.Verify(&b, f.pin(t), verifier.RequireProduction()); !errors.Is(err, verifier.ErrNotProduction) {
		t.Fatalf("relabelled bundle with RequireProduction: %v", err)
	}
	// A bare digest cannot show how a key was made.
	d, err := verifier.PinDigest(f.bundle.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(&b, d, verifier.RequireProduction()); !errors.Is(err, verifier.ErrNotProduction) {
		t.Fatalf("digest anchor with RequireProduction: %v", err)
	}
	if res, err := verifier.Verify(&b, d); err != nil || res.Setup == prover.SetupGroth16MPC {
		t.Fatalf("digest anchor: %+v, %v", res, err)
	}
}

func TestParseRejectsBadBundles(t *testing.T) {
	f := newFixture(t, 4)
	good, _ := f.bundle.Encode()
	for name, data := range map[string][]byte{
		"not json":       []byte("{"),
		"empty":          nil,
		"newer version":  []byte(`{"media_type": "application/vnd.zkinfer.bundle.v3+json"}`),
		"v1":             []byte(`{"media_type": "application/vnd.zkinfer.bundle.v1+json"}`),
		"unknown field":  append([]byte(`{"extra": 1, `), good[1:]...),
		"shape mismatch": []byte(`{"media_type": "` + verifier.MediaType + `", "public_inputs": [{"name": "x", "shape": [2], "encoding": "int8-packed-31", "values": [1]}]}`),
		"null value":     []byte(`{"media_type": "` + verifier.MediaType + `", "public_inputs": [{"name": "x", "shape": [1], "values": [null]}]}`),
		"negative shape": []byte(`{"media_type": "` + verifier.MediaType + `", "public_inputs": [{"name": "x", "shape": [-1], "values": []}]}`),
	} {
		if _, err := verifier.Parse(data); !errors.Is(err, verifier.ErrBundle) {
			t.Errorf("%s: got %v, want ErrBundle", name, err)
		}
	}
	// Corrupted proof bytes: a clear error, never a panic.
	b, _ := verifier.Parse(good)
	b.Proof = b.Proof[:10]
	if _, err := verifier.Verify(b, f.pin(t)); err == nil {
		t.Error("truncated proof accepted")
	}
	// A value outside int8 has no packed encoding.
	b, _ = verifier.Parse(good)
	b.PublicInputs[0].Values[0] = 300
	if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrBundle) {
		t.Errorf("out-of-range value: got %v", err)
	}
	path := filepath.Join(t.TempDir(), "b.json")
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, err := verifier.Read(path); err == nil {
		t.Error("garbage file accepted")
	}
}

const fuzzHead = `{"media_type": "` + verifier.MediaType + `", "model_commitment": "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000001", "visibility": {"input": "hashed", "output": "private", "weights": "fixed"}, "backend": "groth16", "curve": "bn254", `

// Arbitrary bytes never panic the reader or the verifier, and whatever
// parses encodes to bytes that parse to the same encoding.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"media_type": "` + verifier.MediaType + `"}`))
	f.Add([]byte(fuzzHead + `"public_inputs": [{"name": "input", "shape": [1], "encoding": "poseidon2-int8-packed-31", "values": [3]}, {"name": "output", "shape": [1, 1], "encoding": "poseidon2-salted-int8-packed-31", "values": [], "commitment": "0x0000000000000000000000000000000000000000000000000000000000000005"}, {"name": "model", "shape": [], "encoding": "model-commitment", "values": []}], "proof": "AAAA"}`))
	f.Add([]byte(fuzzHead + `"public_inputs": [{"name": "x", "shape": [2], "encoding": "int8-packed-31", "values": [3, -128]}]}`))
	f.Add([]byte(fuzzHead + `"public_inputs": [{"name": "input", "shape": [1, 1], "encoding": "poseidon2-int8-packed-31-chain", "values": [], "commitment": "0x0000000000000000000000000000000000000000000000000000000000000005"}, {"name": "model", "shape": [], "encoding": "model-commitment", "values": []}], "proof": "AAAA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := verifier.Parse(data)
		if err != nil {
			return
		}
		verifier.Verify(b, nil, verifier.InsecureUnpinned()) // must not panic
		enc, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		b2, err := verifier.Parse(enc)
		if err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v\n%s", err, enc)
		}
		enc2, _ := b2.Encode()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("decode→encode not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// The tamper matrix of the auditor's check, for each input/output
// visibility: every byte that matters, changed, makes Verify (or CheckModel)
// fail, with an error that names the check.
func TestTamperMatrix(t *testing.T) {
	for _, v := range []string{quant.VisibilityHashed, quant.VisibilityPublic, quant.VisibilityPrivate} {
		t.Run(v, func(t *testing.T) {
			vis := quant.Visibility{Input: v, Output: v, Weights: quant.VisibilityFixed}
			f := newFixtureVis(t, 11, prover.BackendGroth16, vis)
			if _, err := verifier.Verify(f.bundle, f.pin(t)); err != nil {
				t.Fatalf("honest bundle rejected: %v", err)
			}
			if err := verifier.CheckModel(f.bundle, f.pin(t), f.m, nil); err != nil {
				t.Fatalf("honest bundle's model rejected: %v", err)
			}
			data, _ := f.bundle.Encode()
			fresh := func() *verifier.Bundle {
				b, err := verifier.Parse(data)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			type tamper struct {
				mutate func(b *verifier.Bundle)
				want   error
				says   string
			}
			cases := map[string]tamper{
				"proof byte": {func(b *verifier.Bundle) { b.Proof[len(b.Proof)/2] ^= 1 }, nil, ""},
				"vk byte":    {func(b *verifier.Bundle) { b.VerifyingKey[len(b.VerifyingKey)/2] ^= 1 }, nil, ""},
				"commitment": {func(b *verifier.Bundle) {
					c := []byte(b.ModelCommitment)
					c[len(c)-1] = "10"[min(1, int(c[len(c)-1]-'0'))]
					b.ModelCommitment = string(c)
				}, verifier.ErrRejected, "proof rejected"},
				"visibility label": {func(b *verifier.Bundle) {
					b.Visibility.Input = map[string]string{quant.VisibilityHashed: quant.VisibilityPublic, quant.VisibilityPublic: quant.VisibilityHashed, quant.VisibilityPrivate: quant.VisibilityHashed}[v]
				}, verifier.ErrBundle, "public tensor 0"},
			}
			for _, name := range []string{verifier.TensorInput, verifier.TensorOutput} {
				tn, _ := f.bundle.Tensor(name)
				for i := range tn.Values {
					cases[fmt.Sprintf("%s value %d", name, i)] = tamper{func(b *verifier.Bundle) {
						x, _ := b.Tensor(name)
						x.Values[i] ^= 1
					}, verifier.ErrRejected, "proof rejected"}
				}
				if tn.Commitment != "" {
					cases[name+" commitment"] = tamper{func(b *verifier.Bundle) {
						x, _ := b.Tensor(name)
						x.Commitment = "0x" + strings.Repeat("0", 63) + "7"
					}, verifier.ErrRejected, "proof rejected"}
				}
			}
			// Each public input, through the public witness the verifier builds.
			pub, n, err := verifier.PublicWitness(f.bundle)
			if err != nil {
				t.Fatal(err)
			}
			// 8 int8 values pack into one element: input, output, model.
			if n != 3 {
				t.Fatalf("%d public inputs, want 3", n)
			}
			vec := pub.Vector().(fr.Vector)
			for i := range vec {
				w := slices.Clone(vec)
				w[i].Add(&w[i], new(fr.Element).SetOne())
				if err := prover.Verify(mustVK(t, f), f.proof.Proof, witnessOf(t, w)); err == nil {
					t.Errorf("public input %d changed: accepted", i)
				}
			}
			for name, c := range cases {
				b := fresh()
				c.mutate(b)
				_, err := verifier.Verify(b, f.pin(t))
				if err == nil {
					t.Errorf("%s: tampered bundle accepted", name)
					continue
				}
				if c.want != nil && !errors.Is(err, c.want) {
					t.Errorf("%s: got %v, want %v", name, err, c.want)
				}
				if !strings.Contains(err.Error(), c.says) {
					t.Errorf("%s: error %q does not say %q", name, err, c.says)
				}
			}
			if v == quant.VisibilityPrivate {
				x := quant.Flatten(f.tr.X)
				if err := verifier.Open(f.bundle, verifier.TensorInput, x, f.salts.Input); err != nil {
					t.Fatalf("honest opening rejected: %v", err)
				}
				x[0] ^= 1
				if err := verifier.Open(f.bundle, verifier.TensorInput, x, f.salts.Input); !errors.Is(err, verifier.ErrOpening) {
					t.Errorf("wrong value opened the commitment: %v", err)
				}
				x[0] ^= 1
				if err := verifier.Open(f.bundle, verifier.TensorInput, x, f.salts.Output); !errors.Is(err, verifier.ErrOpening) {
					t.Errorf("wrong salt opened the commitment: %v", err)
				}
			}
			// Another model's file: the commitment check fails first.
			other := newFixtureVis(t, 12, prover.BackendGroth16, vis)
			if err := verifier.CheckModel(f.bundle, f.pin(t), other.m, nil); !errors.Is(err, verifier.ErrModelMismatch) {
				t.Errorf("another model: got %v, want ErrModelMismatch", err)
			}
			// A pinned key of another model's circuit: the model does not
			// compile to the circuit the key is for. (The bundle's own
			// circuit digest is not read: it is the prover's claim.)
			b := fresh()
			b.CircuitDigest = other.bundle.CircuitDigest
			if err := verifier.CheckModel(b, f.pin(t), f.m, nil); err != nil {
				t.Errorf("the bundle's circuit digest label was read: %v", err)
			}
			if err := verifier.CheckModel(f.bundle, other.pin(t), f.m, nil); !errors.Is(err, verifier.ErrCircuitMismatch) {
				t.Errorf("another model's key: got %v, want ErrCircuitMismatch", err)
			}
			// Another circuit's proof and key with this bundle's values.
			b = fresh()
			b.Proof, b.VerifyingKey = other.bundle.Proof, other.bundle.VerifyingKey
			if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrRejected) {
				t.Errorf("another circuit's proof and key: got %v", err)
			}
		})
	}
}

func mustVK(t *testing.T, f *fixture) prover.VerifyingKey {
	t.Helper()
	vk, _, err := verifier.Decode(f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	return vk
}

func witnessOf(t *testing.T, v fr.Vector) witness.Witness {
	t.Helper()
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan any, len(v))
	for _, x := range v {
		ch <- x
	}
	close(ch)
	if err := w.Fill(len(v), 0, ch); err != nil {
		t.Fatal(err)
	}
	return w
}
