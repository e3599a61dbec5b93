package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

var compileCommand = &cli.Command{
	Name:      "compile-circuit",
	Usage:     "quantize the model and compile its circuit (R1CS for Groth16, SCS for PLONK)",
	UsageText: "zkinfer compile-circuit [--backend groth16|plonk] [--range-checks lookup|bits] [--shard-blocks K | --shards N | --cut NAME,…] [--settings settings.json] [--quantized model.quant.json] [--circuit circuit.zkc]",
	Description: `Quantizes the model at the calibrated scales, writes the integer model (JSON,
for inspection and for proving) and compiles the circuit with the weights as
constants (or, with hashed or public weights, as witnesses: the circuit then
depends only on the architecture, printed as its digest) for the chosen
proving system (default groth16: smaller proofs and cheaper on-chain
verification). Later stages read the backend from the
circuit. Prints the number of constraints.

--range-checks bits replaces gnark's lookup-based range checks by bit
decompositions: about 3.7× the constraints of an ffn block, but no BSB22
commitment in a Groth16 proof, which saves ~123 k gas per on-chain
verification (the ffn demo verifies for ~229 k gas instead of ~352 k). gpt2
circuits keep a commitment for their exp and GELU tables, so for them it only
costs.

--shard-blocks K splits a gpt2 model into shards of K blocks (ln_f in the
last), cut from the quantized model: one circuit per shard,
circuit.shard-N.zkc, and the manifest circuit.shards.json that setup, prove
and verify read (--shards). The first shard's input and the last shard's
output are exposed as the settings say; between shards the activation is a
public Poseidon2 hash, the output of one shard and the input of the next.
Each shard proves on its own, in parallel or on other machines, so the
memory is one shard's.

--shards N cuts a layer-graph model into N consecutive parts of about equal
estimated constraints; --cut NAME,… cuts it after the named values (or
nodes), as 'zkinfer inspect' lists them. What crosses a cut is every tensor
live across it (the residual stream, and e.g. the token ids a later
next_tokens reads), hashed together as one public Poseidon2 value; the first
shard takes the model's inputs, the last gives its outputs, so the sharded
proof states what the unsharded one does. Same files and next steps as
--shard-blocks. Next: setup.`,
	Flags: []cli.Flag{BackendFlag, RangeChecksFlag, ShardBlocksFlag, CompileShardsFlag, CutFlag, SettingsFlag, QuantizedFlag, CircuitFlag},
	Action: func(ctx *cli.Context) error {
		rc := ctx.String(RangeChecksFlag.Name)
		if rc != prover.RangeChecksLookup && rc != prover.RangeChecksBits {
			return withHint(fmt.Errorf("compile: --%s %q is not a range-check strategy", RangeChecksFlag.Name, rc), "pass --%s %s or --%s %s", RangeChecksFlag.Name, prover.RangeChecksLookup, RangeChecksFlag.Name, prover.RangeChecksBits)
		}
		n, cuts := ctx.Int(CompileShardsFlag.Name), splitNames(ctx.StringSlice(CutFlag.Name))
		if n != 0 || len(cuts) > 0 {
			if ctx.Int(ShardBlocksFlag.Name) != 0 || (n != 0 && len(cuts) > 0) {
				return withHint(fmt.Errorf("compile: --%s, --%s and --%s exclude each other", ShardBlocksFlag.Name, CompileShardsFlag.Name, CutFlag.Name), "--%s for gpt2 block ranges, --%s N or --%s NAME,… for layer graphs", ShardBlocksFlag.Name, CompileShardsFlag.Name, CutFlag.Name)
			}
			if n < 0 || n == 1 {
				return withHint(fmt.Errorf("compile: --%s %d", CompileShardsFlag.Name, n), "pass 2 or more shards, e.g. --%s 2 (without it: one circuit)", CompileShardsFlag.Name)
			}
			return compileGraphSharded(ctx.App.Writer, newProgress(ctx), n, cuts, ctx.String(BackendFlag.Name), ctx.String(SettingsFlag.Name), ctx.String(QuantizedFlag.Name), ctx.String(CircuitFlag.Name), prover.WithRangeChecks(rc))
		}
		if k := ctx.Int(ShardBlocksFlag.Name); k != 0 {
			if k < 0 {
				return withHint(fmt.Errorf("compile: --%s %d", ShardBlocksFlag.Name, k), "pass the number of blocks per shard, e.g. --%s 1", ShardBlocksFlag.Name)
			}
			return compileSharded(ctx.App.Writer, newProgress(ctx), k, ctx.String(BackendFlag.Name), ctx.String(SettingsFlag.Name), ctx.String(QuantizedFlag.Name), ctx.String(CircuitFlag.Name), prover.WithRangeChecks(rc))
		}
		return compileCircuit(ctx.App.Writer, newProgress(ctx), ctx.String(BackendFlag.Name), ctx.String(SettingsFlag.Name), ctx.String(QuantizedFlag.Name), ctx.String(CircuitFlag.Name), prover.WithRangeChecks(rc))
	},
}

func compileCircuit(out io.Writer, p prover.Progress, backend, settingsPath, quantPath, circuitPath string, opts ...prover.CompileOption) error {
	if err := prover.CheckBackend(backend); err != nil {
		return withHint(err, "pass --backend %s or --backend %s", prover.BackendGroth16, prover.BackendPLONK)
	}
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
	sd, err := s.Digest()
	if err != nil {
		return err
	}
	c, err := prover.Compile(m, p, append([]prover.CompileOption{prover.WithBackend(backend), prover.WithVisibility(s.Visibility), prover.WithSettingsDigest(sd)}, opts...)...)
	if err != nil {
		return err
	}
	if err := quant.WriteQuantized(quantPath, m); err != nil {
		return err
	}
	if err := prover.WriteCircuit(circuitPath, c); err != nil {
		return err
	}
	fmt.Fprintf(out, "circuit: %s (%s, %d constraints, %d public inputs, %s)\nquantized model: %s (%s)\nmodel commitment: %s\n", circuitPath, c.Header.Backend, c.Header.Constraints, c.CS.GetNbPublicVariables()-1, c.Header.CircuitDigest, quantPath, c.Header.ModelDigest, c.Header.Commitment)
	if a := c.Header.Architecture; a != "" {
		fmt.Fprintf(out, "architecture: %s (%s weights: every model with this architecture proves with this circuit and its keys)\n", a, s.Visibility.Weights)
		if s.Visibility.Weights == quant.VisibilityCommitted {
			fmt.Fprintf(out, "note: with committed weights proofs name the model by its commitment over the keys' weights basis, not the Poseidon2 one above: after setup, zkinfer commit --weights-basis vk.basis --vk vk.key %s\n", quantPath)
		}
	}
	return nil
}

var setupCommand = &cli.Command{
	Name:      "setup",
	Usage:     "make the proving and verifying keys of a compiled circuit",
	UsageText: "zkinfer setup (--dev | --srs SRS_FILE) [--circuit circuit.zkc] [--pk pk.key] [--vk vk.key] | [--shards circuit.shards.json]",
	Description: `Makes the keys for the compiled circuit, for the backend it was compiled for.

   --dev        single-party setup whose secret this machine knows, so whoever
                ran it could forge proofs. Keys are labelled unsafe in their
                header and in every bundle. Either backend.
   --srs FILE   PLONK: keys from a KZG SRS (e.g. from a public powers-of-tau
                ceremony), in gnark-crypto's kzg.SRS binary encoding for BN254.
                It must hold at least the circuit's domain + 3 G1 powers.

Production Groth16 keys come from an MPC ceremony: see 'zkinfer ceremony'.
The keys record how they were made; bundles carry it.

With --shards MANIFEST, makes the keys of every shard the manifest lists
(pk.shard-N.key, vk.shard-N.key), once per distinct circuit: shards whose
circuits have the same digest share one key pair. Next: prove.`,
	Flags: []cli.Flag{CircuitFlag, PKFlag, VKFlag, ShardsFlag, DevFlag, SRSFlag, SetupBackendFlag},
	Action: func(ctx *cli.Context) error {
		if man := ctx.String(ShardsFlag.Name); man != "" {
			if ctx.Bool(DevFlag.Name) && ctx.String(SRSFlag.Name) != "" {
				return withHint(errors.New("setup: --dev and --srs exclude each other"), "--dev makes unsafe keys; --srs makes PLONK keys from an SRS file")
			}
			return setupShards(ctx.App.Writer, ctx.App.ErrWriter, newProgress(ctx), ctx.Bool(DevFlag.Name), ctx.String(SRSFlag.Name), ctx.String(SetupBackendFlag.Name), man)
		}
		return setup(ctx.App.Writer, ctx.App.ErrWriter, newProgress(ctx), ctx.Bool(DevFlag.Name), ctx.String(SRSFlag.Name), ctx.String(SetupBackendFlag.Name), ctx.String(CircuitFlag.Name), ctx.String(PKFlag.Name), ctx.String(VKFlag.Name))
	},
}

func setup(out, warn io.Writer, p prover.Progress, dev bool, srsPath, backend, circuitPath, pkPath, vkPath string) error {
	if dev && srsPath != "" {
		return withHint(errors.New("setup: --dev and --srs exclude each other"), "--dev makes unsafe keys; --srs makes PLONK keys from an SRS file")
	}
	c, err := prover.ReadCircuit(circuitPath)
	if err != nil {
		return withHint(err, "compile the circuit with: zkinfer compile-circuit --circuit %s", circuitPath)
	}
	if backend != "" && backend != c.Header.Backend {
		return withHint(fmt.Errorf("setup: %w: %s is compiled for %s, not %s", prover.ErrBackendMismatch, circuitPath, c.Header.Backend, backend), "compile it again with: zkinfer compile-circuit --backend %s", backend)
	}
	var keys *prover.Keys
	switch {
	case dev:
		fmt.Fprintf(warn, "WARNING: %s\n", prover.DevSetupWarning)
		keys, err = prover.SetupDev(c, p)
	case srsPath != "":
		if c.Header.Backend != prover.BackendPLONK {
			return withHint(fmt.Errorf("setup: %w: an SRS file makes PLONK keys; %s is compiled for %s", prover.ErrBackendMismatch, circuitPath, c.Header.Backend), "for Groth16 run a ceremony (zkinfer ceremony --help), or compile with --backend plonk")
		}
		var srs *prover.SRS
		if srs, err = prover.ReadSRS(srsPath); err != nil {
			return withHint(err, "the SRS is gnark-crypto's kzg.SRS for BN254 (WriteTo or WriteRawTo), with at least %d G1 powers for this circuit", prover.SRSSize(c))
		}
		keys, err = prover.SetupPLONK(c, srs, p)
		if errors.Is(err, prover.ErrSRS) {
			return withHint(err, "use a larger SRS: this circuit needs %d G1 powers", prover.SRSSize(c))
		}
	case c.Header.Backend == prover.BackendPLONK:
		return withHint(errors.New("setup: PLONK needs an SRS"), "pass --srs FILE (a KZG SRS from a public ceremony), or --dev for UNSAFE development keys")
	default:
		return withHint(errors.New("setup: Groth16 production keys come from an MPC ceremony"), "run the ceremony (zkinfer ceremony --help), or pass --dev for UNSAFE development keys")
	}
	if err != nil {
		return err
	}
	if err := prover.WriteKeys(pkPath, vkPath, keys); err != nil {
		return err
	}
	d, err := prover.WriteDigest(vkPath, keys.VK, keys.VKHeader.Layout())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "proving key: %s\nverifying key: %s\nverifying key digest: %s (in %s: publish it; verifiers pin it with verify --vk-digest)\nsetup: %s\n", pkPath, vkPath, d, prover.DigestPath(vkPath), strings.TrimSpace(keys.VKHeader.Setup+" "+keys.VKHeader.SetupDigest))
	return writeWeightsBasis(out, vkPath, c, keys)
}

// writeWeightsBasis writes a committed-weights key pair's weights basis
// beside the verifying key (vk.basis): what model commitments are over.
func writeWeightsBasis(out io.Writer, vkPath string, c *prover.Circuit, keys *prover.Keys) error {
	if err := writeIOBases(out, vkPath, c, keys); err != nil {
		return err
	}
	if keys.VKHeader.WeightsBasis == nil {
		return nil
	}
	path := prover.BasisPath(vkPath)
	if err := prover.WriteWeightsBasis(path, c.CS, keys.PK); err != nil {
		return err
	}
	fmt.Fprintf(out, "weights basis: %s (%d points, %s; publish it: model commitments are over it, zkinfer commit --weights-basis)\n", path, keys.VKHeader.WeightsBasis.Weights, keys.VKHeader.WeightsBasis.Digest)
	return nil
}

// writeIOBases writes the bases of a committed input and output beside the
// verifying key (vk.input.basis, vk.output.basis): what verify recomputes
// those sides' public inputs over.
func writeIOBases(out io.Writer, vkPath string, c *prover.Circuit, keys *prover.Keys) error {
	for _, s := range []struct {
		side, path string
		b          *prover.IOBasis
	}{{prover.SideInput, prover.InputBasisPath(vkPath), keys.VKHeader.InputBasis}, {prover.SideOutput, prover.OutputBasisPath(vkPath), keys.VKHeader.OutputBasis}} {
		if s.b == nil {
			continue
		}
		if err := prover.WriteIOBasis(s.path, c.CS, keys.VKHeader.IO(), keys.PK, s.side); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s basis: %s (%d points, %s; publish it with the verifying key: verify recomputes the committed %s from it)\n", s.side, s.path, s.b.Values, s.b.Digest, s.side)
	}
	return nil
}

// splitNames splits comma-separated names (a flag given once or more) and
// drops empty ones.
func splitNames(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}
