package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// evmKeysFlag is deploy-evm's and verify-evm's --keys: the keys manifest
// that pins every shard's verifying key.
var evmKeysFlag = &cli.StringFlag{
	Name: PinKeysFlag.Name, Category: catTrust,
	Usage: "sharded models: the keys manifest `FILE` setup --shards wrote (circuit.keys.json), which pins every shard's verifying key; the key files come from --shards",
}

// evmShardsFlag is the shard manifest whose vk files deploy-evm and
// verify-evm read with --keys.
var evmShardsFlag = &cli.StringFlag{
	Name: ShardsFlag.Name, Category: catFiles,
	Usage: "with --keys: the shard manifest `FILE` that names the shard key files (default: circuit.shards.json beside the keys manifest); every key must have the digest the keys manifest pins",
}

// shardsPathOf is the shard manifest beside a keys manifest, the inverse of
// prover.KeysPath.
func shardsPathOf(keysPath string) string {
	return strings.TrimSuffix(keysPath, ".keys.json") + ".shards.json"
}

// readShardKeys reads the keys manifest the user pins and the shard
// verifying keys the shard manifest names, each checked against the digest
// the keys manifest pins for its shard.
func readShardKeys(ctx *cli.Context) (*prover.KeysManifest, []prover.VerifyingKey, error) {
	keysPath := ctx.String(evmKeysFlag.Name)
	keys, err := prover.ReadKeysManifest(keysPath)
	if err != nil {
		return nil, nil, withHint(err, "--keys is the keys manifest that setup --shards writes (circuit.keys.json)")
	}
	shardsPath := ctx.String(evmShardsFlag.Name)
	if shardsPath == "" {
		shardsPath = shardsPathOf(keysPath)
	}
	man, err := prover.ReadManifest(shardsPath)
	if err != nil {
		return nil, nil, withHint(err, "--shards is the shard manifest compile-circuit --shard-blocks wrote (circuit.shards.json); it names the shard key files")
	}
	if len(man.Shards) != len(keys.Shards) || man.ShardsCommitment != keys.ShardsCommitment {
		return nil, nil, fmt.Errorf("%s: %w: %d shards sharded as %s, the keys manifest %s pins %d as %s", shardsPath, contracts.ErrShardedKeys, len(man.Shards), man.ShardsCommitment, keysPath, len(keys.Shards), keys.ShardsCommitment)
	}
	vks := make([]prover.VerifyingKey, len(man.Shards))
	for i, e := range man.Shards {
		vk, h, err := prover.ReadVerifyingKey(e.VK)
		if err != nil {
			return nil, nil, fmt.Errorf("shard %d: %w", i, err)
		}
		digest, err := prover.VerifyingKeyDigest(vk, h.Layout())
		if err != nil {
			return nil, nil, fmt.Errorf("shard %d: %s: %w", i, e.VK, err)
		}
		if want := keys.Shards[i].VKDigest; digest != want {
			return nil, nil, withHint(fmt.Errorf("shard %d: %s: %w: key %s, the keys manifest %s pins %s", i, e.VK, contracts.ErrKeyMismatch, digest, keysPath, want),
				"the key files are not the keys the manifest pins; nothing was deployed")
		}
		vks[i] = vk
	}
	return keys, vks, nil
}

// compileFunc compiles shard verifiers with progress.
func compileFunc(p prover.Progress) contracts.CompileFunc {
	return func(ctx context.Context, vk prover.VerifyingKey) (*contracts.Compiled, error) {
		src, err := contracts.ExportSolidity(vk)
		if err != nil {
			return nil, err
		}
		return compileSolidity(ctx, p, src)
	}
}

// deployEVMSharded is deploy-evm --keys: one verifier per distinct shard
// key, and the sharded model registered.
func deployEVMSharded(ctx *cli.Context, registry *common.Address) error {
	if ctx.IsSet(VKFlag.Name) {
		return errors.New("deploy-evm: --vk and --keys exclude each other: --keys deploys a sharded model, --vk a single one")
	}
	keys, vks, err := readShardKeys(ctx)
	if err != nil {
		return err
	}
	chain, err := openChain(ctx)
	if err != nil {
		return err
	}
	defer chain.Close()
	p := newProgress(ctx)
	// Each distinct shard verifier as compiled, to write its artifacts.
	compiled := map[prover.VerifyingKey]*contracts.Compiled{}
	compile := compileFunc(p)
	d, err := contracts.DeployShardedModel(ctx.Context, chain, keys, vks, func(cctx context.Context, vk prover.VerifyingKey) (*contracts.Compiled, error) {
		comp, err := compile(cctx, vk)
		if err == nil {
			compiled[vk] = comp
		}
		return comp, err
	}, registry, ctx.String(MetadataURIFlag.Name))
	if err != nil {
		return chainHint(err)
	}
	path := ctx.String(DeploymentFlag.Name)
	if err := d.Write(path); err != nil {
		return err
	}
	// Beside the deployment, what a client needs to call the verifiers and
	// the registry.
	dir := filepath.Dir(path)
	verifierABIs, err := writeShardVerifierArtifacts(dir, d, vks, compiled)
	if err != nil {
		return err
	}
	abis, err := writeRegistryArtifacts(dir, false)
	if err != nil {
		return err
	}
	if ctx.Bool(JSONFlag.Name) {
		return printJSON(ctx.App.Writer, d)
	}
	w := ctx.App.Writer
	fmt.Fprintf(w, "chain:     %s (chain id %d)\n", d.Chain, d.ChainID)
	for _, s := range d.Shards {
		if s.VerifierTx != nil {
			fmt.Fprintf(w, "shard %d:   verifier %s  deploy gas %d  tx %s\n", s.Index, s.Verifier.Hex(), s.VerifierTx.GasUsed, s.VerifierTx.Hash.Hex())
		} else {
			fmt.Fprintf(w, "shard %d:   verifier %s (shared)\n", s.Index, s.Verifier.Hex())
		}
	}
	if d.RegistryTx != nil {
		fmt.Fprintf(w, "registry:  %s  deploy gas %d  tx %s\n", d.Registry.Hex(), d.RegistryTx.GasUsed, d.RegistryTx.Hash.Hex())
	} else {
		fmt.Fprintf(w, "registry:  %s\n", d.Registry.Hex())
	}
	fmt.Fprintf(w, "model id:  %s  registerSharded gas %d  tx %s (%d shards)\n", d.ModelID.Hex(), d.RegisterTx.GasUsed, d.RegisterTx.Hash.Hex(), len(d.Shards))
	fmt.Fprintf(w, "shards commitment: %s\n", d.ShardsCommitment.Hex())
	fmt.Fprintf(w, "deployment: %s\n", path)
	fmt.Fprintf(w, "shard verifier abi, bytecode: %s\n", strings.Join(verifierABIs, ", "))
	fmt.Fprintf(w, "registry abi, bytecode: %s\n", abis)
	if d.Chain == "embedded" {
		fmt.Fprintln(w, "note: the embedded chain ends with this command; pass --rpc to deploy to a node")
	}
	return nil
}

// writeShardVerifierArtifacts writes the ABI and bytecode of each distinct
// shard verifier d deployed into dir, as Verifier.shard-N.abi.json and
// Verifier.shard-N.bin with N the first shard it verifies, and returns the
// pattern of the paths written, in shard order.
func writeShardVerifierArtifacts(dir string, d *contracts.ShardedDeployment, vks []prover.VerifyingKey, compiled map[prover.VerifyingKey]*contracts.Compiled) ([]string, error) {
	var out []string
	for _, s := range d.Shards {
		if s.VerifierTx == nil {
			continue // shared: the artifacts of the shard that deployed it
		}
		comp := compiled[vks[s.Index]]
		if comp == nil {
			return nil, fmt.Errorf("shard %d: the deployed verifier was not compiled here", s.Index)
		}
		named := *comp
		named.Name = fmt.Sprintf("%s.shard-%d", verifierContract, s.Index)
		if err := contracts.WriteArtifacts(dir, &named); err != nil {
			return nil, err
		}
		out = append(out, filepath.Join(dir, named.Name+".{abi.json,bin}"))
	}
	return out, nil
}

// verifyEVMSharded is verify-evm with a sharded bundle: on the embedded
// chain against the keys --keys pins (deploying their verifiers), or with
// --rpc through the registry entry of a sharded deployment.
func verifyEVMSharded(ctx *cli.Context, bundlePath string) error {
	if ctx.IsSet(pinnedVKFlag.Name) {
		return withHint(errors.New("verify-evm: a sharded bundle has one key per shard"), "pin them with the keys manifest: --keys circuit.keys.json")
	}
	sb, err := verifier.ReadSharded(bundlePath)
	if err != nil {
		return err
	}
	if sb.ProofHash == prover.ProofHashMiMC {
		return withHint(fmt.Errorf("verify-evm: %s: its shards were proven for aggregation (MiMC commitment challenge), which the shard verifiers on chain do not recompute", bundlePath),
			"aggregate it (zkinfer aggregate --keys circuit.keys.json %s) and verify the aggregated bundle on chain, or prove the shards without --aggregatable", bundlePath)
	}
	var (
		keys *prover.KeysManifest
		res  *contracts.ShardedResult
	)
	if ctx.String(RPCFlag.Name) != "" {
		if ctx.String(evmKeysFlag.Name) != "" {
			if keys, err = prover.ReadKeysManifest(ctx.String(evmKeysFlag.Name)); err != nil {
				return err
			}
		}
		dpath := ctx.String(DeploymentFlag.Name)
		d, err := contracts.ReadShardedDeployment(dpath)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return withHint(err, "deploy first with: zkinfer deploy-evm --keys circuit.keys.json --rpc URL --chain-id N")
			}
			return err
		}
		chain, err := openChain(ctx)
		if err != nil {
			return err
		}
		defer chain.Close()
		done := newProgress(ctx).Start("verifying on " + chain.Name())
		res, err = chain.VerifyShardedBundleRegistered(ctx.Context, d, sb, keys)
		done()
		if err != nil {
			return shardedPinHint(chainHint(err))
		}
	} else {
		if err := noChainFlags(ctx); err != nil {
			return err
		}
		if ctx.String(evmKeysFlag.Name) == "" {
			return withHint(fmt.Errorf("verify-evm: %w: the bundle carries its shards' own keys, which the prover chose", contracts.ErrNotPinned),
				"pin every shard's key with the keys manifest setup --shards wrote: --keys circuit.keys.json")
		}
		var vks []prover.VerifyingKey
		if keys, vks, err = readShardKeys(ctx); err != nil {
			return err
		}
		if _, err := contracts.CheckShardedKeys(sb, keys); err != nil {
			return shardedPinHint(err)
		}
		chain, err := contracts.NewSimulatedChain()
		if err != nil {
			return err
		}
		defer chain.Close()
		p := newProgress(ctx)
		res, err = chain.VerifyShardedBundle(ctx.Context, sb, keys, vks, compileFunc(p))
		if err != nil {
			return shardedPinHint(err)
		}
	}
	if ctx.Bool(JSONFlag.Name) {
		if err := printJSON(ctx.App.Writer, res); err != nil {
			return err
		}
	} else {
		printShardedEVMResult(ctx.App.Writer, res)
	}
	if !res.Accepted {
		return fmt.Errorf("%w: the registry rejected the sharded proof: %s", verifier.ErrRejected, res.Reason)
	}
	return nil
}

func shardedPinHint(err error) error {
	if errors.Is(err, contracts.ErrKeyMismatch) {
		return withHint(fmt.Errorf("verify-evm: %w", err), "the bundle was not proven with the keys the manifest pins; a bundle's own keys prove nothing, so nothing was sent")
	}
	return err
}

func printShardedEVMResult(w io.Writer, r *contracts.ShardedResult) {
	verdict := "ACCEPTED"
	if !r.Accepted {
		verdict = "REJECTED"
	}
	chain := r.Chain + " chain"
	if r.Chain == "embedded" {
		chain = "embedded chain (go-ethereum simulated backend)"
	}
	fmt.Fprintf(w, "%s: sharded proof of %d shards, by the registry at %s on the %s\n", verdict, r.Shards, r.Registry, chain)
	for i := range r.Verifiers {
		fmt.Fprintf(w, "shard %d: %s verifier %s, vk digest %s\n", i, r.Backend, r.Verifiers[i], r.VKDigests[i])
	}
	fmt.Fprintf(w, "model id: %s\nshards commitment: %s\n", r.ModelID, r.ShardsCommitment)
	if r.DeployGas != 0 {
		fmt.Fprintf(w, "verifiers deploy gas: %d\n", r.DeployGas)
	}
	if r.Accepted {
		fmt.Fprintf(w, "registry verify gas: %d (one transaction, %d shards)\ntransaction: %s\ninput hash: %s\noutput hash: %s\n", r.VerifyGas, r.Shards, r.TxHash, r.InputHash, r.OutputHash)
	} else {
		fmt.Fprintf(w, "reason: %s\n", r.Reason)
	}
}
