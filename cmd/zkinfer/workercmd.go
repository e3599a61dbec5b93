package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/prover/farm"
)

// natsFlags are the flags every farm command takes to reach the servers.
var natsFlags = []cli.Flag{NATSFlag, NATSCredsFlag, NATSNKeyFlag, NATSUserFlag, NATSTLSCAFlag, NATSTLSCertFlag, NATSTLSKeyFlag, NATSReplicasFlag}

// natsOptions reads the farm connection flags; the password and token come
// from the environment only.
func natsOptions(ctx *cli.Context, name string) (farm.Options, error) {
	o := farm.Options{
		URL: ctx.String(NATSFlag.Name), Name: name,
		Creds: ctx.String(NATSCredsFlag.Name), NKey: ctx.String(NATSNKeyFlag.Name),
		User: ctx.String(NATSUserFlag.Name), Password: os.Getenv(NATSPasswordEnv), Token: os.Getenv(NATSTokenEnv),
		TLSCA: ctx.String(NATSTLSCAFlag.Name), TLSCert: ctx.String(NATSTLSCertFlag.Name), TLSKey: ctx.String(NATSTLSKeyFlag.Name),
		Replicas: ctx.Int(NATSReplicasFlag.Name),
	}
	if o.URL == "" {
		return o, withHint(fmt.Errorf("%s: no farm: --%s is empty", ctx.Command.HelpName, NATSFlag.Name), "pass --%s nats://HOST:4222 (or set $ZKINFER_NATS_URL); start a farm of one machine with: zkinfer farm serve", NATSFlag.Name)
	}
	if o.Replicas < 1 || o.Replicas > 5 {
		return o, withHint(fmt.Errorf("--%s %d", NATSReplicasFlag.Name, o.Replicas), "JetStream keeps 1 to 5 replicas")
	}
	return o, nil
}

// connectFarm connects with the command's flags, with hints for the usual
// failures.
func connectFarm(ctx context.Context, c *cli.Context, name string) (*farm.Farm, error) {
	o, err := natsOptions(c, name)
	if err != nil {
		return nil, err
	}
	f, err := farm.Connect(ctx, o)
	if err != nil {
		return nil, withHint(err, "is the NATS server up at %s, with JetStream, and do --nats-creds / --nats-nkey / --nats-user / --nats-tls-* match its authorization? (zkinfer farm serve starts one)", farm.Redact(o.URL))
	}
	return f, nil
}

var workerCommand = &cli.Command{
	Name:      "worker",
	Usage:     "prove shard jobs from a proving farm (NATS JetStream) until stopped",
	UsageText: "zkinfer worker --nats URL [--concurrency N] [--name NAME] [--cache DIR] [--ack-wait 60s] [--nats-creds FILE | --nats-nkey FILE | --nats-user USER] [--nats-tls-ca FILE] [--gpu [--device N]]",
	Description: `Pulls shard proof jobs (published by 'zkinfer prove --shards MANIFEST --nats URL')
from the farm's work queue, fetches the job's circuit, keys, sub-model and
input from the farm's object store by their SHA-256 digests (kept in --cache,
checked on every read), proves the shard, uploads the shard bundle and
acknowledges the job. While it proves it tells the server it is still
working; if it dies, the job goes to another worker after --ack-wait. A job
that cannot succeed (a key for another circuit, an artifact whose bytes do
not match its digest) is terminated with the error, which the submitter
reports. SIGINT or SIGTERM: finish the jobs in hand, then exit (a second
signal exits at once).`,
	Flags: append(append([]cli.Flag{}, natsFlags...), ConcurrencyFlag, WorkerNameFlag, FarmCacheFlag, AckWaitFlag, GPUFlag, DeviceFlag, WorkerStallFlag),
	Action: func(ctx *cli.Context) error {
		name := ctx.String(WorkerNameFlag.Name)
		if name == "" {
			host, _ := os.Hostname()
			name = fmt.Sprintf("%s-%d", host, os.Getpid())
		}
		cache := ctx.String(FarmCacheFlag.Name)
		if cache == "" {
			dir, err := os.UserCacheDir()
			if err != nil {
				return withHint(err, "pass --%s DIR", FarmCacheFlag.Name)
			}
			cache = filepath.Join(dir, "zkinfer", "farm")
		}
		var opts []prover.ProveOption
		switch {
		case ctx.Bool(GPUFlag.Name):
			if !prover.GPUBuilt() {
				return withHint(fmt.Errorf("worker: --%s: %w", GPUFlag.Name, prover.ErrGPUNotBuilt), "%s", prover.GPUBuildHint)
			}
			opts = append(opts, prover.WithGPU(ctx.Int(DeviceFlag.Name)))
		case ctx.IsSet(DeviceFlag.Name):
			return withHint(fmt.Errorf("--%s without --%s: the CPU prover has no devices", DeviceFlag.Name, GPUFlag.Name), "add --%s", GPUFlag.Name)
		}
		cfg := farm.WorkerConfig{
			Name: name, Concurrency: ctx.Int(ConcurrencyFlag.Name), Cache: farm.Cache{Dir: cache},
			AckWait: ctx.Duration(AckWaitFlag.Name), ProveOptions: opts, Stall: ctx.Bool(WorkerStallFlag.Name),
		}
		if err := cfg.Validate(); err != nil {
			return withHint(err, "see zkinfer worker --help")
		}
		sigs, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		go func() {
			<-sigs.Done()
			stop() // a second signal ends the process
		}()
		f, err := connectFarm(sigs, ctx, "zkinfer worker "+name)
		if err != nil {
			return err
		}
		defer f.Close()
		logger := log.New(ctx.App.ErrWriter, "", log.LstdFlags)
		fmt.Fprintf(ctx.App.Writer, "worker %s: farm %s, cache %s\n", name, farm.Redact(ctx.String(NATSFlag.Name)), cache)
		cfg.Logf, cfg.Cache.Logf = logger.Printf, logger.Printf
		return f.RunWorker(sigs, cfg)
	},
}
