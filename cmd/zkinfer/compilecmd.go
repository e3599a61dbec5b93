package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

var compileCommand = &cli.Command{
	Name:      "compile-circuit",
	Usage:     "quantize the model and compile its circuit (R1CS)",
	UsageText: "zkinfer compile-circuit [--settings settings.json] [--quantized model.quant.json] [--circuit circuit.zkc]",
	Description: `Quantizes the model at the calibrated scales, writes the integer model (JSON,
for inspection and for proving) and compiles the circuit with the weights as
constants. Prints the number of constraints. Next: setup.`,
	Flags: []cli.Flag{SettingsFlag, QuantizedFlag, CircuitFlag},
	Action: func(ctx *cli.Context) error {
		return compileCircuit(ctx.App.Writer, newProgress(ctx), ctx.String(SettingsFlag.Name), ctx.String(QuantizedFlag.Name), ctx.String(CircuitFlag.Name))
	},
}

func compileCircuit(out io.Writer, p prover.Progress, settingsPath, quantPath, circuitPath string) error {
	s, err := loadSettings(settingsPath)
	if err != nil {
		return err
	}
	m, err := s.Quantize()
	if err != nil {
		err = fmt.Errorf("%s: %w", settingsPath, err)
		if s.Scales == nil {
			return withHint(err, "run: zkinfer calibrate-settings --settings %s --data SAMPLES.json", settingsPath)
		}
		return err
	}
	c, err := prover.Compile(m, p)
	if err != nil {
		return err
	}
	if err := quant.WriteQuantized(quantPath, m); err != nil {
		return err
	}
	if err := prover.WriteCircuit(circuitPath, c); err != nil {
		return err
	}
	fmt.Fprintf(out, "circuit: %s (%d constraints, %s)\nquantized model: %s (%s)\n", circuitPath, c.Header.Constraints, c.Header.CircuitDigest, quantPath, c.Header.ModelDigest)
	return nil
}

var setupCommand = &cli.Command{
	Name:      "setup",
	Usage:     "make the proving and verifying keys of a compiled circuit",
	UsageText: "zkinfer setup --dev [--circuit circuit.zkc] [--pk pk.key] [--vk vk.key]",
	Description: `Groth16 setup for the compiled circuit. Only the dev setup exists yet: it is a
single-party setup whose toxic waste this machine knows, so whoever ran it could
forge proofs. Keys made this way are labelled unsafe in their header and in
every bundle. Next: prove.`,
	Flags: []cli.Flag{CircuitFlag, PKFlag, VKFlag, DevFlag},
	Action: func(ctx *cli.Context) error {
		if !ctx.Bool(DevFlag.Name) {
			return withHint(errors.New("setup: only the dev setup is available in this version"), "pass --dev to make development keys (UNSAFE: this machine knows the toxic waste)")
		}
		return setupDev(ctx.App.Writer, ctx.App.ErrWriter, newProgress(ctx), ctx.String(CircuitFlag.Name), ctx.String(PKFlag.Name), ctx.String(VKFlag.Name))
	},
}

func setupDev(out, warn io.Writer, p prover.Progress, circuitPath, pkPath, vkPath string) error {
	c, err := prover.ReadCircuit(circuitPath)
	if err != nil {
		return withHint(err, "compile the circuit with: zkinfer compile-circuit --circuit %s", circuitPath)
	}
	fmt.Fprintf(warn, "WARNING: %s\n", prover.DevSetupWarning)
	keys, err := prover.SetupDev(c, p)
	if err != nil {
		return err
	}
	if err := prover.WriteKeys(pkPath, vkPath, keys); err != nil {
		return err
	}
	fmt.Fprintf(out, "proving key: %s\nverifying key: %s\n", pkPath, vkPath)
	return nil
}
