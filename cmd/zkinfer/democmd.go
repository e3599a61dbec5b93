package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/importer"
	"github.com/zkinfer/zkinfer/verifier"
)

// The bundled demo model, relative to the repository root.
var (
	demoModel       = filepath.Join("testdata", "demo", "model.safetensors")
	demoCalibration = filepath.Join("testdata", "demo", "calibration.json")
	demoInput       = filepath.Join("testdata", "demo", "input.json")
)

var demoCommand = &cli.Command{
	Name:      "demo",
	Usage:     "run the whole pipeline on the bundled demo model",
	UsageText: "zkinfer demo [--dir zkinfer-demo] [--backend groth16|plonk]   (from the repository root)",
	Description: `Runs gen-settings, calibrate-settings, compile-circuit, setup --dev, prove,
verify, create-evm-verifier and verify-evm on testdata/demo (two GPT-2 decoder
blocks and ln_f: d_model=64, 4 heads, d_hidden=256, 8 tokens), writes every
artifact into --dir, and prints a summary. Takes about two minutes on 2 cores,
most of it the setup.`,
	Flags: []cli.Flag{DirFlag, BackendFlag},
	Action: func(ctx *cli.Context) error {
		if _, err := os.Stat(demoModel); err != nil {
			return withHint(fmt.Errorf("demo: %w", err), "run the demo from the repository root (regenerate the model with: go run ./testdata/gen)")
		}
		dir := ctx.String(DirFlag.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path := func(name string) string { return filepath.Join(dir, name) }
		out, p := ctx.App.Writer, newProgress(ctx)
		if err := genSettings(out, demoModel, importer.Options{}, path(DefaultSettings), quant.DefaultVisibility); err != nil {
			return err
		}
		rep, err := calibrate(path(DefaultSettings), demoCalibration)
		if err != nil {
			return err
		}
		printAccuracy(out, rep)
		backend := ctx.String(BackendFlag.Name)
		if err := compileCircuit(out, p, backend, path(DefaultSettings), path(DefaultQuantized), path(DefaultCircuit)); err != nil {
			return err
		}
		if err := setup(out, ctx.App.ErrWriter, p, true, "", backend, path(DefaultCircuit), path(DefaultPK), path(DefaultVK)); err != nil {
			return err
		}
		pr, err := prove(p, path(DefaultQuantized), path(DefaultCircuit), path(DefaultPK), path(DefaultVK), demoInput, path(DefaultBundle), path(DefaultBundle+SaltsSuffix))
		if err != nil {
			return err
		}
		res, err := verifyBundle(path(DefaultBundle), path(DefaultVK))
		if err != nil {
			return err
		}
		vk, vkh, err := prover.ReadVerifyingKey(path(DefaultVK))
		if err != nil {
			return err
		}
		comp, err := createEVMVerifier(ctx.Context, p, vk, path(DefaultSolidity))
		if err != nil {
			return err
		}
		evm, err := verifyEVM(ctx.Context, p, pr.bundle, vk, vkh.Layout(), comp)
		if err != nil {
			return err
		}
		c, err := prover.ReadHeader(path(DefaultCircuit))
		if err != nil {
			return err
		}
		m, err := quant.LoadQuantized(path(DefaultQuantized))
		if err != nil {
			return err
		}

		fmt.Fprintf(out, `
== zkinfer demo: %s ==
model:              %s
model digest:       %s
model commitment:   %s
constraints:        %d (%s, BN254)
prove time:         %s
proof size:         %d bytes
verified offline:   %v (%d public inputs, against %s pinned by vk.key)
verified on chain:  %v (embedded EVM: go-ethereum simulated backend)
verify gas:         %d
setup:              %s (UNSAFE, development only)
`, dir, describe(m.Config), res.ModelDigest, res.ModelCommitment, c.Constraints, c.Backend, pr.proveTime.Round(1e6), pr.proofSize, true, res.PublicInputs, res.VKDigest, evm.Accepted, evm.VerifyGas, res.Setup)
		if !evm.Accepted {
			return fmt.Errorf("%w: the verifier contract rejected the proof", verifier.ErrRejected)
		}
		return nil
	},
}
