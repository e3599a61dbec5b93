package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

var proveCommand = &cli.Command{
	Name:      "prove",
	Usage:     "prove one inference and write a self-contained proof bundle",
	UsageText: "zkinfer prove --input input.json [--quantized model.quant.json] [--circuit circuit.zkc] [--pk pk.key] [--vk vk.key] [--bundle proof.json] [--salts FILE] [--gpu [--device N]] [--strict]\nzkinfer prove --input input.json --shards circuit.shards.json [--shard N] [--jobs J] [--quantized model.quant.json] [--bundle proof.json]\nzkinfer prove --input input.json --shards circuit.shards.json --nats URL [--keys circuit.keys.json] [--timeout D] [--quantized model.quant.json] [--bundle proof.json]",
	Description: `Quantizes the input, runs the integer reference forward pass, proves it with
the circuit's backend and checks the proof before writing the bundle: proof, public input and
output (int8, with their scales), verifying key, model and circuit digests,
and how the keys were made. The backend (Groth16 or PLONK) is the circuit's.
Hashed input/output are carried in the bundle; private ones only as salted
commitments, whose salts are written to --salts (mode 0600) for the host to
keep. With --gpu, a Groth16 proof is made on a CUDA GPU through ICICLE, with
the same keys; every verifier accepts it.

Input values outside the model's input format (int8 at the calibrated
scale) are clamped, as int8 runtimes do, with a warning that counts them;
--strict refuses such an input instead. Before proving, prove checks that
the proving and verifying keys come from one setup (the proving key names
its verifying key by digest).

With --shards MANIFEST (compile-circuit --shard-blocks), proves every shard,
--jobs at a time, each with its own circuit and keys from the manifest, and
writes one sharded bundle: the shards' proofs and the hash chain from the
input to the output (no intermediate activations). With --shard N, proves
shard N only (its input is computed by the integer forward pass of the shards
before it) into a shard bundle (default proof.shard-N.json); 'zkinfer
assemble' combines the shard bundles of several machines. With --nats URL,
the shards are proved by the workers of a proving farm (zkinfer worker; see
zkinfer farm --help), and the bundle is assembled and verified here against
the verifying keys of the manifest, or the keys manifest --keys pins.

With --shards and --aggregatable, every shard's Groth16 commitment challenge
is derived with MiMC instead of Keccak, the hash gnark's recursive verifier
recomputes, so that 'zkinfer aggregate' can prove the shards with one proof.
The keys are the same; such a sharded bundle verifies offline (verify
--keys) but not on the EVM shard by shard (aggregate it, and verify the
aggregated bundle on chain). Next: verify --vk
vk.key (verify --keys circuit.keys.json for shards), or verify-evm (single
bundles).`,
	Flags: append([]cli.Flag{InputFlag, QuantizedFlag, CircuitFlag, PKFlag, VKFlag, BundleFlag, SaltsFlag, ShardsFlag, ShardFlag, JobsFlag, AggregatableFlag, GPUFlag, DeviceFlag, StrictFlag, FarmTimeoutFlag, PinKeysFlag}, natsFlags...),
	Action: func(ctx *cli.Context) error {
		var opts []prover.ProveOption
		switch {
		case ctx.Bool(GPUFlag.Name):
			opts = append(opts, prover.WithGPU(ctx.Int(DeviceFlag.Name)))
		case ctx.IsSet(DeviceFlag.Name):
			return withHint(fmt.Errorf("--%s without --%s: the CPU prover has no devices", DeviceFlag.Name, GPUFlag.Name), "add --%s", GPUFlag.Name)
		}
		bundle := ctx.String(BundleFlag.Name)
		shard := ctx.Int(ShardFlag.Name)
		man := ctx.String(ShardsFlag.Name)
		aggregatable := ctx.Bool(AggregatableFlag.Name)
		if aggregatable {
			if man == "" || ctx.String(NATSFlag.Name) != "" || ctx.Bool(GPUFlag.Name) {
				return withHint(fmt.Errorf("prove: --%s proves the shards of a sharded model on this machine's CPU: it needs --%s and excludes --%s and --%s", AggregatableFlag.Name, ShardsFlag.Name, NATSFlag.Name, GPUFlag.Name), "zkinfer prove --input I --shards circuit.shards.json --aggregatable, then zkinfer aggregate proof.json --keys circuit.keys.json")
			}
			opts = append(opts, prover.WithAggregatable())
		}
		if man == "" && (ctx.IsSet(ShardFlag.Name) || ctx.IsSet(JobsFlag.Name)) {
			return withHint(fmt.Errorf("prove: --%s and --%s need --%s", ShardFlag.Name, JobsFlag.Name, ShardsFlag.Name), "compile the model in shards with: zkinfer compile-circuit --shard-blocks K, then pass --%s %s", ShardsFlag.Name, prover.ManifestPath(DefaultCircuit))
		}
		if man != "" && shard >= 0 && !ctx.IsSet(BundleFlag.Name) {
			bundle = prover.ShardPath(DefaultBundle, shard)
		}
		check := inputCheck{warn: ctx.App.ErrWriter, strict: ctx.Bool(StrictFlag.Name)}
		salts := ctx.String(SaltsFlag.Name)
		if salts == "" {
			salts = bundle + SaltsSuffix
		}
		if ctx.String(NATSFlag.Name) != "" || ctx.IsSet(FarmTimeoutFlag.Name) || ctx.IsSet(PinKeysFlag.Name) {
			if man == "" || ctx.String(NATSFlag.Name) == "" {
				return withHint(fmt.Errorf("prove: --%s, --%s and --%s go with --%s MANIFEST --%s URL", NATSFlag.Name, FarmTimeoutFlag.Name, PinKeysFlag.Name, ShardsFlag.Name, NATSFlag.Name), "the farm proves sharded models: zkinfer prove --input I --shards circuit.shards.json --nats nats://HOST:4222")
			}
			return proveFarm(ctx, check, ctx.String(QuantizedFlag.Name), man, ctx.String(InputFlag.Name), bundle, salts)
		}
		if man != "" {
			if ctx.IsSet(ShardFlag.Name) && shard < 0 {
				return withHint(fmt.Errorf("prove: --%s %d", ShardFlag.Name, shard), "shards are numbered from 0")
			}
			return proveShards(ctx.App.Writer, newProgress(ctx), check, ctx.String(QuantizedFlag.Name), man, ctx.String(InputFlag.Name), bundle, salts, shard, ctx.Int(JobsFlag.Name), aggregatable, opts...)
		}
		res, err := proveChecked(newProgress(ctx), check, ctx.String(QuantizedFlag.Name), ctx.String(CircuitFlag.Name), ctx.String(PKFlag.Name), ctx.String(VKFlag.Name), ctx.String(InputFlag.Name), bundle, salts, opts...)
		if err != nil {
			return err
		}
		if res.saltsPath != "" {
			fmt.Fprintf(ctx.App.Writer, "salts: %s (private input/output; keep it secret)\n", res.saltsPath)
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
	saltsPath string
}

// prove writes the bundle and, when the circuit has a private input or
// output, the salts to saltsPath. Input values outside the model's input
// format are clamped silently: see proveChecked.
func prove(p prover.Progress, quantPath, circuitPath, pkPath, vkPath, inputPath, bundlePath, saltsPath string, opts ...prover.ProveOption) (*proveResult, error) {
	return proveChecked(p, inputCheck{}, quantPath, circuitPath, pkPath, vkPath, inputPath, bundlePath, saltsPath, opts...)
}

// inputCheck says what prove does with input values outside the model's
// input format, which quantization clamps.
type inputCheck struct {
	warn   io.Writer // where to warn of them; nil: nowhere
	strict bool      // refuse them
}

// check reports the values of sample x (from inputPath) that m clamps:
// an error when strict, else a warning.
func (ic inputCheck) check(inputPath string, m *quant.Model, x []float64) error {
	c := m.InputClamping(x)
	if c.Count == 0 {
		return nil
	}
	what := fmt.Sprintf("%d of %d input values lie outside the model's input format (int8 at frac %d: %g to %g); the largest, %g (value %d), becomes %g", c.Count, c.Total, c.Frac, c.Min, c.Max, c.Largest, c.Index, quant.DequantizeValue(quant.QuantizeValue(c.Largest, c.Frac), c.Frac))
	if ic.strict {
		return withHint(fmt.Errorf("prove: %s: %w: %s", inputPath, quant.ErrRange, what), "fix the input, or calibrate on inputs like it (zkinfer calibrate-settings) and compile again; without --%s they are clamped, as int8 runtimes do", StrictFlag.Name)
	}
	if ic.warn != nil {
		fmt.Fprintf(ic.warn, "zkinfer: warning: prove: %s: %s; proving the clamped input (--%s makes this an error)\n", inputPath, what, StrictFlag.Name)
	}
	return nil
}

// proveChecked is prove, with input values outside the model's input format
// reported as ic says.
func proveChecked(p prover.Progress, ic inputCheck, quantPath, circuitPath, pkPath, vkPath, inputPath, bundlePath, saltsPath string, opts ...prover.ProveOption) (*proveResult, error) {
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
	if err := prover.CheckModel(c.Header, m); err != nil {
		if c.Header.IO().Weights != quant.VisibilityFixed {
			return nil, withHint(fmt.Errorf("%s: %w", quantPath, err), "with %s weights one circuit serves every model of its architecture: same config, calibrated formats and requantization shifts", c.Header.IO().Weights)
		}
		digest, err := m.Digest()
		if err != nil {
			return nil, err
		}
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
	if err := checkKeyPair(pkPath, pkh, vkPath, vk, vkh, fmt.Sprintf("--circuit %s --pk %s --vk %s", circuitPath, pkPath, vkPath)); err != nil {
		return nil, err
	}
	in, err := quant.LoadInputFor(inputPath, m)
	if err != nil {
		return nil, err
	}
	if len(in.InputData) != 1 {
		return nil, withHint(fmt.Errorf("%s: %w: %d samples, prove takes one", inputPath, quant.ErrValidation, len(in.InputData)), "put a single sample in input_data")
	}
	if err := ic.check(inputPath, m, in.InputData[0]); err != nil {
		return nil, err
	}
	xq, err := m.QuantizeInput(in.InputData[0])
	if err != nil {
		return nil, err
	}
	tr, err := m.Forward(xq)
	if err != nil {
		return nil, err
	}
	salts, err := modelio.RandomSalts()
	if err != nil {
		return nil, err
	}
	vis := c.Header.IO()
	privIn, privOut := vis.HasPrivate()
	if !privIn && !privOut {
		saltsPath = ""
	}
	start := time.Now()
	proof, err := prover.Prove(c, pk, pkh, m, tr, p, append(opts, prover.WithSalts(salts))...)
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
	if saltsPath != "" {
		// The salts first: a bundle whose commitments nobody can open is
		// worth less than a salts file without its bundle.
		if err := modelio.WriteSalts(saltsPath, salts, vis); err != nil {
			return nil, err
		}
	}
	if err := b.Write(bundlePath); err != nil {
		return nil, err
	}
	out := m.OutputValues(tr)
	return &proveResult{bundle: b, proveTime: elapsed, proofSize: len(b.Proof), preview: out[:min(len(out), 6)], saltsPath: saltsPath}, nil
}

// checkKeyPair checks, before any proving, that the keys in pkPath and
// vkPath were made by one setup; setupArgs are the setup flags that name
// them, for the hint.
func checkKeyPair(pkPath string, pkh prover.Header, vkPath string, vk prover.VerifyingKey, vkh prover.Header, setupArgs string) error {
	err := prover.CheckKeyPair(pkh, vk, vkh)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s and %s: %w", pkPath, vkPath, err)
	switch vkh.Setup {
	case prover.SetupGroth16MPC:
		return withHint(err, "extract both keys again from the ceremony: zkinfer ceremony extract --help")
	case prover.SetupKZGSRS:
		return withHint(err, "make both keys again: zkinfer setup --srs SRS_FILE %s", setupArgs)
	default:
		return withHint(err, "make both keys again: zkinfer setup --dev %s", setupArgs)
	}
}

// verifyBundle verifies the bundle at bundlePath against the verifying key
// file vkPath (the demo's: it made the keys).
func verifyBundle(bundlePath, vkPath string, opts ...verifier.Option) (*verifier.Result, error) {
	b, err := verifier.Read(bundlePath)
	if err != nil {
		return nil, err
	}
	a, err := verifier.PinKeyFile(vkPath)
	if err != nil {
		return nil, err
	}
	res, err := verifier.Verify(b, a, opts...)
	if err != nil {
		return nil, verifyError(bundlePath, err)
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
