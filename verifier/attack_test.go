package verifier_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// grindOutputSalt returns salts whose output commitment of tr's output is
// below 2^(8·31): the prover chooses its salt, so one in about 48 random
// salts will do.
func grindOutputSalt(t *testing.T) func(*quant.Trace) modelio.Salts {
	return func(tr *quant.Trace) modelio.Salts {
		bound := new(big.Int).Lsh(big.NewInt(1), 8*quant.PackedPerElement)
		for range 100000 {
			s, err := modelio.RandomSalts()
			if err != nil {
				t.Fatal(err)
			}
			c, err := quant.HashPacked(quant.Flatten(tr.Y), &s.Output)
			if err != nil {
				t.Fatal(err)
			}
			if c.BigInt(new(big.Int)).Cmp(bound) < 0 {
				return s
			}
		}
		t.Fatal("no salt found")
		return modelio.Salts{}
	}
}

// unpack returns the 31 int8 values whose packing (quant.PackInt8) is e,
// which must be below 2^248.
func unpack(e fr.Element) []int64 {
	b := e.BigInt(new(big.Int)).FillBytes(make([]byte, 32)) // big-endian
	out := make([]int64, quant.PackedPerElement)
	for i := range out {
		out[i] = int64(b[31-i]) + quant.Int8Min
	}
	return out
}

// relabelledOutput returns a fixture with a private output whose salt was
// ground, and its bundle relabelled as a public output: 31 values that
// pack to the output's commitment.
func relabelledOutput(t *testing.T) (*fixture, *verifier.Bundle) {
	t.Helper()
	vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}
	f := newFixtureSalts(t, 41, prover.BackendGroth16, vis, grindOutputSalt(t))
	b, err := verifier.Parse(mustEncode(t, f.bundle))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := b.Tensor(verifier.TensorOutput)
	c, err := quant.HashPacked(quant.Flatten(f.tr.Y), &f.salts.Output)
	if err != nil {
		t.Fatal(err)
	}
	b.Visibility.Output = quant.VisibilityPublic
	out.Encoding, out.Commitment, out.Values, out.Shape = verifier.EncodingPackedInt8, "", unpack(c), []int{1, quant.PackedPerElement}
	b.VKDigest = "" // the forger drops the label that no longer matches
	return f, b
}

// Attack: visibility relabelling under a header-less anchor. A key does
// not say how its circuit exposes input and output; only its header does.
// The salted commitment of a private output and the packing of ≤ 31 public
// values are both one public input, so a prover who grinds its output salt
// until the commitment is below 2^248 can relabel the output "public" and
// carry the 31 int8 values that pack to the commitment: values the model
// never produced, under a proof that verifies. A key-file anchor (header
// visibility) rejects it; a bare digest (verify --vk-digest, and the
// registry anchor, which is a digest and a commitment) must too.
func TestAttackDigestAnchorVisibilityRelabel(t *testing.T) {
	f, b := relabelledOutput(t)
	// The relabelled bundle is a well-formed bundle.
	b, err := verifier.Parse(mustEncode(t, b))
	if err != nil {
		t.Fatalf("relabelled bundle does not parse (the test does not attack): %v", err)
	}
	if _, err := verifier.Verify(b, nil, verifier.InsecureUnpinned()); err != nil {
		t.Fatalf("relabelled bundle does not verify against its key (the test does not attack): %v", err)
	}
	if _, err := verifier.Verify(b, f.pin(t)); err == nil {
		t.Fatal("key file anchor: relabelled output accepted")
	}
	d, err := verifier.PinDigest(f.bundle.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := verifier.Verify(b, d); err == nil {
		out, _ := b.Tensor(verifier.TensorOutput)
		t.Fatalf("digest anchor: a public output the model never produced (%v, visibility %+v, io from %q) verified: the carried values are not proven", out.Values, res.Visibility, res.IOFrom)
	}
	// The registry's anchor is a digest with a commitment: the same.
	d.Commitment = f.bundle.ModelCommitment
	if _, err := verifier.Verify(b, d); err == nil {
		t.Fatal("digest+commitment anchor: relabelled output accepted")
	}
}

// Attack: a parser differential. encoding/json matches object keys to
// struct fields case-insensitively (folding ſ to s and K to k too) and
// lets the last of duplicate keys win, so a bundle can carry output
// "values" that every other JSON reader (jq, Python, JavaScript, Go into a
// map) shows the user, and "Values" that Go verifies. Parse must refuse
// keys that are not exactly the format's, and duplicate keys.
func TestAttackJSONKeyDifferential(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}
	f := newFixtureVis(t, 42, prover.BackendGroth16, vis)
	b, err := verifier.Parse(mustEncode(t, f.bundle))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := b.Tensor(verifier.TensorOutput)
	realJSON, _ := json.Marshal(out.Values)
	fake := make([]int64, len(out.Values))
	for i := range fake {
		fake[i] = 127
	}
	out.Values = fake
	fakeJSON, _ := json.Marshal(fake)
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	fakeField := `"values":` + string(fakeJSON)
	if strings.Count(string(data), fakeField) != 1 {
		t.Fatalf("fake output values not unique in %s", data)
	}
	for name, extra := range map[string]string{
		"case variant":  `,"Values":` + string(realJSON),
		"folded long s": `,"value` + "\u017f" + `":` + string(realJSON),
		"raw long s":    `,"value` + "ſ" + `":` + string(realJSON),
		"duplicate key": `,"values":` + string(realJSON),
	} {
		t.Run(name, func(t *testing.T) {
			forged := []byte(strings.Replace(string(data), fakeField, fakeField+extra, 1))
			// What any other reader shows: the first "values", all 127s.
			var view struct {
				PublicInputs []map[string]json.RawMessage `json:"public_inputs"`
			}
			if err := json.Unmarshal(forged, &view); err != nil {
				t.Fatal(err)
			}
			if name != "duplicate key" && string(view.PublicInputs[1]["values"]) != string(fakeJSON) {
				t.Fatalf("a map reader sees %s", view.PublicInputs[1]["values"])
			}
			g, err := verifier.Parse(forged)
			if err != nil {
				if !errors.Is(err, verifier.ErrBundle) {
					t.Errorf("refused with %v, want ErrBundle", err)
				}
				return
			}
			if _, err := verifier.Verify(g, f.pin(t)); err == nil {
				t.Errorf("a bundle whose output other JSON readers see as %s verifies (Go read %s)", fakeJSON, realJSON)
			} else {
				t.Errorf("a bundle with non-canonical keys parses (verify: %v)", err)
			}
		})
	}
}

// Attack: the relabelling of TestAttackDigestAnchorVisibilityRelabel
// against a pinned key file whose header does not record the circuit's
// visibility nor shapes (a key written before they were recorded, or a
// hand-made header): checkAgainstHeader skips those checks, so the key
// file pins no more than a digest. PinKey must refuse such a header,
// as ReadCircuit refuses such circuits.
func TestAttackKeyHeaderWithoutVisibility(t *testing.T) {
	f, b := relabelledOutput(t)
	h := f.keys.VKHeader
	h.Visibility, h.Input, h.Output = nil, nil, nil
	a, err := verifier.PinKey(verifier.AnchorVKFile, "old-vk.key", f.keys.VK, h)
	if err != nil {
		return // refused: good
	}
	if _, err := verifier.Verify(b, a); err == nil {
		t.Fatal("a key header without visibility pins the key, and a relabelled output verifies against it")
	}
}

// A keys manifest is the verifier's anchor for every shard, so each entry's
// key header must record the shard's visibility (quant.ShardVisibility):
// without it a shard's relabelled tensor would pass as with a bare digest
// (TestAttackKeyHeaderWithoutVisibility). ParseKeysManifest refuses entries
// without it, or with another.
func TestAttackKeysManifestEntryVisibility(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}
	sm := newShardedModel(t, 43, vis)
	k := sm.manifest(t)
	parse := func(k *prover.KeysManifest) error {
		data, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		_, err = prover.ParseKeysManifest(data)
		return err
	}
	if err := parse(k); err != nil {
		t.Fatalf("honest keys manifest: %v", err)
	}
	last := len(k.Shards) - 1
	saved := k.Shards[last].Key.Visibility
	k.Shards[last].Key.Visibility = nil
	if err := parse(k); !errors.Is(err, prover.ErrCorrupted) {
		t.Errorf("entry without visibility: %v, want ErrCorrupted", err)
	}
	other := *saved
	other.Output = quant.VisibilityPublic
	k.Shards[last].Key.Visibility = &other
	if err := parse(k); !errors.Is(err, prover.ErrCorrupted) {
		t.Errorf("entry with another visibility: %v, want ErrCorrupted", err)
	}
	// The middle shard's key is hashed on both sides whatever the model's.
	k.Shards[last].Key.Visibility = saved
	if err := parse(k); err != nil {
		t.Errorf("restored: %v", err)
	}
	k.Shards[1].Key.Visibility = &vis
	if err := parse(k); !errors.Is(err, prover.ErrCorrupted) {
		t.Errorf("middle entry with the model's visibility: %v, want ErrCorrupted", err)
	}
}

// Attacks that fail, kept as regressions: tensor order, duplicate and extra
// tensors (Tensor returns the first match while the witness uses order),
// the other backend's decoder under a digest, and malformed pinned digests.
func TestAttackRejected(t *testing.T) {
	f := newFixtureVis(t, 44, prover.BackendPLONK, quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed})
	d, err := verifier.PinDigest(f.bundle.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *verifier.Bundle {
		b, err := verifier.Parse(mustEncode(t, f.bundle))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, mutate := range map[string]func(b *verifier.Bundle){
		"input and output swapped": func(b *verifier.Bundle) {
			b.PublicInputs[0], b.PublicInputs[1] = b.PublicInputs[1], b.PublicInputs[0]
		},
		"names swapped": func(b *verifier.Bundle) {
			b.PublicInputs[0].Name, b.PublicInputs[1].Name = b.PublicInputs[1].Name, b.PublicInputs[0].Name
		},
		"a second output first": func(b *verifier.Bundle) {
			fake := b.PublicInputs[1]
			fake.Values = make([]int64, len(fake.Values))
			b.PublicInputs = append([]verifier.Tensor{fake}, b.PublicInputs...)
		},
		"an extra output last": func(b *verifier.Bundle) {
			b.PublicInputs = append(b.PublicInputs, b.PublicInputs[1])
		},
		"output named model": func(b *verifier.Bundle) { b.PublicInputs[1].Name = verifier.TensorModel },
		"groth16 decoder":    func(b *verifier.Bundle) { b.Backend = prover.BackendGroth16 },
		"public weights claimed": func(b *verifier.Bundle) {
			b.Visibility.Weights = quant.VisibilityPublic
			w := verifier.Tensor{Name: verifier.TensorWeights, Encoding: verifier.EncodingWeightElements, Shape: []int{0}, Values: []int64{}}
			b.PublicInputs = append(b.PublicInputs[:2], w, b.PublicInputs[2])
		},
	} {
		t.Run(name, func(t *testing.T) {
			for an, a := range map[string]*verifier.Anchor{"digest": d, "key file": f.pin(t)} {
				b := fresh()
				mutate(b)
				// What verify reads is the bundle file: parse it again.
				b, err := verifier.Parse(mustEncode(t, b))
				if err != nil {
					continue
				}
				if _, err := verifier.Verify(b, a); err == nil {
					t.Errorf("%s anchor: accepted", an)
				}
			}
		})
	}
	for _, s := range []string{
		strings.ToUpper(f.bundle.VKDigest),
		"SHA256:" + strings.TrimPrefix(f.bundle.VKDigest, "sha256:"),
		" " + f.bundle.VKDigest,
		f.bundle.VKDigest + "\n",
		f.bundle.VKDigest[:len(f.bundle.VKDigest)-1],
		f.bundle.VKDigest + "0",
		"sha256:" + strings.Repeat("g", 64),
	} {
		if _, err := verifier.PinDigest(s); err == nil {
			t.Errorf("digest %q pinned", s)
		}
	}
}

// With hashed weights the key serves every model of an architecture:
// CheckModel must still refuse another model of the same architecture (one
// weight changed), by the proven commitment; a model of the architecture
// compiles to the key's circuit, so the commitment is the only check.
func TestAttackCheckModelHashedWeightsSameArchitecture(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityHashed}
	f := newFixtureVis(t, 45, prover.BackendGroth16, vis)
	if err := verifier.CheckModel(f.bundle, f.pin(t), f.m, nil); err != nil {
		t.Fatalf("honest model: %v", err)
	}
	other := *f.m
	other.FC.W = append([]int8(nil), f.m.FC.W...)
	other.FC.W[0] ^= 1
	a1, err1 := quant.ArchitectureDigest(f.m)
	a2, err2 := quant.ArchitectureDigest(&other)
	if err1 != nil || err2 != nil || a1 != a2 {
		t.Fatalf("not the same architecture (the test does not attack): %v %v", err1, err2)
	}
	if err := verifier.CheckModel(f.bundle, f.pin(t), &other, nil); !errors.Is(err, verifier.ErrModelMismatch) {
		t.Fatalf("another model of the architecture: %v, want ErrModelMismatch", err)
	}
	// The bundle relabelled with the other model's commitment: the proof
	// (whose last public input is the commitment) fails.
	b, err := verifier.Parse(mustEncode(t, f.bundle))
	if err != nil {
		t.Fatal(err)
	}
	if b.ModelCommitment, err = quant.CommitString(&other); err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrRejected) {
		t.Fatalf("relabelled commitment: %v, want ErrRejected", err)
	}
}
