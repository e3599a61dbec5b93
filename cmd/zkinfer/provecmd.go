package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

var proveCommand = &cli.Command{
	Name:      "prove",
	Usage:     "prove one inference and write a self-contained proof bundle",
	UsageText: "zkinfer prove --input input.json [--quantized model.quant.json] [--circuit circuit.zkc] [--pk pk.key] [--vk vk.key] [--bundle proof.json] [--gpu [--device N]]",
	Description: `Quantizes the input, runs the integer reference forward pass, proves it with
the circuit's backend and checks the proof before writing the bundle: proof, public input and
output (int8, with their scales), verifying key, model and circuit digests,
and how the keys were made. The backend (Groth16 or PLONK) is the circuit's.
With --gpu, a Groth16 proof is made on a CUDA GPU through ICICLE, with the same
keys; every verifier accepts it. Next: verify, or verify-evm.`,
	Flags: []cli.Flag{InputFlag, QuantizedFlag, CircuitFlag, PKFlag, VKFlag, BundleFlag, GPUFlag, DeviceFlag},
	Action: func(ctx *cli.Context) error {
		var opts []prover.ProveOption
		switch {
		case ctx.Bool(GPUFlag.Name):
			opts = append(opts, prover.WithGPU(ctx.Int(DeviceFlag.Name)))
		case ctx.IsSet(DeviceFlag.Name):
			return withHint(fmt.Errorf("--%s without --%s: the CPU prover has no devices", DeviceFlag.Name, GPUFlag.Name), "add --%s", GPUFlag.Name)
		}
		res, err := prove(newProgress(ctx), ctx.String(QuantizedFlag.Name), ctx.String(CircuitFlag.Name), ctx.String(PKFlag.Name), ctx.String(VKFlag.Name), ctx.String(InputFlag.Name), ctx.String(BundleFlag.Name), opts...)
		if err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "bundle: %s (proved in %s, proof %d bytes)\n", ctx.String(BundleFlag.Name), res.proveTime.Round(time.Millisecond), res.proofSize)
		fmt.Fprintf(ctx.App.Writer, "output (first values): %v\n", res.preview)
		return nil
	},
}

type proveResult struct {
	bundle    *verifier.Bundle
	proveTime time.Duration
	proofSize int
	preview   []float64
}

func prove(p prover.Progress, quantPath, circuitPath, pkPath, vkPath, inputPath, bundlePath string, opts ...prover.ProveOption) (*proveResult, error) {
	m, err := quant.LoadQuantized(quantPath)
	if err != nil {
		return nil, withHint(err, "make it with: zkinfer compile-circuit --quantized %s", quantPath)
	}
	done := p.Start("loading circuit and keys")
	c, err := prover.ReadCircuit(circuitPath)
	if err != nil {
		done()
		return nil, withHint(err, "make it with: zkinfer compile-circuit --circuit %s", circuitPath)
	}
	pk, pkh, err := prover.ReadProvingKey(pkPath)
	if err != nil {
		done()
		return nil, withHint(err, "make the keys with: zkinfer setup --dev --circuit %s", circuitPath)
	}
	vk, vkh, err := prover.ReadVerifyingKey(vkPath)
	done()
	if err != nil {
		return nil, withHint(err, "make the keys with: zkinfer setup --dev --circuit %s", circuitPath)
	}
	digest, err := m.Digest()
	if err != nil {
		return nil, err
	}
	if digest != c.Header.ModelDigest {
		return nil, withHint(fmt.Errorf("%s: %w: circuit %s was compiled from model %s, not %s", quantPath, prover.ErrCircuitMismatch, circuitPath, c.Header.ModelDigest, digest), "compile the circuit again from the same settings")
	}
	for _, k := range []struct {
		path string
		h    prover.Header
	}{{pkPath, pkh}, {vkPath, vkh}} {
		path, h := k.path, k.h
		if h.Backend != c.Header.Backend {
			return nil, withHint(fmt.Errorf("%s: %w: key is for %s, %s is compiled for %s", path, prover.ErrBackendMismatch, h.Backend, circuitPath, c.Header.Backend), "use the keys made by setup for this circuit")
		}
	}
	if pkh.CircuitDigest != c.Header.CircuitDigest {
		return nil, withHint(fmt.Errorf("%s: %w: proving key is for circuit %s, %s is %s", pkPath, prover.ErrCircuitMismatch, pkh.CircuitDigest, circuitPath, c.Header.CircuitDigest), "run setup again for this circuit")
	}
	if vkh.CircuitDigest != pkh.CircuitDigest {
		return nil, withHint(fmt.Errorf("%s: %w: verifying key is for circuit %s, proving key for %s", vkPath, prover.ErrCircuitMismatch, vkh.CircuitDigest, pkh.CircuitDigest), "use the two keys one setup wrote")
	}
	in, err := quant.LoadInput(inputPath, m.Config)
	if err != nil {
		return nil, err
	}
	if len(in.InputData) != 1 {
		return nil, withHint(fmt.Errorf("%s: %w: %d samples, prove takes one", inputPath, quant.ErrValidation, len(in.InputData)), "put a single sample in input_data")
	}
	xq, err := m.QuantizeInput(in.InputData[0])
	if err != nil {
		return nil, err
	}
	tr, err := m.Forward(xq)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	proof, err := prover.Prove(c, pk, pkh, m, tr, p, opts...)
	switch {
	case errors.Is(err, prover.ErrGPUNotBuilt):
		return nil, withHint(err, "%s", prover.GPUBuildHint)
	case errors.Is(err, prover.ErrGPUBackend):
		return nil, withHint(err, "prove %s without --gpu, or compile the circuit with --backend %s for GPU proving", circuitPath, prover.BackendGroth16)
	case err != nil:
		return nil, err
	}
	elapsed := time.Since(start)
	if err := prover.Verify(vk, proof.Proof, proof.Public); err != nil {
		return nil, fmt.Errorf("prove: the proof does not verify with %s: %w", vkPath, err)
	}
	b, err := verifier.NewBundle(m, c, vk, vkh, proof, tr)
	if err != nil {
		return nil, err
	}
	if err := b.Write(bundlePath); err != nil {
		return nil, err
	}
	out := m.DequantizeOutput(tr.Y)
	return &proveResult{bundle: b, proveTime: elapsed, proofSize: len(b.Proof), preview: out[:min(len(out), 6)]}, nil
}

var verifyCommand = &cli.Command{
	Name:      "verify",
	Usage:     "verify a proof bundle offline",
	UsageText: "zkinfer verify [--bundle proof.json] [--vk vk.key] [--require-production] [--json]",
	Description: `Checks the bundle's proof against its verifying key and public inputs; needs no
other file. With --vk, also checks that the bundle's verifying key is that one
(so the proof is about the circuit you trust, not one the host chose).
Prints how the keys were made (dev, ceremony or SRS file, with its digest);
--require-production makes dev keys an error. Exit code 0 only when the proof
verifies.`,
	Flags: []cli.Flag{BundleFlag, &cli.StringFlag{Name: VKFlag.Name, Category: catFiles, Usage: "trusted verifying key `FILE` the bundle must use"}, RequireProductionFlag, JSONFlag},
	Action: func(ctx *cli.Context) error {
		var opts []verifier.Option
		if ctx.Bool(RequireProductionFlag.Name) {
			opts = append(opts, verifier.RequireProduction())
		}
		res, err := verifyBundle(ctx.String(BundleFlag.Name), ctx.String(VKFlag.Name), opts...)
		if err != nil {
			return err
		}
		if ctx.Bool(JSONFlag.Name) {
			return printJSON(ctx.App.Writer, struct {
				Verified bool `json:"verified"`
				*verifier.Result
			}{true, res})
		}
		fmt.Fprintf(ctx.App.Writer, "VERIFIED: %s proof on %s, %d public inputs\nmodel: %s\ncircuit: %s\nsetup: %s\n", res.Backend, res.Curve, res.PublicInputs, res.ModelDigest, res.CircuitDigest, res.Setup)
		if res.SetupDigest != "" {
			fmt.Fprintf(ctx.App.Writer, "setup digest: %s\n", res.SetupDigest)
		}
		if res.Setup == prover.SetupDevUnsafe {
			fmt.Fprintf(ctx.App.Writer, "warning: %s\n", prover.DevSetupWarning)
		}
		return nil
	},
}

func verifyBundle(bundlePath, trustedVK string, opts ...verifier.Option) (*verifier.Result, error) {
	b, err := verifier.Read(bundlePath)
	if err != nil {
		return nil, err
	}
	if err := checkTrustedVK(b, trustedVK); err != nil {
		return nil, err
	}
	res, err := verifier.Verify(b, opts...)
	if errors.Is(err, verifier.ErrNotProduction) {
		return nil, withHint(fmt.Errorf("%s: %w", bundlePath, err), "make production keys with 'zkinfer ceremony' (Groth16) or 'zkinfer setup --srs' (PLONK) and prove again")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bundlePath, err)
	}
	return res, nil
}

// checkTrustedVK checks that the bundle carries the verifying key in vkPath.
func checkTrustedVK(b *verifier.Bundle, vkPath string) error {
	if vkPath == "" {
		return nil
	}
	vk, _, err := prover.ReadVerifyingKey(vkPath)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := vk.WriteTo(&buf); err != nil {
		return err
	}
	if !bytes.Equal(buf.Bytes(), b.VerifyingKey) {
		return fmt.Errorf("%w: the bundle's verifying key is not the one in %s", verifier.ErrRejected, vkPath)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
