package main

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/demo"
	"github.com/zkinfer/zkinfer/quant/importer"
	"github.com/zkinfer/zkinfer/verifier"
)

// demoModelDir is where the demo writes its model files, under --dir.
const demoModelDir = "model"

var demoCommand = &cli.Command{
	Name:      "demo",
	Usage:     "run the whole pipeline on the built-in demo model",
	UsageText: "zkinfer demo [--dir zkinfer-demo] [--backend groth16|plonk]",
	Description: `Writes the demo model (two GPT-2 decoder blocks and ln_f: d_model=64,
4 heads, d_hidden=256, 8 tokens; random weights from a fixed seed, the same
bytes as testdata/demo) into DIR/model, then runs gen-settings,
calibrate-settings, compile-circuit, setup --dev, prove, verify,
create-evm-verifier and verify-evm on it, writes every artifact into --dir,
and prints a summary: the figures, every file written and the commands to
try next. Runs from any directory: the model is built into the binary.
Takes about 40 s on 2 cores, most of it the dev setup.`,
	Flags: []cli.Flag{DirFlag, BackendFlag, DemoTinyFlag},
	Action: func(ctx *cli.Context) error {
		dir := ctx.String(DirFlag.Name)
		cfg := demo.Model
		if ctx.Bool(DemoTinyFlag.Name) {
			cfg = demo.Tiny
		}
		modelDir := filepath.Join(dir, demoModelDir)
		if err := demo.Write(modelDir, cfg); err != nil {
			return withHint(fmt.Errorf("demo: %w", err), "pass --dir with a directory you can write to")
		}
		model := filepath.Join(modelDir, quant.ExampleWeights)
		calibration := filepath.Join(modelDir, quant.ExampleCalibration)
		input := filepath.Join(modelDir, quant.ExampleInput)
		path := func(name string) string { return filepath.Join(dir, name) }
		out, p := ctx.App.Writer, newProgress(ctx)
		if err := genSettings(out, model, importer.Options{}, path(DefaultSettings), quant.DefaultVisibility, quant.Precision{}); err != nil {
			return err
		}
		rep, err := calibrate(path(DefaultSettings), calibration, quant.LMAgreementOptions{}, false, nil, nil, nil)
		if err != nil {
			return err
		}
		printAccuracy(out, rep)
		fmt.Fprintln(out, accuracyVerdict(rep))
		backend := ctx.String(BackendFlag.Name)
		if err := compileCircuit(out, p, backend, path(DefaultSettings), path(DefaultQuantized), path(DefaultCircuit)); err != nil {
			return err
		}
		if err := setup(out, ctx.App.ErrWriter, p, true, "", backend, path(DefaultCircuit), path(DefaultPK), path(DefaultVK)); err != nil {
			return err
		}
		pr, err := prove(p, path(DefaultQuantized), path(DefaultCircuit), path(DefaultPK), path(DefaultVK), input, path(DefaultBundle), path(DefaultBundle+SaltsSuffix))
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
		if err := printArtifacts(out, dir); err != nil {
			return err
		}
		printNext(out, dir)
		if !evm.Accepted {
			return fmt.Errorf("%w: the verifier contract rejected the proof", verifier.ErrRejected)
		}
		return nil
	},
}

// Thresholds of accuracyVerdict on the worst relative error of any layer.
const (
	demoRelGood       = 0.05
	demoRelAcceptable = 0.15
)

// accuracyVerdict judges an accuracy report in one line by its worst
// relative error (max abs error over the layer's largest float magnitude).
func accuracyVerdict(rep *quant.AccuracyReport) string {
	if len(rep.Layers) == 0 {
		return "accuracy: no layers compared"
	}
	worst := rep.Layers[0]
	for _, l := range rep.Layers[1:] {
		if l.Rel > worst.Rel {
			worst = l
		}
	}
	var verdict string
	switch {
	case worst.Rel <= demoRelGood:
		verdict = fmt.Sprintf("good: within %.0f%%, about the rounding of int8 activations", 100*demoRelGood)
	case worst.Rel <= demoRelAcceptable:
		verdict = fmt.Sprintf("acceptable for int8: within %.0f%% (rounding errors add up layer by layer)", 100*demoRelAcceptable)
	default:
		verdict = fmt.Sprintf("poor: over %.0f%%; calibrate on samples like the real inputs", 100*demoRelAcceptable)
	}
	return fmt.Sprintf("accuracy: worst relative error %.2f%% (%s): %s", 100*worst.Rel, worst.Layer, verdict)
}

// demoArtifacts describes the files the pipeline writes, by name under --dir;
// files not listed here (written by newer stages) are listed without one.
var demoArtifacts = map[string]string{
	filepath.Join(demoModelDir, quant.ExampleWeights):     "the demo model's weights (safetensors, GPT-2 layout)",
	filepath.Join(demoModelDir, quant.ExampleConfig):      "its config",
	filepath.Join(demoModelDir, quant.ExampleInput):       "the input that was proven",
	filepath.Join(demoModelDir, quant.ExampleCalibration): "calibration samples",
	DefaultSettings:                "settings: visibility, scales, accuracy report",
	DefaultQuantized:               "the quantized model (integers and scales)",
	DefaultCircuit:                 "the compiled circuit",
	DefaultPK:                      "proving key (dev setup: UNSAFE)",
	DefaultVK:                      "verifying key: the anchor verifiers pin",
	prover.DigestPath(DefaultVK):   "the verifying key's digest: publish it",
	DefaultBundle:                  "the proof bundle",
	DefaultBundle + SaltsSuffix:    "the salts of private tensors: keep them",
	DefaultSolidity:                "the Solidity verifier of vk.key",
	verifierContract + ".abi.json": "its ABI",
	verifierContract + ".bin":      "its bytecode (hex), compiled with the pinned solc",
	DefaultDeploy:                  "the deployment record",
}

// printArtifacts lists every file under dir with its size and, where known,
// what it is.
func printArtifacts(w io.Writer, dir string) error {
	fmt.Fprintf(w, "\nwritten into %s:\n", dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", filepath.Join(dir, rel), humanSize(fi.Size()), demoArtifacts[rel])
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return tw.Flush()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// printNext prints the commands to try next on the demo's artifacts.
func printNext(w io.Writer, dir string) {
	q := func(name string) string { return shellQuote(filepath.Join(dir, name)) }
	fmt.Fprintf(w, `
next (zkinfer is the binary that ran this demo):
  zkinfer verify --vk %s %s
      verify the proof offline against the key you pinned (the bundle's own key proves nothing)
  zkinfer verify --vk-digest "$(cat %s)" %s
      the same, pinned by the published digest
  zkinfer verify-evm --vk %s --bundle %s
      verify it with the Solidity verifier on the embedded EVM, and report gas
  zkinfer inspect %s
      the model's layers, shapes and estimated constraints
  cd %s && zkinfer prove --input %s && zkinfer verify --vk %s
      prove another input (edit %s) with the same keys
`, q(DefaultVK), q(DefaultBundle), q(prover.DigestPath(DefaultVK)), q(DefaultBundle), q(DefaultVK), q(DefaultBundle),
		q(filepath.Join(demoModelDir, quant.ExampleWeights)), shellQuote(dir), filepath.Join(demoModelDir, quant.ExampleInput), DefaultVK, filepath.Join(demoModelDir, quant.ExampleInput))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./+=:@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
