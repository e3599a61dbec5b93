package farm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Report is the state of a farm.
type Report struct {
	// Queued is the number of jobs no worker holds; InFlight the number a
	// worker holds (delivered, not yet acknowledged); Redelivered those
	// delivered more than once.
	Queued      uint64 `json:"queued"`
	InFlight    int    `json:"in_flight"`
	Redelivered int    `json:"redelivered"`
	// Jobs counts the recorded jobs by state (records expire after a week).
	Jobs map[string]int `json:"jobs"`
	// Failures are the failed jobs, newest first (at most maxFailures).
	Failures []Status `json:"failures"`
	// Workers are the workers seen in the last day, by name.
	Workers []WorkerInfo `json:"workers"`
	// Artifacts is the size of the artifact store in bytes.
	Artifacts uint64 `json:"artifact_bytes"`
}

const maxFailures = 10

// Status reports the farm's queue, workers, jobs and failures.
func (f *Farm) Status(ctx context.Context) (*Report, error) {
	r := &Report{Jobs: map[string]int{}}
	c, err := f.js.Consumer(ctx, JobStream, WorkerGroup)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		// No worker has connected yet: every job in the stream is queued.
		info, err := f.stream.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFarm, err)
		}
		r.Queued = info.State.Msgs
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrFarm, err)
	default:
		info, err := c.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFarm, err)
		}
		r.Queued, r.InFlight, r.Redelivered = info.NumPending, info.NumAckPending, info.NumRedelivered
	}
	if err := eachValue(ctx, f.workers, func(v []byte) {
		if w, err := ParseWorker(v); err == nil {
			r.Workers = append(r.Workers, *w)
		}
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(r.Workers, func(a, b WorkerInfo) int { return strings.Compare(a.Name, b.Name) })
	jobs, err := f.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range jobs {
		r.Jobs[st.State]++
		if st.State == StateFailed {
			r.Failures = append(r.Failures, st)
		}
	}
	slices.SortFunc(r.Failures, func(a, b Status) int { return b.Updated.Compare(a.Updated) })
	r.Failures = r.Failures[:min(len(r.Failures), maxFailures)]
	if st, err := f.objects.Status(ctx); err == nil {
		r.Artifacts = st.Size()
	}
	return r, nil
}

// eachValue calls fn with the latest value of every key of a bucket.
func eachValue(ctx context.Context, kv jetstream.KeyValue, fn func([]byte)) error {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFarm, err)
	}
	defer w.Stop()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				return nil
			}
			fn(e.Value())
		case <-timeout.C:
			return fmt.Errorf("%w: listing %s timed out", ErrFarm, kv.Bucket())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Jobs returns the recorded state of every job (records expire after a
// week).
func (f *Farm) Jobs(ctx context.Context) ([]Status, error) {
	var out []Status
	err := eachValue(ctx, f.jobs, func(v []byte) {
		if st, err := ParseStatus(v); err == nil {
			out = append(out, *st)
		}
	})
	return out, err
}
