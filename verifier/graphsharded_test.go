package verifier_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// Cut sharding of layer graphs (ShardsVersion 2): a small residual MLP and
// a tiny greedy-completion LM, sharded 2 and 3 ways, prove bit-exact to the
// unsharded integer reference and verify against pinned keys; swapped,
// reordered, dropped, tampered and unchained shards are rejected.

// residualMLP is x [2, 8] → a = relu(x·W1) [2, 16] → b = a·W2 [2, 8] →
// r = x + b → y = r·W3 [2, 4], b and r quantized as one node "b+r"
// (linear_residual): x is live across the cut inside the residual branch
// (after a), so that cut set holds two tensors.
func residualMLP(t *testing.T) *quant.Model {
	rng := rand.New(rand.NewPCG(5, 6))
	return graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "a", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 16), graphtest.Tensor(rng, 0.1, 16), true), In: []string{"x"}},
		graphtest.Node{Name: "b", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 16, 8), graphtest.Tensor(rng, 0.1, 8), false), In: []string{"a"}},
		graphtest.Node{Name: "r", Op: &ops.Binary{Op: "add"}, In: []string{"x", "b"}},
		graphtest.Node{Name: "y", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"r"}})
}

// smallCNN is x [1, 1, 8, 8] → conv 4×3×3 (pad 1) → relu → max pool 2 →
// flatten [1, 64] → linear → y [1, 4].
func smallCNN(t *testing.T) *quant.Model {
	rng := rand.New(rand.NewPCG(9, 10))
	return graphtest.Chain(t, rng, []int{1, 1, 8, 8},
		graphtest.Node{Name: "c", Op: ops.NewConv(graphtest.Tensor(rng, 0.6, 4, 1, 3, 3), graphtest.Tensor(rng, 0.1, 4), ops.Window{Pads: []int{1, 1, 1, 1}}, 1, false), In: []string{"x"}},
		graphtest.Node{Name: "r", Op: &ops.ReLU{}, In: []string{"c"}},
		graphtest.Node{Name: "p", Op: ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false), In: []string{"r"}},
		graphtest.Node{Name: "f", Op: &ops.Reshape{Shape: []int{1, 64}}, In: []string{"p"}},
		graphtest.Node{Name: "y", Op: ops.NewLinear(graphtest.Tensor(rng, 0.3, 64, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"f"}})
}

// tinyLM is a greedy-completion model: ids [1, 5] (vocabulary 16) →
// embedding → two linears → head → next_tokens (prompt 2, 4 new tokens),
// and the logits model it extends.
func tinyLM(t *testing.T) (*quant.Model, *quant.Model) {
	rng := rand.New(rand.NewPCG(7, 8))
	const v = 16
	lm := graphtest.TokenLM(t, rng, 5, v,
		graphtest.Node{Name: "e", Op: ops.NewGather(graphtest.Tensor(rng, 1, v, 4)), In: []string{"ids"}},
		graphtest.Node{Name: "h1", Op: ops.NewLinear(graphtest.Tensor(rng, 0.7, 4, 8), graphtest.Tensor(rng, 0.1, 8), true), In: []string{"e"}},
		graphtest.Node{Name: "h2", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"h1"}},
		graphtest.Node{Name: "logits", Op: ops.NewLinear(graphtest.Tensor(rng, 1, 4, v), graphtest.Tensor(rng, 0.5, v), false), In: []string{"h2"}})
	m, err := ops.NextTokensModel(lm, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	return m, lm
}

// greedyIDs is the prompt followed by lm's greedy completion, to 5 ids.
func greedyIDs(t *testing.T, lm *quant.Model, prompt ...int64) [][]int64 {
	t.Helper()
	ids := make([]int64, 5)
	copy(ids, prompt)
	for p := len(prompt); p < len(ids); p++ {
		tr, err := lm.Forward([][]int64{ids})
		if err != nil {
			t.Fatal(err)
		}
		ids[p] = ops.Greedy(tr.Outputs[0], 16, p-1, 1)[0]
	}
	return [][]int64{ids}
}

// chained runs the shards of m over ranges one after the other on input x
// and returns every shard's trace.
func chained(t *testing.T, subs []*quant.Model, x [][]int64) []*quant.Trace {
	t.Helper()
	var trs []*quant.Trace
	cur := x
	for i, sub := range subs {
		if i > 0 {
			var err error
			if cur, err = sub.ShardInput(trs[i-1].OutputParts()); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := sub.Forward(cur)
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		trs = append(trs, tr)
	}
	return trs
}

func graphShards(t *testing.T, m *quant.Model, bounds []int) ([]quant.ShardRange, []*quant.Model) {
	t.Helper()
	ranges, err := quant.GraphShardRanges(len(m.Graph.Nodes), bounds)
	if err != nil {
		t.Fatal(err)
	}
	subs := make([]*quant.Model, len(ranges))
	for i, r := range ranges {
		if subs[i], err = m.GraphShard(r.From, r.To); err != nil {
			t.Fatal(err)
		}
	}
	return ranges, subs
}

// The shards' forward passes chained are the model's, bit for bit, on
// extreme and random inputs, for every 2- and 3-way cut.
func TestGraphShardsChainBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		m    *quant.Model
	}{{"mlp", residualMLP(t)}, {"cnn", smallCNN(t)}, {"lm", first(tinyLM(t))}} {
		m, n := c.m, len(c.m.Graph.Nodes)
		var inputs [][][]int64
		if c.name == "lm" {
			_, lm := tinyLM(t)
			for range 6 {
				inputs = append(inputs, greedyIDs(t, lm, rng.Int64N(16), rng.Int64N(16)))
			}
		} else {
			inputs = graphtest.Inputs(rng, m, 4)
		}
		for a := 1; a < n; a++ {
			for b := a; b <= n; b++ {
				bounds := []int{a}
				if b > a && b < n {
					bounds = append(bounds, b)
				} else if b != n {
					continue
				}
				_, subs := graphShards(t, m, bounds)
				for k, x := range inputs {
					want, err := m.Forward(x)
					if err != nil {
						t.Fatal(err)
					}
					trs := chained(t, subs, x)
					got := trs[len(trs)-1].OutputParts()
					if !slices.EqualFunc(got, want.OutputParts(), slices.Equal[[]int64]) {
						t.Fatalf("%s cut at %v, input %d: chained %v, model %v", c.name, bounds, k, got, want.OutputParts())
					}
				}
			}
		}
	}
	// The LM's cut after the first linear carries the ids too (next_tokens
	// reads them) as a second, index part. (Node 1 is the row slice
	// NextTokensModel puts before the row-uniform tail.)
	m, _ := tinyLM(t)
	f, err := m.Graph.Frontier(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 2 || m.Graph.Values[f[0]].Name != "ids" || m.Graph.Values[f[1]].Name != "h1" {
		t.Fatalf("LM frontier after h1: %v", f)
	}
	// Cuts by name, balanced cuts, and bad cuts.
	if b, err := m.Graph.CutsByName([]string{"h2", "e"}); err != nil || !slices.Equal(b, []int{1, 4}) {
		t.Fatalf("cuts by name: %v %v", b, err)
	}
	for _, bad := range [][]string{{"nope"}, {"next_tokens"}, {"h1", "h1"}} {
		if _, err := m.Graph.CutsByName(bad); err == nil {
			t.Errorf("cut %v accepted", bad)
		}
	}
	if b, err := m.BalancedCuts(3, quant.DefaultVisibility); err != nil || len(b) != 2 || b[0] < 1 || b[1] <= b[0] || b[1] >= len(m.Graph.Nodes) {
		t.Fatalf("balanced cuts: %v %v", b, err)
	}
	if _, err := m.BalancedCuts(len(m.Graph.Nodes)+1, quant.DefaultVisibility); err == nil {
		t.Fatal("more shards than nodes accepted")
	}
}

// graphSharded is a graph model compiled and set up shard by shard.
type graphSharded struct {
	m      *quant.Model
	vis    quant.Visibility
	ranges []quant.ShardRange
	subs   []*quant.Model
	man    *prover.ShardManifest
	cs     []*prover.Circuit
	keys   []*prover.Keys
}

func newGraphSharded(t *testing.T, m *quant.Model, bounds []int, vis quant.Visibility) *graphSharded {
	t.Helper()
	dir := t.TempDir()
	man, err := prover.CompileGraphShards(m, bounds, dir+"/c.zkc", dir+"/pk.key", dir+"/vk.key", nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	if man.ShardsVersion != quant.GraphShardsVersion || man.NLayer != len(m.Graph.Nodes) {
		t.Fatalf("manifest: version %d, %d nodes", man.ShardsVersion, man.NLayer)
	}
	gs := &graphSharded{m: m, vis: vis, man: man}
	gs.ranges, gs.subs = graphShards(t, m, bounds)
	for i := range gs.subs {
		c, err := prover.ReadCircuit(dir + "/" + man.Shards[i].Circuit)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		gs.cs, gs.keys = append(gs.cs, c), append(gs.keys, keys)
	}
	return gs
}

func (gs *graphSharded) keysManifest(t *testing.T) *prover.KeysManifest {
	t.Helper()
	k := &prover.KeysManifest{MediaType: prover.FormatKeys, ModelDigest: gs.man.ModelDigest, ModelCommitment: gs.man.ModelCommitment,
		ShardsCommitment: gs.man.ShardsCommitment, ShardsVersion: gs.man.ShardsVersion, NLayer: gs.man.NLayer, Backend: prover.BackendGroth16, Visibility: gs.vis}
	for i, keys := range gs.keys {
		e, err := prover.NewKeyEntry(i, gs.ranges[i], keys.VK, keys.VKHeader)
		if err != nil {
			t.Fatal(err)
		}
		k.Shards = append(k.Shards, e)
	}
	// What setup --shards writes reads back.
	data, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prover.ParseKeysManifest(data); err != nil {
		t.Fatal(err)
	}
	return k
}

// prove proves every shard on x and returns the sharded bundle and the
// shards' traces.
func (gs *graphSharded) prove(t *testing.T, x [][]int64) (*verifier.ShardedBundle, []*quant.Trace) {
	t.Helper()
	trs := chained(t, gs.subs, x)
	sb := &verifier.ShardedBundle{MediaType: verifier.ShardedMediaType, ModelDigest: gs.man.ModelDigest, ModelCommitment: gs.man.ModelCommitment,
		ShardsCommitment: gs.man.ShardsCommitment, ShardsVersion: gs.man.ShardsVersion, NLayer: gs.man.NLayer, NShards: len(gs.subs), Visibility: gs.vis}
	for i, sub := range gs.subs {
		salts, err := modelio.RandomSalts()
		if err != nil {
			t.Fatal(err)
		}
		k := gs.keys[i]
		proof, err := prover.Prove(gs.cs[i], k.PK, k.PKHeader, sub, trs[i], nil, prover.WithSalts(salts))
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
	return sb, trs
}

// roundTrip encodes and parses a sharded bundle (what a verifier reads).
func roundTrip(t *testing.T, sb *verifier.ShardedBundle) *verifier.ShardedBundle {
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

func TestGraphShardedProveVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("proves 6 small shards")
	}
	public := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}

	// The residual MLP in three shards (cut sets of one and two tensors).
	mlp := residualMLP(t)
	gs := newGraphSharded(t, mlp, []int{1, 2}, public)
	keys := gs.keysManifest(t)
	rng := rand.New(rand.NewPCG(3, 4))
	x := graphtest.Inputs(rng, mlp, 1)[4]
	sb, trs := gs.prove(t, x)
	sb = roundTrip(t, sb)
	res, err := verifier.VerifySharded(sb, keys, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.ShardsVersion != quant.GraphShardsVersion || len(res.Shards) != 3 {
		t.Fatalf("result: %+v", res)
	}
	want, err := mlp.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	last := sb.Shards[2].Bundle.PublicInputs[1]
	if !slices.Equal(last.Values, want.OutputParts()[0]) || !slices.Equal(sb.Shards[0].Bundle.PublicInputs[0].Values, quant.Flatten(x)) {
		t.Fatalf("the bundle's statement is not the model's: output %v, want %v", last.Values, want.OutputParts()[0])
	}
	if sb.Shards[1].Bundle.PublicInputs[0].Encoding != verifier.EncodingChainParts {
		t.Fatalf("the two-tensor cut is %s", sb.Shards[1].Bundle.PublicInputs[0].Encoding)
	}
	if err := verifier.VerifyShardedModel(sb, keys, mlp, nil); err != nil {
		t.Fatal(err)
	}
	_ = trs

	rejected := func(name string, sb *verifier.ShardedBundle, want error) {
		t.Helper()
		if _, err := verifier.VerifySharded(roundTrip(t, sb), keys, "test"); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	clone := func() *verifier.ShardedBundle { return roundTrip(t, sb) }
	// Swapped proofs: shard 0's proof in shard 1's place and back.
	s := clone()
	s.Shards[0].Bundle.Proof, s.Shards[1].Bundle.Proof = s.Shards[1].Bundle.Proof, s.Shards[0].Bundle.Proof
	rejected("swapped proofs", s, verifier.ErrRejected)
	// Reordered shards.
	s = clone()
	s.Shards[1], s.Shards[2] = s.Shards[2], s.Shards[1]
	rejected("reordered", s, verifier.ErrShardOrder)
	// A dropped shard.
	s = clone()
	s.Shards = s.Shards[:2]
	rejected("dropped", s, verifier.ErrIncomplete)
	// A tampered output value of the last shard.
	s = clone()
	s.Shards[2].Bundle.PublicInputs[1].Values[0] ^= 1
	rejected("tampered output", s, verifier.ErrRejected)
	// A tampered chain hash (both sides, so only the proofs can tell).
	s = clone()
	s.Shards[0].Bundle.PublicInputs[1].Commitment = s.Shards[1].Bundle.PublicInputs[1].Commitment
	s.Shards[1].Bundle.PublicInputs[0].Commitment = s.Shards[1].Bundle.PublicInputs[1].Commitment
	rejected("tampered chain", s, verifier.ErrRejected)
	// The chain broken: shard 1 proved on another input.
	other, _ := gs.prove(t, graphtest.Inputs(rng, mlp, 1)[0])
	s = clone()
	s.Shards[1] = roundTrip(t, other).Shards[1]
	rejected("chain broken", s, verifier.ErrChain)
	// A sharding claimed for another model commitment.
	s = clone()
	s.ModelCommitment = sb.Shards[0].Bundle.ModelCommitment
	if _, err := verifier.VerifySharded(s, keys, "test"); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Errorf("another model: %v", err)
	}
	if _, err := verifier.VerifySharded(s, nil, "test", verifier.InsecureUnpinned()); !errors.Is(err, verifier.ErrShardsCommitment) {
		t.Errorf("another model, unpinned: %v", err)
	}

	// Private input and output, balanced in two: the model's salted
	// commitments at the ends, the chain unsalted in between.
	b2, err := mlp.BalancedCuts(2, quant.DefaultVisibility)
	if err != nil {
		t.Fatal(err)
	}
	private := quant.Visibility{Input: quant.VisibilityPrivate, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}
	pgs := newGraphSharded(t, mlp, b2, private)
	psb, _ := pgs.prove(t, x)
	if _, err := verifier.VerifySharded(roundTrip(t, psb), pgs.keysManifest(t), "test"); err != nil {
		t.Fatalf("private, cut at %v: %v", b2, err)
	}
	if e := psb.Shards[0].Bundle.PublicInputs[0]; len(e.Values) != 0 || e.Commitment == "" {
		t.Fatalf("the private input is carried: %+v", e)
	}

	// The CNN in two, balanced: the statement is the unsharded one's.
	cnn := smallCNN(t)
	cb, err := cnn.BalancedCuts(2, public)
	if err != nil {
		t.Fatal(err)
	}
	cgs := newGraphSharded(t, cnn, cb, public)
	cx := graphtest.Inputs(rng, cnn, 1)[4]
	csb, _ := cgs.prove(t, cx)
	if _, err := verifier.VerifySharded(roundTrip(t, csb), cgs.keysManifest(t), "test"); err != nil {
		t.Fatalf("cnn, cut at %v: %v", cb, err)
	}
	cwant, err := cnn.Forward(cx)
	if err != nil {
		t.Fatal(err)
	}
	if got := csb.Shards[1].Bundle.PublicInputs[1].Values; !slices.Equal(got, cwant.OutputParts()[0]) {
		t.Fatalf("cnn: sharded output %v, unsharded %v", got, cwant.OutputParts()[0])
	}

	// The LM as embedding + first linear | second linear | head +
	// next_tokens, hashed prompt: the statement is the unsharded one's
	// (prompt ids in, completion out, the model's commitment).
	lm, logits := tinyLM(t)
	bounds, err := lm.Graph.CutsByName([]string{"h1", "h2"})
	if err != nil {
		t.Fatal(err)
	}
	lgs := newGraphSharded(t, lm, bounds, quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed})
	lkeys := lgs.keysManifest(t)
	ids := greedyIDs(t, logits, 3, 14)
	unsharded, err := lm.Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	lsb, _ := lgs.prove(t, ids)
	lsb = roundTrip(t, lsb)
	if _, err := verifier.VerifySharded(lsb, lkeys, "test"); err != nil {
		t.Fatal(err)
	}
	out := lsb.Shards[2].Bundle.PublicInputs[1]
	if in := lsb.Shards[0].Bundle.PublicInputs[0]; !slices.Equal(in.Values, ids[0]) {
		t.Fatalf("sharded prompt ids %v, want %v", in.Values, ids[0])
	}
	if !slices.Equal(out.Values, unsharded.Outputs[0]) || lsb.ModelCommitment != lgs.man.ModelCommitment {
		t.Fatalf("sharded completion %v, unsharded %v", out.Values, unsharded.Outputs[0])
	}
	if lsb.Shards[1].Bundle.PublicInputs[0].Encoding != verifier.EncodingChainParts || len(lsb.Shards[1].Bundle.PublicInputs[0].Parts) != 2 {
		t.Fatalf("the LM's cut: %+v", lsb.Shards[1].Bundle.PublicInputs[0])
	}
	if err := verifier.VerifyShardedModel(lsb, lkeys, lm, nil); err != nil {
		t.Fatal(err)
	}
	// A completion token changed: rejected.
	bad := roundTrip(t, lsb)
	bad.Shards[2].Bundle.PublicInputs[1].Values[1] = (bad.Shards[2].Bundle.PublicInputs[1].Values[1] + 1) % 16
	if _, err := verifier.VerifySharded(bad, lkeys, "test"); !errors.Is(err, verifier.ErrRejected) {
		t.Errorf("tampered completion: %v", err)
	}
	// The MLP's keys do not verify the LM's bundle.
	if _, err := verifier.VerifySharded(lsb, keys, "test"); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Errorf("another model's keys: %v", err)
	}
}

func first[A, B any](a A, _ B) A { return a }
