package main

import (
	"github.com/urfave/cli/v2"
)

// DefaultConfigs is what a run without --configs measures.
const DefaultConfigs = "demo,block-s1,block-s4,block-s16,block-s64,width-d64,width-d128,width-d256,width-d512,width-d768,gpt2small-s1"

var (
	ConfigsFlag = &cli.StringFlag{Name: "configs", Value: DefaultConfigs, Category: "What to measure",
		Usage: "comma-separated preset names (see --list); empty to run only the custom shape"}
	DModelFlag = &cli.IntFlag{Name: "d-model", Category: "Custom shape",
		Usage: "add a custom GPT-2-shaped configuration of this width (d_hidden = 4·d_model)"}
	HeadsFlag  = &cli.IntFlag{Name: "heads", Category: "Custom shape", Usage: "attention heads of the custom shape (default: d-model/64, at least 1)"}
	SeqFlag    = &cli.IntFlag{Name: "seq", Value: 1, Category: "Custom shape", Usage: "sequence length of the custom shape"}
	BlocksFlag = &cli.IntFlag{Name: "blocks", Value: 1, Category: "Custom shape", Usage: "transformer blocks of the custom shape"}

	StagesFlag = &cli.StringFlag{Name: "stages", Value: "count", Category: "What to measure",
		Usage: "comma-separated: count (R1CS constraints + sub-layer breakdown; cheap), scs (PLONK constraints), prove (Groth16 compile, dev setup, witness, prove, verify, MSM+FFT floor; expensive), gas (verify gas on the simulated chain; needs npm ci --prefix contracts; implies prove)"}
	MaxConstraintsFlag = &cli.IntFlag{Name: "max-constraints", Value: 600_000, Category: "Limits",
		Usage: "skip proving and SCS counting above this many R1CS constraints (recorded as skipped); 0: no limit"}
	ExtrapolateFlag = &cli.IntFlag{Name: "extrapolate-above", Value: 4, Category: "Limits",
		Usage: "count models with more blocks than this from their 1- and 2-block versions (marked as an estimate) instead of compiling them whole; 0: always compile whole"}
	SumPartsFlag = &cli.StringFlag{Name: "sum-parts", Value: "block-s64", Category: "Limits",
		Usage: "comma-separated configurations counted as the sum of their sub-layers, each compiled on its own (an estimate, for circuits too large to compile whole in memory: block-s64 is ~14 M constraints); never proven"}

	OutFlag     = &cli.StringFlag{Name: "out", Value: "benchmarks/results", Category: "Output", Usage: "folder for harness.json, harness.csv and the plots"}
	MergeFlag   = &cli.StringFlag{Name: "merge", Category: "Output", Usage: "merge the results recorded in this folder (a run with another --out, or on another machine) into --out, and redraw the plots; measures nothing"}
	NoPlotsFlag = &cli.BoolFlag{Name: "no-plots", Category: "Output", Usage: "do not redraw the plots"}
	ListFlag    = &cli.BoolFlag{Name: "list", Category: "Output", Usage: "list the presets and exit"}
)

var allFlags = []cli.Flag{ConfigsFlag, DModelFlag, HeadsFlag, SeqFlag, BlocksFlag, StagesFlag, MaxConstraintsFlag, ExtrapolateFlag, SumPartsFlag, OutFlag, MergeFlag, NoPlotsFlag, ListFlag}
