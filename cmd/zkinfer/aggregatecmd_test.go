package main

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// TestAggregateSharding: the outer circuit's sharding comes from the pinned
// keys manifest: version 1 for gpt2 blocks, the model commitment it pins for
// a graph cut sharding; a malformed commitment or an unknown version is an
// error.
func TestAggregateSharding(t *testing.T) {
	var model fr.Element
	model.SetUint64(77)
	model.Square(&model)
	keys := &prover.KeysManifest{ModelCommitment: quant.FormatCommitment(model)}
	if sh, err := aggregateSharding(keys); err != nil || sh.Version != 0 || !sh.Model.IsZero() {
		t.Fatalf("gpt2 blocks: %+v, %v", sh, err)
	}
	keys.ShardsVersion = quant.GraphShardsVersion
	sh, err := aggregateSharding(keys)
	if err != nil || sh.Version != quant.GraphShardsVersion || !sh.Model.Equal(&model) {
		t.Fatalf("graph: %+v, %v", sh, err)
	}
	for _, bad := range []string{"", "poseidon2:0x12", "sha256:" + quant.FormatCommitment(model), "poseidon2:0x" + "ff" + quant.FormatCommitment(model)[len("poseidon2:0xff"):]} {
		keys.ModelCommitment = bad
		if _, err := aggregateSharding(keys); err == nil {
			t.Errorf("model commitment %q accepted", bad)
		}
	}
	keys.ShardsVersion = 3
	keys.ModelCommitment = quant.FormatCommitment(model)
	if _, err := aggregateSharding(keys); err == nil {
		t.Error("shards version 3 accepted")
	}
}
