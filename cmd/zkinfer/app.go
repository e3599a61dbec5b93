package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/zkinfer/zkinfer/prover"
)

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "zkinfer",
		Usage: "zero-knowledge proofs that a quantized model produced an output",
		Description: `Stages (EZKL's names), each reading the previous stage's files:

   inspect MODEL                 how a model file is read: layers, shapes, estimated circuit size
   gen-settings --model M        settings.json from a model file (ONNX, Hugging Face GPT-2, safetensors)
   calibrate-settings --data D   fixed-point scales from sample inputs, with an accuracy report
   compile-circuit               model.quant.json and circuit.zkc (--backend groth16|plonk)
   setup --dev | --srs FILE      pk.key, vk.key (--dev: UNSAFE; --srs: PLONK from a KZG SRS)
   ceremony ...                  Groth16 MPC ceremony: production pk.key, vk.key
   prove --input I               proof.json: a self-contained proof bundle
   assemble PARTS...             one sharded bundle from shard bundles (prove --shards M --shard N)
   worker --nats URL             prove shard jobs from a proving farm (NATS JetStream)
   farm serve | status           a farm's embedded server; its queue, workers and failures
   generate --prompt T | --tokens IDS   greedy completion by a language model, proven in one proof
   verify                        check a bundle offline
   create-evm-verifier           Verifier.sol from vk.key, compiled with the pinned solc
   deploy-evm [--rpc URL]        deploy the verifier and a model registry, register the model
   verify-evm [--rpc URL]        verify a bundle with the Solidity verifier (in-process EVM, or a node)

   demo                          all of the above on the bundled demo model`,
		Version:   prover.ToolVersion + " (gnark " + prover.GnarkVersion() + ")",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags:     []cli.Flag{QuietFlag},
		Commands: []*cli.Command{
			inspectCommand, genSettingsCommand, calibrateCommand, compileCommand, setupCommand,
			proveCommand, assembleCommand, generateCommand, verifyCommand, openCommand, createEVMVerifierCommand, deployEVMCommand, verifyEVMCommand, calldataCommand,
			ceremonyCommand, commitCommand, demoCommand, workerCommand, farmCommand,
		},
		ExitErrHandler: func(*cli.Context, error) {}, // run renders errors itself
	}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return withHint(err, "see %s --help", app.Name)
	}
	usageOnce.Do(func() { conciseUsageErrors(app.Name, app.Commands) })
	return app
}

var usageOnce sync.Once

// conciseUsageErrors makes usage errors (a missing required flag, an
// unknown flag) one error line and a hint to see --help: urfave/cli prints
// the command's whole help before the error, which buries it. Each required
// flag becomes an optional copy (the flags are shared by several commands),
// checked by the command's Before, which runs after --help is handled.
func conciseUsageErrors(app string, cmds []*cli.Command) {
	for _, c := range cmds {
		conciseUsageErrors(app, c.Subcommands)
		if c.OnUsageError == nil {
			c.OnUsageError = func(ctx *cli.Context, err error, _ bool) error {
				return withHint(fmt.Errorf("%s: %w", strings.TrimPrefix(ctx.Command.HelpName, app+" "), err), "see %s --help", ctx.Command.HelpName)
			}
		}
		var required []cli.Flag
		flags := make([]cli.Flag, len(c.Flags))
		for i, f := range c.Flags {
			flags[i] = f
			switch f := f.(type) {
			case *cli.StringFlag:
				if f.Required {
					cp := *f
					cp.Required = false
					flags[i] = &cp
				}
			case *cli.StringSliceFlag:
				if f.Required {
					cp := *f
					cp.Required = false
					flags[i] = &cp
				}
			}
			if flags[i] != f {
				required = append(required, f)
			}
		}
		if len(required) == 0 {
			continue
		}
		c.Flags = flags
		before := c.Before
		c.Before = func(ctx *cli.Context) error {
			var missing []string
			for _, f := range required {
				if !slices.ContainsFunc(f.Names(), ctx.IsSet) {
					missing = append(missing, "--"+f.Names()[0])
				}
			}
			if len(missing) > 0 {
				return withHint(fmt.Errorf("%s: missing required flag %s", strings.TrimPrefix(ctx.Command.HelpName, app+" "), strings.Join(missing, ", ")), "see %s --help", ctx.Command.HelpName)
			}
			if before != nil {
				return before(ctx)
			}
			return nil
		}
	}
}

// run executes the CLI and returns the exit code; errors are rendered as
// "zkinfer: error: ..." with "zkinfer: hint: ..." lines.
func run(args []string, stdout, stderr io.Writer) int {
	if err := newApp(stdout, stderr).Run(args); err != nil {
		fmt.Fprintf(stderr, "zkinfer: error: %v\n", err)
		var h *hintError
		if errors.As(err, &h) {
			fmt.Fprintf(stderr, "zkinfer: hint: %s\n", h.hint)
		}
		return 1
	}
	return 0
}

type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint attaches a suggestion for the user to err.
func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// progress draws a spinner with the elapsed time on a terminal, and one line
// per finished stage otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
}

func newProgress(ctx *cli.Context) *progress {
	tty := false
	if f, ok := ctx.App.ErrWriter.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: ctx.App.ErrWriter, tty: tty, quiet: ctx.Bool(QuietFlag.Name)}
}

func (p *progress) Start(stage string) func() {
	if p.quiet {
		return func() {}
	}
	start := time.Now()
	if !p.tty {
		fmt.Fprintf(p.w, "%s...\n", stage)
		return func() { fmt.Fprintf(p.w, "%s: done in %s\n", stage, time.Since(start).Round(time.Millisecond)) }
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(stage),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
	)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				bar.Add(1)
			}
		}
	}()
	return func() {
		close(stop)
		bar.Finish()
		fmt.Fprintf(p.w, "%s: done in %s\n", stage, time.Since(start).Round(time.Millisecond))
	}
}
