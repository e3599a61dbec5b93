package farm_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/prover/farm"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// Graph cut shardings (ShardsVersion 2) on the farm: the shards of a layer
// graph go to the workers like gpt2 block shards, their inputs as the
// sub-models take them (parts where a cut set is several tensors).

// residualMLP is x [2, 8] → a = relu(x·W1) → b = a·W2 → r = x + b →
// y = r·W3 [2, 4]; cut after a and r, the first cut set holds x and a.
func residualMLP(t *testing.T) *quant.Model {
	rng := rand.New(rand.NewPCG(5, 6))
	return graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "a", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 16), graphtest.Tensor(rng, 0.1, 16), true), In: []string{"x"}},
		graphtest.Node{Name: "b", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 16, 8), graphtest.Tensor(rng, 0.1, 8), false), In: []string{"a"}},
		graphtest.Node{Name: "r", Op: &ops.Binary{Op: "add"}, In: []string{"x", "b"}},
		graphtest.Node{Name: "y", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"r"}})
}

var (
	graphOnce sync.Once
	graphS    *sharded
)

// newGraphSharded compiles the residual MLP in three graph shards (hashed
// input, private output, fixed weights) with dev keys, once per binary.
func newGraphSharded(t *testing.T) *sharded {
	t.Helper()
	graphOnce.Do(func() {
		m := residualMLP(t)
		bounds, err := m.Graph.CutsByName([]string{"a", "r"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp(shardedDir, "graph")
		if err != nil {
			t.Fatal(err)
		}
		vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}
		circuit := filepath.Join(dir, "circuit.zkc")
		man, err := prover.CompileGraphShards(m, bounds, circuit, filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil, prover.WithVisibility(vis))
		if err != nil {
			t.Fatal(err)
		}
		man, keys := setupShards(t, circuit, man)
		x := graphtest.Inputs(rand.New(rand.NewPCG(3, 4)), m, 1)[4]
		graphS = &sharded{model: m, man: man, keys: keys, x: x}
	})
	if graphS == nil {
		t.Fatal("the graph shards were not built")
	}
	c := *graphS.man
	c.Shards = slices.Clone(graphS.man.Shards)
	return &sharded{model: graphS.model, man: &c, keys: graphS.keys, x: graphS.x}
}

// Three graph shards proved by two workers: the bundle verifies with the
// pinned keys, its output is the unsharded model's bit for bit, and the
// private output opens with the returned salt.
func TestProveGraphOnFarm(t *testing.T) {
	s := newGraphSharded(t)
	if s.man.ShardsVersion != quant.GraphShardsVersion {
		t.Fatalf("manifest version %d", s.man.ShardsVersion)
	}
	url, f := startFarm(t)
	startWorkers(t, url, 2)
	res, err := f.Prove(deadline(t), s.request(t))
	if err != nil {
		t.Fatal(err)
	}
	sb := res.Bundle
	if sb.ShardsVersion != quant.GraphShardsVersion || len(sb.Shards) != 3 {
		t.Fatalf("bundle: version %d, %d shards", sb.ShardsVersion, len(sb.Shards))
	}
	vr, err := verifier.VerifySharded(sb, s.keys, "keys manifest")
	if err != nil {
		t.Fatal(err)
	}
	if !vr.Pinned || vr.ShardsVersion != quant.GraphShardsVersion {
		t.Fatalf("verified: %+v", vr)
	}
	if err := verifier.VerifyShardedModel(sb, s.keys, s.model, nil); err != nil {
		t.Fatal(err)
	}
	if enc := sb.Shards[1].Bundle.PublicInputs[0].Encoding; enc != verifier.EncodingChainParts {
		t.Fatalf("the two-tensor cut is %s", enc)
	}
	want, err := s.model.Forward(s.x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(res.Trace.OutputParts(), want.OutputParts(), slices.Equal[[]int64]) {
		t.Fatalf("farm output %v, unsharded %v", res.Trace.OutputParts(), want.OutputParts())
	}
	if err := openOutput(sb.Shards[2].Bundle, want.OutputParts(), res.Salts); err != nil {
		t.Fatal(err)
	}
	if got, w := res.Last.OutputValues(res.Trace), s.model.OutputValues(want); !slices.Equal(got, w) {
		t.Fatalf("output values %v, want %v", got, w)
	}
	// A rerun proves nothing again.
	res2, err := f.Prove(deadline(t), s.request(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res2.Reused, []int{0, 1, 2}) {
		t.Fatalf("rerun: reused %v", res2.Reused)
	}
}

// A dishonest worker: shard 1's proof is tampered after proving, or its
// result claims another cut; the submitter rejects the result.
func TestGraphWrongProofRejected(t *testing.T) {
	s := newGraphSharded(t)
	for _, c := range []struct {
		name   string
		tamper func(*verifier.ShardedBundle)
		msg    string
	}{
		{"proof bytes", func(sb *verifier.ShardedBundle) { sb.Shards[0].Bundle.Proof[40] ^= 1 }, "does not verify"},
		{"other cut", func(sb *verifier.ShardedBundle) {
			in := &sb.Shards[0].Bundle.PublicInputs[0]
			in.Commitment = sb.Shards[0].Bundle.PublicInputs[1].Commitment
		}, "not the hash of the activation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, f := startFarm(t)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			t.Cleanup(func() { cancel(); wg.Wait() })
			wf, err := farm.Connect(ctx, farm.Options{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(wf.Close)
			cfg := farm.WithTamper(farm.WorkerConfig{Name: "mallory", Concurrency: 1, Cache: farm.Cache{Dir: t.TempDir()}, AckWait: 5 * time.Second, Logf: t.Logf},
				func(shard int, result []byte) []byte {
					if shard != 1 {
						return result
					}
					sb, err := verifier.ParseSharded(result)
					if err != nil {
						t.Error(err)
						return result
					}
					c.tamper(sb)
					out, err := sb.Encode()
					if err != nil {
						t.Error(err)
					}
					return out
				})
			wg.Go(func() {
				if err := wf.RunWorker(ctx, cfg); err != nil {
					t.Error(err)
				}
			})
			_, err = f.Prove(deadline(t), s.request(t))
			if !errors.Is(err, farm.ErrBadResult) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %v: %s", err, farm.ErrBadResult, c.msg)
			}
		})
	}
}
