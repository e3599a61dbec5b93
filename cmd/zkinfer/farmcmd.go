package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/prover/farm"
	"github.com/zkinfer/zkinfer/quant"
)

// The proving farm: farm serve, farm status, and prove --shards --nats.

var farmCommand = &cli.Command{
	Name:  "farm",
	Usage: "a proving farm on NATS JetStream: run its server, show its state",
	Description: `A farm proves the shards of sharded models on many machines: a NATS server
with JetStream (nats-server -js, standalone or a cluster; or 'zkinfer farm
serve' for one machine), workers ('zkinfer worker --nats URL' on each prover
machine) and submitters ('zkinfer prove --shards MANIFEST --nats URL').`,
	Subcommands: []*cli.Command{farmServeCommand, farmStatusCommand},
}

var farmServeCommand = &cli.Command{
	Name:      "serve",
	Usage:     "run an embedded NATS server with JetStream: the farm of one machine",
	UsageText: "zkinfer farm serve [--listen 127.0.0.1:4222] [--store zkinfer-farm] [--nats-config FILE]",
	Description: `Runs nats-server in this process, with JetStream keeping the queue, the job
states and the artifacts in --store, until SIGINT or SIGTERM. For a farm of
several machines run nats-server itself (a 3-node cluster: see the README);
--nats-config takes the same configuration file, e.g. for users, NKeys and
TLS.`,
	Flags: []cli.Flag{FarmListenFlag, FarmStoreFlag, NATSConfigFlag},
	Action: func(ctx *cli.Context) error {
		cfg := farm.ServerConfig{Listen: ctx.String(FarmListenFlag.Name), StoreDir: ctx.String(FarmStoreFlag.Name), ConfigFile: ctx.String(NATSConfigFlag.Name)}
		if cfg.ConfigFile != "" {
			// The file's listen address and store, unless the flags say otherwise.
			if !ctx.IsSet(FarmListenFlag.Name) {
				cfg.Listen = ""
			}
			if !ctx.IsSet(FarmStoreFlag.Name) {
				cfg.StoreDir = ""
			}
		}
		srv, err := farm.StartServer(cfg)
		if err != nil {
			return withHint(err, "is --%s free?", FarmListenFlag.Name)
		}
		sigs, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		fmt.Fprintf(ctx.App.Writer, "farm: %s (JetStream store %s)\nworkers: zkinfer worker --nats %s\nprove:   zkinfer prove --input input.json --shards circuit.shards.json --nats %s\n",
			srv.ClientURL(), srv.JetStreamConfig().StoreDir, srv.ClientURL(), srv.ClientURL())
		<-sigs.Done()
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil
	},
}

var farmStatusCommand = &cli.Command{
	Name:      "status",
	Usage:     "queue depth, workers seen, jobs in flight and failures of a farm",
	UsageText: "zkinfer farm status --nats URL [--json]",
	Flags:     append(append([]cli.Flag{}, natsFlags...), JSONFlag),
	Action: func(ctx *cli.Context) error {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f, err := connectFarm(c, ctx, "zkinfer farm status")
		if err != nil {
			return err
		}
		defer f.Close()
		r, err := f.Status(c)
		if err != nil {
			return err
		}
		if ctx.Bool(JSONFlag.Name) {
			return printJSON(ctx.App.Writer, r)
		}
		w := ctx.App.Writer
		fmt.Fprintf(w, "farm: %s\n", farm.Redact(ctx.String(NATSFlag.Name)))
		fmt.Fprintf(w, "queue: %d waiting, %d in flight (%d redelivered)\n", r.Queued, r.InFlight, r.Redelivered)
		var states []string
		for _, s := range []string{farm.StateQueued, farm.StateProving, farm.StateDone, farm.StateFailed} {
			states = append(states, fmt.Sprintf("%d %s", r.Jobs[s], s))
		}
		fmt.Fprintf(w, "jobs (last 7 days): %s\n", strings.Join(states, ", "))
		fmt.Fprintf(w, "artifacts: %s in the store\n", byteSize(int64(r.Artifacts)))
		fmt.Fprintf(w, "workers seen (last day): %d\n", len(r.Workers))
		now := time.Now()
		for _, wk := range r.Workers {
			fmt.Fprintf(w, "  %s on %s: %d at a time, %d busy, %d done, %d failed, last seen %s ago\n", wk.Name, wk.Host, wk.Concurrency, wk.Busy, wk.Done, wk.Failed, now.Sub(wk.Seen).Round(time.Second))
		}
		if len(r.Failures) > 0 {
			fmt.Fprintf(w, "failures (newest first):\n")
			for _, st := range r.Failures {
				fmt.Fprintf(w, "  %s shard %d (job %.12s) on %s, attempt %d: %s\n", st.Updated.Format(time.RFC3339), st.Job.Shard, st.Job.Key, st.Worker, st.Attempt, st.Error)
			}
		}
		return nil
	},
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// proveFarm is prove --shards MANIFEST --nats URL: the integer trace here,
// the shard proofs on the farm's workers, the assembled bundle verified
// here against the keys of the manifest, as the local path does.
func proveFarm(ctx *cli.Context, ic inputCheck, quantPath, manifestPath, inputPath, bundlePath, saltsPath string) error {
	if ctx.IsSet(ShardFlag.Name) || ctx.IsSet(JobsFlag.Name) || ctx.Bool(GPUFlag.Name) {
		return withHint(fmt.Errorf("prove: --%s proves every shard on the farm: --%s, --%s and --%s are the workers' business", NATSFlag.Name, ShardFlag.Name, JobsFlag.Name, GPUFlag.Name), "drop them (zkinfer worker --gpu proves on a worker's GPU)")
	}
	man, err := prover.ReadManifest(manifestPath)
	if err != nil {
		return withHint(err, "compile the shards with: zkinfer compile-circuit --shard-blocks K")
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
	x, err := m.QuantizeInput(in.InputData[0])
	if err != nil {
		return err
	}
	// The anchor: the keys manifest --keys pins, or else the verifying keys
	// this machine holds, as in the local path.
	source := manifestPath
	var keys *prover.KeysManifest
	if path := ctx.String(PinKeysFlag.Name); path != "" {
		if keys, err = prover.ReadKeysManifest(path); err != nil {
			return withHint(err, "--keys is the keys manifest that setup --shards writes (circuit.keys.json)")
		}
		source = path
	} else if keys, err = prover.NewKeysManifest(man); err != nil {
		return withHint(err, "make the keys with: zkinfer setup --dev --shards %s", manifestPath)
	}
	salts, err := modelio.RandomSalts()
	if err != nil {
		return err
	}
	base, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := base
	if t := ctx.Duration(FarmTimeoutFlag.Name); t > 0 {
		var cancel context.CancelFunc
		c, cancel = context.WithTimeout(base, t)
		defer cancel()
	}
	f, err := connectFarm(c, ctx, "zkinfer prove")
	if err != nil {
		return err
	}
	defer f.Close()
	bars := newFarmBars(ctx, len(man.Shards))
	req := farm.Request{Manifest: man, Keys: keys, KeysSource: source, Model: m, X: x, Salts: salts, Events: bars.event, Logf: bars.logf}
	start := time.Now()
	res, err := f.Prove(c, req)
	if errors.Is(err, farm.ErrJobFailed) {
		return withHint(err, "fix the cause and run the same command again (zkinfer farm status --nats URL lists failures)")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return withHint(err, "workers seen: zkinfer farm status --nats URL; start one with: zkinfer worker --nats URL")
	}
	if err != nil {
		return err
	}
	vis := man.Visibility
	if privIn, privOut := vis.HasPrivate(); privIn || privOut {
		if err := modelio.WriteSalts(saltsPath, res.Salts, vis); err != nil {
			return err
		}
		fmt.Fprintf(ctx.App.Writer, "salts: %s (private input/output; keep it secret)\n", saltsPath)
	}
	if err := res.Bundle.Write(bundlePath); err != nil {
		return err
	}
	reused := ""
	if len(res.Reused) > 0 {
		reused = fmt.Sprintf("; shards %v from an earlier run", res.Reused)
	}
	fmt.Fprintf(ctx.App.Writer, "bundle: %s (%d shards, proved on the farm in %s%s; verified with the keys of %s; %d of %d artifacts uploaded)\n",
		bundlePath, len(res.Bundle.Shards), time.Since(start).Round(time.Millisecond), reused, source, res.Uploaded, res.Artifacts)
	y := res.Last.OutputValues(res.Trace)
	fmt.Fprintf(ctx.App.Writer, "output (first values): %v\n", y[:min(len(y), 6)])
	return nil
}

// farmBars shows one line per shard: queued, proving on worker W, done. On
// a terminal the lines are redrawn in place; otherwise each change is a
// line of its own.
type farmBars struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	quiet bool
	lines []string
	drawn bool
}

func newFarmBars(ctx *cli.Context, n int) *farmBars {
	tty := false
	if f, ok := ctx.App.ErrWriter.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	b := &farmBars{w: ctx.App.ErrWriter, tty: tty, quiet: ctx.Bool(QuietFlag.Name), lines: make([]string, n)}
	for i := range b.lines {
		b.lines[i] = bar(i, 0, "waiting for upload")
	}
	return b
}

func bar(i int, filled int, what string) string {
	return fmt.Sprintf("shard %d [%s%s] %s", i, strings.Repeat("#", filled), strings.Repeat(".", 10-filled), what)
}

func (b *farmBars) logf(format string, args ...any) {
	if b.quiet {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.tty || !b.drawn {
		fmt.Fprintf(b.w, format+"\n", args...)
		return
	}
	// Above the bars, which are drawn again below it.
	fmt.Fprintf(b.w, "\x1b[%dA\x1b[2K"+format+"\n", append([]any{len(b.lines)}, args...)...)
	b.draw()
}

func (b *farmBars) event(e farm.Event) {
	if b.quiet {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var line string
	switch e.State {
	case farm.StateQueued:
		what := "queued"
		if e.Error != "" {
			what = fmt.Sprintf("queued again after attempt %d on %s: %s", e.Attempt, e.Worker, e.Error)
		}
		line = bar(e.Shard, 1, what)
	case farm.StateProving:
		what := "proving on worker " + e.Worker
		if e.Attempt > 1 {
			what += fmt.Sprintf(" (attempt %d)", e.Attempt)
		}
		line = bar(e.Shard, 5, what)
	case farm.StateDone:
		if e.Reused {
			line = bar(e.Shard, 10, "done (proved by an earlier run)")
		} else {
			line = bar(e.Shard, 10, fmt.Sprintf("done by worker %s in %.1fs", e.Worker, e.Seconds))
		}
	case farm.StateFailed:
		line = bar(e.Shard, 0, fmt.Sprintf("FAILED on worker %s: %s", e.Worker, e.Error))
	default:
		return
	}
	b.lines[e.Shard] = line
	if !b.tty {
		fmt.Fprintln(b.w, line)
		return
	}
	if b.drawn {
		fmt.Fprintf(b.w, "\x1b[%dA", len(b.lines))
	}
	b.draw()
}

// draw writes the bars from the cursor down.
func (b *farmBars) draw() {
	for _, l := range b.lines {
		fmt.Fprintf(b.w, "\x1b[2K%s\n", l)
	}
	b.drawn = true
}
