package contracts_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Two shards on one shared key (hashed weights: one circuit, two sets of
// weights, as compileShards shares keys) register with each shard's own
// commitment, which is what the keys manifest's shards commitment hashes.
func TestShardedRegistrationSharedHashedKey(t *testing.T) {
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
	pk, vk := filepath.Join(dir, "pk.shard-0.key"), filepath.Join(dir, "vk.shard-0.key")
	if err := prover.WriteKeys(pk, vk, keys); err != nil {
		t.Fatal(err)
	}
	var c0, c1, whole fr.Element
	if _, err := c0.SetString(c.Header.Commitment[len(quant.CommitmentPrefix):]); err != nil {
		t.Fatal(err)
	}
	c1.SetUint64(7)
	whole.SetUint64(11)
	ranges := []quant.ShardRange{{From: 0, To: 1}, {From: 1, To: 2}}
	sc, err := quant.GraphShardsCommitment(whole, 2, ranges, []fr.Element{c0, c1})
	if err != nil {
		t.Fatal(err)
	}
	man := &prover.ShardManifest{MediaType: prover.FormatShards, ModelCommitment: quant.FormatCommitment(whole), ShardsCommitment: quant.FormatCommitment(sc),
		ShardsVersion: quant.GraphShardsVersion, NLayer: 2, Backend: prover.BackendGroth16, Visibility: vis}
	for i, commit := range []fr.Element{c0, c1} {
		man.Shards = append(man.Shards, prover.ShardEntry{Index: i, From: i, To: i + 1, CircuitDigest: c.Header.CircuitDigest, Commitment: quant.FormatCommitment(commit),
			Visibility: vis, Circuit: "c.shard-0.zkc", PK: pk, VK: vk})
	}
	km, err := prover.NewKeysManifest(man)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := contracts.ShardedRegistrationOf(km, []prover.VerifyingKey{keys.VK, keys.VK}, []common.Address{{1}, {1}}, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []fr.Element{c0, c1} {
		if b := want.Bytes(); reg.Shards[i].Commitment != common.Hash(b) {
			t.Errorf("shard %d registered with commitment %x, want %x", i, reg.Shards[i].Commitment, b)
		}
	}
}
