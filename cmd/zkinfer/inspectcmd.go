package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/quant"
)

var inspectCommand = &cli.Command{
	Name:      "inspect",
	Usage:     "show a model as zkinfer reads it: layers, shapes, parameters, estimated circuit size",
	UsageText: "zkinfer inspect [--config config.json] [--seq-len N | --input input.json] [--blocks A:B | --lm] [--inputs NAME,… --outputs NAME,…] [--json] MODEL",
	Description: fmt.Sprintf(`Imports the model the way gen-settings does and lists its layers with their
shapes, parameter counts and an estimate of the Groth16 constraints (weights
fixed): %d per requantized output plus one per product of two activations
(attention). compile-circuit counts exactly; the estimate is for deciding
whether a setup is affordable before running one.`, quant.ConstraintsPerOutput),
	ArgsUsage: "MODEL",
	Flags:     []cli.Flag{ConfigFlag, SeqLenFlag, SeqInputFlag, BlocksFlag, LMFlag, CutInputsFlag, CutOutputsFlag, JSONFlag},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() != 1 {
			return withHint(fmt.Errorf("inspect takes one model file, got %d arguments", ctx.NArg()), "zkinfer inspect [flags] MODEL (flags go before the model file)")
		}
		model := ctx.Args().First()
		opts, err := importOptions(ctx)
		if err != nil {
			return err
		}
		im, err := openModel(model, opts)
		if err != nil {
			return err
		}
		sum := quant.Summarize(im.Float)
		sum.Notes = append(im.Notes, sum.Notes...)
		if ctx.Bool(JSONFlag.Name) {
			return printJSON(ctx.App.Writer, struct {
				Model  string `json:"model"`
				Format string `json:"format"`
				quant.Summary
			}{model, im.Format, sum})
		}
		printSummary(ctx.App.Writer, model, im.Format, sum)
		return nil
	},
}

func printSummary(w io.Writer, model, format string, s quant.Summary) {
	fmt.Fprintf(w, "model: %s (%s)\n%s\n", model, format, describe(s.Config))
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if s.Config.Architecture == quant.ArchitectureGraph {
		printGraphSummary(w, s)
		return
	}
	fmt.Fprintf(w, "  %-20s %-12s %11s %10s %10s %12s\n", "layer", "kind", "in→out", "params", "outputs", "constraints≈")
	for _, l := range s.Layers {
		fmt.Fprintf(w, "  %-20s %-12s %11s %10d %10d %12d\n", l.Name, l.Kind, fmt.Sprintf("%d→%d", l.In, l.Out), l.Params, l.Outputs, l.Constraints)
	}
	fmt.Fprintf(w, "total: %d parameters, about %d constraints (%d per requantized output + attention products; compile-circuit counts exactly)\n",
		s.Params, s.Constraints, quant.ConstraintsPerOutput)
}

// printGraphSummary lists a layer graph's nodes: op and attributes, shapes,
// parameters and the estimate of each node's op.
func printGraphSummary(w io.Writer, s quant.Summary) {
	fmt.Fprintf(w, "  %-20s %-26s %-28s %8s %12s\n", "node", "op", "in → out", "params", "constraints≈")
	for _, l := range s.Layers {
		in := make([]string, len(l.InShapes))
		for i, sh := range l.InShapes {
			in[i] = fmt.Sprint(sh)
		}
		op := l.Kind
		if l.Attrs != "" {
			op += " " + l.Attrs
		}
		fmt.Fprintf(w, "  %-20s %-26s %-28s %8d %12d\n", l.Name, op, strings.Join(in, " ")+" → "+fmt.Sprint(l.OutShape), l.Params, l.Constraints)
	}
	fmt.Fprintf(w, "total: %d parameters, about %d constraints under Groth16 (%d under PLONK), from each op's estimate and the input and output hashed, weights fixed (compile-circuit counts exactly)\n",
		s.Params, s.Constraints, s.SCS)
}
