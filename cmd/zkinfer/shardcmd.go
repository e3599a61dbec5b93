package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// Sharded proving: compile-circuit --shard-blocks K, setup --shards,
// prove --shards [--shard N], assemble, and verify of sharded bundles.

// compileSharded is compile-circuit --shard-blocks: the quantized model, one
// circuit per shard and the manifest beside the circuit path.
func compileSharded(out io.Writer, p prover.Progress, perShard int, backend, settingsPath, quantPath, circuitPath string, opts ...prover.CompileOption) error {
	s, m, err := loadForShards(backend, settingsPath)
	if err != nil {
		return err
	}
	if m.Config.Architecture != quant.ArchitectureGPT2 {
		return withHint(fmt.Errorf("compile: --%s: %w: only gpt2 models split into shards, this one is %s", ShardBlocksFlag.Name, quant.ErrValidation, m.Config.Architecture), "compile it without --%s", ShardBlocksFlag.Name)
	}
	copts, err := shardOptions(out, s, "activations", backend, opts)
	if err != nil {
		return err
	}
	man, err := prover.CompileShards(m, perShard, circuitPath, DefaultPK, DefaultVK, prefixed(p, "shards"), copts...)
	if err != nil {
		return err
	}
	manPath, err := saveShards(quantPath, circuitPath, m, man)
	if err != nil {
		return err
	}
	for _, e := range man.Shards {
		fmt.Fprintf(out, "shard %d: blocks %d:%d, %s (%d constraints, %s), keys %s %s\n", e.Index, e.From, e.To, e.Circuit, e.Constraints, e.CircuitDigest, e.PK, e.VK)
	}
	fmt.Fprintf(out, "manifest: %s (%d shards, %s)\nquantized model: %s (%s)\nmodel commitment: %s\nshards commitment: %s\n", manPath, len(man.Shards), man.Backend, quantPath, man.ModelDigest, man.ModelCommitment, man.ShardsCommitment)
	return nil
}

// loadForShards checks the backend and reads and quantizes the settings'
// model, for compile-circuit's sharded forms.
func loadForShards(backend, settingsPath string) (*quant.Settings, *quant.Model, error) {
	if err := prover.CheckBackend(backend); err != nil {
		return nil, nil, withHint(err, "pass --backend %s or --backend %s", prover.BackendGroth16, prover.BackendPLONK)
	}
	s, err := loadSettings(settingsPath)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Quantize()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", settingsPath, err)
	}
	return s, m, nil
}

// shardOptions returns the compile options of every shard (backend,
// visibility, settings digest, then opts) and notes, when a side is
// private, that what crosses the cuts (what) is exposed as unsalted hashes.
func shardOptions(out io.Writer, s *quant.Settings, what, backend string, opts []prover.CompileOption) ([]prover.CompileOption, error) {
	sd, err := s.Digest()
	if err != nil {
		return nil, err
	}
	if pin, pout := s.Visibility.HasPrivate(); pin || pout {
		fmt.Fprintf(out, "note: the %s between shards are exposed as unsalted hashes; whoever can guess a private input can check the guess against them\n", what)
	}
	return append([]prover.CompileOption{prover.WithBackend(backend), prover.WithVisibility(s.Visibility), prover.WithSettingsDigest(sd)}, opts...), nil
}

// saveShards writes the quantized model and the shards manifest beside
// the circuit path, returning the manifest's path.
func saveShards(quantPath, circuitPath string, m *quant.Model, man *prover.ShardManifest) (string, error) {
	if err := quant.WriteQuantized(quantPath, m); err != nil {
		return "", err
	}
	manPath := prover.ManifestPath(circuitPath)
	return manPath, prover.WriteManifest(manPath, man)
}

// compileGraphSharded is compile-circuit --shards N or --cut NAME,… of a
// layer-graph model: cut at node boundaries (balanced by estimated
// constraints, or after the named values), one circuit per shard and the
// manifest beside the circuit path.
func compileGraphSharded(out io.Writer, p prover.Progress, n int, cuts []string, backend, settingsPath, quantPath, circuitPath string, opts ...prover.CompileOption) error {
	s, m, err := loadForShards(backend, settingsPath)
	if err != nil {
		return err
	}
	if m.Config.Architecture != quant.ArchitectureGraph || m.Graph == nil {
		if m.Config.Architecture == quant.ArchitectureGPT2 {
			return withHint(fmt.Errorf("compile: --%s/--%s cut layer graphs; this model is gpt2", CompileShardsFlag.Name, CutFlag.Name), "split a gpt2 model into block ranges with --%s K", ShardBlocksFlag.Name)
		}
		return withHint(fmt.Errorf("compile: --%s/--%s: %w: only layer graphs are cut into shards, this model is %s", CompileShardsFlag.Name, CutFlag.Name, quant.ErrValidation, m.Config.Architecture), "compile it without --%s", CompileShardsFlag.Name)
	}
	var bounds []int
	if len(cuts) > 0 {
		bounds, err = m.Graph.CutsByName(cuts)
		if err != nil {
			return withHint(fmt.Errorf("compile: --%s: %w", CutFlag.Name, err), "zkinfer inspect MODEL lists the layers; name the values to cut after")
		}
	} else if bounds, err = m.BalancedCuts(n, s.Visibility); err != nil {
		return withHint(fmt.Errorf("compile: --%s %d: %w", CompileShardsFlag.Name, n, err), "pass at most as many shards as the graph has nodes (%d)", len(m.Graph.Nodes))
	}
	copts, err := shardOptions(out, s, "tensors", backend, opts)
	if err != nil {
		return err
	}
	man, err := prover.CompileGraphShards(m, bounds, circuitPath, DefaultPK, DefaultVK, prefixed(p, "shards"), copts...)
	if err != nil {
		return err
	}
	manPath, err := saveShards(quantPath, circuitPath, m, man)
	if err != nil {
		return err
	}
	for _, e := range man.Shards {
		cut := "the model's outputs"
		if len(e.Cut) > 0 {
			cut = strings.Join(e.Cut, ", ")
		}
		fmt.Fprintf(out, "shard %d: nodes %d:%d (%s … %s), passes on %s; %s (%d constraints, %s), keys %s %s\n", e.Index, e.From, e.To,
			m.Graph.Nodes[e.From].Name, m.Graph.Nodes[e.To-1].Name, cut, e.Circuit, e.Constraints, e.CircuitDigest, e.PK, e.VK)
	}
	fmt.Fprintf(out, "manifest: %s (%d shards of %d nodes, %s)\nquantized model: %s (%s)\nmodel commitment: %s\nshards commitment: %s (v%d)\n", manPath, len(man.Shards), man.NLayer, man.Backend, quantPath, man.ModelDigest, man.ModelCommitment, man.ShardsCommitment, man.ShardsVersion)
	return nil
}

// setupShards runs setup once per distinct shard circuit of the manifest:
// shards with the same circuit digest share their keys.
func setupShards(out, warn io.Writer, p prover.Progress, dev bool, srsPath, backend, manifestPath string) error {
	man, err := prover.ReadManifest(manifestPath)
	if err != nil {
		return withHint(err, "compile the shards with: zkinfer compile-circuit --shard-blocks K")
	}
	done := map[string]bool{}
	for _, e := range man.Shards {
		if done[e.PK] {
			fmt.Fprintf(out, "shard %d: shares the keys of an identical circuit (%s)\n", e.Index, e.CircuitDigest)
			continue
		}
		h, err := prover.ReadHeader(e.Circuit)
		if err != nil {
			return withHint(err, "compile the shards again with: zkinfer compile-circuit --shard-blocks K")
		}
		if h.CircuitDigest != e.CircuitDigest {
			return withHint(fmt.Errorf("shard %d: %s: %w: the manifest names circuit %s, the file is %s", e.Index, e.Circuit, prover.ErrCircuitMismatch, e.CircuitDigest, h.CircuitDigest), "compile the shards again")
		}
		fmt.Fprintf(out, "shard %d:\n", e.Index)
		if err := setup(out, warn, prefixed(p, fmt.Sprintf("shard %d", e.Index)), dev, srsPath, backend, e.Circuit, e.PK, e.VK); err != nil {
			return fmt.Errorf("shard %d: %w", e.Index, err)
		}
		warn = io.Discard // one warning is enough
		done[e.PK] = true
	}
	keys, err := prover.NewKeysManifest(man)
	if err != nil {
		return err
	}
	path := prover.KeysPath(manifestPath)
	if err := prover.WriteKeysManifest(path, keys); err != nil {
		return err
	}
	fmt.Fprintf(out, "keys manifest: %s (publish it: verifiers pin the shards' keys with verify --keys %s)\n", path, path)
	return nil
}

// shardJob is what proving one shard needs.
type shardJob struct {
	entry prover.ShardEntry
	model *quant.Model
	trace *quant.Trace
}

// proveShards proves the shards of the manifest (all, or only shard `only`
// when it is ≥ 0), jobs at a time, and writes a sharded bundle.
func proveShards(out io.Writer, p prover.Progress, ic inputCheck, quantPath, manifestPath, inputPath, bundlePath, saltsPath string, only, jobs int, aggregatable bool, opts ...prover.ProveOption) error {
	man, err := prover.ReadManifest(manifestPath)
	if err != nil {
		return withHint(err, "compile the shards with: zkinfer compile-circuit --shard-blocks K")
	}
	n := len(man.Shards)
	if only >= n {
		return withHint(fmt.Errorf("prove: --%s %d: the model has %d shards", ShardFlag.Name, only, n), "shards are numbered 0..%d", n-1)
	}
	if jobs < 1 {
		return withHint(fmt.Errorf("prove: --%s %d", JobsFlag.Name, jobs), "prove at least one shard at a time")
	}
	m, err := quant.LoadQuantized(quantPath)
	if err != nil {
		return withHint(err, "make it with: zkinfer compile-circuit --shard-blocks K --quantized %s", quantPath)
	}
	if d, err := m.Digest(); err != nil || d != man.ModelDigest {
		return withHint(fmt.Errorf("%s: %w: the shards were compiled from model %s, not %s", quantPath, prover.ErrCircuitMismatch, man.ModelDigest, d), "compile the shards again from the same settings")
	}
	in, err := quant.LoadInputFor(inputPath, m)
	if err != nil {
		return err
	}
	if len(in.InputData) != 1 {
		return withHint(fmt.Errorf("%s: %w: %d samples, prove takes one", inputPath, quant.ErrValidation, len(in.InputData)), "put a single sample in input_data")
	}
	if err := ic.check(inputPath, m, in.InputData[0]); err != nil {
		return err
	}
	cur, err := m.QuantizeInput(in.InputData[0])
	if err != nil {
		return err
	}
	// The integer forward pass of every shard, chained: cheap next to
	// proving, and what a machine proving one shard needs for its input.
	var all []shardJob
	version := max(man.ShardsVersion, quant.ShardsVersion)
	for i, e := range man.Shards {
		sub, err := m.ShardOf(version, e.From, e.To)
		if err != nil {
			return err
		}
		if d, _ := sub.Digest(); d != e.ModelDigest {
			return fmt.Errorf("shard %d: %w: the manifest names sub-model %s, the model's %s %d:%d are %s", e.Index, prover.ErrCircuitMismatch, e.ModelDigest, prover.UnitName(man.ShardsVersion), e.From, e.To, d)
		}
		if i > 0 && version == quant.GraphShardsVersion {
			// The previous shard's outputs, part by part, are this one's inputs.
			if cur, err = sub.ShardInput(all[i-1].trace.OutputParts()); err != nil {
				return fmt.Errorf("shard %d: %w", e.Index, err)
			}
		}
		tr, err := sub.Forward(cur)
		if err != nil {
			return fmt.Errorf("shard %d: %w", e.Index, err)
		}
		all = append(all, shardJob{e, sub, tr})
		cur = tr.Y
	}
	todo := all
	if only >= 0 {
		todo = all[only : only+1]
	}
	salts, err := modelio.RandomSalts()
	if err != nil {
		return err
	}
	opts = append(opts, prover.WithSalts(salts))
	proofHash := ""
	if aggregatable {
		proofHash = prover.ProofHashMiMC
	}
	shards := make([]verifier.Shard, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	start := time.Now()
	for k, j := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			shards[k], errs[k] = proveShard(prefixed(p, fmt.Sprintf("shard %d", j.entry.Index)), j, n, proofHash, opts...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	elapsed := time.Since(start)
	sb := &verifier.ShardedBundle{
		MediaType: verifier.ShardedMediaType, ModelDigest: man.ModelDigest, ModelCommitment: man.ModelCommitment,
		ShardsCommitment: man.ShardsCommitment, ShardsVersion: man.ShardsVersion, NLayer: man.NLayer, NShards: n, Visibility: man.Visibility, ProofHash: proofHash, Shards: shards,
	}
	if only < 0 {
		keys, err := prover.NewKeysManifest(man)
		if err != nil {
			return err
		}
		if _, err := verifier.VerifySharded(sb, keys, manifestPath); err != nil {
			return fmt.Errorf("prove: the sharded bundle does not verify with the keys of %s: %w", manifestPath, err)
		}
	}
	vis := man.Visibility
	if only >= 0 {
		vis = quant.ShardVisibility(man.Visibility, only, n)
	}
	if privIn, privOut := vis.HasPrivate(); privIn || privOut {
		if err := modelio.WriteSalts(saltsPath, salts, vis); err != nil {
			return err
		}
		fmt.Fprintf(out, "salts: %s (private input/output; keep it secret)\n", saltsPath)
	}
	if err := sb.Write(bundlePath); err != nil {
		return err
	}
	if only >= 0 {
		fmt.Fprintf(out, "shard bundle: %s (shard %d of %d, proved in %s); combine the shards with: zkinfer assemble --bundle %s SHARD_BUNDLES...\n", bundlePath, only, n, elapsed.Round(time.Millisecond), DefaultBundle)
		return nil
	}
	fmt.Fprintf(out, "bundle: %s (%d shards, proved in %s)\n", bundlePath, n, elapsed.Round(time.Millisecond))
	last := all[n-1]
	y := last.model.OutputValues(last.trace)
	fmt.Fprintf(out, "output (first values): %v\n", y[:min(len(y), 6)])
	return nil
}

// proveShard proves one shard and returns its entry of the sharded bundle.
// proofHash is prover.ProofHashMiMC when opts prove it for aggregation.
func proveShard(p prover.Progress, j shardJob, n int, proofHash string, opts ...prover.ProveOption) (verifier.Shard, error) {
	e := j.entry
	fail := func(err error) (verifier.Shard, error) {
		return verifier.Shard{}, fmt.Errorf("shard %d: %w", e.Index, err)
	}
	done := p.Start("loading circuit and keys")
	c, err := prover.ReadCircuit(e.Circuit)
	if err != nil {
		done()
		return fail(err)
	}
	pk, pkh, err := prover.ReadProvingKey(e.PK)
	if err != nil {
		done()
		return fail(withHint(err, "make the keys with: zkinfer setup --dev --shards MANIFEST"))
	}
	vk, vkh, err := prover.ReadVerifyingKey(e.VK)
	done()
	if err != nil {
		return fail(withHint(err, "make the keys with: zkinfer setup --dev --shards MANIFEST"))
	}
	if c.Header.CircuitDigest != e.CircuitDigest || pkh.CircuitDigest != e.CircuitDigest || vkh.CircuitDigest != e.CircuitDigest {
		return fail(withHint(fmt.Errorf("%w: the manifest names circuit %s; %s is %s, its keys are for %s and %s", prover.ErrCircuitMismatch, e.CircuitDigest, e.Circuit, c.Header.CircuitDigest, pkh.CircuitDigest, vkh.CircuitDigest), "run setup again for the manifest"))
	}
	if err := checkKeyPair(e.PK, pkh, e.VK, vk, vkh, "--shards MANIFEST"); err != nil {
		return fail(err)
	}
	proof, err := prover.Prove(c, pk, pkh, j.model, j.trace, p, opts...)
	if err != nil {
		return fail(err)
	}
	if err := prover.VerifyWithHash(vk, proof.Proof, proof.Public, proofHash); err != nil {
		return fail(fmt.Errorf("the proof does not verify with %s: %w", e.VK, err))
	}
	b, err := verifier.NewBundle(j.model, c, vk, vkh, proof, j.trace)
	if err != nil {
		return fail(err)
	}
	return verifier.NewShard(b, e.Index, n, quant.ShardRange{From: e.From, To: e.To})
}

var assembleCommand = &cli.Command{
	Name:      "assemble",
	Usage:     "combine shard bundles proved separately (prove --shard N) into one sharded bundle",
	UsageText: "zkinfer assemble [--bundle proof.json] SHARD_BUNDLE...",
	Description: `Reads the shard bundles that 'zkinfer prove --shards MANIFEST --shard N' wrote
(on one machine or many), checks that they are shards of the same model and
sharding, puts the shards in order, checks the result (every proof and the
hash chain from the model input to its output; with --keys, every proof
against the key the keys manifest pins) and writes it to --bundle.
Next: verify --keys circuit.keys.json.`,
	Flags: []cli.Flag{BundleFlag, PinKeysFlag},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() == 0 {
			return withHint(errors.New("assemble: no shard bundles"), "name the shard bundles after the flags: zkinfer assemble --bundle proof.json proof.shard-0.json proof.shard-1.json")
		}
		var parts []*verifier.ShardedBundle
		for _, path := range ctx.Args().Slice() {
			sb, err := verifier.ReadSharded(path)
			if err != nil {
				return withHint(err, "assemble takes the shard bundles of 'zkinfer prove --shards MANIFEST --shard N'")
			}
			parts = append(parts, sb)
		}
		sb, err := verifier.AssembleShards(parts)
		if errors.Is(err, verifier.ErrIncomplete) {
			return withHint(err, "prove the missing shards with: zkinfer prove --shards MANIFEST --shard N")
		}
		if err != nil {
			return err
		}
		var keys *prover.KeysManifest
		checked := "proofs checked against their own keys only: verify it with --keys"
		if path := ctx.String(PinKeysFlag.Name); path != "" {
			if keys, err = prover.ReadKeysManifest(path); err != nil {
				return withHint(err, "--keys is the keys manifest that setup --shards writes (circuit.keys.json)")
			}
			checked = "verified with the keys of " + path
		}
		if _, err := verifier.VerifySharded(sb, keys, ctx.String(PinKeysFlag.Name), verifier.InsecureUnpinned()); err != nil {
			return fmt.Errorf("assemble: %w", err)
		}
		out := ctx.String(BundleFlag.Name)
		if err := sb.Write(out); err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "bundle: %s (%d shards, %s)\n", out, len(sb.Shards), checked)
		return nil
	},
}

// prefixed names the stages of p after a shard.
func prefixed(p prover.Progress, prefix string) prover.Progress {
	return prefixProgress{p, prefix}
}

type prefixProgress struct {
	p      prover.Progress
	prefix string
}

func (pp prefixProgress) Start(stage string) func() { return pp.p.Start(pp.prefix + ": " + stage) }

// isShardedBundle tells a sharded bundle from a single one by its media type.
func isShardedBundle(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, verifier.MaxBundleSize+1))
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return verifier.IsSharded(data), nil
}
