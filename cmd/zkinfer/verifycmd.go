package main

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// verifyPinHint tells a user without an anchor how to get one.
const verifyPinHint = `pin the verifying key: --vk vk.key (the key your setup made or ceremony audit checked), --vk-digest sha256:… (printed by setup, from a source you trust), --keys circuit.keys.json (sharded bundles, written by setup --shards), for PLONK --model model.quant.json --srs SRS_FILE (derive the key yourself), or a registry entry you trust: --rpc URL --chain-id N --registry ADDR --model-id ID`

var verifyCommand = &cli.Command{
	Name:      "verify",
	Usage:     "verify a proof bundle offline against a verifying key you pinned",
	UsageText: "zkinfer verify (--vk vk.key | --vk-digest sha256:… | --keys circuit.keys.json | --model model.quant.json --srs SRS) [--model model.quant.json] [--require-production] [--json] [BUNDLE | --bundle proof.json]",
	Description: `The prover controls every byte of a bundle, including the verifying key it
carries: a bundle alone proves nothing about a model. verify therefore checks
the proof against a key YOU pinned (the trust anchor), and exits non-zero
without one:

  --vk FILE          a verifying key file you made (setup) or audited
                     (ceremony audit). Circuit, setup, shapes and fractions
                     are reported from its header.
  --vk-digest D      the key's digest (sha256:…; setup prints it and writes
                     vk.digest), obtained from a source you trust. Says
                     nothing about how the key was made.
  --keys FILE        sharded bundles: the keys manifest setup --shards
                     writes (circuit.keys.json), pinning every shard's key.
  --model M --srs S  PLONK: derive the key yourself from the model file and
                     an SRS you trust (compiles and runs setup).
  --rpc URL --chain-id N --registry ADDR --model-id ID [--auditor ADDR]...
                     the key a registry entry you chose was registered with
                     (the id names the registrant), optionally attested by
                     auditors you trust; the proven commitment must be the
                     registered one. Reads the chain, sends nothing.

The bundle's key must be the pinned one. Then the proof is checked against
the public inputs (input and output, hashed again from the carried values
where hashed, and the model commitment), and the carried tensors' shapes and
fractions against the pinned key's. A committed input or output's public
input is recomputed from the carried values and the pinned key's basis file
(beside --vk: vk.input.basis, vk.output.basis; or --input-basis,
--output-basis, needed with --vk-digest), whose digest the key pins.
With --model (the quantized model file), also checks that the proof is about
that model: its Poseidon2 commitment must be the proven one and the circuit
compiled from it must be the circuit the pinned key is for (fixed weights:
the key binds the weights; hashed or public weights: the key binds the
architecture and the proven commitment the weights).
--require-production fails unless the pinned key's header says it came from
a ceremony or an SRS file (a bare digest cannot say).
--insecure-unpinned checks against the bundle's own key, for debugging: it
prints UNPINNED, never VERIFIED.

Aggregated bundles (zkinfer aggregate): --vk pins the outer verifying key
(aggregate's --outer-vk file; the bundle never carries it) and the outer
proof is checked against it. With --keys also the second level: every
shard bundle (carried, or --sharded FILE for --detach) must be the one the
aggregated proof names at its position, and is re-checked against the keys
manifest with the hash chain and the shards commitment.
Exit code 0 only when every check passes.`,
	Flags: []cli.Flag{BundleFlag, PinVKFlag, PinVKDigestFlag, PinKeysFlag, VerifyModelFlag, WeightsBasisFlag, InputBasisFlag, OutputBasisFlag, PinSRSFlag, PinModelIDFlag, PinRegistryFlag, PinAuditorFlag, RPCFlag, ChainIDFlag, RequireProductionFlag, InsecureUnpinnedFlag, aggShardedFlag, verifySeedFlag, JSONFlag},
	Action: func(ctx *cli.Context) error {
		var opts []verifier.Option
		if ctx.Bool(RequireProductionFlag.Name) {
			opts = append(opts, verifier.RequireProduction())
		}
		if ctx.Bool(InsecureUnpinnedFlag.Name) {
			opts = append(opts, verifier.InsecureUnpinned())
		}
		bundle := ctx.String(BundleFlag.Name)
		if ctx.NArg() > 1 {
			return withHint(fmt.Errorf("verify: %d arguments, want one bundle", ctx.NArg()), "verify one bundle at a time, with the flags before it: zkinfer verify --vk vk.key BUNDLE")
		}
		if ctx.NArg() == 1 {
			bundle = ctx.Args().First()
		}
		if agg, err := isAggregatedBundle(bundle); err != nil {
			return err
		} else if agg && ctx.IsSet(verifySeedFlag.Name) {
			return fmt.Errorf("verify: --%s checks a single bundle of generate --sample, not an aggregated one", verifySeedFlag.Name)
		} else if agg {
			return verifyAggregatedBundle(ctx, bundle)
		}
		if ctx.IsSet(aggShardedFlag.Name) {
			return fmt.Errorf("verify: --%s goes with an aggregated bundle", aggShardedFlag.Name)
		}
		var anchors []string
		for _, f := range []string{PinVKFlag.Name, PinVKDigestFlag.Name, PinKeysFlag.Name, PinSRSFlag.Name, PinModelIDFlag.Name} {
			if ctx.String(f) != "" {
				anchors = append(anchors, "--"+f)
			}
		}
		if len(anchors) > 1 {
			return withHint(fmt.Errorf("verify: %s: pin one key, not %d", strings.Join(anchors, ", "), len(anchors)), "%s", verifyPinHint)
		}
		if ctx.String(PinSRSFlag.Name) != "" && ctx.String(VerifyModelFlag.Name) == "" {
			return withHint(fmt.Errorf("verify: --%s derives the key from a model: --%s is missing", PinSRSFlag.Name, VerifyModelFlag.Name), "zkinfer verify --model model.quant.json --srs SRS_FILE BUNDLE")
		}
		if sharded, err := isShardedBundle(bundle); err != nil {
			return err
		} else if sharded && ctx.IsSet(verifySeedFlag.Name) {
			return fmt.Errorf("verify: --%s checks a single bundle of generate --sample, not a sharded one", verifySeedFlag.Name)
		} else if sharded {
			return verifyShardedBundle(ctx, bundle, opts...)
		}
		if ctx.String(PinKeysFlag.Name) != "" {
			return withHint(fmt.Errorf("verify: %s is a single bundle; --%s pins the shards of a sharded one", bundle, PinKeysFlag.Name), "pin its key with --vk vk.key or --vk-digest sha256:…")
		}
		return verifySingle(ctx, bundle, opts...)
	},
}

// verifySingle is verify for a single (not sharded) bundle.
func verifySingle(ctx *cli.Context, bundlePath string, opts ...verifier.Option) error {
	b, err := verifier.Read(bundlePath)
	if err != nil {
		return err
	}
	var m *quant.Model
	modelPath := ctx.String(VerifyModelFlag.Name)
	if modelPath != "" {
		if m, err = quant.LoadQuantized(modelPath); err != nil {
			return withHint(err, "--model is the quantized model file (compile-circuit writes it: %s)", DefaultQuantized)
		}
	}
	a, err := pinSingle(ctx, b, m)
	if err != nil {
		return err
	}
	opts = append(opts, ioBasisFiles(ctx, b))
	res, err := verifier.Verify(b, a, opts...)
	if err != nil {
		return verifyError(bundlePath, err)
	}
	if m != nil && a != nil && b.Visibility.Weights == quant.VisibilityCommitted {
		if ctx.String(WeightsBasisFlag.Name) == "" {
			return withHint(fmt.Errorf("verify: %s: committed weights: --%s is missing", bundlePath, WeightsBasisFlag.Name), "pass the basis file setup wrote beside the verifying key: --%s vk.basis", WeightsBasisFlag.Name)
		}
		if err := verifier.CheckModelBasis(b, a, m, ctx.String(WeightsBasisFlag.Name), newProgress(ctx)); err != nil {
			return fmt.Errorf("%s: %s: %w", bundlePath, modelPath, err)
		}
	} else if m != nil && a != nil {
		if err := verifier.CheckModel(b, a, m, newProgress(ctx)); err != nil {
			return fmt.Errorf("%s: %s: %w", bundlePath, modelPath, err)
		}
	}
	if ctx.IsSet(verifySeedFlag.Name) {
		if a == nil {
			return fmt.Errorf("verify: --%s needs a pinned key (an unpinned proof proves nothing about the model)", verifySeedFlag.Name)
		}
		if err := checkSampleSeed(b, res, m, ctx.Int64(verifySeedFlag.Name)); err != nil {
			return err
		}
	}
	if ctx.Bool(JSONFlag.Name) {
		return printJSON(ctx.App.Writer, struct {
			Verified     bool   `json:"verified"`
			Pinned       bool   `json:"pinned"`
			ModelChecked string `json:"model_checked,omitempty"`
			*verifier.Result
		}{a != nil, a != nil, modelPath, res})
	}
	w := ctx.App.Writer
	printAnchor(w, a, res.VKDigest)
	fmt.Fprintf(w, "ok: proof (%s on %s, %d public inputs)\n", res.Backend, res.Curve, res.PublicInputs)
	fmt.Fprintf(w, "ok: input %s, output %s, weights %s (shapes %s → %s, from the %s)\n", sideLabel(res.Visibility.Input, res.Visibility.InputParts), sideLabel(res.Visibility.Output, res.Visibility.OutputParts), res.Visibility.Weights, spec(res.Input), spec(res.Output), res.IOFrom)
	fmt.Fprintf(w, "ok: model commitment %s (proven)\n", res.ModelCommitment)
	printOutputParts(w, b, res)
	if a != nil {
		printVerifiedCompletion(w, b, res, m) // m was checked against the pinned key
		printVerifiedSample(w, b, res, m)
	}
	if m != nil && a != nil {
		fmt.Fprintf(w, "ok: %s has the proven model commitment\n", modelPath)
		if a.Kind == verifier.AnchorDerived {
			fmt.Fprintf(w, "ok: the pinned key was derived from %s\n", modelPath)
		} else {
			fmt.Fprintf(w, "ok: %s compiles to circuit %s, the pinned key's\n", modelPath, a.Header.CircuitDigest)
		}
	}
	if a == nil {
		fmt.Fprintf(w, "UNPINNED: the proof verifies against the key the bundle brings; this proves nothing about any model\n")
		return nil
	}
	fmt.Fprintf(w, "VERIFIED: %s proof on %s, %d public inputs\n", res.Backend, res.Curve, res.PublicInputs)
	if res.Architecture != "" {
		fmt.Fprintf(w, "architecture: %s (the key serves every model of it; the proven commitment names the weights)\n", res.Architecture)
	} else {
		fmt.Fprintf(w, "model: %s\n", orDash(res.ModelDigest))
	}
	fmt.Fprintf(w, "circuit: %s\nsetup: %s\n", orDash(res.CircuitDigest), res.Setup)
	if res.SetupDigest != "" {
		fmt.Fprintf(w, "setup digest: %s\n", res.SetupDigest)
	}
	if res.Setup == prover.SetupDevUnsafe {
		fmt.Fprintf(w, "warning: %s\n", prover.DevSetupWarning)
	}
	return nil
}

// pinSingle returns the anchor the flags name for a single bundle b (nil
// without one, when --insecure-unpinned allows it).
func pinSingle(ctx *cli.Context, b *verifier.Bundle, m *quant.Model) (*verifier.Anchor, error) {
	switch {
	case ctx.String(PinVKFlag.Name) != "":
		a, err := verifier.PinKeyFile(ctx.String(PinVKFlag.Name))
		return a, withHint(err, "--vk is a verifying key file written by setup or ceremony extract")
	case ctx.String(PinVKDigestFlag.Name) != "":
		return verifier.PinDigest(ctx.String(PinVKDigestFlag.Name))
	case ctx.String(PinSRSFlag.Name) != "":
		if b.Backend != prover.BackendPLONK {
			return nil, withHint(fmt.Errorf("verify: the bundle is a %s proof; keys are derived from an SRS for PLONK only", b.Backend), "for Groth16, audit the ceremony (zkinfer ceremony audit) and pin the audited key with --vk")
		}
		srs, err := prover.ReadSRS(ctx.String(PinSRSFlag.Name))
		if err != nil {
			return nil, err
		}
		return verifier.DeriveKey(m, b.Visibility, b.RangeChecks, srs, newProgress(ctx))
	case ctx.String(PinModelIDFlag.Name) != "":
		return pinRegistry(ctx)
	case ctx.Bool(InsecureUnpinnedFlag.Name):
		fmt.Fprintf(ctx.App.ErrWriter, "warning: --%s: the proof is checked against the key the bundle brings, which anyone can make for any output\n", InsecureUnpinnedFlag.Name)
		return nil, nil
	}
	hint := verifyPinHint
	if m != nil {
		hint = "--model checks a model against a pinned key, it does not pin one; " + verifyPinHint
	}
	return nil, withHint(fmt.Errorf("verify: %w", verifier.ErrUnpinned), "%s", hint)
}

// pinRegistry reads the anchor of a registry entry (--rpc, --chain-id,
// --registry, --model-id, --auditor).
func pinRegistry(ctx *cli.Context) (*verifier.Anchor, error) {
	const usage = "zkinfer verify --rpc URL --chain-id N --registry 0xREGISTRY --model-id 0xID [--auditor 0xADDR] BUNDLE"
	url, reg, id := ctx.String(RPCFlag.Name), ctx.String(PinRegistryFlag.Name), ctx.String(PinModelIDFlag.Name)
	if url == "" || reg == "" || !ctx.IsSet(ChainIDFlag.Name) {
		return nil, withHint(fmt.Errorf("verify: --%s needs --%s, --%s and --%s", PinModelIDFlag.Name, RPCFlag.Name, ChainIDFlag.Name, PinRegistryFlag.Name), "%s", usage)
	}
	if !common.IsHexAddress(reg) {
		return nil, withHint(fmt.Errorf("verify: --%s %q is not an address", PinRegistryFlag.Name, reg), "%s", usage)
	}
	idBytes, err := hexutil.Decode(id)
	if err != nil || len(idBytes) != common.HashLength {
		return nil, withHint(fmt.Errorf("verify: --%s %q is not 0x and 64 hex digits", PinModelIDFlag.Name, id), "deploy-evm prints the model id and writes it to %s", DefaultDeploy)
	}
	var auditors []common.Address
	for _, a := range ctx.StringSlice(PinAuditorFlag.Name) {
		if !common.IsHexAddress(a) {
			return nil, withHint(fmt.Errorf("verify: --%s %q is not an address", PinAuditorFlag.Name, a), "%s", usage)
		}
		auditors = append(auditors, common.HexToAddress(a))
	}
	chain, err := contracts.DialReader(ctx.Context, url, new(big.Int).SetUint64(ctx.Uint64(ChainIDFlag.Name)))
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	return chain.RegistryAnchor(ctx.Context, common.HexToAddress(reg), common.BytesToHash(idBytes), auditors)
}

func verifyError(bundlePath string, err error) error {
	switch {
	case errors.Is(err, verifier.ErrNotProduction):
		return withHint(fmt.Errorf("%s: %w", bundlePath, err), "pin a key made by 'zkinfer ceremony' (Groth16) or 'zkinfer setup --srs' (PLONK), by its file or a keys manifest")
	case errors.Is(err, verifier.ErrKeyMismatch):
		return withHint(fmt.Errorf("%s: %w", bundlePath, err), "the bundle was not made with the key you pinned: it is not a proof for that circuit")
	case errors.Is(err, verifier.ErrUnpinned):
		return withHint(fmt.Errorf("%s: %w", bundlePath, err), "%s", verifyPinHint)
	}
	return fmt.Errorf("%s: %w", bundlePath, err)
}

func printAnchor(w io.Writer, a *verifier.Anchor, digest string) {
	if a == nil {
		fmt.Fprintf(w, "warning: UNPINNED: checked against the bundle's own verifying key %s\n", digest)
		return
	}
	fmt.Fprintf(w, "ok: verifying key %s pinned by %s %s\n", digest, a.Kind, a.Source)
}

func spec(s *prover.TensorSpec) string {
	if s == nil {
		return "?"
	}
	return fmt.Sprintf("%v@frac%d", s.Shape, s.Frac)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// verifyShardedBundle is verify for a sharded bundle.
func verifyShardedBundle(ctx *cli.Context, bundlePath string, opts ...verifier.Option) error {
	for _, f := range []string{PinVKFlag.Name, PinVKDigestFlag.Name, PinSRSFlag.Name, PinModelIDFlag.Name} {
		if ctx.String(f) != "" {
			return withHint(fmt.Errorf("verify: %s is a sharded bundle: --%s pins one key, a sharded bundle has one per shard", bundlePath, f), "pin every shard's key with the keys manifest setup --shards wrote: --keys circuit.keys.json")
		}
	}
	sb, err := verifier.ReadSharded(bundlePath)
	if err != nil {
		return err
	}
	var keys *prover.KeysManifest
	source := ctx.String(PinKeysFlag.Name)
	switch {
	case source != "":
		if keys, err = prover.ReadKeysManifest(source); err != nil {
			return withHint(err, "--keys is the keys manifest that setup --shards writes (circuit.keys.json)")
		}
	case ctx.Bool(InsecureUnpinnedFlag.Name):
		fmt.Fprintf(ctx.App.ErrWriter, "warning: --%s: every shard is checked against the key it brings, which anyone can make for any output\n", InsecureUnpinnedFlag.Name)
	default:
		return withHint(fmt.Errorf("verify: %w", verifier.ErrUnpinned), "pin every shard's key with the keys manifest setup --shards wrote: --keys circuit.keys.json")
	}
	res, err := verifier.VerifySharded(sb, keys, source, opts...)
	switch {
	case errors.Is(err, verifier.ErrIncomplete):
		return withHint(fmt.Errorf("%s: %w", bundlePath, err), "combine the shard bundles with: zkinfer assemble --bundle %s SHARD_BUNDLES...", DefaultBundle)
	case err != nil:
		return verifyError(bundlePath, err)
	}
	modelPath := ctx.String(VerifyModelFlag.Name)
	var model *quant.Model
	if modelPath != "" {
		m, err := quant.LoadQuantized(modelPath)
		if err != nil {
			return withHint(err, "--model is the quantized model file (compile-circuit writes it: %s)", DefaultQuantized)
		}
		if keys == nil {
			return withHint(fmt.Errorf("verify: %w: --model checks a model against pinned keys", verifier.ErrUnpinned), "pin every shard's key: --keys circuit.keys.json")
		}
		if err := verifier.VerifyShardedModel(sb, keys, m, newProgress(ctx)); err != nil {
			return fmt.Errorf("%s: %s: %w", bundlePath, modelPath, err)
		}
		model = m
	}
	if ctx.Bool(JSONFlag.Name) {
		return printJSON(ctx.App.Writer, struct {
			Verified     bool   `json:"verified"`
			ModelChecked string `json:"model_checked,omitempty"`
			*verifier.ShardResult
		}{keys != nil, modelPath, res})
	}
	w := ctx.App.Writer
	dev := false
	if keys != nil {
		fmt.Fprintf(w, "ok: every shard's verifying key pinned by keys manifest %s\n", source)
	} else {
		fmt.Fprintf(w, "warning: UNPINNED: every shard checked against its own verifying key\n")
	}
	for _, s := range res.Shards {
		fmt.Fprintf(w, "ok: shard %d (%s %d:%d): proof (%s, %d public inputs), key %s, model commitment %s, setup %s\n", s.Index, prover.UnitName(res.ShardsVersion), s.From, s.To, s.Backend, s.PublicInputs, s.VKDigest, s.ModelCommitment, s.Setup)
		dev = dev || s.Setup == prover.SetupDevUnsafe
	}
	fmt.Fprintf(w, "ok: hash chain from the input through %d shards to the output\n", len(res.Shards))
	fmt.Fprintf(w, "ok: input %s, output %s, weights %s\n", sideLabel(res.Visibility.Input, res.Visibility.InputParts), sideLabel(res.Visibility.Output, res.Visibility.OutputParts), res.Visibility.Weights)
	fmt.Fprintf(w, "ok: shards commitment %s (proven)\n", res.ShardsCommitment)
	if keys == nil {
		fmt.Fprintf(w, "UNPINNED: sharded proof, %d shards, each valid for the key it brings; this proves nothing about any model\n", len(res.Shards))
		return nil
	}
	fmt.Fprintf(w, "ok: model commitment %s (the keys manifest's)\n", res.ModelCommitment)
	if modelPath != "" {
		fmt.Fprintf(w, "ok: %s has the model commitment, and its shards the proven commitments and the pinned keys' circuits\n", modelPath)
	}
	if n := len(res.Shards); n > 0 && res.ShardsVersion == quant.GraphShardsVersion {
		// The statement of a graph sharding is the model's: the first
		// shard's input and the last shard's output (a greedy completion
		// prints as one).
		first, last := res.Shards[0], res.Shards[n-1]
		// The last shard's output is the model's, read by its pinned key.
		printOutputParts(w, sb.Shards[n-1].Bundle, last.Result)
		whole := &verifier.Bundle{PublicInputs: []verifier.Tensor{sb.Shards[0].Bundle.PublicInputs[0], sb.Shards[n-1].Bundle.PublicInputs[1]}}
		printVerifiedCompletion(w, whole, &verifier.Result{Input: first.Input, Output: last.Output}, model)
	}
	fmt.Fprintf(w, "VERIFIED: sharded proof, %d shards\n", len(res.Shards))
	if dev {
		fmt.Fprintf(w, "warning: %s\n", prover.DevSetupWarning)
	}
	return nil
}

// ioBasisFiles is the basis files of a bundle's committed input and
// output: --input-basis and --output-basis, else the files setup wrote
// beside the pinned --vk. Verify checks each against the pinned key's
// digest of it; a side that is not committed needs none.
func ioBasisFiles(ctx *cli.Context, b *verifier.Bundle) verifier.Option {
	in, out := ctx.String(InputBasisFlag.Name), ctx.String(OutputBasisFlag.Name)
	cin, cout := b.Visibility.CommittedIO()
	if vk := ctx.String(PinVKFlag.Name); vk != "" {
		if in == "" && cin {
			in = prover.InputBasisPath(vk)
		}
		if out == "" && cout {
			out = prover.OutputBasisPath(vk)
		}
	}
	return verifier.IOBasisFiles(in, out)
}
