package verifier_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// shardedModel is a 3-block gpt2 model compiled as three one-block shards.
type shardedModel struct {
	m      *quant.Model
	vis    quant.Visibility
	ranges []quant.ShardRange
	subs   []*quant.Model
	cs     []*prover.Circuit
	keys   []*prover.Keys
}

// newShardedModel compiles and sets up the shards named in only (all without).
func newShardedModel(t *testing.T, seed uint64, vis quant.Visibility, only ...int) *shardedModel {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 3,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	fm := quant.RandomModel(cfg, seed)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, seed))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	sm := &shardedModel{m: m, vis: vis}
	if sm.ranges, err = quant.ShardRanges(3, 1); err != nil {
		t.Fatal(err)
	}
	sm.subs, sm.cs, sm.keys = make([]*quant.Model, 3), make([]*prover.Circuit, 3), make([]*prover.Keys, 3)
	for i, r := range sm.ranges {
		sub, err := m.Slice(r.From, r.To)
		if err != nil {
			t.Fatal(err)
		}
		sm.subs[i] = sub
		if len(only) > 0 && !slices.Contains(only, i) {
			continue
		}
		c, err := prover.Compile(sub, nil, prover.WithVisibility(quant.ShardVisibility(vis, i, len(sm.ranges))))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		sm.cs[i], sm.keys[i] = c, keys
	}
	return sm
}

// manifest is the keys manifest of sm's shards, as setup --shards writes it.
func (sm *shardedModel) manifest(t *testing.T) *prover.KeysManifest {
	t.Helper()
	sb := sm.header(t)
	k := &prover.KeysManifest{MediaType: prover.FormatKeys, ModelDigest: sb.ModelDigest, ModelCommitment: sb.ModelCommitment, ShardsCommitment: sb.ShardsCommitment,
		NLayer: sb.NLayer, Backend: prover.BackendGroth16, Visibility: sm.vis}
	for i, keys := range sm.keys {
		e, err := prover.NewKeyEntry(i, sm.ranges[i], keys.VK, keys.VKHeader)
		if err != nil {
			t.Fatal(err)
		}
		k.Shards = append(k.Shards, e)
	}
	return k
}

// input returns the int8 input of random sample seed.
func (sm *shardedModel) input(t *testing.T, seed uint64) [][]int64 {
	t.Helper()
	x, err := sm.m.QuantizeInput(quant.RandomSamples(sm.m.Config, 1, seed)[0])
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// proveShard proves shard i on its input x.
func (sm *shardedModel) proveShard(t *testing.T, i int, x [][]int64) (verifier.Shard, [][]int64) {
	t.Helper()
	tr, err := sm.subs[i].Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	salts, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	k := sm.keys[i]
	proof, err := prover.Prove(sm.cs[i], k.PK, k.PKHeader, sm.subs[i], tr, nil, prover.WithSalts(salts))
	if err != nil {
		t.Fatal(err)
	}
	b, err := verifier.NewBundle(sm.subs[i], sm.cs[i], k.VK, k.VKHeader, proof, tr)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := verifier.NewShard(b, i, len(sm.subs), sm.ranges[i])
	if err != nil {
		t.Fatal(err)
	}
	return sh, tr.Y
}

// prove proves every shard on x and returns the sharded bundle.
func (sm *shardedModel) prove(t *testing.T, x [][]int64) *verifier.ShardedBundle {
	t.Helper()
	sb := sm.header(t)
	for i := range sm.subs {
		var sh verifier.Shard
		sh, x = sm.proveShard(t, i, x)
		sb.Shards = append(sb.Shards, sh)
	}
	return sb
}

// header is the sharded bundle of sm without shards.
func (sm *shardedModel) header(t *testing.T) *verifier.ShardedBundle {
	t.Helper()
	digest, _ := sm.m.Digest()
	commit, err := quant.CommitString(sm.m)
	if err != nil {
		t.Fatal(err)
	}
	return &verifier.ShardedBundle{MediaType: verifier.ShardedMediaType, ModelDigest: digest, ModelCommitment: commit,
		ShardsCommitment: sm.shardsCommitment(t), NLayer: 3, NShards: 3, Visibility: sm.vis}
}

func (sm *shardedModel) shardsCommitment(t *testing.T) string {
	t.Helper()
	var cs []fr.Element
	for _, s := range sm.subs {
		c, err := quant.Commit(s)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	sc, err := quant.ShardsCommitment(3, sm.ranges, cs)
	if err != nil {
		t.Fatal(err)
	}
	return quant.FormatCommitment(sc)
}

// clone deep-copies a sharded bundle through its encoding.
func clone(t *testing.T, sb *verifier.ShardedBundle) *verifier.ShardedBundle {
	t.Helper()
	data, err := sb.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := verifier.ParseSharded(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The tamper matrix of sharded bundles: every attack on the chain is
// rejected with an error that names the check and, where there is one, the shard.
func TestShardedTamper(t *testing.T) {
	for _, v := range []string{quant.VisibilityHashed, quant.VisibilityPrivate} {
		t.Run(v, func(t *testing.T) {
			if testing.Short() && v == quant.VisibilityPrivate {
				t.Skip("-short: hashed only")
			}
			testShardedTamper(t, quant.Visibility{Input: v, Output: v, Weights: quant.VisibilityFixed})
		})
	}
}

func testShardedTamper(t *testing.T, vis quant.Visibility) {
	sm := newShardedModel(t, 21, vis)
	x := sm.input(t, 5)
	sb := sm.prove(t, x)
	keys := sm.manifest(t)
	res, err := verifier.VerifySharded(clone(t, sb), keys, "keys.json")
	if err != nil {
		t.Fatalf("honest sharded bundle rejected: %v", err)
	}
	if res.ShardsCommitment != sb.ShardsCommitment || len(res.Shards) != 3 {
		t.Fatalf("result %+v", res)
	}
	if err := verifier.VerifyShardedModel(sb, keys, sm.m, nil); err != nil {
		t.Fatalf("honest sharded bundle is not about its model: %v", err)
	}
	// The chained output is the whole model's output.
	full, err := sm.m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if vis.Output == quant.VisibilityHashed {
		last := sb.Shards[2].Bundle.PublicInputs[1].Values
		if !slicesEqual(last, quant.Flatten(full.Y)) {
			t.Fatal("the last shard's output is not the model's")
		}
	}
	for _, b := range []*verifier.Bundle{sb.Shards[0].Bundle, sb.Shards[1].Bundle} {
		if out := b.PublicInputs[1]; out.Encoding != verifier.EncodingChainHash || len(out.Values) != 0 {
			t.Fatalf("a boundary carries %s with %d values", out.Encoding, len(out.Values))
		}
	}

	// A second model (other weights) and a second input, for the attacks
	// that splice in proofs made elsewhere.
	other := newShardedModel(t, 22, vis, 1)
	mid, _ := sm.subs[0].Forward(x)
	foreign, y := other.proveShard(t, 1, mid.Y)
	after, _ := sm.proveShard(t, 2, y) // shard 2 proved on the foreign shard's output
	otherInput, _ := sm.proveShard(t, 1, sm.input(t, 6))

	cases := []struct {
		name   string
		tamper func(sb *verifier.ShardedBundle)
		want   error
		shard  string
	}{
		{"swap two shard proofs", func(sb *verifier.ShardedBundle) {
			sb.Shards[0].Bundle.Proof, sb.Shards[1].Bundle.Proof = sb.Shards[1].Bundle.Proof, sb.Shards[0].Bundle.Proof
		}, verifier.ErrRejected, "shard 0"},
		{"swap two shards' bundles", func(sb *verifier.ShardedBundle) {
			sb.Shards[1].Bundle, sb.Shards[2].Bundle = sb.Shards[2].Bundle, sb.Shards[1].Bundle
		}, verifier.ErrBundle, "shard 1"},
		{"drop a shard", func(sb *verifier.ShardedBundle) {
			sb.Shards = append(sb.Shards[:1], sb.Shards[2:]...)
		}, verifier.ErrIncomplete, ""},
		{"drop a shard and its count", func(sb *verifier.ShardedBundle) {
			sb.Shards, sb.NShards = append(sb.Shards[:1], sb.Shards[2:]...), 2
		}, verifier.ErrShardOrder, ""},
		{"drop the last shard and its blocks", func(sb *verifier.ShardedBundle) {
			sb.Shards, sb.NShards = sb.Shards[:2], 2
		}, verifier.ErrShardOrder, ""},
		{"reorder", func(sb *verifier.ShardedBundle) {
			sb.Shards[1], sb.Shards[2] = sb.Shards[2], sb.Shards[1]
		}, verifier.ErrShardOrder, ""},
		{"relabel blocks", func(sb *verifier.ShardedBundle) {
			sb.Shards[1].To = 3
		}, verifier.ErrShardOrder, ""},
		{"change an intermediate hash", func(sb *verifier.ShardedBundle) {
			sb.Shards[1].Bundle.PublicInputs[0].Commitment = sb.Shards[0].Bundle.PublicInputs[0].Commitment
			if vis.Input != quant.VisibilityPrivate {
				sb.Shards[1].Bundle.PublicInputs[0].Commitment = sb.Shards[1].Bundle.PublicInputs[1].Commitment
			}
		}, verifier.ErrRejected, "shard 1"},
		{"change both ends of an intermediate hash", func(sb *verifier.ShardedBundle) {
			h := sb.Shards[1].Bundle.PublicInputs[1].Commitment
			sb.Shards[0].Bundle.PublicInputs[1].Commitment = h
			sb.Shards[1].Bundle.PublicInputs[0].Commitment = h
		}, verifier.ErrRejected, "shard 0"},
		{"shard proved on another input (mismatched chain)", func(sb *verifier.ShardedBundle) {
			sb.Shards[1] = otherInput
		}, verifier.ErrChain, "shard 1"},
		{"shard from another model", func(sb *verifier.ShardedBundle) {
			sb.Shards[1] = foreign
		}, verifier.ErrKeyMismatch, "shard 1"},
		{"shard from another model, the chain proved on", func(sb *verifier.ShardedBundle) {
			sb.Shards[1], sb.Shards[2] = foreign, after
		}, verifier.ErrKeyMismatch, "shard 1"},
		{"claim another shards commitment", func(sb *verifier.ShardedBundle) {
			sb.ShardsCommitment = other.shardsCommitment(t)
		}, verifier.ErrKeyMismatch, ""},
		{"change the first input", func(sb *verifier.ShardedBundle) {
			in := &sb.Shards[0].Bundle.PublicInputs[0]
			if vis.Input == quant.VisibilityPrivate {
				in.Commitment = sb.Shards[0].Bundle.PublicInputs[1].Commitment
			} else {
				in.Values[0] ^= 1
			}
		}, verifier.ErrRejected, "shard 0"},
		{"change the last output", func(sb *verifier.ShardedBundle) {
			out := &sb.Shards[2].Bundle.PublicInputs[1]
			if vis.Output == quant.VisibilityPrivate {
				out.Commitment = sb.Shards[2].Bundle.PublicInputs[0].Commitment
			} else {
				out.Values[0] ^= 1
			}
		}, verifier.ErrRejected, "shard 2"},
		{"expose an intermediate boundary as values", func(sb *verifier.ShardedBundle) {
			sb.Shards[1].Bundle.PublicInputs[1].Encoding = verifier.EncodingHashedInt8
		}, verifier.ErrBundle, "shard 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := clone(t, sb)
			c.tamper(tb)
			_, err := verifier.VerifySharded(tb, keys, "keys.json")
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.shard != "" && !strings.Contains(err.Error(), c.shard) {
				t.Fatalf("error %q does not name %s", err, c.shard)
			}
		})
	}

	// A foreign shard with the sharding commitment recomputed: every proof
	// is valid against its own key, so only the unpinned check passes it.
	// Pinned to the keys manifest it is rejected at the foreign shard.
	tb := clone(t, sb)
	tb.Shards[1], tb.Shards[2] = foreign, after
	tb.ShardsCommitment = recommit(t, tb)
	if _, err := verifier.VerifySharded(tb, nil, "", verifier.InsecureUnpinned()); err != nil {
		t.Fatalf("spliced bundle with its own commitment, unpinned: %v", err)
	}
	if _, err := verifier.VerifySharded(tb, nil, ""); !errors.Is(err, verifier.ErrUnpinned) {
		t.Fatalf("no keys manifest: %v", err)
	}
	if _, err := verifier.VerifySharded(tb, keys, "keys.json"); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("spliced bundle with its own commitment, pinned: %v", err)
	}
	tb.ShardsCommitment = sb.ShardsCommitment
	if _, err := verifier.VerifySharded(tb, keys, "keys.json"); !errors.Is(err, verifier.ErrKeyMismatch) || !strings.Contains(err.Error(), "shard 1") {
		t.Fatalf("spliced bundle, pinned: %v", err)
	}
	if err := verifier.VerifyShardedModel(sb, keys, other.m, nil); !errors.Is(err, verifier.ErrModelMismatch) {
		t.Fatalf("bundle against another model: %v", err)
	}

	// Assembling shard bundles proved separately.
	parts := make([]*verifier.ShardedBundle, 3)
	for i := range parts {
		parts[i] = clone(t, sb)
		parts[i].Shards = parts[i].Shards[i : i+1]
		if _, err := verifier.VerifySharded(parts[i], keys, "keys.json"); !errors.Is(err, verifier.ErrIncomplete) {
			t.Fatalf("part %d alone: %v", i, err)
		}
	}
	all, err := verifier.AssembleShards([]*verifier.ShardedBundle{parts[2], parts[0], parts[1], parts[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.VerifySharded(all, keys, "keys.json"); err != nil {
		t.Fatalf("assembled bundle: %v", err)
	}
	if _, err := verifier.AssembleShards(parts[:2]); !errors.Is(err, verifier.ErrIncomplete) {
		t.Fatalf("two of three parts: %v", err)
	}
	alien := other.header(t)
	alien.Shards = []verifier.Shard{foreign}
	if _, err := verifier.AssembleShards([]*verifier.ShardedBundle{parts[0], alien, parts[2]}); !errors.Is(err, verifier.ErrShardMismatch) {
		t.Fatalf("a part of another model: %v", err)
	}
	twice := clone(t, parts[1])
	twice.Shards[0] = otherInput
	if _, err := verifier.AssembleShards([]*verifier.ShardedBundle{parts[0], parts[1], twice, parts[2]}); !errors.Is(err, verifier.ErrShardMismatch) {
		t.Fatalf("shard 1 twice, different proofs: %v", err)
	}
}

// recommit is the sharding commitment of sb's shards as they are.
func recommit(t *testing.T, sb *verifier.ShardedBundle) string {
	t.Helper()
	var cs []fr.Element
	var rs []quant.ShardRange
	for _, s := range sb.Shards {
		var c fr.Element
		if _, err := c.SetString(strings.TrimPrefix(s.Bundle.ModelCommitment, quant.CommitmentPrefix)); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
		rs = append(rs, quant.ShardRange{From: s.From, To: s.To})
	}
	sc, err := quant.ShardsCommitment(sb.NLayer, rs, cs)
	if err != nil {
		t.Fatal(err)
	}
	return quant.FormatCommitment(sc)
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseShardedRejects(t *testing.T) {
	good := `{"media_type": "` + verifier.ShardedMediaType + `", "model_digest": "x", "model_commitment": "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000001", "shards_commitment": "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000002", "n_layer": 2, "n_shards": 2, "visibility": {"input": "hashed", "output": "hashed", "weights": "fixed"}, "shards": [`
	for name, c := range map[string]struct {
		data string
		want error
	}{
		"newer version":  {strings.Replace(good, "sharded-bundle.v2", "sharded-bundle.v3", 1) + `]}`, verifier.ErrUnsupportedVersion},
		"v1":             {strings.Replace(good, "sharded-bundle.v2", "sharded-bundle.v1", 1) + `]}`, verifier.ErrUnsupportedVersion},
		"single bundle":  {`{"media_type": "` + verifier.MediaType + `"}`, verifier.ErrUnsupportedVersion},
		"unknown field":  {strings.Replace(good, `"n_layer"`, `"extra": 1, "n_layer"`, 1) + `]}`, verifier.ErrBundle},
		"no shards":      {good + `]}`, verifier.ErrBundle},
		"too many":       {good + `{}, {}, {}]}`, verifier.ErrBundle},
		"bad shard":      {good + `{"index": 0, "from": 0, "to": 1, "bundle": {"media_type": "x"}}]}`, verifier.ErrUnsupportedVersion},
		"no bundle":      {good + `{"index": 0, "from": 0, "to": 1}]}`, verifier.ErrBundle},
		"bad commitment": {strings.Replace(good, "poseidon2:0x00", "poseidon2:0xzz", 1) + `]}`, verifier.ErrBundle},
		"too large":      {good + strings.Repeat(" ", verifier.MaxBundleSize) + `]}`, verifier.ErrBundle},
	} {
		if _, err := verifier.ParseSharded([]byte(c.data)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func FuzzParseSharded(f *testing.F) {
	f.Add([]byte(`{"media_type": "` + verifier.ShardedMediaType + `"}`))
	f.Add([]byte(`{"media_type": "` + verifier.ShardedMediaType + `", "model_digest": "x", "model_commitment": "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000001", "shards_commitment": "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000002", "n_layer": 2, "n_shards": 2, "visibility": {"input": "hashed", "output": "private", "weights": "fixed"}, "shards": [{"index": 1, "from": 1, "to": 2, "bundle": ` + fuzzHead + `"public_inputs": [{"name": "input", "shape": [1, 1], "encoding": "poseidon2-int8-packed-31-chain", "values": [], "commitment": "0x0000000000000000000000000000000000000000000000000000000000000005"}, {"name": "model", "shape": [], "encoding": "model-commitment", "values": []}], "proof": "AAAA"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sb, err := verifier.ParseSharded(data)
		if err != nil {
			return
		}
		verifier.VerifySharded(sb, nil, "", verifier.InsecureUnpinned()) // must not panic
		verifier.AssembleShards([]*verifier.ShardedBundle{sb, sb})
		enc, err := sb.Encode()
		if err != nil {
			t.Fatal(err)
		}
		sb2, err := verifier.ParseSharded(enc)
		if err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v\n%s", err, enc)
		}
		enc2, _ := sb2.Encode()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("decode→encode not stable:\n%s\n%s", enc, enc2)
		}
	})
}
