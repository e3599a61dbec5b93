package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/verifier"
)

var calldataCommand = &cli.Command{
	Name:      "calldata",
	Usage:     "print what the Solidity verifier and the registry take for a bundle (does not verify)",
	UsageText: "zkinfer calldata [--json] [--deployment deployment.json | --registry ADDR --model-id ID] [BUNDLE]",
	Description: `Encodes a proof bundle (default ` + DefaultBundle + `) for your own client (ethers, viem,
cast, a contract):

  - the proof in the verifier's encoding (uncompressed points, gnark's
    MarshalSolidity; a Groth16 proof with a BSB22 commitment carries the
    commitment and its proof of knowledge too), not the bundle's compressed
    encoding;
  - every public input as a uint256 (decimal and 0x hex), in order, with the
    tensor it comes from: input and output (Poseidon2 hashes, packed values or
    commitments, as the visibility says) and, last, the model commitment the
    registry compares with the registered one;
  - the signatures and 4-byte selectors of the verifier's
    verifyProof(bytes, uint256[N]) (Groth16; PLONK: uint256[]) and the
    registry's verifyInference(bytes32, bytes, uint256[]), with the whole
    ABI-encoded calldata of each (the registry's needs a model id: --model-id,
    or --deployment to take it, the registry and the verifier from deploy-evm's
    file).

With --json, one object (media type ` + contracts.CalldataMediaType + `).
The ABIs are the Verifier.abi.json and Registry.abi.json that
create-evm-verifier and deploy-evm write.

This verifies NOTHING: a bundle is evidence whose every byte the prover chose.
Check it with: zkinfer verify --vk vk.key (a key you pinned: see the README,
"Verifying: trust anchors"), or let the registered verifier decide on chain.`,
	Flags: []cli.Flag{BundleFlag, JSONFlag, CalldataDeploymentFlag, CalldataRegistryFlag, CalldataModelIDFlag, InputBasisFlag, OutputBasisFlag},
	Action: func(ctx *cli.Context) error {
		path := ctx.String(BundleFlag.Name)
		switch {
		case ctx.NArg() > 1:
			return withHint(fmt.Errorf("calldata takes one bundle, got %q", ctx.Args().Slice()), "flags go before the bundle: zkinfer calldata --json proof.json")
		case ctx.NArg() == 1 && ctx.IsSet(BundleFlag.Name):
			return withHint(errors.New("calldata: two bundles given (an argument and --bundle)"), "name the bundle once")
		case ctx.NArg() == 1:
			path = ctx.Args().First()
		}
		registry, verifierAddr, modelID, err := calldataTargets(ctx)
		if err != nil {
			return err
		}
		b, err := readSingleBundle(path)
		if err != nil {
			return err
		}
		// A committed input or output: its public input is recomputed
		// from the bundle's values over the basis file given.
		cd, err := contracts.NewCalldata(b, modelID, registry, verifierAddr, verifier.IOBasisFiles(ctx.String(InputBasisFlag.Name), ctx.String(OutputBasisFlag.Name)))
		if err != nil {
			return err
		}
		if ctx.Bool(JSONFlag.Name) {
			return printJSON(ctx.App.Writer, cd)
		}
		printCalldata(ctx.App.Writer, cd)
		return nil
	},
}

var hash32 = regexp.MustCompile(`^0x[0-9a-fA-F]{64}$`)

// calldataTargets reads the registry, verifier and model id from
// --deployment or from --registry and --model-id.
func calldataTargets(ctx *cli.Context) (registry, verifierAddr *common.Address, modelID *common.Hash, err error) {
	if path := ctx.String(CalldataDeploymentFlag.Name); path != "" {
		if ctx.IsSet(CalldataRegistryFlag.Name) || ctx.IsSet(CalldataModelIDFlag.Name) {
			return nil, nil, nil, withHint(errors.New("--deployment names the registry and the model id already"), "pass either --deployment or --registry and --model-id")
		}
		d, err := contracts.ReadDeployment(path)
		if err != nil {
			return nil, nil, nil, err
		}
		return &d.Registry, &d.Verifier, &d.ModelID, nil
	}
	if s := ctx.String(CalldataRegistryFlag.Name); s != "" {
		if !common.IsHexAddress(s) {
			return nil, nil, nil, fmt.Errorf("--registry %q is not an address", s)
		}
		a := common.HexToAddress(s)
		registry = &a
	}
	if s := ctx.String(CalldataModelIDFlag.Name); s != "" {
		if !hash32.MatchString(s) {
			return nil, nil, nil, withHint(fmt.Errorf("--model-id %q is not 0x and 64 hex digits", s), "take the model id from deploy-evm's output or deployment.json")
		}
		h := common.HexToHash(s)
		modelID = &h
	}
	return registry, nil, modelID, nil
}

func printCalldata(w io.Writer, cd *contracts.Calldata) {
	fmt.Fprintf(w, "note: %s\n", cd.Note)
	fmt.Fprintf(w, "backend: %s\nvk digest (the bundle's own claim): %s\nmodel commitment: %s\n", cd.Backend, cd.VKDigest, cd.ModelCommitment)
	fmt.Fprintf(w, "\nproof (%d bytes, the verifier's encoding):\n%s\n", cd.ProofBytes, cd.Proof)
	fmt.Fprintf(w, "\npublic inputs (%d uint256, in order):\n", len(cd.PublicInputs))
	for _, p := range cd.PublicInputs {
		fmt.Fprintf(w, "[%d] %s: %s\n    dec %s\n    hex %s\n", p.Index, p.Name, p.Meaning, p.Decimal, p.Hex)
	}
	for _, c := range []struct {
		who  string
		call contracts.Call
	}{{"verifier", cd.Verifier}, {"registry", cd.Registry}} {
		fmt.Fprintf(w, "\n%s: %s  selector %s\n", c.who, c.call.Signature, c.call.Selector)
		if c.call.To != "" {
			fmt.Fprintf(w, "to: %s\n", c.call.To)
		}
		switch {
		case c.call.Data != "":
			fmt.Fprintf(w, "calldata: %s\n", c.call.Data)
		case c.who == "registry":
			fmt.Fprintln(w, "calldata: pass --model-id (or --deployment) to encode verifyInference(modelId, proof, publicInputs)")
		}
	}
	if cd.ModelID != "" {
		fmt.Fprintf(w, "model id: %s\n", cd.ModelID)
	}
}
