package farm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// Defaults of a worker.
const (
	DefaultAckWait    = 60 * time.Second
	DefaultMaxDeliver = 5
	retryDelay        = 2 * time.Second
	pollWait          = 2 * time.Second
	heartbeatEvery    = 5 * time.Second
	maxConcurrency    = 64
)

// WorkerConfig configures RunWorker.
type WorkerConfig struct {
	// Name identifies the worker in job states and farm status.
	Name string
	// Concurrency is how many jobs it proves at once (each holds its
	// circuit and proving key in memory).
	Concurrency int
	// Cache is where fetched artifacts are kept.
	Cache Cache
	// AckWait is how long a job stays with a worker that stopped sending
	// in-progress acks (it died) before it is redelivered; in-progress acks
	// are sent every AckWait/4. It configures the shared consumer: give
	// every worker of a farm the same.
	AckWait time.Duration
	// MaxDeliver bounds the attempts at a job that keeps failing for
	// reasons another attempt might change.
	MaxDeliver int
	// Logf reports what the worker does.
	Logf func(format string, args ...any)
	// ProveOptions are passed to prover.Prove (e.g. prover.WithGPU).
	ProveOptions []prover.ProveOption
	// Stall, for tests of redelivery: the worker claims a job, fetches
	// its artifacts, builds the witness and stops where gnark's prover
	// would start, sending in-progress acks, until ctx ends.
	Stall bool

	// tamper, for tests of a dishonest worker (export_test.go), rewrites
	// the result of a job before it is stored.
	tamper func(j *Job, result []byte) []byte
}

// Validate checks the configuration (a zero AckWait is DefaultAckWait).
func (cfg WorkerConfig) Validate() error {
	if cfg.Name == "" {
		return fmt.Errorf("%w: a worker needs a name", ErrFarm)
	}
	if !keyValid(cfg.Name) {
		return fmt.Errorf("%w: worker name %q: use letters, digits, '-', '_' and '.'", ErrFarm, cfg.Name)
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > maxConcurrency {
		return fmt.Errorf("%w: concurrency %d: 1 to %d", ErrFarm, cfg.Concurrency, maxConcurrency)
	}
	if cfg.AckWait != 0 && cfg.AckWait < time.Second {
		return fmt.Errorf("%w: ack wait %s: at least 1s (in-progress acks go every quarter of it)", ErrFarm, cfg.AckWait)
	}
	return nil
}

// permanent marks an error another attempt at the job cannot change.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// consumer creates or updates the workers' consumer.
func (f *Farm) consumer(ctx context.Context, ackWait time.Duration, maxDeliver int) (jetstream.Consumer, error) {
	c, err := f.js.CreateOrUpdateConsumer(ctx, JobStream, jetstream.ConsumerConfig{
		Durable: WorkerGroup, Description: "zkinfer workers", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: ackWait, MaxDeliver: maxDeliver, FilterSubject: JobSubject,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: worker consumer: %v", ErrFarm, err)
	}
	return c, nil
}

// worker is the state of one RunWorker.
type worker struct {
	f   *Farm
	cfg WorkerConfig
	mu  sync.Mutex
	rec WorkerInfo
	// models holds parsed sub-models by digest, at most maxModels: parsing
	// a GPT-2-small block's JSON costs about a second, and a worker proves
	// the same shards inference after inference.
	models map[Digest]*quant.Model
	order  []Digest
}

const maxModels = 16

// subModel parses the sub-model file at path, whose bytes have digest d,
// or returns it from the worker's memory. Models are never modified after
// parsing, so one may serve several jobs at once.
func (w *worker) subModel(d Digest, path string) (*quant.Model, error) {
	w.mu.Lock()
	m, ok := w.models[d]
	w.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := quant.LoadQuantized(path)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.models[d]; !ok {
		if len(w.order) == maxModels {
			delete(w.models, w.order[0])
			w.order = w.order[1:]
		}
		w.models[d] = m
		w.order = append(w.order, d)
	}
	return m, nil
}

// RunWorker pulls jobs and proves them, cfg.Concurrency at a time, until
// ctx is done; it then finishes the jobs it holds and returns.
func (f *Farm) RunWorker(ctx context.Context, cfg WorkerConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	cons, err := f.consumer(ctx, cfg.AckWait, cfg.MaxDeliver)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	now := time.Now().UTC()
	w := &worker{f: f, cfg: cfg, models: map[Digest]*quant.Model{}, rec: WorkerInfo{MediaType: MediaTypeWorker, Name: cfg.Name, Host: host, Concurrency: cfg.Concurrency, Started: now}}
	w.beat(ctx)
	cfg.Logf("worker %s: ready, %d at a time, ack wait %s", cfg.Name, cfg.Concurrency, cfg.AckWait)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.beat(ctx)
			}
		}
	})
	for range cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				msg, err := cons.Next(jetstream.FetchMaxWait(pollWait))
				if err != nil {
					if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil {
						cfg.Logf("worker %s: fetch: %v", cfg.Name, err)
						select {
						case <-ctx.Done():
						case <-time.After(retryDelay):
						}
					}
					continue
				}
				if ctx.Err() != nil {
					// Told to stop while the pull was pending: hand it back.
					msg.Nak()
					return
				}
				w.handle(ctx, msg)
			}
		})
	}
	wg.Wait()
	return nil
}

// beat writes the worker's heartbeat record.
func (w *worker) beat(ctx context.Context) {
	w.mu.Lock()
	w.rec.Seen = time.Now().UTC()
	data, _ := json.Marshal(w.rec)
	w.mu.Unlock()
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := w.f.workers.Put(pctx, w.cfg.Name, data); err != nil {
		w.cfg.Logf("worker %s: heartbeat: %v", w.cfg.Name, err)
	}
}

func (w *worker) count(busy, done, failed int) {
	w.mu.Lock()
	w.rec.Busy += busy
	w.rec.Done += done
	w.rec.Failed += failed
	w.mu.Unlock()
}

// setStatus records a job's state; the job bucket is advisory, so a
// failure to write it is logged, not fatal.
func (w *worker) setStatus(ctx context.Context, st Status) {
	st.MediaType, st.Worker, st.Updated = MediaTypeStatus, w.cfg.Name, time.Now().UTC()
	data, err := json.Marshal(st)
	if err == nil {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, err = w.f.jobs.Put(pctx, st.Job.Key, data)
	}
	if err != nil {
		w.cfg.Logf("worker %s: job %.12s: status: %v", w.cfg.Name, st.Job.Key, err)
	}
}

// handle runs one job message to its end: ack (done), term (failed for
// good) or nak (retry later). A worker told to stop (stop done) finishes
// the job it holds first: a proof is not interruptible, and its result is
// worth keeping.
func (w *worker) handle(stop context.Context, msg jetstream.Msg) {
	ctx := context.WithoutCancel(stop)
	logf, name := w.cfg.Logf, w.cfg.Name
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	job, err := ParseJob(msg.Data())
	if err != nil {
		logf("worker %s: job message: %v: terminated", name, err)
		msg.TermWithReason(truncate(err.Error()))
		return
	}
	tag := fmt.Sprintf("worker %s: shard %d (job %.12s, attempt %d)", name, job.Shard, job.Key, attempt)
	if e, err := w.f.jobs.Get(ctx, job.Key); err == nil {
		if st, err := ParseStatus(e.Value()); err == nil && st.State == StateDone && w.f.Has(ctx, st.Result) {
			logf("%s: already done by %s", tag, st.Worker)
			msg.Ack()
			return
		}
	}
	w.setStatus(ctx, Status{State: StateProving, Attempt: attempt, Job: *job})
	w.count(1, 0, 0)
	w.beat(ctx)
	defer func() { w.count(-1, 0, 0); w.beat(ctx) }()
	proved := make(chan struct{})
	var hb sync.WaitGroup
	hb.Go(func() {
		t := time.NewTicker(w.cfg.AckWait / 4)
		defer t.Stop()
		for {
			select {
			case <-proved:
				return
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					logf("%s: in-progress ack: %v", tag, err)
				}
			}
		}
	})
	defer func() { close(proved); hb.Wait() }()
	logf("%s: proving", tag)
	start := time.Now()
	var stall <-chan struct{}
	if w.cfg.Stall {
		stall = stop.Done()
	}
	result, err := w.prove(ctx, job, tag, stall)
	if err == nil && w.cfg.tamper != nil {
		result = w.cfg.tamper(job, result)
	}
	if err == nil {
		var d Digest
		if d, _, err = w.f.PutBytes(ctx, result, "shard bundle"); err == nil {
			secs := time.Since(start).Seconds()
			w.setStatus(ctx, Status{State: StateDone, Attempt: attempt, Result: d, Seconds: secs, Job: *job})
			if err := msg.DoubleAck(ctx); err != nil {
				logf("%s: ack: %v (the job may be redelivered; its result is kept)", tag, err)
			}
			w.count(0, 1, 0)
			logf("%s: done in %.1fs, result %s", tag, secs, d)
			return
		}
	}
	switch {
	case isPermanent(err) || attempt >= w.cfg.MaxDeliver:
		logf("%s: failed: %v", tag, err)
		w.setStatus(ctx, Status{State: StateFailed, Attempt: attempt, Error: err.Error(), Job: *job})
		msg.TermWithReason(truncate(err.Error()))
		w.count(0, 0, 1)
	default:
		logf("%s: %v: retrying later", tag, err)
		w.setStatus(ctx, Status{State: StateQueued, Attempt: attempt, Error: err.Error(), Job: *job})
		msg.NakWithDelay(retryDelay)
	}
}

func truncate(s string) string {
	if len(s) > 1024 {
		return s[:1024] + "…"
	}
	return s
}

// fetch fetches an artifact into the cache, once more when its bytes do
// not match its digest (a transfer damaged on the way), and marks as
// permanent what another attempt would not change: an artifact missing,
// too large, or still damaged.
func (w *worker) fetch(ctx context.Context, d Digest, limit int64, what string) (string, error) {
	path, err := w.f.Fetch(ctx, &w.cfg.Cache, d, limit)
	if errors.Is(err, ErrCorrupt) {
		w.cfg.Logf("worker %s: %s: %v: fetching it again", w.cfg.Name, what, err)
		path, err = w.f.Fetch(ctx, &w.cfg.Cache, d, limit)
	}
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMessage) {
		return "", permanent{fmt.Errorf("%s: %w", what, err)}
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return path, nil
}

// prove fetches the job's artifacts, checks they are what the job names,
// proves the shard and returns its shard bundle (the JSON of a sharded
// bundle holding this shard, as prove --shard N writes).
func (w *worker) prove(ctx context.Context, j *Job, tag string, stall <-chan struct{}) (_ []byte, err error) {
	// Whatever the artifacts hold, the worker reports the job failed and
	// carries on with the next one.
	defer func() {
		if r := recover(); r != nil {
			err = permanent{fmt.Errorf("the prover panicked: %v", r)}
		}
	}()
	paths := map[string]string{}
	for _, a := range []struct {
		what  string
		d     Digest
		limit int64
	}{
		{"circuit", j.Circuit, prover.MaxLargeArtifactBytes},
		{"proving key", j.PK, prover.MaxLargeArtifactBytes},
		{"verifying key", j.VK, int64(prover.MaxSmallArtifactBytes)},
		{"sub-model", j.Model, quant.MaxJSONFileSize},
		{"input", j.Input, maxInput},
	} {
		p, err := w.fetch(ctx, a.d, a.limit, a.what)
		if err != nil {
			return nil, err
		}
		paths[a.what] = p
	}
	perm := func(err error) ([]byte, error) { return nil, permanent{err} }
	// The sub-model's bytes hash to j.Model (Fetch checked), which ParseJob
	// made sure is the sub-model digest the job names; Prove checks it
	// against the circuit (prover.CheckModel).
	sub, err := w.subModel(j.Model, paths["sub-model"])
	if err != nil {
		return perm(fmt.Errorf("sub-model: %w", err))
	}
	data, err := os.ReadFile(paths["input"])
	if err != nil {
		return nil, err
	}
	in, salts, err := ParseInput(data)
	if err != nil {
		return perm(fmt.Errorf("input: %w", err))
	}
	tr, err := sub.Forward(in.X)
	if err != nil {
		return perm(fmt.Errorf("input: %w", err))
	}
	c, err := prover.ReadCircuit(paths["circuit"])
	if err != nil {
		return perm(fmt.Errorf("circuit: %w", err))
	}
	pk, pkh, err := prover.ReadProvingKey(paths["proving key"])
	if err != nil {
		return perm(fmt.Errorf("proving key: %w", err))
	}
	vk, vkh, err := prover.ReadVerifyingKey(paths["verifying key"])
	if err != nil {
		return perm(fmt.Errorf("verifying key: %w", err))
	}
	if c.Header.CircuitDigest != j.CircuitDigest || pkh.CircuitDigest != j.CircuitDigest || vkh.CircuitDigest != j.CircuitDigest {
		return perm(fmt.Errorf("%w: the job is for circuit %s; its circuit is %s, its proving key for %s, its verifying key for %s",
			prover.ErrCircuitMismatch, j.CircuitDigest, c.Header.CircuitDigest, pkh.CircuitDigest, vkh.CircuitDigest))
	}
	if err := prover.CheckKeyPair(pkh, vk, vkh); err != nil {
		return perm(err)
	}
	proof, err := prover.Prove(c, pk, pkh, sub, tr, logProgress{w.cfg.Logf, tag, stall}, append(append([]prover.ProveOption{}, w.cfg.ProveOptions...), prover.WithSalts(salts))...)
	if err != nil {
		return perm(err)
	}
	if err := prover.Verify(vk, proof.Proof, proof.Public); err != nil {
		return perm(fmt.Errorf("the proof does not verify with its key: %w", err))
	}
	b, err := verifier.NewBundle(sub, c, vk, vkh, proof, tr)
	if err != nil {
		return perm(err)
	}
	sh, err := verifier.NewShard(b, j.Shard, j.NShards, quant.ShardRange{From: j.From, To: j.To})
	if err != nil {
		return perm(err)
	}
	sb := &verifier.ShardedBundle{MediaType: verifier.ShardedMediaType, ModelDigest: j.ModelDigest, ModelCommitment: j.ModelCommitment,
		ShardsCommitment: j.ShardsCommitment, ShardsVersion: j.ShardsVersion, NLayer: j.NLayer, NShards: j.NShards, Visibility: j.Visibility, Shards: []verifier.Shard{sh}}
	return sb.Encode()
}

// logProgress reports prover stages through a worker's log. With stall
// (the test hook of WorkerConfig.Stall) it blocks at the start of the
// proving stage, inside prover.Prove, until stall is closed.
type logProgress struct {
	logf  func(string, ...any)
	tag   string
	stall <-chan struct{}
}

func (p logProgress) Start(stage string) func() {
	if p.stall != nil && strings.HasPrefix(stage, "proving") {
		p.logf("%s: %s: stalled (test hook)", p.tag, stage)
		<-p.stall
	}
	start := time.Now()
	return func() { p.logf("%s: %s: %s", p.tag, stage, time.Since(start).Round(time.Millisecond)) }
}

// keyValid reports whether s is a valid key of a bucket.
func keyValid(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '=' || c == '/') {
			return false
		}
	}
	return true
}
