package main

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

var deployEVMCommand = &cli.Command{
	Name:      "deploy-evm",
	Usage:     "deploy the Solidity verifier and register the model in a registry",
	UsageText: "zkinfer deploy-evm [--vk vk.key] [--rpc URL --chain-id N [--key-file F]] [--registry ADDR] [--deployment deployment.json]",
	Description: `Generates and compiles the Solidity verifier of the verifying key, deploys it,
deploys a model registry (or uses --registry), and registers the model: its
commitment (today the model digest), the verifier, and the public input count.
Waits for each receipt and prints transaction hashes and gas; writes the
addresses and the model id to --deployment for verify-evm --rpc.

Without --rpc everything happens on go-ethereum's in-process simulated chain
and is gone when the command ends (useful for gas figures). With --rpc the
transactions go to that node, signed with the key in --key-file or in
$` + PrivateKeyEnv + ` (64 hex digits); --chain-id must match the node's.`,
	Flags: []cli.Flag{VKFlag, RPCFlag, ChainIDFlag, KeyFileFlag, RegistryFlag, MetadataURIFlag, DeploymentFlag, JSONFlag},
	Action: func(ctx *cli.Context) error {
		vk, hdr, err := prover.ReadVerifyingKey(ctx.String(VKFlag.Name))
		if err != nil {
			return withHint(err, "make the keys with: zkinfer setup --dev")
		}
		commitment, err := modelCommitment(hdr.Commitment)
		if err != nil {
			return err
		}
		var registry *common.Address
		if s := ctx.String(RegistryFlag.Name); s != "" {
			if !common.IsHexAddress(s) {
				return fmt.Errorf("--registry %q is not an address", s)
			}
			a := common.HexToAddress(s)
			registry = &a
		}
		// The node first: a node that is down or a wrong chain id fails
		// before the slow compile.
		chain, err := openChain(ctx)
		if err != nil {
			return err
		}
		defer chain.Close()
		comp, err := compileVerifier(ctx, vk)
		if err != nil {
			return err
		}
		backend, nPublic, err := registryBackend(vk)
		if err != nil {
			return err
		}
		done := newProgress(ctx).Start("deploying on " + chain.Name())
		d, err := contracts.DeployModel(ctx.Context, chain, comp, contracts.ModelRegistration{
			Commitment: commitment, Backend: backend, PublicInputs: nPublic, MetadataURI: ctx.String(MetadataURIFlag.Name),
		}, registry)
		done()
		if err != nil {
			return chainHint(err)
		}
		path := ctx.String(DeploymentFlag.Name)
		if err := d.Write(path); err != nil {
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
		fmt.Fprintf(w, "deployment: %s\n", path)
		if d.Chain == "embedded" {
			fmt.Fprintln(w, "note: the embedded chain ends with this command; pass --rpc to deploy to a node")
		}
		return nil
	},
}

func compileVerifier(ctx *cli.Context, vk prover.VerifyingKey) (*contracts.Compiled, error) {
	src, err := exportVerifier(vk)
	if err != nil {
		return nil, err
	}
	return compileSolidity(ctx.Context, newProgress(ctx), src.Bytes())
}

// registryBackend returns the registry's backend and public input count for vk.
func registryBackend(vk prover.VerifyingKey) (contracts.Backend, int, error) {
	switch vk := vk.(type) {
	case *groth16bn254.VerifyingKey:
		n, err := contracts.Groth16PublicInputs(vk)
		return contracts.BackendGroth16, n, err
	case *plonkbn254.VerifyingKey:
		return contracts.BackendPlonk, int(vk.NbPublicVariables), nil
	}
	return 0, 0, fmt.Errorf("%w: verifying key is %T", prover.ErrUnsupportedBackend, vk)
}

// calldata encodes a bundle's proof and public inputs for its verifier.
func calldata(b *verifier.Bundle) ([]byte, []*big.Int, error) {
	_, proof, err := verifier.Decode(b)
	if err != nil {
		return nil, nil, err
	}
	pub, _, err := verifier.PublicWitness(b)
	if err != nil {
		return nil, nil, err
	}
	switch proof := proof.(type) {
	case *groth16bn254.Proof:
		return contracts.Groth16Calldata(proof, pub.Vector().(fr.Vector))
	case *plonkbn254.Proof:
		return contracts.PlonkCalldata(proof, pub.Vector().(fr.Vector))
	}
	return nil, nil, fmt.Errorf("%w: proof of unsupported type %T", verifier.ErrBundle, proof)
}

// verifyEVMNode verifies a bundle through the registry of a deployment on a node.
func verifyEVMNode(ctx *cli.Context, b *verifier.Bundle) (*evmResult, error) {
	d, err := contracts.ReadDeployment(ctx.String(DeploymentFlag.Name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, withHint(err, "deploy first with: zkinfer deploy-evm --rpc URL --chain-id N")
		}
		return nil, err
	}
	proofBytes, inputs, err := calldata(b)
	if err != nil {
		return nil, err
	}
	chain, err := openChain(ctx)
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	if chain.ChainID().Uint64() != d.ChainID {
		return nil, withHint(fmt.Errorf("%s: deployment is on chain id %d, the node serves %s", ctx.String(DeploymentFlag.Name), d.ChainID, chain.ChainID()), "use the node and --chain-id the deployment was made on")
	}
	done := newProgress(ctx).Start("verifying on " + chain.Name())
	ev, rcpt, err := chain.VerifyInference(ctx.Context, d.Registry, d.ModelID, proofBytes, inputs)
	done()
	res := &evmResult{Chain: chain.Name(), PublicVals: len(inputs), Registry: d.Registry.Hex(), ModelID: d.ModelID.Hex()}
	if contracts.RevertName(err) == "ProofRejected" {
		return res, nil
	}
	if err != nil {
		return nil, chainHint(err)
	}
	res.Accepted, res.RegistryVerifyGas, res.TxHash = true, rcpt.GasUsed, rcpt.TxHash.Hex()
	res.PublicInputsHash = common.Hash(ev.PublicInputsHash).Hex()
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

// chainHint adds what to do to the errors of talking to a node.
func chainHint(err error) error {
	switch {
	case errors.Is(err, contracts.ErrNodeUnreachable):
		return withHint(err, "is the node running and serving JSON-RPC at --rpc? (for a local dev node: geth --dev --http)")
	case errors.Is(err, contracts.ErrWrongChain):
		return withHint(err, "check --chain-id and --rpc: they name different chains")
	case contracts.RevertName(err) == "UnknownModel":
		return withHint(err, "the model is not (or no longer) registered: deploy it with zkinfer deploy-evm")
	case strings.Contains(err.Error(), "insufficient funds"):
		return withHint(err, "fund the signing account on this chain")
	}
	return err
}

// modelCommitment turns a model commitment (quant.FormatCommitment) into the
// bytes32 the registry stores: the same field element the proof's last
// public input holds.
func modelCommitment(commitment string) (common.Hash, error) {
	h, ok := strings.CutPrefix(commitment, quant.CommitmentPrefix+"0x")
	b, err := hex.DecodeString(h)
	if !ok || err != nil || len(b) != 32 {
		return common.Hash{}, fmt.Errorf("model commitment %q is not %s0x<64 hex digits>", commitment, quant.CommitmentPrefix)
	}
	return common.BytesToHash(b), nil
}
