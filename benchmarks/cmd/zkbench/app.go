package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
)

func newApp() *cli.App {
	return &cli.App{
		Name:  "zkbench",
		Usage: "benchmark zkinfer's circuits on GPT-2-shaped models with random weights",
		Description: `Builds synthetic GPT-2-shaped models (random weights, real shapes) and records,
per configuration: R1CS constraints with a per-sub-layer breakdown, SCS (PLONK)
constraints, compile / dev setup / witness solve / prove / verify times, peak Go
heap and RSS, proof size, public inputs, verify gas on the simulated chain, and the
time of gnark's bare MSMs and FFTs for the same circuit (the floor a Groth16
prover cannot beat on this machine) with the ratio prove / floor.

Results merge by configuration name into OUT/harness.json and OUT/harness.csv, so
partial runs accumulate; the plots OUT/harness-vs-seq.svg and
OUT/harness-vs-width.svg are redrawn from everything recorded. Progress goes
to stderr. Timings are wall clock on this machine: each row records the load
average, and "contended" when other work competed for the CPU.

Examples:
  go run ./benchmarks/cmd/zkbench                                   # counts for every preset
  go run ./benchmarks/cmd/zkbench --configs demo,block-s1 --stages count,prove,gas
  go run ./benchmarks/cmd/zkbench --configs '' --d-model 256 --seq 4 --stages prove`,
		Flags:           allFlags,
		HideHelpCommand: true,
		Action:          run,
	}
}

func run(ctx *cli.Context) error {
	if ctx.Bool(ListFlag.Name) {
		for _, n := range harness.PresetNames() {
			c := harness.Presets[n]
			fmt.Printf("%-14s d_model %4d, heads %2d, seq %3d, blocks %2d\n", n, c.DModel, c.Heads, c.Seq, c.Blocks)
		}
		return nil
	}
	if from := ctx.String(MergeFlag.Name); from != "" {
		return mergeInto(ctx, from)
	}
	if ctx.Args().Len() > 0 {
		return fmt.Errorf("unexpected arguments %q (zkbench takes flags only; see --help)", ctx.Args().Slice())
	}
	configs, err := harness.ParseConfigs(ctx.String(ConfigsFlag.Name))
	if err != nil {
		return err
	}
	if d := ctx.Int(DModelFlag.Name); d != 0 {
		heads := ctx.Int(HeadsFlag.Name)
		if heads == 0 {
			heads = max(d/64, 1)
		}
		c := harness.Custom(d, heads, ctx.Int(SeqFlag.Name), ctx.Int(BlocksFlag.Name))
		if err := c.Validate(); err != nil {
			return err
		}
		configs = append(configs, c)
	}
	if len(configs) == 0 {
		return errors.New("nothing to measure: give --configs or --d-model")
	}
	stages, err := harness.ParseStages(ctx.String(StagesFlag.Name))
	if err != nil {
		return err
	}
	for _, c := range configs {
		if err := c.Validate(); err != nil {
			return err
		}
	}
	out := ctx.String(OutFlag.Name)
	old, err := harness.Load(out)
	if err != nil {
		return fmt.Errorf("%w (move the file away to start afresh)", err)
	}
	sumParts := map[string]bool{}
	for _, n := range strings.Split(ctx.String(SumPartsFlag.Name), ",") {
		sumParts[strings.TrimSpace(n)] = true
	}
	opt := harness.Options{Stages: stages, MaxConstraints: ctx.Int(MaxConstraintsFlag.Name), ExtrapolateAbove: ctx.Int(ExtrapolateFlag.Name),
		SumParts: sumParts, Log: os.Stderr}
	var failed []string
	for _, c := range configs {
		r, err := harness.Run(c, opt)
		if err != nil {
			fmt.Fprintln(os.Stderr, "zkbench: error:", err)
			failed = append(failed, c.Name)
			continue
		}
		for _, e := range r.Errors {
			fmt.Fprintf(os.Stderr, "zkbench: %s: error: %s\n", c.Name, e)
		}
		for _, s := range r.Skipped {
			fmt.Fprintf(os.Stderr, "zkbench: %s: skipped: %s\n", c.Name, s)
		}
		// Reread and write after each configuration, so a long run that is
		// stopped keeps what it measured and runs side by side (other
		// configurations, same --out) do not drop each other's results.
		if old, err = harness.Load(out); err != nil {
			return err
		}
		old = harness.Merge(old, []*harness.Result{r})
		if err := harness.Write(out, old); err != nil {
			return err
		}
		printSummary(r)
	}
	if !ctx.Bool(NoPlotsFlag.Name) {
		if err := plot(out, old); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not measure %s", strings.Join(failed, ", "))
	}
	return nil
}

func printSummary(r *harness.Result) {
	est := ""
	if r.R1CSEstimate != "" {
		est = " (estimate)"
	}
	fmt.Printf("%-14s %10d R1CS%s", r.Name, r.ConstraintsR1CS, est)
	if r.ConstraintsSCS > 0 {
		fmt.Printf(", %d SCS", r.ConstraintsSCS)
	}
	if r.ProveS > 0 {
		fmt.Printf(", setup %.1fs, prove %.2fs, floor %.2fs (×%.2f)", r.SetupS, r.ProveS, r.Floor.TotalS, r.ProveOverFloor)
	}
	if r.VerifyGas > 0 {
		fmt.Printf(", verify gas %d", r.VerifyGas)
	}
	if r.Contended() {
		fmt.Print(" [contended]")
	}
	fmt.Println()
}

func plot(out string, results []*harness.Result) error {
	files, err := harness.Plot(out, results)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	for _, f := range files {
		fmt.Fprintln(os.Stderr, "zkbench: wrote", f)
	}
	return nil
}

func mergeInto(ctx *cli.Context, from string) error {
	out := ctx.String(OutFlag.Name)
	add, err := harness.Load(from)
	if err != nil {
		return err
	}
	if add == nil {
		return fmt.Errorf("%s: no %s to merge", from, harness.JSONFile)
	}
	old, err := harness.Load(out)
	if err != nil {
		return err
	}
	merged := harness.Merge(old, add)
	if err := harness.Write(out, merged); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "zkbench: merged %d results from %s into %s\n", len(add), from, out)
	if ctx.Bool(NoPlotsFlag.Name) {
		return nil
	}
	return plot(out, merged)
}
