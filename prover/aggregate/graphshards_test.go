package aggregate

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// residualMLP is x [2, 8] → a = relu(x·W1) → b = a·W2 → r = x + b →
// y = r·W3 [2, 4], b and r quantized as one node "b+r" (linear_residual):
// cut at [1, 2], the cut after a carries x and a (two tensors, the parts
// chain hash), the cut after r one tensor (the legacy chain hash).
func residualMLP(t testing.TB) *quant.Model {
	rng := rand.New(rand.NewPCG(5, 6))
	return graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "a", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 16), graphtest.Tensor(rng, 0.1, 16), true), In: []string{"x"}},
		graphtest.Node{Name: "b", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 16, 8), graphtest.Tensor(rng, 0.1, 8), false), In: []string{"a"}},
		graphtest.Node{Name: "r", Op: &ops.Binary{Op: "add"}, In: []string{"x", "b"}},
		graphtest.Node{Name: "y", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"r"}})
}

// graphShardProofs compiles the residual MLP in three shards (default
// visibility: hashed input and output, fixed weights), sets each up and
// proves it for aggregation; it returns the shards, the manifest and the
// sharding the outer circuit takes.
func graphShardProofs(t *testing.T, bounds ...int) ([]Shard, *prover.ShardManifest, Sharding) {
	t.Helper()
	if bounds == nil {
		bounds = []int{1, 2}
	}
	m := residualMLP(t)
	dir := t.TempDir()
	man, err := prover.CompileGraphShards(m, bounds, filepath.Join(dir, "c.zkc"), filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := quant.Commit(m)
	if err != nil {
		t.Fatal(err)
	}
	if quant.FormatCommitment(whole) != man.ModelCommitment {
		t.Fatalf("manifest model commitment %s", man.ModelCommitment)
	}
	x := graphtest.Inputs(rand.New(rand.NewPCG(3, 4)), m, 1)[4]
	var shards []Shard
	var prev *quant.Trace
	for i, e := range man.Shards {
		sub, err := m.GraphShard(e.From, e.To)
		if err != nil {
			t.Fatal(err)
		}
		cur := x
		if i > 0 {
			if cur, err = sub.ShardInput(prev.OutputParts()); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := sub.Forward(cur)
		if err != nil {
			t.Fatal(err)
		}
		prev = tr
		c, err := prover.ReadCircuit(filepath.Join(dir, e.Circuit))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		sh := provedShard(t, c, keys, sub, tr, quant.ShardRange{From: e.From, To: e.To})
		shards = append(shards, sh)
		t.Logf("shard %d (nodes %d:%d, cut %v): %d constraints, %d public inputs", i, e.From, e.To, e.Cut, c.CS.GetNbConstraints(), len(sh.Public))
	}
	return shards, man, Sharding{Version: quant.GraphShardsVersion, Model: whole}
}

// TestGraphShards takes the real shard circuits of a layer graph cut in
// three (cut sets of two tensors and of one) proven for aggregation, and
// checks that CheckSharding accepts them with the shards commitment the
// manifest names (quant.GraphShardsCommitment), that version 1 or another
// model commitment gives another statement, and that a shard proof of
// another input breaks the chain. Real tiny proofs, seconds.
func TestGraphShards(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up and proves three small shards")
	}
	shards, man, sh := graphShardProofs(t)
	st, err := CheckSharding(sh, man.NLayer, shards)
	if err != nil {
		t.Fatal(err)
	}
	if got := quant.FormatCommitment(st.ShardsCommitment); got != man.ShardsCommitment {
		t.Fatalf("statement's shards commitment %s, the manifest's %s", got, man.ShardsCommitment)
	}
	if v1, err := Check(man.NLayer, shards); err != nil || quant.FormatCommitment(v1.ShardsCommitment) == man.ShardsCommitment {
		t.Fatalf("the v1 commitment of graph shards: %v (must differ from the manifest's)", err)
	}
	other := sh
	other.Model.SetUint64(1)
	if o, err := CheckSharding(other, man.NLayer, shards); err != nil || quant.FormatCommitment(o.ShardsCommitment) == man.ShardsCommitment {
		t.Fatalf("another model commitment: %v", err)
	}
	// Shard 1's public inputs tampered: its proof no longer verifies.
	bad := append([]Shard(nil), shards...)
	bad[1].Public = append([]fr.Element(nil), bad[1].Public...)
	bad[1].Public[0].SetUint64(3)
	if _, err := CheckSharding(sh, man.NLayer, bad); !errors.Is(err, ErrRejected) {
		t.Fatalf("tampered boundary: %v", err)
	}
	// A shard dropped, its successor moved up: the ranges and the chain
	// break.
	if _, err := CheckSharding(sh, man.NLayer, []Shard{shards[0], shards[2]}); !errors.Is(err, ErrRejected) {
		t.Fatalf("a shard dropped: %v", err)
	}
}

// TestRealGraphShards compiles the real outer circuit of the residual MLP
// in three graph shards (ShardsCommitment v2) and checks the honest
// assignment satisfies it and the v1 commitment of the same shards does
// not. ZKINFER_AGG only: a ~5 M-constraint compile. ZKINFER_AGG=prove
// takes the MLP in two shards (cut after a: the two-tensor cut set) and
// also runs the outer dev setup, proves (Outer.Prove, which verifies the
// outer proof) and checks that the proof does not verify for the v1
// statement: about 3.3 M constraints, tens of minutes and ~8 GiB.
func TestRealGraphShards(t *testing.T) {
	mode := os.Getenv("ZKINFER_AGG")
	if mode == "" {
		t.Skip("ZKINFER_AGG not set: the recursive compile takes minutes and GiBs")
	}
	var bounds []int
	if mode == "prove" {
		bounds = []int{1}
	}
	shards, man, sh := graphShardProofs(t, bounds...)
	oc, err := NewShardingCircuit(sh, man.NLayer, ranges(shards), keys(shards))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, oc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outer (graph, %d shards): %d constraints, compile %v", len(shards), ccs.GetNbConstraints(), time.Since(t0))
	a, st, err := oc.Assign(shards)
	if err != nil {
		t.Fatal(err)
	}
	if quant.FormatCommitment(st.ShardsCommitment) != man.ShardsCommitment {
		t.Fatalf("statement %s, manifest %s", quant.FormatCommitment(st.ShardsCommitment), man.ShardsCommitment)
	}
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	if err := ccs.IsSolved(w); err != nil {
		t.Fatalf("real graph shards: %v", err)
	}
	t.Logf("solved in %v", time.Since(t0))
	// The version-1 commitment of the same shards does not satisfy it.
	v1, err := Check(man.NLayer, shards)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := oc.assign(shards, v1)
	if err != nil {
		t.Fatal(err)
	}
	if w, err = frontend.NewWitness(bad, field); err != nil {
		t.Fatal(err)
	}
	if err := ccs.IsSolved(w); err == nil {
		t.Fatal("the v1 shards commitment satisfied the v2 outer circuit")
	}
	if mode != "prove" {
		return
	}
	t0 = time.Now()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outer dev setup %v", time.Since(t0))
	o := &Outer{Circuit: oc, CCS: ccs, PK: pk, VK: vk}
	t0 = time.Now()
	proof, pst, err := o.Prove(shards, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outer prove (and verify) %v", time.Since(t0))
	if pst != st {
		t.Fatalf("proved statement %v, want %v", pst, st)
	}
	if err := VerifyOuter(proof, vk, v1); !errors.Is(err, ErrRejected) {
		t.Fatalf("the outer proof under the v1 statement: %v", err)
	}
}
