package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/prover/aggregate"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// Defaults of zkinfer aggregate.
const (
	DefaultAggregated = "proof.agg.json"
	DefaultOuterVK    = "vk.agg.key"
	// AggCacheEnv overrides the default cache of outer keys.
	AggCacheEnv = "ZKINFER_AGG_CACHE"
)

var (
	aggOutFlag = &cli.StringFlag{
		Name: "out", Aliases: []string{"o"}, Category: catFiles, Value: DefaultAggregated,
		Usage: "aggregated bundle `FILE` to write",
	}
	aggOuterVKFlag = &cli.StringFlag{
		Name: "outer-vk", Category: catFiles, Value: DefaultOuterVK,
		Usage: "where aggregate writes the outer verifying key `FILE` (publish it: verifiers pin it with verify --vk, create-evm-verifier and deploy-evm take it); verify and verify-evm read it",
	}
	aggCacheFlag = &cli.StringFlag{
		Name: "cache", Category: catFiles, EnvVars: []string{AggCacheEnv},
		Usage: "`DIR` of cached outer keys, one entry per set of shard keys (default: the user cache directory's zkinfer/aggregate; \"off\" never caches)",
	}
	aggDetachFlag = &cli.BoolFlag{
		Name: "detach", Category: catFiles,
		Usage: "do not carry the sharded bundle in the aggregated one: name its shard bundles by SHA-256 only (auditors then pass it to verify with --sharded)",
	}
	aggShardedFlag = &cli.StringFlag{
		Name: "sharded", Category: catFiles,
		Usage: "aggregated bundles made with --detach: the sharded bundle `FILE` whose shard bundles they name, to re-check every shard",
	}
)

var aggregateCommand = &cli.Command{
	Name:      "aggregate",
	Usage:     "prove the shard proofs of a sharded bundle with one Groth16 proof (for one cheap on-chain verification)",
	UsageText: "zkinfer aggregate [--keys circuit.keys.json] [--shards circuit.shards.json] [--out proof.agg.json] [--outer-vk vk.agg.key] [--cache DIR] [--detach] BUNDLE",
	Description: `Reads a sharded bundle proven with 'zkinfer prove --shards MANIFEST
--aggregatable', checks every shard against the keys the keys manifest
(--keys) pins (key files from the shard manifest, --shards), and proves with
one Groth16 proof (gnark std/recursion, BN254 in BN254) that every shard
proof verifies under its key, that each shard's output hash is the next
shard's input hash, and that the shards' commitments hash to the shards
commitment (v1 for gpt2 block shards, v2 with the model's commitment for a
layer graph cut into shards). The aggregated proof's public inputs are the input hash, the
output hash and the shards commitment; the chain verifies it for ~350 k gas
whatever the number of shards.

The outer circuit is large (about 1.65 M constraints per shard): compiling
it takes about 15 s per shard and its setup (single-party dev setup, unsafe)
about 10 minutes and 3 GiB per shard on two cores. The keys are cached per
set of shard keys (--cache), so the next aggregation of the same model only
compiles and proves (about 1 minute per shard).

Writes the aggregated bundle (--out; the sharded bundle carried inline
unless --detach) and the outer verifying key (--outer-vk). Next:
verify --vk vk.agg.key --keys circuit.keys.json proof.agg.json, then
create-evm-verifier / deploy-evm --vk vk.agg.key, verify-evm --vk vk.agg.key
--bundle proof.agg.json.`,
	Flags: []cli.Flag{evmKeysFlag, evmShardsFlag, aggOutFlag, aggOuterVKFlag, aggCacheFlag, aggDetachFlag},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() != 1 {
			return withHint(errors.New("aggregate: name one sharded bundle"), "zkinfer aggregate --keys circuit.keys.json proof.json")
		}
		if !ctx.IsSet(evmKeysFlag.Name) {
			if err := ctx.Set(evmKeysFlag.Name, prover.KeysPath(prover.ManifestPath(DefaultCircuit))); err != nil {
				return err
			}
		}
		return aggregateBundle(ctx, ctx.Args().First())
	},
}

func aggregateBundle(ctx *cli.Context, bundlePath string) error {
	w := ctx.App.Writer
	p := newProgress(ctx)
	sb, err := verifier.ReadSharded(bundlePath)
	if err != nil {
		return withHint(err, "aggregate takes the sharded bundle of: zkinfer prove --shards circuit.shards.json --aggregatable")
	}
	if sb.ProofHash != prover.ProofHashMiMC {
		return withHint(fmt.Errorf("aggregate: %s: %w: its shard proofs were made for the EVM (Keccak commitment challenge); the recursive verifier recomputes it with MiMC", bundlePath, prover.ErrNotAggregatable),
			"prove the shards for aggregation with: zkinfer prove --shards circuit.shards.json --aggregatable (same keys)")
	}
	keys, vks, err := readShardKeys(ctx)
	if err != nil {
		return err
	}
	keysPath := ctx.String(evmKeysFlag.Name)
	done := p.Start(fmt.Sprintf("checking the %d shards against %s", len(sb.Shards), keysPath))
	_, err = verifier.VerifySharded(sb, keys, keysPath)
	done()
	if err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}
	// A public input or output of at most 31 values packs into one public
	// input, so the shard count of public inputs alone would let it
	// through: the outer proof's first or last public input would be packed
	// values, not a hash, and verify refuses the aggregated bundle. Refuse
	// it before the outer setup.
	for _, v := range [][2]string{{"input", keys.Visibility.Input}, {"output", keys.Visibility.Output}} {
		if v[1] != quant.VisibilityHashed && v[1] != quant.VisibilityPrivate {
			return withHint(fmt.Errorf("aggregate: %s: %w: the model's %s is %s; aggregation takes hashed or private input and output", bundlePath, prover.ErrNotAggregatable, v[0], v[1]),
				"make the settings with --input-visibility and --output-visibility hashed or private (gen-settings)")
		}
	}
	shards, err := aggregateShards(sb, vks)
	if err != nil {
		return err
	}
	cache := ctx.String(aggCacheFlag.Name)
	switch cache {
	case "off":
		cache = ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return withHint(fmt.Errorf("aggregate: no cache directory: %w", err), "pass --cache DIR, or --cache off")
		}
		cache = filepath.Join(dir, "zkinfer", "aggregate")
	}
	ranges := make([]quant.ShardRange, len(shards))
	for i, s := range shards {
		ranges[i] = s.Range
	}
	gvks := make([]groth16.VerifyingKey, len(shards))
	for i, s := range shards {
		gvks[i] = s.VK
	}
	sharding, err := aggregateSharding(keys)
	if err != nil {
		return err
	}
	// What the outer circuit will check, natively first: a mismatch is
	// found before the outer setup.
	done = p.Start("checking the shards for aggregation")
	st, err := aggregate.CheckSharding(sharding, sb.NLayer, shards)
	done()
	if err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}
	if got := quant.FormatCommitment(st.ShardsCommitment); got != keys.ShardsCommitment {
		return fmt.Errorf("aggregate: %w: the shards hash to %s, the keys manifest pins %s", verifier.ErrShardsCommitment, got, keys.ShardsCommitment)
	}
	t0 := time.Now()
	outer, err := aggregate.SetupSharding(sharding, sb.NLayer, ranges, gvks, cache, p)
	if err != nil {
		return err
	}
	setupTime := time.Since(t0)
	t0 = time.Now()
	proof, st, err := outer.Prove(shards, p)
	if err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}
	proveTime := time.Since(t0)
	vkPath := ctx.String(aggOuterVKFlag.Name)
	h := prover.Header{
		Backend: prover.BackendGroth16, Curve: prover.CurveBN254, CircuitDigest: outer.ID, ModelDigest: keys.ModelDigest,
		Commitment: keys.ShardsCommitment, Constraints: outer.CCS.GetNbConstraints(),
		Setup: prover.SetupDevUnsafe, Warning: prover.DevSetupWarning,
		Tool: prover.ToolVersion, Gnark: prover.GnarkVersion(), Created: time.Now().UTC(),
	}
	if err := prover.WriteVerifyingKey(vkPath, h, outer.VK); err != nil {
		return err
	}
	ab, err := verifier.NewAggregated(sb, keys, outer.ID, outer.VK, prover.SetupDevUnsafe, prover.DevSetupWarning, proof, [3]fr.Element(st.PublicInputs()), ctx.Bool(aggDetachFlag.Name))
	if err != nil {
		return err
	}
	out := ctx.String(aggOutFlag.Name)
	if err := ab.Write(out); err != nil {
		return err
	}
	how := fmt.Sprintf("setup %s", setupTime.Round(time.Second))
	if outer.Cached {
		how = fmt.Sprintf("keys from the cache, compile %s", setupTime.Round(time.Second))
	}
	fmt.Fprintf(w, "outer circuit: %s (%d shards, %d constraints; %s)\n", outer.ID, len(shards), outer.CCS.GetNbConstraints(), how)
	fmt.Fprintf(w, "outer verifying key: %s (%s; publish it: verifiers pin it)\n", vkPath, ab.OuterVKDigest)
	carried := "the sharded bundle carried inline"
	if ab.Sharded == nil {
		carried = "shard bundles named by SHA-256; keep " + bundlePath + " for auditors"
	}
	fmt.Fprintf(w, "aggregated bundle: %s (proved in %s; %s)\n", out, proveTime.Round(time.Millisecond), carried)
	fmt.Fprintf(w, "shards commitment: %s\n", ab.ShardsCommitment)
	fmt.Fprintf(w, "next: zkinfer verify --vk %s --keys %s %s\n", vkPath, keysPath, out)
	if outer.Cached {
		return nil
	}
	fmt.Fprintf(w, "outer keys cached in %s\n", cache)
	return nil
}

// aggregateSharding is the outer circuit's sharding for the pinned keys
// manifest: version 1 for gpt2 blocks, or a graph cut sharding of the model
// the manifest pins (its commitment is hashed into the shards commitment).
func aggregateSharding(keys *prover.KeysManifest) (aggregate.Sharding, error) {
	switch keys.ShardsVersion {
	case 0:
		return aggregate.Sharding{}, nil
	case quant.GraphShardsVersion:
		h, ok := strings.CutPrefix(keys.ModelCommitment, quant.CommitmentPrefix+"0x")
		raw, err := hex.DecodeString(h)
		if !ok || err != nil || len(raw) != fr.Bytes {
			return aggregate.Sharding{}, fmt.Errorf("aggregate: %w: model commitment %q", prover.ErrCorrupted, keys.ModelCommitment)
		}
		var model fr.Element
		if err := model.SetBytesCanonical(raw); err != nil {
			return aggregate.Sharding{}, fmt.Errorf("aggregate: %w: model commitment %q: %v", prover.ErrCorrupted, keys.ModelCommitment, err)
		}
		return aggregate.Sharding{Version: quant.GraphShardsVersion, Model: model}, nil
	}
	return aggregate.Sharding{}, fmt.Errorf("aggregate: %w: shards version %d", prover.ErrUnsupportedVersion, keys.ShardsVersion)
}

// aggregateShards turns the shards of a verified sharded bundle into the
// inner proofs of the outer circuit, with the pinned keys vks.
func aggregateShards(sb *verifier.ShardedBundle, vks []prover.VerifyingKey) ([]aggregate.Shard, error) {
	out := make([]aggregate.Shard, len(sb.Shards))
	for i, sh := range sb.Shards {
		vk, ok := vks[i].(groth16.VerifyingKey)
		if !ok || prover.BackendOf(vks[i]) != prover.BackendGroth16 {
			return nil, fmt.Errorf("aggregate: shard %d: %w: the key is %s; aggregation takes Groth16 shards", i, prover.ErrNotAggregatable, prover.BackendOf(vks[i]))
		}
		_, proof, err := verifier.Decode(sh.Bundle)
		if err != nil {
			return nil, fmt.Errorf("aggregate: shard %d: %w", i, err)
		}
		gp, ok := proof.(groth16.Proof)
		if !ok {
			return nil, fmt.Errorf("aggregate: shard %d: %w: not a Groth16 proof", i, prover.ErrNotAggregatable)
		}
		pub, n, err := verifier.PublicWitness(sh.Bundle)
		if err != nil {
			return nil, fmt.Errorf("aggregate: shard %d: %w", i, err)
		}
		if n != aggregate.NbInnerPublic {
			return nil, fmt.Errorf("aggregate: shard %d: %w: %d public inputs; aggregation takes shards with hashed or private input and output (%d public inputs)", i, prover.ErrNotAggregatable, n, aggregate.NbInnerPublic)
		}
		vec, ok := pub.Vector().(fr.Vector)
		if !ok {
			return nil, fmt.Errorf("aggregate: shard %d: public witness is %T", i, pub.Vector())
		}
		out[i] = aggregate.Shard{Range: quant.ShardRange{From: sh.From, To: sh.To}, VK: vk, Proof: gp, Public: append([]fr.Element(nil), vec...)}
	}
	return out, nil
}

// isAggregatedBundle tells an aggregated bundle by its media type.
func isAggregatedBundle(path string) (bool, error) {
	data, err := readBundleHead(path)
	if err != nil {
		return false, err
	}
	return verifier.IsAggregated(data), nil
}

func readBundleHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, verifier.MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// readOuterVK reads the outer verifying key the user pins (aggregate's
// --outer-vk file), its header and digest.
func readOuterVK(path string) (prover.VerifyingKey, prover.Header, error) {
	if path == "" {
		return nil, prover.Header{}, withHint(fmt.Errorf("%w: an aggregated bundle does not carry its outer key", verifier.ErrUnpinned),
			"pin the outer verifying key zkinfer aggregate wrote: --vk %s", DefaultOuterVK)
	}
	vk, h, err := prover.ReadVerifyingKey(path)
	if err != nil {
		return nil, h, withHint(err, "--vk is the outer verifying key zkinfer aggregate wrote (%s)", DefaultOuterVK)
	}
	if h.Backend != prover.BackendGroth16 {
		return nil, h, fmt.Errorf("%s: %w: a %s key; aggregated proofs are Groth16", path, verifier.ErrKeyMismatch, h.Backend)
	}
	return vk, h, nil
}

// loadAggregated reads an aggregated bundle and what verifying it takes from
// the flags: the pinned outer key (--vk), the keys manifest (--keys,
// optional) and the sharded bundle (carried, or --sharded).
func loadAggregated(ctx *cli.Context, path, vkFlag, keysFlag string) (*verifier.AggregatedBundle, prover.VerifyingKey, prover.Header, *prover.KeysManifest, *verifier.ShardedBundle, error) {
	fail := func(err error) (*verifier.AggregatedBundle, prover.VerifyingKey, prover.Header, *prover.KeysManifest, *verifier.ShardedBundle, error) {
		return nil, nil, prover.Header{}, nil, nil, err
	}
	ab, err := verifier.ReadAggregated(path)
	if err != nil {
		return fail(err)
	}
	vk, h, err := readOuterVK(ctx.String(vkFlag))
	if err != nil {
		return fail(err)
	}
	var keys *prover.KeysManifest
	if p := ctx.String(keysFlag); p != "" {
		if keys, err = prover.ReadKeysManifest(p); err != nil {
			return fail(withHint(err, "--keys is the keys manifest that setup --shards writes (circuit.keys.json)"))
		}
	}
	sb := ab.Sharded
	if p := ctx.String(aggShardedFlag.Name); p != "" {
		if sb != nil {
			return fail(fmt.Errorf("verify: %s carries its sharded bundle; --%s is for bundles aggregated with --detach", path, aggShardedFlag.Name))
		}
		if sb, err = verifier.ReadSharded(p); err != nil {
			return fail(err)
		}
	}
	return ab, vk, h, keys, sb, nil
}

// verifyAggregatedBundle is verify for an aggregated bundle.
func verifyAggregatedBundle(ctx *cli.Context, path string) error {
	for _, f := range []string{PinVKDigestFlag.Name, PinSRSFlag.Name, PinModelIDFlag.Name, InsecureUnpinnedFlag.Name} {
		if ctx.IsSet(f) {
			return withHint(fmt.Errorf("verify: %s is an aggregated bundle: --%s does not apply", path, f), "pin the outer key with --vk %s, and the shards' keys with --keys circuit.keys.json", DefaultOuterVK)
		}
	}
	ab, vk, h, keys, sb, err := loadAggregated(ctx, path, PinVKFlag.Name, PinKeysFlag.Name)
	if err != nil {
		return err
	}
	if ctx.Bool(RequireProductionFlag.Name) && !prover.IsProduction(h.Setup) {
		return fmt.Errorf("verify: %w: the outer key's setup is %q", verifier.ErrNotProduction, h.Setup)
	}
	if err := verifier.CheckOuterKeyHeader(ab, h); err != nil {
		return verifyError(path, err)
	}
	res, err := verifier.VerifyAggregated(ab, vk, h.Commitment, keys, ctx.String(PinKeysFlag.Name), sb)
	if err != nil {
		return verifyError(path, err)
	}
	res.OuterCircuit = orDash(h.CircuitDigest) // the pinned header's, not the bundle's word
	modelPath := ctx.String(VerifyModelFlag.Name)
	if modelPath != "" {
		if res.Shards == nil {
			return withHint(errors.New("verify: --model checks the shards against a model: it needs --keys and the shard bundles"), "pass --keys circuit.keys.json (and --sharded proof.json for a bundle aggregated with --detach)")
		}
		m, err := quant.LoadQuantized(modelPath)
		if err != nil {
			return withHint(err, "--model is the quantized model file (compile-circuit writes it: %s)", DefaultQuantized)
		}
		if err := verifier.VerifyShardedModel(sb, keys, m, newProgress(ctx)); err != nil {
			return fmt.Errorf("%s: %s: %w", path, modelPath, err)
		}
	}
	if ctx.Bool(JSONFlag.Name) {
		return printJSON(ctx.App.Writer, struct {
			Verified      bool   `json:"verified"`
			ShardsChecked bool   `json:"shards_checked"`
			ModelChecked  string `json:"model_checked,omitempty"`
			*verifier.AggregatedResult
		}{true, res.Shards != nil, modelPath, res})
	}
	w := ctx.App.Writer
	fmt.Fprintf(w, "ok: outer verifying key pinned by %s (%s, circuit %s)\n", ctx.String(PinVKFlag.Name), res.OuterVKDigest, res.OuterCircuit)
	fmt.Fprintf(w, "ok: aggregated proof (groth16 on bn254, 3 public inputs: input hash, output hash, shards commitment) of %d shards\n", res.NShards)
	fmt.Fprintf(w, "ok: input %s, output %s; input hash %s, output hash %s\n", res.Visibility.Input, res.Visibility.Output, res.InputHash, res.OutputHash)
	fmt.Fprintf(w, "ok: shards commitment %s (proven)\n", res.ShardsCommitment)
	if keys != nil {
		// The outer proof binds the shards commitment; the shard key digests
		// the bundle lists are its word until the shard level checks them.
		fmt.Fprintf(w, "ok: the shards commitment, %s ranges and listed shard keys are those keys manifest %s pins (the outer key fixes the shard keys it aggregates; the shard level ties them to the manifest)\n", strings.TrimSuffix(prover.UnitName(ab.ShardsVersion), "s"), ctx.String(PinKeysFlag.Name))
	}
	if res.Shards == nil {
		why := "pass --keys circuit.keys.json to re-check every shard"
		if keys != nil {
			why = "the bundle was aggregated with --detach: pass the sharded bundle with --sharded FILE to re-check every shard"
		}
		fmt.Fprintf(w, "VERIFIED: aggregated proof of %d shards (outer proof only; %s)\n", res.NShards, why)
	} else {
		for _, s := range res.Shards.Shards {
			fmt.Fprintf(w, "ok: shard %d (%s %d:%d): proof (%s, %d public inputs, MiMC challenge), key %s, bundle as named\n", s.Index, prover.UnitName(ab.ShardsVersion), s.From, s.To, s.Backend, s.PublicInputs, s.VKDigest)
		}
		fmt.Fprintf(w, "ok: hash chain from the input through %d shards to the output, the outer proof's ends\n", len(res.Shards.Shards))
		if modelPath != "" {
			fmt.Fprintf(w, "ok: %s has the model commitment, and its shards the proven commitments and the pinned keys' circuits\n", modelPath)
		}
		fmt.Fprintf(w, "VERIFIED: aggregated proof of %d shards, both levels (the outer proof, and every shard against the keys manifest)\n", res.NShards)
	}
	if h.Setup == prover.SetupDevUnsafe {
		fmt.Fprintf(w, "warning: outer key: %s\n", prover.DevSetupWarning)
	}
	return nil
}

// verifyEVMAggregated is verify-evm with an aggregated bundle: the pinned
// outer key's verifier on the embedded chain (and through a registry), or
// with --rpc the registry entry deploy-evm --vk vk.agg.key made.
func verifyEVMAggregated(ctx *cli.Context, path string) error {
	if ctx.IsSet(evmKeysFlag.Name) || ctx.IsSet(evmShardsFlag.Name) {
		return withHint(fmt.Errorf("verify-evm: %s is an aggregated bundle: the chain checks its outer proof only, --keys and --shards do not apply", path), "pin the outer key: --vk %s (re-check the shards offline with zkinfer verify --vk %s --keys circuit.keys.json)", DefaultOuterVK, DefaultOuterVK)
	}
	ab, err := verifier.ReadAggregated(path)
	if err != nil {
		return err
	}
	var pinned prover.VerifyingKey
	if vkPath := ctx.String(pinnedVKFlag.Name); vkPath != "" || ctx.String(RPCFlag.Name) == "" {
		if pinned, _, err = readOuterVK(vkPath); err != nil {
			return err
		}
	}
	var res *contracts.BundleResult
	if ctx.String(RPCFlag.Name) != "" {
		d, err := contracts.ReadDeployment(ctx.String(DeploymentFlag.Name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return withHint(err, "deploy first with: zkinfer deploy-evm --vk %s --rpc URL --chain-id N", DefaultOuterVK)
			}
			return err
		}
		chain, err := openChain(ctx)
		if err != nil {
			return err
		}
		defer chain.Close()
		done := newProgress(ctx).Start("verifying on " + chain.Name())
		res, err = chain.VerifyAggregatedRegistered(ctx.Context, d, ab, pinned)
		done()
		if err != nil {
			if errors.Is(err, contracts.ErrWrongChain) {
				return withHint(fmt.Errorf("%s: %w", ctx.String(DeploymentFlag.Name), err), "use the node and --chain-id the deployment was made on")
			}
			return aggPinHint(chainHint(err))
		}
	} else {
		if err := noChainFlags(ctx); err != nil {
			return err
		}
		if _, err := contracts.CheckAggregatedKey(ab, pinned); err != nil {
			return aggPinHint(err)
		}
		p := newProgress(ctx)
		src, err := contracts.ExportSolidity(pinned)
		if err != nil {
			return err
		}
		comp, err := compileSolidity(ctx.Context, p, src)
		if err != nil {
			return err
		}
		chain, err := contracts.NewSimulatedChain()
		if err != nil {
			return err
		}
		defer chain.Close()
		done := p.Start("verifying on chain")
		res, err = chain.VerifyAggregated(ctx.Context, ab, pinned, comp)
		done()
		if err != nil {
			return aggPinHint(err)
		}
	}
	if ctx.Bool(JSONFlag.Name) {
		if err := printJSON(ctx.App.Writer, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(ctx.App.Writer, "aggregated proof of %d shards, shards commitment %s\n", ab.NShards, ab.ShardsCommitment)
		printEVMResult(ctx.App.Writer, res)
	}
	if !res.Accepted {
		return fmt.Errorf("%w: the verifier contract rejected the aggregated proof", verifier.ErrRejected)
	}
	return nil
}

func aggPinHint(err error) error {
	if errors.Is(err, contracts.ErrKeyMismatch) {
		return withHint(fmt.Errorf("verify-evm: %w", err), "the bundle was not aggregated under the outer key you pinned; nothing was sent")
	}
	return err
}
