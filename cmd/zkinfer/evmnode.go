package main

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

var deployEVMCommand = &cli.Command{
	Name:      "deploy-evm",
	Usage:     "deploy the Solidity verifier and register the model in a registry",
	UsageText: "zkinfer deploy-evm [--vk vk.key | --keys circuit.keys.json [--shards circuit.shards.json]] [--rpc URL --chain-id N [--key-file F]] [--registry ADDR] [--deployment deployment.json]",
	Description: `Generates and compiles the Solidity verifier of the verifying key, deploys it,
deploys a model registry (or uses --registry), and registers the model: its
commitment, the verifier, the public input count and the verifying key's
digest (the registry also pins the verifier's code hash). The key file is
the anchor: the key you made with setup or audited, never a bundle's.
Waits for each receipt and prints transaction hashes and gas; writes the
addresses and the model id to --deployment for verify-evm --rpc, and beside it
Verifier.abi.json, Verifier.bin, Registry.abi.json and Registry.bin for your
own clients (zkinfer calldata prints the arguments).

Without --rpc everything happens on go-ethereum's in-process simulated chain
and is gone when the command ends (useful for gas figures). With --rpc the
transactions go to that node, signed with the secp256k1 private key (64 hex
digits, with or without 0x) in --key-file or in $` + PrivateKeyEnv + `
(never a flag value); its account pays the gas and becomes the model's
registrant, which the model id names. --chain-id must match the node's.

Sharded models: --keys circuit.keys.json (the keys manifest setup --shards
wrote) instead of --vk. The shard key files are those the shard manifest
(--shards, default circuit.shards.json beside the keys manifest) names, and
each must have the digest the keys manifest pins. One verifier is deployed
per distinct shard key, and registerSharded records them in shard order with
every shard's commitment and key digest and the shards commitment; the
deployment file is then a sharded one (` + contracts.ShardedDeploymentMediaType + `),
and beside it each distinct shard verifier's ABI and bytecode are
Verifier.shard-N.abi.json and Verifier.shard-N.bin (N the first shard it
verifies) instead of Verifier.abi.json and Verifier.bin.`,
	Flags: []cli.Flag{VKFlag, evmKeysFlag, evmShardsFlag, RPCFlag, ChainIDFlag, KeyFileFlag, RegistryFlag, MetadataURIFlag, DeploymentFlag, JSONFlag},
	Action: func(ctx *cli.Context) error {
		var registry *common.Address
		if s := ctx.String(RegistryFlag.Name); s != "" {
			if !common.IsHexAddress(s) {
				return fmt.Errorf("--registry %q is not an address", s)
			}
			a := common.HexToAddress(s)
			registry = &a
		}
		if ctx.String(evmKeysFlag.Name) != "" {
			return deployEVMSharded(ctx, registry)
		}
		vk, hdr, digest, err := readPinnedVK(ctx.String(VKFlag.Name))
		if err != nil {
			return err
		}
		commitment, err := contracts.ModelCommitment(hdr.Commitment)
		if err != nil {
			return err
		}
		backend, nPublic, err := contracts.RegistryBackend(vk)
		if err != nil {
			return err
		}
		// The node first: a node that is down or a wrong chain id fails
		// before the slow compile.
		chain, err := openChain(ctx)
		if err != nil {
			return err
		}
		defer chain.Close()
		src, err := contracts.ExportSolidity(vk)
		if err != nil {
			return err
		}
		comp, err := compileSolidity(ctx.Context, newProgress(ctx), src)
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start("deploying on " + chain.Name())
		d, err := contracts.DeployModel(ctx.Context, chain, comp, contracts.ModelRegistration{
			Commitment: commitment, Backend: backend, PublicInputs: nPublic, VKDigest: digest, MetadataURI: ctx.String(MetadataURIFlag.Name),
		}, registry)
		done()
		if err != nil {
			return chainHint(err)
		}
		path := ctx.String(DeploymentFlag.Name)
		if err := d.Write(path); err != nil {
			return err
		}
		// Beside the deployment, what a client needs to call both contracts.
		dir := filepath.Dir(path)
		if err := contracts.WriteArtifacts(dir, comp); err != nil {
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
		fmt.Fprintf(w, "verifier:  %s  deploy gas %d  tx %s\n", d.Verifier.Hex(), d.VerifierTx.GasUsed, d.VerifierTx.Hash.Hex())
		if d.RegistryTx != nil {
			fmt.Fprintf(w, "registry:  %s  deploy gas %d  tx %s\n", d.Registry.Hex(), d.RegistryTx.GasUsed, d.RegistryTx.Hash.Hex())
		} else {
			fmt.Fprintf(w, "registry:  %s\n", d.Registry.Hex())
		}
		fmt.Fprintf(w, "model id:  %s  register gas %d  tx %s\n", d.ModelID.Hex(), d.RegisterTx.GasUsed, d.RegisterTx.Hash.Hex())
		fmt.Fprintf(w, "vk digest: %s\n", d.VKDigest)
		fmt.Fprintf(w, "deployment: %s\n", path)
		fmt.Fprintf(w, "abi, bytecode: %s, %s\n", filepath.Join(dir, verifierContract+".{abi.json,bin}"), abis)
		if d.Chain == "embedded" {
			fmt.Fprintln(w, "note: the embedded chain ends with this command; pass --rpc to deploy to a node")
		}
		return nil
	},
}

// verifyEVMNode verifies a bundle through the registry of a deployment on a
// node; pinned, when not nil, must be the bundle's key and the registered one.
func verifyEVMNode(ctx *cli.Context, b *verifier.Bundle, pinned prover.VerifyingKey, l prover.Layout, opts ...verifier.Option) (*contracts.BundleResult, error) {
	d, err := contracts.ReadDeployment(ctx.String(DeploymentFlag.Name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, withHint(err, "deploy first with: zkinfer deploy-evm --rpc URL --chain-id N")
		}
		return nil, err
	}
	chain, err := openChain(ctx)
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	done := newProgress(ctx).Start("verifying on " + chain.Name())
	res, err := chain.VerifyBundleRegistered(ctx.Context, d, b, pinned, l, opts...)
	done()
	if err != nil {
		if errors.Is(err, contracts.ErrWrongChain) {
			return nil, withHint(fmt.Errorf("%s: %w", ctx.String(DeploymentFlag.Name), err), "use the node and --chain-id the deployment was made on")
		}
		return nil, chainHint(err)
	}
	return res, nil
}

// openChain returns the chain the flags name: a node with --rpc, the
// embedded simulated chain otherwise.
func openChain(ctx *cli.Context) (*contracts.Chain, error) {
	url := ctx.String(RPCFlag.Name)
	if url == "" {
		if err := noChainFlags(ctx); err != nil {
			return nil, err
		}
		return contracts.NewSimulatedChain()
	}
	if !ctx.IsSet(ChainIDFlag.Name) {
		return nil, withHint(errors.New("--rpc needs --chain-id"), "pass the chain id the node must serve, e.g. --chain-id 1337 for geth --dev")
	}
	key, err := loadKey(ctx)
	if err != nil {
		return nil, err
	}
	chain, err := contracts.DialChain(ctx.Context, url, key, new(big.Int).SetUint64(ctx.Uint64(ChainIDFlag.Name)))
	if err != nil {
		return nil, chainHint(err)
	}
	return chain, nil
}

// noChainFlags rejects node flags given without --rpc, which would otherwise
// be ignored silently.
func noChainFlags(ctx *cli.Context) error {
	for _, f := range []string{ChainIDFlag.Name, KeyFileFlag.Name} {
		if ctx.IsSet(f) {
			return withHint(fmt.Errorf("--%s needs --rpc", f), "pass --rpc URL to use a node; without it the embedded chain is used")
		}
	}
	return nil
}

// maxKeyFile bounds a key file: a hex key and some white space.
const maxKeyFile = 4096

// loadKey reads the signing key from --key-file or $ZKINFER_PRIVATE_KEY.
// Neither the key nor the file's content ever appears in messages.
func loadKey(ctx *cli.Context) (*ecdsa.PrivateKey, error) {
	if path := ctx.String(KeyFileFlag.Name); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(data) > maxKeyFile {
			return nil, fmt.Errorf("%s: %w: file larger than %d bytes", path, contracts.ErrBadKey, maxKeyFile)
		}
		key, err := contracts.ParsePrivateKey(string(data))
		if err != nil {
			return nil, withHint(fmt.Errorf("%s: %w", path, err), "the key file holds one secp256k1 private key as 64 hex digits")
		}
		return key, nil
	}
	if v := os.Getenv(PrivateKeyEnv); v != "" {
		key, err := contracts.ParsePrivateKey(v)
		if err != nil {
			return nil, withHint(fmt.Errorf("$%s: %w", PrivateKeyEnv, err), "set it to one secp256k1 private key as 64 hex digits")
		}
		return key, nil
	}
	return nil, withHint(errors.New("--rpc needs a key to sign with"), "pass --key-file FILE or set $%s", PrivateKeyEnv)
}

// revertHints say what to do about each of the registry's custom errors
// (contracts/Registry.sol).
var revertHints = map[string]string{
	"UnknownModel":             "the model is not registered in this registry: check --deployment (or --registry and --model-id), or deploy it with zkinfer deploy-evm",
	"ModelRetired":             "the model was deregistered, and its id can never be registered again: deploy a new verifier with zkinfer deploy-evm",
	"VerifierCodeChanged":      "the code at the registered verifier address is not the code that was registered: do not trust this model",
	"ProofRejected":            "the registered verifier rejected the proof: check the bundle offline against the key you pinned: zkinfer verify --vk vk.key",
	"CommitmentMismatch":       "the bundle's last public input is not the commitment registered under this model id: the bundle is about another model (compare zkinfer calldata's model commitment with the deployment's)",
	"PublicInputCountMismatch": "the bundle has another number of public inputs than the registered verifier takes: it was proven for another circuit",
	"NotAttested":              "that auditor has not attested this model id: require auditors who did, or ask for an attestation",
	"NoAuditors":               "name at least one auditor (--auditor ADDRESS)",
	"VkDigestMismatch":         "the key digest attested is not the one registered: re-derive the key and attest its digest",
	"NotModelOwner":            "only the model's owner (the account that registered it, or was handed it) may do this: sign with its key",
	"ModelExists":              "this account already registered this commitment with this verifier: reuse its model id (modelIdOf(registrant, commitment, verifier))",
	"VerifierHasNoCode":        "there is no contract at the verifier address: deploy the verifier first",
	"InvalidVkDigest":          "register with the verifying key's digest (sha256, as setup prints it)",
}

// chainHint adds what to do to the errors of talking to a node.
func chainHint(err error) error {
	switch {
	case errors.Is(err, contracts.ErrNodeUnreachable):
		return withHint(err, "is the node running and serving JSON-RPC at --rpc? (for a local dev node: geth --dev --http)")
	case errors.Is(err, contracts.ErrWrongChain):
		return withHint(err, "check --chain-id and --rpc: they name different chains")
	case revertHints[contracts.RevertName(err)] != "":
		return withHint(err, "%s", revertHints[contracts.RevertName(err)])
	case strings.Contains(err.Error(), "insufficient funds"):
		return withHint(err, "fund the signing account on this chain")
	}
	return err
}
