package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
	"github.com/zkinfer/zkinfer/quant"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// verifierContract is the contract create-evm-verifier deploys: gnark's Groth16
// contract, or zkinfer's PLONK wrapper (contracts.PlonkContract), same name.
const verifierContract = contracts.PlonkContract

var createEVMVerifierCommand = &cli.Command{
	Name:      "create-evm-verifier",
	Usage:     "write the Solidity verifier of a verifying key and compile it",
	UsageText: "zkinfer create-evm-verifier [--vk vk.key] [--sol Verifier.sol]",
	Description: `Writes gnark's Solidity verifier for the verifying key (Groth16, or PLONK with
a wrapper whose verifyProof reverts unless gnark's Verify returns true),
compiles it with the
solc pinned in contracts/package-lock.json, and writes Verifier.abi.json and
Verifier.bin beside it, plus the same as Foundry (out/Verifier.sol/Verifier.json)
and Hardhat (artifacts/contracts/Verifier.sol/Verifier.json) artifacts, and the
model registry's Registry.abi.json, Registry.bin and artifacts likewise (for
clients: see zkinfer calldata). Needs
Node.js and 'npm ci --prefix contracts' once. The verifier is only ever built
from a key file (the one you made with setup, or audited), never from a
bundle's embedded key; the key's digest is printed.`,
	Flags: []cli.Flag{VKFlag, SolidityFlag},
	Action: func(ctx *cli.Context) error {
		vk, hdr, digest, err := readPinnedVK(ctx.String(VKFlag.Name))
		if err != nil {
			return err
		}
		if err := contracts.CheckOnChain(hdr.IO()); err != nil {
			return fmt.Errorf("create-evm-verifier: %w", err)
		}
		solPath := ctx.String(SolidityFlag.Name)
		comp, err := createEVMVerifier(ctx.Context, newProgress(ctx), vk, solPath)
		if err != nil {
			return err
		}
		dir := filepath.Dir(solPath)
		foundry, hardhat, err := contracts.WriteToolArtifacts(dir, comp)
		if err != nil {
			return err
		}
		reg, err := writeRegistryArtifacts(dir, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "solidity: %s\nabi, bytecode: %s (%d bytes of creation code)\nfoundry: %s\nhardhat: %s\nregistry abi, bytecode: %s\nvk digest: %s\n", solPath, filepath.Join(dir, verifierContract+".{abi.json,bin}"), len(comp.Bin), foundry, hardhat, reg, contracts.FormatVKDigest(digest))
		return nil
	},
}

// writeRegistryArtifacts writes the registry's Registry.abi.json and
// Registry.bin into dir, with its Foundry and Hardhat artifacts when tools
// is set, so that clients need no Go binding; it returns the pattern of the
// paths written.
func writeRegistryArtifacts(dir string, tools bool) (string, error) {
	reg, err := contracts.RegistryCompiled()
	if err != nil {
		return "", err
	}
	if err := contracts.WriteArtifacts(dir, reg); err != nil {
		return "", err
	}
	if tools {
		if _, _, err := contracts.WriteToolArtifacts(dir, reg); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, contracts.RegistryContract+".{abi.json,bin}"), nil
}

// readPinnedVK reads a verifying key the user vouches for, its header and
// its digest.
func readPinnedVK(path string) (prover.VerifyingKey, prover.Header, common.Hash, error) {
	vk, hdr, err := prover.ReadVerifyingKey(path)
	if err != nil {
		return nil, hdr, common.Hash{}, withHint(err, "make the keys with: zkinfer setup --dev")
	}
	digest, err := contracts.VKDigest(vk, hdr.Layout())
	if err != nil {
		return nil, hdr, common.Hash{}, err
	}
	return vk, hdr, digest, nil
}

func createEVMVerifier(ctx context.Context, p prover.Progress, vk prover.VerifyingKey, solPath string) (*contracts.Compiled, error) {
	src, err := contracts.ExportSolidity(vk)
	if err != nil {
		return nil, err
	}
	comp, err := compileSolidity(ctx, p, src)
	if err != nil {
		return nil, err
	}
	if err := quant.WriteFile(solPath, src, 0o644); err != nil {
		return nil, err
	}
	return comp, contracts.WriteArtifacts(filepath.Dir(solPath), comp)
}

func compileSolidity(ctx context.Context, p prover.Progress, src []byte) (*contracts.Compiled, error) {
	done := p.Start("compiling the verifier with solc")
	comp, err := contracts.Compile(ctx, src, verifierContract)
	done()
	if err != nil {
		if strings.Contains(err.Error(), "npm ci") {
			return nil, withHint(err, "install the pinned solc once: npm ci --prefix contracts (from the repository root)")
		}
		return nil, err
	}
	return comp, nil
}

// pinnedVKFlag is verify-evm's --vk: no default, because the key must be one
// the user names, never whatever file happens to be there or the bundle's.
var pinnedVKFlag = &cli.StringFlag{
	Name: VKFlag.Name, Category: catFiles,
	Usage: "pinned verifying key `FILE` (one you made or audited): the Solidity verifier is built from it and the bundle must carry it",
}

var verifyEVMCommand = &cli.Command{
	Name:      "verify-evm",
	Usage:     "verify a proof bundle on chain: the pinned key's Solidity verifier on an in-process EVM, or a deployed registry on a node (--rpc)",
	UsageText: "zkinfer verify-evm --vk vk.key [--bundle proof.json] | verify-evm --keys circuit.keys.json [--shards circuit.shards.json] [--bundle proof.json] | verify-evm --rpc URL --chain-id N [--key-file F] [--deployment deployment.json] [--vk vk.key | --keys circuit.keys.json]",
	Description: `Without --rpc: refuses unless --vk names the verifying key to trust (the key
you made with setup, or audited) and the bundle carries that key: a bundle's
own key proves nothing, anyone can make one for a circuit of their choosing.
Then generates the Solidity verifier from that key, compiles it with the
pinned solc, deploys it and a model registry on go-ethereum's in-process
simulated chain, and verifies the bundle's proof and public inputs with a
verifyProof transaction (Groth16 or PLONK) and through the registry.

With --rpc: sends verifyInference to the registry and model that deploy-evm
recorded in --deployment, signed with the key from --key-file or $` + PrivateKeyEnv + `,
and waits for the receipt. There the registered verifier is the anchor (the
registry pins its code hash); with --vk the bundle's key and the key digest
the model was registered with must also be that key's.

Prints whether the contract accepted, the gas used, the transaction hash and
the verifying key's digest. Exit code 0 only when the contract accepts.

A committed input or output: its public input is recomputed from the
bundle's values and the basis file beside --vk (vk.input.basis,
vk.output.basis; or --input-basis, --output-basis), checked against the
pinned key's digest of it. One committed side at most on chain (with the
lookups' that makes the two BSB22 commitments the contract verifies).

Sharded bundles: --keys circuit.keys.json pins every shard's key (--vk does
not apply). Without --rpc the shard verifiers are built from the key files
the shard manifest (--shards) names, each checked against the keys
manifest, deployed with a registry on the simulated chain, and the whole
bundle is verified by one verifyShardedInference transaction: every shard's
proof, the hash chain between shards and every shard's commitment. With
--rpc it goes to the registry and model of a sharded --deployment
(deploy-evm --keys); --keys there also checks the bundle's keys and the
registration against the manifest.

Aggregated bundles (zkinfer aggregate): --vk pins the outer verifying key
(aggregate's --outer-vk file). Without --rpc its verifier is deployed with a
registry, the aggregated model registered (the shards commitment with the
outer verifier and key digest) and the outer proof verified by verifyProof
and through verifyInference. With --rpc it goes to the registry entry
deploy-evm --vk vk.agg.key made.`,
	Flags: []cli.Flag{BundleFlag, pinnedVKFlag, InputBasisFlag, OutputBasisFlag, evmKeysFlag, evmShardsFlag, JSONFlag, RPCFlag, ChainIDFlag, KeyFileFlag, DeploymentFlag},
	Action: func(ctx *cli.Context) error {
		if agg, _ := isAggregatedBundle(ctx.String(BundleFlag.Name)); agg {
			return verifyEVMAggregated(ctx, ctx.String(BundleFlag.Name))
		}
		if sharded, _ := isShardedBundle(ctx.String(BundleFlag.Name)); sharded {
			return verifyEVMSharded(ctx, ctx.String(BundleFlag.Name))
		}
		if ctx.IsSet(evmKeysFlag.Name) || ctx.IsSet(evmShardsFlag.Name) {
			return errors.New("verify-evm: --keys and --shards are for sharded bundles; pin a single bundle's key with --vk")
		}
		b, err := readSingleBundle(ctx.String(BundleFlag.Name))
		if err != nil {
			return err
		}
		if err := contracts.CheckOnChain(b.Visibility); err != nil {
			return fmt.Errorf("verify-evm: %w", err)
		}
		var (
			pinned prover.VerifyingKey
			hdr    prover.Header
		)
		vkPath := ctx.String(pinnedVKFlag.Name)
		if vkPath != "" {
			if pinned, hdr, _, err = readPinnedVK(vkPath); err != nil {
				return err
			}
		}
		var res *contracts.BundleResult
		if ctx.String(RPCFlag.Name) != "" {
			res, err = verifyEVMNode(ctx, b, pinned, hdr.Layout(), ioBasisFiles(ctx, b))
		} else {
			if err := noChainFlags(ctx); err != nil {
				return err
			}
			res, err = verifyEVM(ctx.Context, newProgress(ctx), b, pinned, hdr.Layout(), nil, ioBasisFiles(ctx, b))
		}
		if err != nil {
			return pinHint(err, vkPath)
		}
		if ctx.Bool(JSONFlag.Name) {
			if err := printJSON(ctx.App.Writer, res); err != nil {
				return err
			}
		} else {
			printEVMResult(ctx.App.Writer, res)
		}
		if !res.Accepted {
			return fmt.Errorf("%w: the verifier contract rejected the proof", verifier.ErrRejected)
		}
		return nil
	},
}

// readSingleBundle reads a v1 bundle; a sharded one is refused with a hint.
func readSingleBundle(path string) (*verifier.Bundle, error) {
	b, err := verifier.Read(path)
	if err != nil && errors.Is(err, verifier.ErrUnsupportedVersion) {
		if sharded, _ := isShardedBundle(path); sharded {
			return nil, withHint(err, "verify-evm: pin a sharded bundle's keys with --keys circuit.keys.json")
		}
	}
	return b, err
}

// pinHint says what to do when the verifying key is not pinned or not the
// pinned one.
func pinHint(err error, vkPath string) error {
	switch {
	case errors.Is(err, contracts.ErrNotPinned):
		return withHint(fmt.Errorf("verify-evm: %w: the bundle carries its own key, which the prover chose", err),
			"pass --vk vk.key (the key you made or audited): the Solidity verifier is built from it, and the bundle must carry it")
	case errors.Is(err, contracts.ErrKeyMismatch):
		return withHint(fmt.Errorf("verify-evm: %s: %w", vkPath, err),
			"the bundle was not proven with the key you pinned; a bundle's own key proves nothing, so nothing was deployed")
	}
	return err
}

// verifyEVM verifies the bundle on the embedded chain with the verifier of
// the pinned key; comp, when not nil, is that verifier already compiled. The
// key is checked before anything is compiled or deployed.
func verifyEVM(ctx context.Context, p prover.Progress, b *verifier.Bundle, pinned prover.VerifyingKey, l prover.Layout, comp *contracts.Compiled, opts ...verifier.Option) (*contracts.BundleResult, error) {
	if _, err := contracts.CheckBundleKey(b, pinned, l); err != nil {
		return nil, err
	}
	if comp == nil {
		src, err := contracts.ExportSolidity(pinned)
		if err != nil {
			return nil, err
		}
		if comp, err = compileSolidity(ctx, p, src); err != nil {
			return nil, err
		}
	}
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	done := p.Start("verifying on chain")
	defer done()
	return chain.VerifyBundle(ctx, b, pinned, l, comp, opts...)
}

func printEVMResult(w io.Writer, r *contracts.BundleResult) {
	verdict := "ACCEPTED"
	if !r.Accepted {
		verdict = "REJECTED"
	}
	chain := r.Chain + " chain"
	if r.Chain == "embedded" {
		chain = "embedded chain (go-ethereum simulated backend)"
	}
	if r.Address != "" {
		fmt.Fprintf(w, "%s by the %s Solidity verifier at %s on the %s\ndeploy gas: %d\nverify gas: %d (%d public inputs)\n", verdict, r.Backend, r.Address, chain, r.DeployGas, r.VerifyGas, r.PublicInputs)
	} else {
		fmt.Fprintf(w, "%s by the registry at %s on the %s\n", verdict, r.Registry, chain)
	}
	if r.VKDigest != "" {
		fmt.Fprintf(w, "vk digest: %s\n", r.VKDigest)
	}
	if r.RegistryVerifyGas != 0 {
		fmt.Fprintf(w, "registry verify gas: %d (model %s)\ntransaction: %s\npublic inputs hash: %s\n", r.RegistryVerifyGas, r.ModelID, r.TxHash, r.PublicInputsHash)
	}
}
