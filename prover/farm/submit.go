package farm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// Request is one sharded inference to prove on the farm.
type Request struct {
	// Manifest is the shard manifest, its file names resolved
	// (prover.ReadManifest).
	Manifest *prover.ShardManifest
	// Keys pins the shards' verifying keys: the assembled bundle must
	// verify under them. KeysSource names it in messages.
	Keys       *prover.KeysManifest
	KeysSource string
	// Model is the whole quantized model and X its quantized input (as
	// Model.QuantizeInput returns it).
	Model *quant.Model
	X     [][]int64
	// Salts are fresh salts for a private input or output.
	Salts modelio.Salts
	// Events, when set, is called for every change of a shard's state.
	Events func(Event)
	// Logf, when set, reports uploads.
	Logf func(format string, args ...any)
}

// Event is a change of one shard's state as the submitter sees it.
type Event struct {
	Shard   int
	State   string // StateQueued, StateProving, StateDone, StateFailed
	Worker  string
	Attempt int
	Error   string
	// Reused: the shard was proved by an earlier run.
	Reused  bool
	Seconds float64
}

// Result is a proved and verified sharded bundle.
type Result struct {
	Bundle *verifier.ShardedBundle
	// Salts opens the bundle's private input or output (the salts of
	// shards reused from an earlier run are that run's).
	Salts modelio.Salts
	// Output is the model's integer output (rows of its last axis; nil for
	// a layer graph whose outputs are parts: see Last and Trace).
	Output [][]int64
	// Last is the last shard's sub-model and Trace its integer trace:
	// Last.OutputValues(Trace) is the model's output, dequantized.
	Last  *quant.Model
	Trace *quant.Trace
	// Reused lists the shards an earlier run had proved.
	Reused []int
	// Uploaded counts the artifacts this run stored, of Artifacts it
	// needed (the others were in the store already).
	Uploaded, Artifacts int
}

// planned is one shard as the submitter plans and checks it.
type planned struct {
	job Job
	// sub is the shard's sub-model and in its input as sub.Forward takes it.
	sub   *quant.Model
	in    [][]int64
	trace *quant.Trace
	salts modelio.Salts
	vis   quant.Visibility
	done  *verifier.ShardedBundle
}

// Prove proves the shards of req on the farm and returns the assembled
// bundle after verifying it against req.Keys. It computes the integer
// trace once, uploads what the store lacks, reuses shards an earlier run
// proved (after checking them like new ones), publishes a job per
// remaining shard and waits for them until ctx ends.
func (f *Farm) Prove(ctx context.Context, req Request) (*Result, error) {
	man, m := req.Manifest, req.Model
	if req.Keys == nil {
		return nil, fmt.Errorf("%w: no keys to verify the result against", ErrFarm)
	}
	if man == nil || m == nil || len(man.Shards) == 0 {
		return nil, fmt.Errorf("%w: no model or shard manifest", ErrFarm)
	}
	logf := req.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	emit := req.Events
	if emit == nil {
		emit = func(Event) {}
	}
	n := len(man.Shards)
	res := &Result{}
	plan := make([]*planned, n)
	cur := req.X
	// A job delivered MaxDeliver times without an ack or a term (its
	// workers died, or lost the connection, each time) is dropped by the
	// consumer, which says so in an advisory: the submitter stops waiting.
	advisories := make(chan *nats.Msg, 64)
	sub, err := f.nc.ChanSubscribe(maxDeliveriesAdvisory, advisories)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFarm, err)
	}
	defer sub.Unsubscribe()
	seqs := map[uint64]int{}
	var keys []string
	uploaded := map[string]Digest{}
	putFile := func(path, kind string) (Digest, error) {
		if d, ok := uploaded[path]; ok {
			return d, nil
		}
		d, up, err := f.PutFile(ctx, path, kind)
		if err != nil {
			return "", err
		}
		res.count(up)
		uploaded[path] = d
		if up {
			logf("uploaded %s (%s, %s)", path, kind, d)
		}
		return d, nil
	}
	// Blocks of a gpt2 model (version 1), or nodes of a layer graph.
	version := max(man.ShardsVersion, quant.ShardsVersion)
	var prev *quant.Trace
	for i, e := range man.Shards {
		sub, err := m.ShardOf(version, e.From, e.To)
		if err != nil {
			return nil, err
		}
		subJSON, err := json.Marshal(sub)
		if err != nil {
			return nil, err
		}
		if d := DigestOf(subJSON); string(d) != e.ModelDigest {
			return nil, fmt.Errorf("shard %d: %w: the manifest names sub-model %s, the model's %s %d:%d are %s", i, prover.ErrCircuitMismatch, e.ModelDigest, prover.UnitName(man.ShardsVersion), e.From, e.To, d)
		}
		if i > 0 && version == quant.GraphShardsVersion {
			// The previous shard's outputs, part by part, are this one's
			// inputs.
			if cur, err = sub.ShardInput(prev.OutputParts()); err != nil {
				return nil, fmt.Errorf("shard %d: %w", i, err)
			}
		}
		tr, err := sub.Forward(cur)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		vis := quant.ShardVisibility(man.Visibility, i, n)
		p := &planned{sub: sub, in: cur, trace: tr, salts: req.Salts, vis: vis, job: Job{
			MediaType: MediaTypeJob, Shard: i, NShards: n, From: e.From, To: e.To, ShardsVersion: man.ShardsVersion,
			NLayer: man.NLayer, ModelDigest: man.ModelDigest, ModelCommitment: man.ModelCommitment,
			ShardsCommitment: man.ShardsCommitment, Visibility: man.Visibility,
			CircuitDigest: e.CircuitDigest, SubModelDigest: e.ModelDigest,
		}}
		j := &p.job
		if j.Circuit, err = putFile(e.Circuit, "circuit"); err != nil {
			return nil, err
		}
		if j.PK, err = putFile(e.PK, "proving key"); err != nil {
			return nil, err
		}
		if j.VK, err = putFile(e.VK, "verifying key"); err != nil {
			return nil, err
		}
		var up bool
		if j.Model, up, err = f.PutBytes(ctx, subJSON, "sub-model"); err != nil {
			return nil, err
		}
		res.count(up)
		if j.Key, err = JobKey(j, cur); err != nil {
			return nil, err
		}
		plan[i] = p
		prev, cur = tr, tr.Y
		// A shard whose job an earlier run did, with a result that checks,
		// is not proved again; the others are published at once, so the
		// workers start while the later shards are prepared.
		if sb, salts, ok := f.earlier(ctx, p); ok {
			p.done, p.salts = sb, salts
			res.Reused = append(res.Reused, i)
			emit(Event{Shard: i, State: StateDone, Reused: true})
			continue
		}
		in, err := NewInput(p.in, p.salts, p.vis)
		if err != nil {
			return nil, err
		}
		if p.job.Input, up, err = f.PutBytes(ctx, in, "shard input"); err != nil {
			return nil, err
		}
		res.count(up)
		data, err := json.Marshal(p.job)
		if err != nil {
			return nil, err
		}
		st, _ := json.Marshal(Status{MediaType: MediaTypeStatus, State: StateQueued, Updated: time.Now().UTC(), Job: p.job})
		if _, err := f.jobs.Put(ctx, p.job.Key, st); err != nil {
			return nil, fmt.Errorf("%w: job state: %v", ErrFarm, err)
		}
		ack, err := f.js.Publish(ctx, JobSubject, data)
		if err != nil {
			return nil, fmt.Errorf("%w: publish shard %d: %v", ErrFarm, i, err)
		}
		seqs[ack.Sequence] = i
		keys = append(keys, p.job.Key)
		emit(Event{Shard: i, State: StateQueued})
	}
	res.Output, res.Last, res.Trace = cur, plan[n-1].sub, prev
	if len(keys) > 0 {
		if err := f.await(ctx, plan, keys, emit, advisories, seqs); err != nil {
			return nil, err
		}
	}
	parts := make([]*verifier.ShardedBundle, n)
	for i, p := range plan {
		parts[i] = p.done
	}
	sb, err := verifier.AssembleShards(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResult, err)
	}
	if _, err := verifier.VerifySharded(sb, req.Keys, req.KeysSource); err != nil {
		return nil, fmt.Errorf("%w: the assembled bundle does not verify with the keys of %s: %v", ErrBadResult, req.KeysSource, err)
	}
	res.Bundle = sb
	res.Salts = modelio.Salts{Input: plan[0].salts.Input, Output: plan[n-1].salts.Output}
	return res, nil
}

func (r *Result) count(up bool) {
	r.Artifacts++
	if up {
		r.Uploaded++
	}
}

// earlier returns the result of an earlier run of p's job, when its status
// says done and the result checks; with the salts of that run.
func (f *Farm) earlier(ctx context.Context, p *planned) (*verifier.ShardedBundle, modelio.Salts, bool) {
	e, err := f.jobs.Get(ctx, p.job.Key)
	if err != nil {
		return nil, modelio.Salts{}, false
	}
	st, err := ParseStatus(e.Value())
	if err != nil || st.State != StateDone {
		return nil, modelio.Salts{}, false
	}
	salts := p.salts
	if in, out := p.vis.HasPrivate(); in || out {
		data, err := f.GetBytes(ctx, st.Job.Input, maxInput)
		if err != nil {
			return nil, salts, false
		}
		in, s, err := ParseInput(data)
		if err != nil || !slices.EqualFunc(in.X, p.in, slices.Equal) {
			return nil, salts, false
		}
		salts = s
	}
	sb, err := f.result(ctx, p, st.Result, salts)
	if err != nil {
		return nil, salts, false
	}
	return sb, salts, true
}

// result fetches a shard's result and checks it is the proof asked for:
// the shard of this model and sharding, whose public input and output are
// the activations the submitter computed. Its proof is verified with the
// assembled bundle.
func (f *Farm) result(ctx context.Context, p *planned, d Digest, salts modelio.Salts) (*verifier.ShardedBundle, error) {
	j := &p.job
	data, err := f.GetBytes(ctx, d, verifier.MaxBundleSize)
	if err != nil {
		return nil, err
	}
	sb, err := verifier.ParseSharded(data)
	if err != nil {
		return nil, fmt.Errorf("%w: shard %d: %v", ErrBadResult, j.Shard, err)
	}
	if sb.ModelDigest != j.ModelDigest || sb.ModelCommitment != j.ModelCommitment || sb.ShardsCommitment != j.ShardsCommitment ||
		sb.ShardsVersion != j.ShardsVersion || sb.NLayer != j.NLayer || sb.NShards != j.NShards || sb.Visibility != j.Visibility || len(sb.Shards) != 1 {
		return nil, fmt.Errorf("%w: shard %d: the result is not a bundle of this model's shard", ErrBadResult, j.Shard)
	}
	sh := sb.Shards[0]
	if sh.Index != j.Shard || sh.From != j.From || sh.To != j.To {
		return nil, fmt.Errorf("%w: shard %d: the result holds shard %d (%s %d:%d)", ErrBadResult, j.Shard, sh.Index, prover.UnitName(j.ShardsVersion), sh.From, sh.To)
	}
	b := sh.Bundle
	if b.ModelDigest != j.SubModelDigest || b.CircuitDigest != j.CircuitDigest {
		return nil, fmt.Errorf("%w: shard %d: the result is for sub-model %s, circuit %s", ErrBadResult, j.Shard, b.ModelDigest, b.CircuitDigest)
	}
	for k, t := range []struct {
		name  string
		spec  []quant.IOPart
		parts [][]int64
		vis   string
		chain bool
	}{
		{verifier.TensorInput, p.sub.InputParts(), p.trace.InputParts(), p.vis.Input, j.Shard > 0},
		{verifier.TensorOutput, p.sub.OutputParts(), p.trace.OutputParts(), p.vis.Output, j.Shard < j.NShards-1},
	} {
		if len(b.PublicInputs) < 2 || b.PublicInputs[k].Name != t.name {
			return nil, fmt.Errorf("%w: shard %d: no %s tensor", ErrBadResult, j.Shard, t.name)
		}
		if err := checkTensor(&b.PublicInputs[k], b, t.name, t.spec, t.parts, t.vis, t.chain, salts, k == 0); err != nil {
			return nil, fmt.Errorf("%w: shard %d: %s: %v", ErrBadResult, j.Shard, t.name, err)
		}
	}
	return sb, nil
}

// checkTensor checks that a shard's public tensor is parts (the parts spec
// says, one flat slice each): their chain hash between shards (the legacy
// one for one int8 tensor, the parts chain hash otherwise), else as
// visibility vis exposes them.
func checkTensor(t *verifier.Tensor, b *verifier.Bundle, name string, spec []quant.IOPart, parts [][]int64, vis string, chain bool, salts modelio.Salts, input bool) error {
	values := quant.Flatten(parts)
	switch {
	case chain:
		enc := verifier.EncodingChainHash
		var (
			h   fr.Element
			err error
		)
		if quant.SingleInt8(spec) {
			h, err = quant.HashPacked(values, nil)
		} else {
			enc = verifier.EncodingChainParts
			h, err = quant.HashParts(spec, parts, nil)
		}
		if err != nil {
			return err
		}
		raw := h.Bytes()
		if t.Encoding != enc || t.Commitment != fmt.Sprintf("0x%x", raw[:]) {
			return errors.New("not the hash of the activation the submitter computed")
		}
	case vis == quant.VisibilityPrivate:
		salt := salts.Output
		if input {
			salt = salts.Input
		}
		if err := verifier.Open(b, name, values, salt); err != nil {
			return fmt.Errorf("not a commitment to the submitter's values: %v", err)
		}
	default:
		if !slices.Equal(t.Values, values) {
			return errors.New("not the values the submitter computed")
		}
	}
	return nil
}

// await watches the job states of keys until every shard is done (its
// result fetched and checked) or one failed.
func (f *Farm) await(ctx context.Context, plan []*planned, keys []string, emit func(Event), advisories <-chan *nats.Msg, seqs map[uint64]int) error {
	w, err := f.jobs.WatchFiltered(ctx, keys)
	if err != nil {
		return fmt.Errorf("%w: watch job states: %v", ErrFarm, err)
	}
	defer w.Stop()
	byKey := map[string]*planned{}
	for _, p := range plan {
		if p.done == nil {
			byKey[p.job.Key] = p
		}
	}
	// The states the submitter reported already: every job was queued.
	last := map[string]string{}
	for _, k := range keys {
		last[k] = StateQueued + "//0"
	}
	left := len(byKey)
	for left > 0 {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			var waiting []int
			for _, p := range plan {
				if p.done == nil {
					waiting = append(waiting, p.job.Shard)
				}
			}
			return fmt.Errorf("%w: shards %v not proved: %v (their jobs stay queued: run the same command again to collect them)", ErrFarm, waiting, ctx.Err())
		case m := <-advisories:
			var a struct {
				StreamSeq  uint64 `json:"stream_seq"`
				Deliveries uint64 `json:"deliveries"`
			}
			if json.Unmarshal(m.Data, &a) != nil {
				continue
			}
			if i, ok := seqs[a.StreamSeq]; ok && plan[i].done == nil {
				return fmt.Errorf("%w: shard %d: delivered %d times and never finished (did its workers die, or lose the server, each time?)", ErrJobFailed, i, a.Deliveries)
			}
			continue
		case e = <-w.Updates():
		}
		if e == nil || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		p, ok := byKey[e.Key()]
		if !ok || p.done != nil {
			continue
		}
		st, err := ParseStatus(e.Value())
		if err != nil {
			continue
		}
		if tag := fmt.Sprintf("%s/%s/%d", st.State, st.Worker, st.Attempt); tag != last[e.Key()] {
			last[e.Key()] = tag
			emit(Event{Shard: p.job.Shard, State: st.State, Worker: st.Worker, Attempt: st.Attempt, Error: st.Error, Seconds: st.Seconds})
		}
		switch st.State {
		case StateFailed:
			return fmt.Errorf("%w: shard %d on worker %s (attempt %d): %s", ErrJobFailed, p.job.Shard, st.Worker, st.Attempt, st.Error)
		case StateDone:
			sb, err := f.result(ctx, p, st.Result, p.salts)
			if err != nil {
				return fmt.Errorf("shard %d from worker %s: %w", p.job.Shard, st.Worker, err)
			}
			p.done = sb
			left--
		}
	}
	return nil
}
