package contracts_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/contracts/gethtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// shardedModel is an n-block gpt2 model compiled as n one-block shards
// (verifier/sharded_test.go's construction, with n blocks).
type shardedModel struct {
	m      *quant.Model
	n      int
	vis    quant.Visibility
	ranges []quant.ShardRange
	subs   []*quant.Model
	cs     []*prover.Circuit
	keys   []*prover.Keys
}

var shardedVis = quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}

func newShardedModel(t testing.TB, n int, seed uint64) *shardedModel {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: n,
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
	sm := &shardedModel{m: m, n: n, vis: shardedVis}
	if sm.ranges, err = quant.ShardRanges(n, 1); err != nil {
		t.Fatal(err)
	}
	sm.subs, sm.cs, sm.keys = make([]*quant.Model, n), make([]*prover.Circuit, n), make([]*prover.Keys, n)
	for i, r := range sm.ranges {
		sub, err := m.Slice(r.From, r.To)
		if err != nil {
			t.Fatal(err)
		}
		c, err := prover.Compile(sub, nil, prover.WithVisibility(quant.ShardVisibility(sm.vis, i, n)))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		sm.subs[i], sm.cs[i], sm.keys[i] = sub, c, keys
	}
	return sm
}

func (sm *shardedModel) vks() []prover.VerifyingKey {
	out := make([]prover.VerifyingKey, sm.n)
	for i, k := range sm.keys {
		out[i] = k.VK
	}
	return out
}

func (sm *shardedModel) header(t testing.TB) *verifier.ShardedBundle {
	t.Helper()
	digest, _ := sm.m.Digest()
	commit, err := quant.CommitString(sm.m)
	if err != nil {
		t.Fatal(err)
	}
	var cs []fr.Element
	for _, s := range sm.subs {
		c, err := quant.Commit(s)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	sc, err := quant.ShardsCommitment(sm.n, sm.ranges, cs)
	if err != nil {
		t.Fatal(err)
	}
	return &verifier.ShardedBundle{MediaType: verifier.ShardedMediaType, ModelDigest: digest, ModelCommitment: commit,
		ShardsCommitment: quant.FormatCommitment(sc), NLayer: sm.n, NShards: sm.n, Visibility: sm.vis}
}

func (sm *shardedModel) manifest(t testing.TB) *prover.KeysManifest {
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

func (sm *shardedModel) input(t testing.TB, seed uint64) [][]int64 {
	t.Helper()
	x, err := sm.m.QuantizeInput(quant.RandomSamples(sm.m.Config, 1, seed)[0])
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (sm *shardedModel) proveShard(t testing.TB, i int, x [][]int64) (verifier.Shard, [][]int64) {
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
	sh, err := verifier.NewShard(b, i, sm.n, sm.ranges[i])
	if err != nil {
		t.Fatal(err)
	}
	return sh, tr.Y
}

func (sm *shardedModel) prove(t testing.TB, x [][]int64) *verifier.ShardedBundle {
	t.Helper()
	sb := sm.header(t)
	for i := range sm.subs {
		var sh verifier.Shard
		sh, x = sm.proveShard(t, i, x)
		sb.Shards = append(sb.Shards, sh)
	}
	return sb
}

// cachingCompiler compiles each distinct verifying key once and keeps the
// result, for direct verifier calls.
type cachingCompiler struct {
	mu   sync.Mutex
	byVK map[prover.VerifyingKey]*contracts.Compiled
}

func (cc *cachingCompiler) compile(ctx context.Context, vk prover.VerifyingKey) (*contracts.Compiled, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if c, ok := cc.byVK[vk]; ok {
		return c, nil
	}
	c, err := contracts.CompileVerifier(ctx, vk)
	if err == nil {
		if cc.byVK == nil {
			cc.byVK = map[prover.VerifyingKey]*contracts.Compiled{}
		}
		cc.byVK[vk] = c
	}
	return c, err
}

func wantShardRevert(t *testing.T, err error, name string, shard int) {
	t.Helper()
	if got := contracts.RevertName(err); got != name {
		t.Fatalf("got error %v (custom error %q), want a revert with %s", err, got, name)
	}
	if s := fmt.Sprintf("shard=%d", shard); shard >= 0 && !strings.Contains(err.Error(), s+",") && !strings.Contains(err.Error(), s+")") {
		t.Fatalf("got error %v, want it to name shard %d", err, shard)
	}
}

// A 3-shard model verified through the registry in one transaction, and
// every way of recombining shard proofs reverts with the registry's named
// error.
func TestShardedRegistry(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	sm := newShardedModel(t, 3, 21)
	keys := sm.manifest(t)
	sb := sm.prove(t, sm.input(t, 5))

	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()

	res, err := chain.VerifyShardedBundle(ctx, sb, keys, sm.vks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accepted || res.Shards != 3 || res.VerifyGas == 0 || len(res.Verifiers) != 3 {
		t.Fatalf("honest sharded bundle: %+v", res)
	}
	if res.ShardsCommitment != mustCommitment(t, keys.ShardsCommitment).Hex() {
		t.Fatalf("shards commitment %s, keys manifest %s", res.ShardsCommitment, keys.ShardsCommitment)
	}
	proofs, inputs, err := contracts.ShardedCalldata(sb)
	if err != nil {
		t.Fatal(err)
	}
	if in, out := contracts.ShardedIOHashes(inputs); res.InputHash != in.Hex() || res.OutputHash != out.Hex() {
		t.Fatalf("event hashes %s %s, want %s %s", res.InputHash, res.OutputHash, in.Hex(), out.Hex())
	}
	t.Logf("3 shards: one verifyShardedInference, %d gas", res.VerifyGas)

	registry, id := common.HexToAddress(res.Registry), common.HexToHash(res.ModelID)
	verifiers := make([]common.Address, 3)
	for i, v := range res.Verifiers {
		verifiers[i] = common.HexToAddress(v)
	}
	if got := contracts.ShardedModelID(chain.From(), mustCommitment(t, keys.ShardsCommitment), verifiers); got != id {
		t.Fatalf("ShardedModelID %s, registry %s", got, id)
	}
	m, err := chain.ShardedModel(ctx, registry, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Shards) != 3 || m.Owner != chain.From() {
		t.Fatalf("registration %+v", m)
	}

	// Another model of the same shapes, and the same model on another input.
	other := newShardedModel(t, 3, 22)
	otherSB := other.prove(t, other.input(t, 5))
	oProofs, oInputs, err := contracts.ShardedCalldata(otherSB)
	if err != nil {
		t.Fatal(err)
	}
	again := sm.prove(t, sm.input(t, 6))
	aProofs, aInputs, err := contracts.ShardedCalldata(again)
	if err != nil {
		t.Fatal(err)
	}

	cp := func() ([][]byte, [][]*big.Int) {
		p, in := make([][]byte, len(proofs)), make([][]*big.Int, len(inputs))
		copy(p, proofs)
		for i := range inputs {
			in[i] = append([]*big.Int(nil), inputs[i]...)
		}
		return p, in
	}
	verify := func(p [][]byte, in [][]*big.Int) error {
		_, _, err := chain.VerifyShardedInference(ctx, registry, id, p, in)
		return err
	}

	t.Run("swapped proof", func(t *testing.T) {
		p, in := cp()
		p[0], p[1] = p[1], p[0]
		wantShardRevert(t, verify(p, in), "ShardProofRejected", 0)
	})
	t.Run("reordered shards", func(t *testing.T) {
		p, in := cp()
		p[1], p[2], in[1], in[2] = p[2], p[1], in[2], in[1]
		wantShardRevert(t, verify(p, in), "ShardCommitmentMismatch", 1)
	})
	t.Run("dropped shard", func(t *testing.T) {
		p, in := cp()
		wantShardRevert(t, verify(p[:2], in[:2]), "WrongShardCount", -1)
	})
	t.Run("shard of another model", func(t *testing.T) {
		p, in := cp()
		p[1], in[1] = oProofs[1], oInputs[1]
		wantShardRevert(t, verify(p, in), "ShardCommitmentMismatch", 1)
	})
	t.Run("whole other model", func(t *testing.T) {
		wantShardRevert(t, verify(oProofs, oInputs), "ShardCommitmentMismatch", 0)
	})
	t.Run("broken hash chain", func(t *testing.T) {
		// Shard 1 proven on another inference: a valid proof, of this
		// model's shard 1, whose input hash is not shard 0's output hash.
		p, in := cp()
		p[1], in[1] = aProofs[1], aInputs[1]
		wantShardRevert(t, verify(p, in), "BrokenShardChain", 1)
	})
	t.Run("forged chain hash", func(t *testing.T) {
		// The chain mended by hand: shard 0's output hash set to shard 1's
		// input hash of another inference (whose shards 1 and 2 follow);
		// shard 0's proof is not about it.
		p, in := cp()
		p[1], in[1], p[2], in[2] = aProofs[1], aInputs[1], aProofs[2], aInputs[2]
		in[0][len(in[0])-2] = in[1][0]
		wantShardRevert(t, verify(p, in), "ShardProofRejected", 0)
	})
	t.Run("bundle path reports the rejection", func(t *testing.T) {
		bad := *again
		bad.Shards = append([]verifier.Shard(nil), again.Shards...)
		bad.Shards[1] = sb.Shards[1]
		d := &contracts.ShardedDeployment{ChainID: chain.ChainID().Uint64(), Registry: registry, ModelID: id}
		r, err := chain.VerifyShardedBundleRegistered(ctx, d, &bad, keys)
		if err != nil {
			t.Fatal(err)
		}
		if r.Accepted || !strings.HasPrefix(r.Reason, "BrokenShardChain(") || !strings.Contains(r.Reason, "shard=1,") {
			t.Fatalf("result %+v", r)
		}
		if r, err = chain.VerifyShardedBundleRegistered(ctx, d, again, keys); err != nil || !r.Accepted {
			t.Fatalf("another honest inference through the deployment: %+v, %v", r, err)
		}
	})
	t.Run("unpinned shard key refused before sending", func(t *testing.T) {
		bad := *sb
		bad.Shards = append([]verifier.Shard(nil), sb.Shards...)
		bad.Shards[1] = otherSB.Shards[1]
		if _, err := contracts.CheckShardedKeys(&bad, keys); !errors.Is(err, contracts.ErrKeyMismatch) || !strings.Contains(err.Error(), "shard 1") {
			t.Fatalf("got %v, want a key mismatch of shard 1", err)
		}
		if _, err := contracts.CheckShardedKeys(sb, nil); !errors.Is(err, contracts.ErrNotPinned) {
			t.Fatalf("got %v, want ErrNotPinned", err)
		}
		if _, err := contracts.DeployShardedModel(ctx, chain, keys, other.vks(), nil, nil, ""); !errors.Is(err, contracts.ErrKeyMismatch) {
			t.Fatalf("deploy with other keys: got %v, want a key mismatch", err)
		}
	})
	t.Run("deregistered", func(t *testing.T) {
		if _, err := chain.DeregisterShardedModel(ctx, registry, id); err != nil {
			t.Fatal(err)
		}
		p, in := cp()
		wantShardRevert(t, verify(p, in), "ModelRetired", -1)
	})
}

func mustCommitment(t testing.TB, s string) common.Hash {
	t.Helper()
	h, err := contracts.ModelCommitment(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestShardedGas measures verifyShardedInference for 2, 3 and 4 one-block
// shards, and each shard's verifier called directly; with
// ZKINFER_GAS_SHARDED=path it writes the table there.
func TestShardedGas(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var rows []string
	for _, n := range []int{2, 3, 4} {
		sm := newShardedModel(t, n, 30+uint64(n))
		keys := sm.manifest(t)
		sb := sm.prove(t, sm.input(t, 5))
		chain, err := contracts.NewSimulatedChain()
		if err != nil {
			t.Fatal(err)
		}
		cc := &cachingCompiler{}
		d, err := contracts.DeployShardedModel(ctx, chain, keys, sm.vks(), cc.compile, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		proofs, inputs, err := contracts.ShardedCalldata(sb)
		if err != nil {
			t.Fatal(err)
		}
		_, rcpt, err := chain.VerifyShardedInference(ctx, d.Registry, d.ModelID, proofs, inputs)
		if err != nil {
			t.Fatal(err)
		}
		var direct []uint64
		var sum, deploy uint64
		for i, sh := range d.Shards {
			comp, _ := cc.compile(ctx, sm.keys[i].VK)
			ok, gas, err := chain.VerifyGroth16Calldata(ctx, comp, sh.Verifier, proofs[i], inputs[i])
			if err != nil || !ok {
				t.Fatalf("shard %d direct: ok %v, %v", i, ok, err)
			}
			direct = append(direct, gas)
			sum += gas
			deploy += sh.VerifierTx.GasUsed
		}
		chain.Close()
		row := fmt.Sprintf("| %d | %d | %d | %d | %v | %d | %d |", n, rcpt.GasUsed, rcpt.GasUsed/uint64(n), sum, direct, d.RegisterTx.GasUsed, deploy)
		t.Log(row)
		rows = append(rows, row)
	}
	if p := os.Getenv("ZKINFER_GAS_SHARDED"); p != "" {
		if err := os.WriteFile(p, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkShardedGas measures verifyShardedInference through the registry
// for 2, 4 and 12 one-block shards (a tiny gpt2 block per shard: Groth16
// verification gas depends on the public inputs and commitments, not on
// the circuit size), per shard and in total, with each shard's verifier
// called directly and the deployment gas, on the simulated chain and, when
// $ZKINFER_GETH names a geth binary, on `geth --dev`. It is a benchmark,
// not a test, so CI does not run it:
//
//	ZKINFER_GETH=~/.cache/zkinfer/geth-v1.17.10/geth ZKINFER_GAS_SHARDED=/tmp/gas.txt \
//	  go test ./contracts -run '^$' -bench BenchmarkShardedGas -benchtime 1x -timeout 30m
//
// With ZKINFER_GAS_SHARDED=path it writes the table rows there.
func BenchmarkShardedGas(b *testing.B) {
	if _, err := contracts.FindSolc(); err != nil {
		b.Fatalf("solcjs is required (run `npm ci --prefix contracts`): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	type chainKind struct {
		name string
		dial func() *contracts.Chain
	}
	kinds := []chainKind{{"simulated", func() *contracts.Chain {
		c, err := contracts.NewSimulatedChain()
		if err != nil {
			b.Fatal(err)
		}
		return c
	}}}
	if os.Getenv(gethtest.Env) != "" {
		url := gethtest.StartDev(b)
		key, err := contracts.ParsePrivateKey(gethtest.FundedKey(b, ctx, url))
		if err != nil {
			b.Fatal(err)
		}
		kinds = append(kinds, chainKind{"geth --dev", func() *contracts.Chain {
			c, err := contracts.DialChain(ctx, url, key, nil)
			if err != nil {
				b.Fatal(err)
			}
			return c
		}})
	} else {
		b.Logf("%s unset: simulated chain only", gethtest.Env)
	}
	var rows []string
	for _, n := range []int{2, 4, 12} {
		start := time.Now()
		sm := newShardedModel(b, n, 30+uint64(n))
		keys := sm.manifest(b)
		sb := sm.prove(b, sm.input(b, 5))
		proofs, inputs, err := contracts.ShardedCalldata(sb)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%d shards: compiled, set up and proved in %v", n, time.Since(start).Round(time.Millisecond))
		cc := &cachingCompiler{}
		for _, k := range kinds {
			chain := k.dial()
			d, err := contracts.DeployShardedModel(ctx, chain, keys, sm.vks(), cc.compile, nil, "")
			if err != nil {
				b.Fatal(err)
			}
			_, rcpt, err := chain.VerifyShardedInference(ctx, d.Registry, d.ModelID, proofs, inputs)
			if err != nil {
				b.Fatal(err)
			}
			limit, err := chain.BlockGasLimit(ctx, rcpt.BlockNumber)
			if err != nil {
				b.Fatal(err)
			}
			var direct []string
			var sum, deploy uint64
			for i, sh := range d.Shards {
				comp, _ := cc.compile(ctx, sm.keys[i].VK)
				ok, gas, err := chain.VerifyGroth16Calldata(ctx, comp, sh.Verifier, proofs[i], inputs[i])
				if err != nil || !ok {
					b.Fatalf("%s, shard %d direct: ok %v, %v", k.name, i, ok, err)
				}
				direct = append(direct, fmt.Sprint(gas))
				sum += gas
				deploy += sh.VerifierTx.GasUsed
			}
			var registryDeploy uint64
			if d.RegistryTx != nil {
				registryDeploy = d.RegistryTx.GasUsed
			}
			chain.Close()
			if n == 12 && rcpt.GasUsed >= 30_000_000 {
				b.Errorf("%s: 12 shards used %d gas, want < 30 M (one block)", k.name, rcpt.GasUsed)
			}
			row := fmt.Sprintf("| %s | %d | %d | %d | %d | %s | %d | %d | %d | %d |", k.name, n, rcpt.GasUsed, rcpt.GasUsed/uint64(n),
				sum, strings.Join(direct, ", "), d.RegisterTx.GasUsed, deploy, registryDeploy, limit)
			b.Log(row)
			rows = append(rows, row)
			b.ReportMetric(float64(rcpt.GasUsed), fmt.Sprintf("gas/%dshards-%s", n, strings.ReplaceAll(k.name, " ", "")))
		}
	}
	if p := os.Getenv("ZKINFER_GAS_SHARDED"); p != "" {
		if err := os.WriteFile(p, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
