package prover_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func gpt2Tiny(t *testing.T, layers int, lnf bool) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 1, NHead: 2, NLayer: layers,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: lnf}
	m := graphtest.Quantized(t, quant.RandomModel(cfg, 3), quant.RandomSamples(cfg, 4, 3))
	return m
}

// Shards whose circuits are identical share one key pair, keyed on the
// circuit digest; different ones get their own.
func TestCompileShardsSharesKeys(t *testing.T) {
	dir := t.TempDir()
	circuit, pk, vk := filepath.Join(dir, "circuit.zkc"), filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key")

	// Three copies of one block, no ln_f: three identical shard circuits.
	m := gpt2Tiny(t, 3, false)
	for i := 1; i < 3; i++ {
		m.Blocks[i] = m.Blocks[0]
		m.Scales.GPT2.Layers[i] = m.Scales.GPT2.Layers[0]
	}
	man, err := prover.CompileShards(m, 1, circuit, pk, vk, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range man.Shards {
		if e.PK != "pk.shard-0.key" || e.VK != "vk.shard-0.key" || e.CircuitDigest != man.Shards[0].CircuitDigest {
			t.Fatalf("shard %d of identical blocks: keys %s %s, circuit %s", i, e.PK, e.VK, e.CircuitDigest)
		}
		if _, err := os.Stat(filepath.Join(dir, e.Circuit)); err != nil {
			t.Fatal(err)
		}
	}

	// Different blocks: one key pair each; ln_f only in the last shard.
	m = gpt2Tiny(t, 3, true)
	man, err = prover.CompileShards(m, 2, circuit, pk, vk, nil, prover.WithVisibility(quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}))
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Shards) != 2 || man.Shards[0].PK == man.Shards[1].PK || man.Shards[1].From != 2 || man.Shards[1].To != 3 {
		t.Fatalf("manifest %+v", man.Shards)
	}
	if v := man.Shards[0].Visibility; v.Input != quant.VisibilityPublic || v.Output != quant.VisibilityHashed {
		t.Fatalf("first shard visibility %+v", v)
	}
	if v := man.Shards[1].Visibility; v.Input != quant.VisibilityHashed || v.Output != quant.VisibilityPrivate {
		t.Fatalf("last shard visibility %+v", v)
	}
	c, err := prover.ReadCircuit(filepath.Join(dir, man.Shards[1].Circuit))
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := m.Slice(2, 3)
	if want, _ := quant.CommitString(sub); c.Header.Commitment != want || !sub.Config.FinalLayerNorm {
		t.Fatalf("last shard circuit is for %s, want %s (with ln_f)", c.Header.Commitment, want)
	}

	// The manifest round-trips through its file, with paths resolved.
	path := prover.ManifestPath(circuit)
	if err := prover.WriteManifest(path, man); err != nil {
		t.Fatal(err)
	}
	back, err := prover.ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Shards[1].Circuit != filepath.Join(dir, "circuit.shard-1.zkc") || back.ShardsCommitment != man.ShardsCommitment {
		t.Fatalf("read back %+v", back.Shards[1])
	}
}

func TestParseManifestRejects(t *testing.T) {
	good := `{"media_type": "` + prover.FormatShards + `", "backend": "groth16", "n_layer": 2, "visibility": {"input": "hashed", "output": "hashed", "weights": "fixed"}, "shards": [` +
		`{"index": 0, "from": 0, "to": 1, "circuit": "c0.zkc", "pk": "pk0", "vk": "vk0"}, {"index": 1, "from": 1, "to": 2, "circuit": "c1.zkc", "pk": "pk1", "vk": "vk1"}]}`
	if _, err := prover.ParseManifest([]byte(good)); err != nil {
		t.Fatalf("good manifest: %v", err)
	}
	for name, c := range map[string]struct {
		old, new string
		want     error
	}{
		"newer version":   {"shards.v1", "shards.v2", prover.ErrUnsupportedVersion},
		"unknown field":   {`"n_layer"`, `"x": 1, "n_layer"`, prover.ErrCorrupted},
		"gap":             {`"from": 1, "to": 2`, `"from": 2, "to": 2`, prover.ErrCorrupted},
		"short":           {`"n_layer": 2`, `"n_layer": 3`, prover.ErrCorrupted},
		"order":           {`"index": 1`, `"index": 0`, prover.ErrCorrupted},
		"path traversal":  {`"c1.zkc"`, `"../c1.zkc"`, prover.ErrCorrupted},
		"absolute path":   {`"pk0"`, `"/etc/pk0"`, prover.ErrCorrupted},
		"backend":         {`"groth16"`, `"stark"`, prover.ErrUnsupportedBackend},
		"shards v1 named": {`"n_layer": 2`, `"shards_version": 1, "n_layer": 2`, prover.ErrCorrupted},
		"shards v3":       {`"n_layer": 2`, `"shards_version": 3, "n_layer": 2`, prover.ErrCorrupted},
		"blocks > 256":    {`"n_layer": 2`, `"n_layer": 300`, prover.ErrCorrupted},
	} {
		data := strings.Replace(good, c.old, c.new, 1)
		if _, err := prover.ParseManifest([]byte(data)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A graph sharding counts nodes: up to quant.MaxGraphNodes.
	graph := strings.Replace(strings.Replace(good, `"n_layer": 2`, `"shards_version": 2, "n_layer": 300`, 1), `"from": 1, "to": 2`, `"from": 1, "to": 300`, 1)
	if m, err := prover.ParseManifest([]byte(graph)); err != nil || m.ShardsVersion != 2 {
		t.Fatalf("graph manifest of 300 nodes: %v", err)
	}
	if got := prover.ShardPath("out/proof.json", 3); got != "out/proof.shard-3.json" {
		t.Errorf("ShardPath = %q", got)
	}
}

// Committed weights are refused with shards, by name.
func TestCompileShardsRefusesCommitted(t *testing.T) {
	dir := t.TempDir()
	m := gpt2Tiny(t, 2, false)
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityCommitted}
	_, err := prover.CompileShards(m, 1, filepath.Join(dir, "c.zkc"), filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil, prover.WithVisibility(vis))
	if err == nil || !errors.Is(err, quant.ErrValidation) || !strings.Contains(err.Error(), "committed weights are not supported with shards") {
		t.Fatalf("committed shards: %v", err)
	}
}

// Sharded bundles carry three public tensors per shard (input, output, the
// shard's Poseidon2 commitment), so public weights (a fourth tensor) and
// committed weights (a BSB22 commitment, not the shard's Commit) can never
// verify: compiling such shards is refused before any setup is spent.
func TestCompileShardsRefusesWitnessWeightsTheyCannotVerify(t *testing.T) {
	dir := t.TempDir()
	circuit, pk, vk := filepath.Join(dir, "circuit.zkc"), filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key")
	rng := rand.New(rand.NewPCG(1, 2))
	g := graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "a", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 8), graphtest.Tensor(rng, 0.1, 8), true), In: []string{"x"}},
		graphtest.Node{Name: "y", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"a"}})
	m := gpt2Tiny(t, 2, false)
	for _, w := range []string{quant.VisibilityPublic, quant.VisibilityCommitted} {
		vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: w}
		for name, compile := range map[string]func() error{
			"gpt2 blocks": func() error {
				_, err := prover.CompileShards(m, 1, circuit, pk, vk, nil, prover.WithVisibility(vis))
				return err
			},
			"graph cut": func() error {
				_, err := prover.CompileGraphShards(g, []int{1}, circuit, pk, vk, nil, prover.WithVisibility(vis))
				return err
			},
		} {
			os.Remove(prover.ShardPath(circuit, 0))
			if err := compile(); err == nil || !strings.Contains(err.Error(), w+" weights") {
				t.Errorf("%s, %s weights: %v, want a refusal naming them", name, w, err)
			}
			if _, err := os.Stat(prover.ShardPath(circuit, 0)); err == nil {
				t.Errorf("%s, %s weights: a shard circuit was written", name, w)
			}
		}
	}
}

// With witness (hashed) weights two shards of the same architecture and
// scales compile to one circuit and share one key pair (compileShards),
// yet each shard has its own weights and commitment. The keys manifest
// must name each shard's commitment, not the one the shared key was
// compiled from: the registry registers exactly these commitments
// (contracts.ShardedRegistrationOf) and checks every shard proof against
// its own.
func TestKeysManifestSharedKeyKeepsEachShardsCommitment(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	g := graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "a", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"x"}})
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityHashed}
	c, err := prover.Compile(g, nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.WriteKeys(filepath.Join(dir, "pk.shard-0.key"), filepath.Join(dir, "vk.shard-0.key"), keys); err != nil {
		t.Fatal(err)
	}
	// Two shards on the one key, as compileShards writes them: each entry
	// names its own sub-model's commitment.
	other := "poseidon2:0x" + strings.Repeat("0", 63) + "7"
	man := &prover.ShardManifest{MediaType: prover.FormatShards, ModelCommitment: c.Header.Commitment, ShardsVersion: quant.GraphShardsVersion, NLayer: 2, Backend: prover.BackendGroth16, Visibility: vis}
	for i, commit := range []string{c.Header.Commitment, other} {
		man.Shards = append(man.Shards, prover.ShardEntry{Index: i, From: i, To: i + 1, CircuitDigest: c.Header.CircuitDigest, Commitment: commit, Visibility: vis,
			Circuit: "c.shard-0.zkc", PK: filepath.Join(dir, "pk.shard-0.key"), VK: filepath.Join(dir, "vk.shard-0.key")})
	}
	k, err := prover.NewKeysManifest(man)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range k.Shards {
		if e.Key.Commitment != man.Shards[i].Commitment {
			t.Errorf("shard %d: the keys manifest names commitment %s, the shard's is %s", i, e.Key.Commitment, man.Shards[i].Commitment)
		}
		if e.VKDigest != k.Shards[0].VKDigest {
			t.Errorf("shard %d: key %s, not the shared key %s", i, e.VKDigest, k.Shards[0].VKDigest)
		}
	}
	// With fixed weights the key is the model's: a shard of another
	// commitment on it is refused.
	fixed := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}
	fc, err := prover.Compile(g, nil, prover.WithVisibility(fixed))
	if err != nil {
		t.Fatal(err)
	}
	fk, err := prover.SetupDev(fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.WriteKeys(filepath.Join(dir, "pk.fixed.key"), filepath.Join(dir, "vk.fixed.key"), fk); err != nil {
		t.Fatal(err)
	}
	man.Visibility = fixed
	for i := range man.Shards {
		man.Shards[i].Visibility, man.Shards[i].CircuitDigest, man.Shards[i].VK = fixed, fc.Header.CircuitDigest, filepath.Join(dir, "vk.fixed.key")
	}
	if _, err := prover.NewKeysManifest(man); err == nil {
		t.Error("a fixed-weights key pinned for a shard of another commitment")
	}
}

// A visibility in its command-line form (the one part named, as generate
// --input-visibility ids=private passes it) is recorded in the manifest in
// its canonical form, the one each shard's circuit header records, so the
// manifest's shard visibilities are the headers' (else the keys manifest
// is refused as corrupted and the sharded bundle by its own keys).
func TestCompileShardsResolvesVisibility(t *testing.T) {
	dir := t.TempDir()
	m := gpt2Tiny(t, 2, false)
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed,
		InputParts: quant.NewPartVisibility([]quant.PartVis{{Name: "input", Visibility: quant.VisibilityPrivate}})}
	man, err := prover.CompileShards(m, 1, filepath.Join(dir, "c.zkc"), filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	if want := (quant.Visibility{Input: quant.VisibilityPrivate, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}); man.Visibility != want {
		t.Fatalf("manifest visibility %+v, want %+v", man.Visibility, want)
	}
	for i, e := range man.Shards {
		c, err := prover.ReadCircuit(filepath.Join(dir, e.Circuit))
		if err != nil {
			t.Fatal(err)
		}
		if *c.Header.Visibility != e.Visibility {
			t.Fatalf("shard %d: manifest visibility %+v, circuit header %+v", i, e.Visibility, *c.Header.Visibility)
		}
	}
}
