// Command zkpeers runs the side-by-side peer benchmark: the same statements
// proved by zkinfer (gnark Groth16) and by snarkjs Groth16 on equivalent
// circom circuits, the dense-layer cost comparison, and what EZKL's npm engine
// can do here. Run it through benchmarks/peers/run.sh (which installs the
// pinned npm packages first), from the repository root:
//
//	bash benchmarks/peers/run.sh                 # the recorded run → benchmarks/results/peers.md
//	bash benchmarks/peers/run.sh --quick         # tiny sizes, about a minute
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zkinfer/zkinfer/benchmarks/peers"
)

func main() {
	if err := run(); errors.Is(err, flag.ErrHelp) {
		return
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "zkpeers:", err)
		os.Exit(1)
	}
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q: want positive integers separated by commas", s)
		}
		out = append(out, v)
	}
	return out, nil
}

func run() error {
	fs := flag.NewFlagSet("zkpeers", flag.ContinueOnError)
	dir := fs.String("dir", "benchmarks/peers", "the benchmarks/peers folder (snark.mjs, node_modules)")
	work := fs.String("work", "benchmarks/peers/out", "working folder for circuits, keys and the powers of tau (gitignored)")
	out := fs.String("out", "benchmarks/results/peers.md", "where to write the results (markdown); '-' for stdout only")
	reps := fs.Int("reps", 5, "interleaved rounds per statement")
	chain := fs.String("chain", "8,10,12", "Groth16 core comparison: k of the 2^k − 8 multiplication chains")
	mlp := fs.String("mlp", "784,32,10", "the model's layer widths, input first (linear+ReLU layers, last linear)")
	dense := fs.String("dense", "32x32,64x64", "dense-layer cost shapes INxOUT, comma-separated")
	seed := fs.Uint64("seed", 1, "seed of the model, its input and the dense weights")
	nodeBin := fs.String("node", "node", "the node executable")
	render := fs.String("render", "", "render the markdown again from the report.json of an earlier run (in --work) instead of running")
	quick := fs.Bool("quick", false, "tiny sizes (chain 2^6, MLP 16→8→4, dense 8x8), 2 rounds, results to stdout unless --out: a smoke run, about a minute")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./benchmarks/peers/cmd/zkpeers [flags]   (from the repository root, after npm ci --prefix benchmarks/peers)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if *quick {
		*reps, *chain, *mlp, *dense = 2, "6", "16,8,4", "8x8"
		outSet := false
		fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
		if !outSet {
			*out = "-" // a smoke run does not overwrite the recorded results
		}
	}
	cfg := peers.Config{Work: *work, Reps: *reps, Seed: *seed, Log: os.Stderr,
		Node: peers.Node{Dir: *dir, Bin: *nodeBin}}
	var err error
	if cfg.Chain, err = ints(*chain); err != nil {
		return fmt.Errorf("--chain %w", err)
	}
	for _, k := range cfg.Chain {
		if k < 4 || k > 20 {
			return fmt.Errorf("--chain: k %d out of [4, 20]", k)
		}
	}
	if cfg.MLP, err = ints(*mlp); err != nil {
		return fmt.Errorf("--mlp %w", err)
	}
	if len(cfg.MLP) == 1 {
		return fmt.Errorf("--mlp: want at least two widths")
	}
	for _, s := range strings.FieldsFunc(*dense, func(r rune) bool { return r == ',' }) {
		a, b, ok := strings.Cut(strings.TrimSpace(s), "x")
		in, err1 := strconv.Atoi(a)
		o, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || in < 1 || o < 1 {
			return fmt.Errorf("--dense %q: want INxOUT shapes, e.g. 64x64", s)
		}
		cfg.Dense = append(cfg.Dense, [2]int{in, o})
	}
	if cfg.Node.Dir, err = filepath.Abs(*dir); err != nil {
		return err
	}
	if cfg.Work, err = filepath.Abs(cfg.Work); err != nil {
		return err
	}
	var rep *peers.Report
	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			return err
		}
		rep = new(peers.Report)
		if err := json.Unmarshal(b, rep); err != nil {
			return fmt.Errorf("%s: %w", *render, err)
		}
	} else {
		if rep, err = peers.Run(cfg); err != nil {
			return err
		}
		rep.Command = strings.TrimSpace("bash benchmarks/peers/run.sh " + strings.Join(os.Args[1:], " "))
		// The raw figures, to render again (--render) without rerunning.
		if b, err := json.MarshalIndent(rep, "", " "); err == nil {
			_ = os.WriteFile(filepath.Join(cfg.Work, "report.json"), b, 0o644)
		}
	}
	md := rep.Markdown(rep.Command)
	if *out == "-" {
		fmt.Print(md)
		return nil
	}
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	fmt.Fprintln(os.Stderr, "wrote", *out)
	return nil
}
