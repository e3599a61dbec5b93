package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/contracts/gethtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// TestAggregatePipeline is the full path of an aggregated model through the
// CLI: a tiny 3-block gpt2 proven as three one-block shards for aggregation,
// aggregate (outer circuit of 4.96 M constraints: its dev setup takes about
// half an hour and 10 GiB on two cores, so only with ZKINFER_AGG=1, which CI
// does not set), verify on both levels, the refusals (a foreign outer key,
// swapped, reordered and dropped shard bundles, a wrong shards commitment, a
// tampered inner proof, which aggregate refuses), create-evm-verifier,
// verify-evm on the simulated chain, and deploy-evm / verify-evm --rpc on
// geth --dev.
//
// ZKINFER_AGG_DIR keeps the model, shard keys and bundles between runs
// (default: a temporary directory), and ZKINFER_AGG_CACHE the outer keys
// (default: DIR/cache), so a second run with the same directory skips the
// setup, as zkinfer aggregate does for its users.
func TestAggregatePipeline(t *testing.T) {
	if os.Getenv("ZKINFER_AGG") == "" {
		t.Skip("ZKINFER_AGG not set: the outer setup takes half an hour and 10 GiB")
	}
	dir := os.Getenv("ZKINFER_AGG_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	cache := os.Getenv(AggCacheEnv)
	if cache == "" {
		cache = filepath.Join(dir, "cache")
	}
	// The solc pinned in contracts/, found from here before leaving.
	solc, err := contracts.FindSolc()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(contracts.SolcEnv, solc)
	t.Chdir(dir)
	cli := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		t0 := time.Now()
		code := run(append([]string{"zkinfer"}, args...), &out, &errOut)
		t.Logf("zkinfer %s (%s, exit %d)\n%s%s", strings.Join(args, " "), time.Since(t0).Round(time.Millisecond), code, out.String(), errOut.String())
		if code != wantCode {
			t.Fatalf("zkinfer %v: exit %d, want %d", args, code, wantCode)
		}
		return out.String(), errOut.String()
	}
	match := func(s string, res ...string) {
		t.Helper()
		for _, re := range res {
			if !regexp.MustCompile(re).MatchString(s) {
				t.Fatalf("output does not match %q:\n%s", re, s)
			}
		}
	}
	if _, err := os.Stat("proof.json"); err != nil {
		cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 3,
			Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
		if err := quant.WriteExample("m", cfg, 7, 8); err != nil {
			t.Fatal(err)
		}
		cli(0, "-q", "gen-settings", "--model", filepath.Join("m", "model.safetensors"))
		cli(0, "-q", "calibrate-settings", "--data", filepath.Join("m", "calibration.json"))
		cli(0, "-q", "compile-circuit", "--shard-blocks", "1")
		cli(0, "-q", "setup", "--dev", "--shards", "circuit.shards.json")
		cli(0, "-q", "prove", "--input", filepath.Join("m", "input.json"), "--shards", "circuit.shards.json", "--aggregatable")
	}

	// Tampering any inner proof makes aggregation fail (before any setup:
	// the aggregator checks every shard natively; the outer circuit's own
	// refusal is prover/aggregate's TestRecursive).
	tamper(t, "proof.json", "t.json", func(sb *verifier.ShardedBundle) {
		sb.Shards[1].Bundle.Proof, sb.Shards[2].Bundle.Proof = sb.Shards[2].Bundle.Proof, sb.Shards[1].Bundle.Proof
	})
	_, stderr := cli(1, "aggregate", "--keys", "circuit.keys.json", "--cache", cache, "--out", "bad.json", "t.json")
	match(stderr, `shard 1 \(blocks 1:2\): proof rejected`)

	out, _ := cli(0, "aggregate", "--keys", "circuit.keys.json", "--cache", cache, "proof.json")
	match(out, `outer circuit: sha256:[0-9a-f]{64} \(3 shards, 4957139 constraints`, `aggregated bundle: proof.agg.json`, `outer verifying key: vk.agg.key`)

	out, _ = cli(0, "verify", "--vk", "vk.agg.key", "--keys", "circuit.keys.json", "--model", "model.quant.json", "proof.agg.json")
	match(out, `ok: shard 2 \(blocks 2:3\)`, `VERIFIED: aggregated proof of 3 shards, both levels`)
	out, _ = cli(0, "verify", "--vk", "vk.agg.key", "proof.agg.json")
	match(out, `VERIFIED: aggregated proof of 3 shards \(outer proof only`)
	_, stderr = cli(1, "verify", "proof.agg.json")
	match(stderr, `not pinned`)
	_, stderr = cli(1, "verify", "--vk", "vk.shard-0.key", "proof.agg.json")
	match(stderr, `not the pinned outer verifying key`)

	for name, c := range map[string]struct {
		mutate func(*verifier.AggregatedBundle)
		want   string
	}{
		"swapped": {func(a *verifier.AggregatedBundle) {
			s := a.Sharded.Shards
			s[0].Bundle, s[1].Bundle = s[1].Bundle, s[0].Bundle
		}, `shard bundles are not the aggregated ones: position 0 holds`},
		"reordered": {func(a *verifier.AggregatedBundle) {
			s := a.Sharded.Shards
			s[1], s[2] = s[2], s[1]
		}, `position 1 holds shard 2`},
		"dropped": {func(a *verifier.AggregatedBundle) {
			a.Sharded.Shards = a.Sharded.Shards[:2]
		}, `shards missing|2 shard bundles`},
		"wrong shards commitment": {func(a *verifier.AggregatedBundle) {
			a.ShardsCommitment = a.ModelCommitment
		}, `shards commitment mismatch`},
	} {
		tamperAgg(t, "proof.agg.json", "t.agg.json", c.mutate)
		_, stderr := cli(1, "verify", "--vk", "vk.agg.key", "--keys", "circuit.keys.json", "t.agg.json")
		if !regexp.MustCompile(c.want).MatchString(stderr) {
			t.Errorf("%s: %s, want %q", name, stderr, c.want)
		}
	}

	out, _ = cli(0, "create-evm-verifier", "--vk", "vk.agg.key", "--sol", "AggVerifier.sol")
	match(out, `vk digest: sha256:[0-9a-f]{64}`)
	out, _ = cli(0, "verify-evm", "--vk", "vk.agg.key", "--bundle", "proof.agg.json")
	match(out, `ACCEPTED by the groth16 Solidity verifier`, `verify gas: \d+ \(3 public inputs\)`, `registry verify gas: \d+`)
	_, stderr = cli(1, "verify-evm", "--vk", "vk.shard-0.key", "--bundle", "proof.agg.json")
	match(stderr, `not aggregated under the outer key you pinned`)
	tamperAgg(t, "proof.agg.json", "t.agg.json", func(a *verifier.AggregatedBundle) {
		a.PublicInputs[1] = a.PublicInputs[0]
	})
	out, _ = cli(1, "verify-evm", "--vk", "vk.agg.key", "--bundle", "t.agg.json")
	match(out, `REJECTED`)

	// geth --dev: the aggregated model in the registry, verified by one
	// verifyInference.
	url := gethtest.StartDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := os.WriteFile("dev.key", []byte(gethtest.FundedKey(t, ctx, url)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rpc := []string{"--rpc", url, "--chain-id", "1337", "--key-file", "dev.key"}
	out, _ = cli(0, append([]string{"deploy-evm", "--vk", "vk.agg.key", "--deployment", "agg-dep.json"}, rpc...)...)
	match(out, `model id: +0x[0-9a-f]{64} +register gas \d+`)
	out, _ = cli(0, append([]string{"verify-evm", "--vk", "vk.agg.key", "--bundle", "proof.agg.json", "--deployment", "agg-dep.json"}, rpc...)...)
	match(out, `ACCEPTED by the registry`, `registry verify gas: \d+`)
	_, stderr = cli(1, append([]string{"verify-evm", "--vk", "vk.agg.key", "--bundle", "t.agg.json", "--deployment", "agg-dep.json"}, rpc...)...)
	match(stderr, `ProofRejected|rejected`)
}

// tamper writes to dst the sharded bundle src changed by f.
func tamper(t *testing.T, src, dst string, f func(*verifier.ShardedBundle)) {
	t.Helper()
	sb, err := verifier.ReadSharded(src)
	if err != nil {
		t.Fatal(err)
	}
	f(sb)
	if err := sb.Write(dst); err != nil {
		t.Fatal(err)
	}
}

// tamperAgg writes to dst the aggregated bundle src changed by f, bypassing
// its parser's checks (a hostile file).
func tamperAgg(t *testing.T, src, dst string, f func(*verifier.AggregatedBundle)) {
	t.Helper()
	a, err := verifier.ReadAggregated(src)
	if err != nil {
		t.Fatal(err)
	}
	f(a)
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
