package verifier_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// Aggregated bundles of graph cut shardings (ShardsCommitment v2), with the
// stand-in outer proof of aggregated_test.go: the bundle names its shards
// version, its boundary tensors may be parts (a graph's index inputs), and
// both levels verify against the pinned keys.

// proveAggregatable proves every graph shard on x for aggregation.
func (gs *graphSharded) proveAggregatable(t *testing.T, x [][]int64) *verifier.ShardedBundle {
	t.Helper()
	trs := chained(t, gs.subs, x)
	sb := &verifier.ShardedBundle{MediaType: verifier.ShardedMediaType, ModelDigest: gs.man.ModelDigest, ModelCommitment: gs.man.ModelCommitment,
		ShardsCommitment: gs.man.ShardsCommitment, ShardsVersion: gs.man.ShardsVersion, NLayer: gs.man.NLayer, NShards: len(gs.subs), Visibility: gs.vis,
		ProofHash: prover.ProofHashMiMC}
	for i, sub := range gs.subs {
		salts, err := modelio.RandomSalts()
		if err != nil {
			t.Fatal(err)
		}
		k := gs.keys[i]
		proof, err := prover.Prove(gs.cs[i], k.PK, k.PKHeader, sub, trs[i], nil, prover.WithSalts(salts), prover.WithAggregatable())
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		b, err := verifier.NewBundle(sub, gs.cs[i], k.VK, k.VKHeader, proof, trs[i])
		if err != nil {
			t.Fatal(err)
		}
		sh, err := verifier.NewShard(b, i, len(gs.subs), gs.ranges[i])
		if err != nil {
			t.Fatal(err)
		}
		sb.Shards = append(sb.Shards, sh)
	}
	return sb
}

// boundaryElement is the public input a hashed boundary tensor stands for.
func boundaryElement(t *testing.T, x verifier.Tensor) fr.Element {
	t.Helper()
	var (
		e   fr.Element
		err error
	)
	switch x.Encoding {
	case verifier.EncodingHashedInt8:
		e, err = quant.HashPacked(x.Values, nil)
	case verifier.EncodingHashedParts:
		var values [][]int64
		if values, err = quant.SplitParts(x.Parts, x.Values); err == nil {
			e, err = quant.HashParts(x.Parts, values, nil)
		}
	default:
		t.Fatalf("tensor %q is %s", x.Name, x.Encoding)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// graphStatement is what the aggregator proves for a graph sharded bundle.
func graphStatement(t *testing.T, sb *verifier.ShardedBundle) [3]fr.Element {
	t.Helper()
	var st [3]fr.Element
	st[0] = boundaryElement(t, sb.Shards[0].Bundle.PublicInputs[0])
	st[1] = boundaryElement(t, sb.Shards[len(sb.Shards)-1].Bundle.PublicInputs[1])
	if _, err := st[2].SetString(strings.TrimPrefix(sb.ShardsCommitment, quant.CommitmentPrefix)); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestGraphAggregated(t *testing.T) {
	if testing.Short() {
		t.Skip("proves 6 small shards")
	}
	outer := newOuterKeys(t)
	for _, c := range []struct {
		name  string
		m     *quant.Model
		cuts  []string
		x     func(*quant.Model) [][]int64
		parts bool
	}{
		// Cut sets of two tensors (parts chain) and one (legacy chain).
		{"mlp", residualMLP(t), []string{"a", "r"}, func(m *quant.Model) [][]int64 {
			return graphtest.Inputs(rand.New(rand.NewPCG(3, 4)), m, 1)[4]
		}, false},
		// Token ids in (an index part), the completion out, the ids carried
		// across the cuts beside the stream.
		{"lm", first(tinyLM(t)), []string{"h1", "h2"}, func(*quant.Model) [][]int64 {
			_, logits := tinyLM(t)
			return greedyIDs(t, logits, 3, 14)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			bounds, err := c.m.Graph.CutsByName(c.cuts)
			if err != nil {
				t.Fatal(err)
			}
			gs := newGraphSharded(t, c.m, bounds, quant.DefaultVisibility)
			keys := gs.keysManifest(t)
			sb := clone(t, gs.proveAggregatable(t, c.x(c.m)))
			if _, err := verifier.VerifySharded(sb, keys, "keys"); err != nil {
				t.Fatalf("the aggregatable graph sharded bundle: %v", err)
			}
			st := graphStatement(t, sb)
			ab, err := verifier.NewAggregated(sb, keys, "sha256:"+strings.Repeat("cd", 32), outer.vk, prover.SetupDevUnsafe, "", outer.prove(t, st), st, false)
			if err != nil {
				t.Fatal(err)
			}
			data, err := ab.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), `"shards_version": 2`) {
				t.Fatal("the aggregated bundle does not name shards version 2")
			}
			ab = reparseAgg(t, ab)
			if got := len(ab.Input.Parts) > 0; got != c.parts {
				t.Fatalf("input tensor %s with %d parts", ab.Input.Encoding, len(ab.Input.Parts))
			}
			res, err := verifier.VerifyAggregated(ab, outer.vk, keys.ShardsCommitment, keys, "keys", ab.Sharded)
			if err != nil {
				t.Fatal(err)
			}
			if res.Shards == nil || len(res.Shards.Shards) != 3 || res.Shards.ShardsVersion != quant.GraphShardsVersion {
				t.Fatalf("both levels: %+v", res)
			}
			rejects := []struct {
				name   string
				mutate func(*verifier.AggregatedBundle) *verifier.ShardedBundle
				want   error
			}{
				{"shards version dropped", func(a *verifier.AggregatedBundle) *verifier.ShardedBundle {
					a.ShardsVersion = 0
					return a.Sharded
				}, verifier.ErrKeyMismatch},
				{"input value changed", func(a *verifier.AggregatedBundle) *verifier.ShardedBundle {
					a.Input.Values[0] ^= 1
					return a.Sharded
				}, verifier.ErrRejected},
				{"output value changed", func(a *verifier.AggregatedBundle) *verifier.ShardedBundle {
					a.Output.Values[len(a.Output.Values)-1] ^= 1
					return a.Sharded
				}, verifier.ErrRejected},
				{"shards reordered", func(a *verifier.AggregatedBundle) *verifier.ShardedBundle {
					a.Sharded.Shards[1], a.Sharded.Shards[2] = a.Sharded.Shards[2], a.Sharded.Shards[1]
					return a.Sharded
				}, verifier.ErrShardBundle},
			}
			for _, r := range rejects {
				a := reparseAgg(t, ab)
				sb := r.mutate(a)
				if _, err := verifier.VerifyAggregated(a, outer.vk, keys.ShardsCommitment, keys, "keys", sb); !errors.Is(err, r.want) {
					t.Errorf("%s: %v, want %v", r.name, err, r.want)
				}
			}
			// Without the keys manifest, a bundle claiming version 1 is
			// refused at the shard level.
			a := reparseAgg(t, ab)
			a.ShardsVersion = 0
			if _, err := verifier.VerifyAggregated(a, outer.vk, "", nil, "", a.Sharded); err != nil {
				t.Fatalf("outer level only: %v", err)
			}
			if err := verifier.CheckShardBundles(a, a.Sharded); !errors.Is(err, verifier.ErrShardBundle) {
				t.Errorf("version dropped, shard bundles: %v", err)
			}
		})
	}
	// A version-1 aggregated bundle names no shards version.
	f := newAggFixture(t)
	data, err := f.ab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "shards_version") {
		t.Fatal("a version-1 aggregated bundle names a shards version")
	}
}
