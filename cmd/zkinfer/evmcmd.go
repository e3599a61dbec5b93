package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/google/renameio/v2"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// verifierContract is the name gnark gives its Groth16 contract.
const verifierContract = "Verifier"

var createEVMVerifierCommand = &cli.Command{
	Name:      "create-evm-verifier",
	Usage:     "write the Solidity verifier of a verifying key and compile it",
	UsageText: "zkinfer create-evm-verifier [--vk vk.key] [--sol Verifier.sol]",
	Description: `Writes gnark's Solidity verifier for the verifying key, compiles it with the
solc pinned in contracts/package-lock.json, and writes Verifier.abi.json and
Verifier.bin beside it. Needs Node.js and 'npm ci --prefix contracts' once.`,
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
		fmt.Fprintf(ctx.App.Writer, "solidity: %s\nabi, bytecode: %s (%d bytes of creation code)\n", solPath, filepath.Join(filepath.Dir(solPath), verifierContract+".{abi.json,bin}"), len(comp.Bin))
		return nil
	},
}

func createEVMVerifier(ctx context.Context, p prover.Progress, vk groth16.VerifyingKey, solPath string) (*contracts.Compiled, error) {
	var src bytes.Buffer
	if err := contracts.ExportVerifier(vk, &src); err != nil {
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
	UsageText: "zkinfer verify-evm [--bundle proof.json] [--vk vk.key]",
	Description: `Generates the Solidity verifier from the bundle's verifying key (or --vk),
compiles it with the pinned solc, deploys it on go-ethereum's simulated chain
and sends a verifyProof transaction with the bundle's proof and public inputs.
Prints whether the contract accepted and the gas used. Exit code 0 only when
the contract accepts.`,
	Flags: []cli.Flag{BundleFlag, &cli.StringFlag{Name: VKFlag.Name, Category: catFiles, Usage: "trusted verifying key `FILE` the bundle must use"}, JSONFlag},
	Action: func(ctx *cli.Context) error {
		b, err := verifier.Read(ctx.String(BundleFlag.Name))
		if err != nil {
			return err
		}
		if err := checkTrustedVK(b, ctx.String(VKFlag.Name)); err != nil {
			return err
		}
		res, err := verifyEVM(ctx.Context, newProgress(ctx), b, nil)
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
	Chain      string `json:"chain"`
	Address    string `json:"verifier_address"`
	DeployGas  uint64 `json:"deploy_gas"`
	VerifyGas  uint64 `json:"verify_gas"`
	PublicVals int    `json:"public_inputs"`
}

// verifyEVM deploys the verifier of the bundle's key and verifies the bundle
// on the embedded chain. comp, when not nil, is that verifier already compiled.
func verifyEVM(ctx context.Context, p prover.Progress, b *verifier.Bundle, comp *contracts.Compiled) (*evmResult, error) {
	vk := groth16.NewVerifyingKey(ecc.BN254)
	if err := prover.Decode(vk, b.VerifyingKey); err != nil {
		return nil, fmt.Errorf("%w: verifying key: %v", verifier.ErrBundle, err)
	}
	proof := groth16.NewProof(ecc.BN254)
	if err := prover.Decode(proof, b.Proof); err != nil {
		return nil, fmt.Errorf("%w: proof: %v", verifier.ErrBundle, err)
	}
	pub, _, err := verifier.PublicWitness(b)
	if err != nil {
		return nil, err
	}
	if comp == nil {
		var src bytes.Buffer
		if err := contracts.ExportVerifier(vk, &src); err != nil {
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
	ok, gas, err := chain.VerifyGroth16(ctx, comp, addr, proof, pub.Vector().(fr.Vector))
	done()
	if err != nil {
		return nil, err
	}
	return &evmResult{Accepted: ok, Chain: "embedded", Address: addr.Hex(), DeployGas: deployGas, VerifyGas: gas, PublicVals: len(pub.Vector().(fr.Vector))}, nil
}

func printEVMResult(w io.Writer, r *evmResult) {
	verdict := "ACCEPTED"
	if !r.Accepted {
		verdict = "REJECTED"
	}
	fmt.Fprintf(w, "%s by the Solidity verifier at %s on the %s chain (go-ethereum simulated backend)\ndeploy gas: %d\nverify gas: %d (%d public inputs)\n", verdict, r.Address, r.Chain, r.DeployGas, r.VerifyGas, r.PublicVals)
}
