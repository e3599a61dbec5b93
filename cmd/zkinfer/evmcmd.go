package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/ethereum/go-ethereum/common"
	"github.com/google/renameio/v2"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// verifierContract is the contract create-evm-verifier deploys: gnark's Groth16
// contract, or zkinfer's PLONK wrapper (contracts.PlonkContract), same name.
const verifierContract = "Verifier"

var createEVMVerifierCommand = &cli.Command{
	Name:      "create-evm-verifier",
	Usage:     "write the Solidity verifier of a verifying key and compile it",
	UsageText: "zkinfer create-evm-verifier [--vk vk.key] [--sol Verifier.sol]",
	Description: `Writes gnark's Solidity verifier for the verifying key (Groth16, or PLONK with
a wrapper whose verifyProof reverts unless gnark's Verify returns true),
compiles it with the
solc pinned in contracts/package-lock.json, and writes Verifier.abi.json and
Verifier.bin beside it, plus the same as Foundry (out/Verifier.sol/Verifier.json)
and Hardhat (artifacts/contracts/Verifier.sol/Verifier.json) artifacts. Needs
Node.js and 'npm ci --prefix contracts' once.`,
	Flags: []cli.Flag{VKFlag, SolidityFlag},
	Action: func(ctx *cli.Context) error {
		vk, _, err := prover.ReadVerifyingKey(ctx.String(VKFlag.Name))
		if err != nil {
			return withHint(err, "make the keys with: zkinfer setup --dev")
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
		fmt.Fprintf(ctx.App.Writer, "solidity: %s\nabi, bytecode: %s (%d bytes of creation code)\nfoundry: %s\nhardhat: %s\n", solPath, filepath.Join(dir, verifierContract+".{abi.json,bin}"), len(comp.Bin), foundry, hardhat)
		return nil
	},
}

func createEVMVerifier(ctx context.Context, p prover.Progress, vk prover.VerifyingKey, solPath string) (*contracts.Compiled, error) {
	src, err := exportVerifier(vk)
	if err != nil {
		return nil, err
	}
	comp, err := compileSolidity(ctx, p, src.Bytes())
	if err != nil {
		return nil, err
	}
	if err := renameio.WriteFile(solPath, src.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return comp, contracts.WriteArtifacts(filepath.Dir(solPath), comp)
}

// exportVerifier writes the Solidity verifier of either backend; both
// compile to a contract named "Verifier" whose verifyProof reverts on a
// proof it rejects.
func exportVerifier(vk prover.VerifyingKey) (*bytes.Buffer, error) {
	var src bytes.Buffer
	var err error
	switch vk := vk.(type) {
	case *groth16bn254.VerifyingKey:
		err = contracts.ExportVerifier(vk, &src)
	case *plonkbn254.VerifyingKey:
		err = contracts.ExportPlonkVerifier(vk, &src)
	default:
		err = fmt.Errorf("%w: verifying key is %T", prover.ErrUnsupportedBackend, vk)
	}
	return &src, err
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

var verifyEVMCommand = &cli.Command{
	Name:      "verify-evm",
	Usage:     "verify a proof bundle with the generated Solidity verifier on an in-process EVM",
	UsageText: "zkinfer verify-evm [--bundle proof.json] [--vk vk.key] [--rpc URL --chain-id N [--key-file F] [--deployment deployment.json]]",
	Description: `Without --rpc: generates the Solidity verifier from the bundle's verifying key
(or --vk), compiles it with the pinned solc, deploys it and a model registry on
go-ethereum's in-process simulated chain, and verifies the bundle's proof and
public inputs with a verifyProof transaction (Groth16 or PLONK, from the
bundle) and through the registry.

With --rpc: sends verifyInference to the registry and model that deploy-evm
recorded in --deployment, signed with the key from --key-file or $` + PrivateKeyEnv + `,
and waits for the receipt.

Prints whether the contract accepted, the gas used and the transaction hash.
Exit code 0 only when the contract accepts.`,
	Flags: []cli.Flag{BundleFlag, &cli.StringFlag{Name: VKFlag.Name, Category: catFiles, Usage: "trusted verifying key `FILE` the bundle must use"}, JSONFlag,
		RPCFlag, ChainIDFlag, KeyFileFlag, DeploymentFlag},
	Action: func(ctx *cli.Context) error {
		b, err := verifier.Read(ctx.String(BundleFlag.Name))
		if err != nil {
			return err
		}
		if err := checkTrustedVK(b, ctx.String(VKFlag.Name)); err != nil {
			return err
		}
		var res *evmResult
		if ctx.String(RPCFlag.Name) != "" {
			res, err = verifyEVMNode(ctx, b)
		} else {
			if err := noChainFlags(ctx); err != nil {
				return err
			}
			res, err = verifyEVM(ctx.Context, newProgress(ctx), b, nil)
		}
		if err != nil {
			return err
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

type evmResult struct {
	Accepted   bool   `json:"accepted"`
	Backend    string `json:"backend"`
	Chain      string `json:"chain"`
	Address    string `json:"verifier_address,omitempty"`
	DeployGas  uint64 `json:"deploy_gas,omitempty"`
	VerifyGas  uint64 `json:"verify_gas,omitempty"`
	PublicVals int    `json:"public_inputs"`
	// Registry path: verifyInference through the model registry.
	Registry          string `json:"registry_address,omitempty"`
	ModelID           string `json:"model_id,omitempty"`
	RegistryVerifyGas uint64 `json:"registry_verify_gas,omitempty"`
	TxHash            string `json:"tx_hash,omitempty"`
	PublicInputsHash  string `json:"public_inputs_hash,omitempty"`
}

// verifyEVM deploys the verifier of the bundle's key and verifies the bundle
// on the embedded chain. comp, when not nil, is that verifier already compiled.
func verifyEVM(ctx context.Context, p prover.Progress, b *verifier.Bundle, comp *contracts.Compiled) (*evmResult, error) {
	vk, proof, err := verifier.Decode(b)
	if err != nil {
		return nil, err
	}
	pub, _, err := verifier.PublicWitness(b)
	if err != nil {
		return nil, err
	}
	if comp == nil {
		src, err := exportVerifier(vk)
		if err != nil {
			return nil, err
		}
		if comp, err = compileSolidity(ctx, p, src.Bytes()); err != nil {
			return nil, err
		}
	}
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	addr, deployGas, err := chain.Deploy(ctx, comp)
	if err != nil {
		return nil, err
	}
	done := p.Start("verifying on chain")
	defer done()
	inputs := pub.Vector().(fr.Vector)
	var (
		ok              bool
		gas             uint64
		proofBytes      []byte
		ins             []*big.Int
		registryBackend contracts.Backend
	)
	switch proof := proof.(type) {
	case *groth16bn254.Proof:
		ok, gas, err = chain.VerifyGroth16(ctx, comp, addr, proof, inputs)
		if err == nil {
			proofBytes, ins, err = contracts.Groth16Calldata(proof, inputs)
		}
		registryBackend = contracts.BackendGroth16
	case *plonkbn254.Proof:
		ok, gas, err = chain.VerifyPLONK(ctx, comp, addr, proof, inputs)
		if err == nil {
			proofBytes, ins, err = contracts.PlonkCalldata(proof, inputs)
		}
		registryBackend = contracts.BackendPlonk
	default:
		err = fmt.Errorf("%w: proof of unsupported type %T", verifier.ErrBundle, proof)
	}
	if err != nil {
		return nil, err
	}
	res := &evmResult{Accepted: ok, Backend: b.Backend, Chain: chain.Name(), Address: addr.Hex(), DeployGas: deployGas, VerifyGas: gas, PublicVals: len(inputs)}
	if !ok {
		return res, nil
	}
	// The same proof through the registry, for the registry's gas.
	commitment, err := modelCommitment(b.ModelCommitment)
	if err != nil {
		return nil, err
	}
	reg, err := chain.DeployRegistry(ctx)
	if err != nil {
		return nil, err
	}
	id, _, err := chain.RegisterModel(ctx, reg.ContractAddress, contracts.ModelRegistration{Commitment: commitment, Verifier: addr, Backend: registryBackend, PublicInputs: len(inputs)})
	if err != nil {
		return nil, err
	}
	ev, rcpt, err := chain.VerifyInference(ctx, reg.ContractAddress, id, proofBytes, ins)
	if err != nil {
		return nil, err
	}
	res.Registry, res.ModelID, res.RegistryVerifyGas = reg.ContractAddress.Hex(), id.Hex(), rcpt.GasUsed
	res.TxHash, res.PublicInputsHash = rcpt.TxHash.Hex(), common.Hash(ev.PublicInputsHash).Hex()
	return res, nil
}

func printEVMResult(w io.Writer, r *evmResult) {
	verdict := "ACCEPTED"
	if !r.Accepted {
		verdict = "REJECTED"
	}
	chain := r.Chain + " chain"
	if r.Chain == "embedded" {
		chain = "embedded chain (go-ethereum simulated backend)"
	}
	if r.Address != "" {
		fmt.Fprintf(w, "%s by the %s Solidity verifier at %s on the %s\ndeploy gas: %d\nverify gas: %d (%d public inputs)\n", verdict, r.Backend, r.Address, chain, r.DeployGas, r.VerifyGas, r.PublicVals)
	} else {
		fmt.Fprintf(w, "%s by the registry at %s on the %s\n", verdict, r.Registry, chain)
	}
	if r.RegistryVerifyGas != 0 {
		fmt.Fprintf(w, "registry verify gas: %d (model %s)\ntransaction: %s\npublic inputs hash: %s\n", r.RegistryVerifyGas, r.ModelID, r.TxHash, r.PublicInputsHash)
	}
}
