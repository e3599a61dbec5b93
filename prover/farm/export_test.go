package farm

import (
	"bytes"
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Overwrite replaces the object named by d with other bytes, as a damaged
// or tampered store would hold them.
func Overwrite(ctx context.Context, f *Farm, d Digest, data []byte) error {
	_, err := f.objects.Put(ctx, jetstream.ObjectMeta{Name: d.object()}, bytes.NewReader(data))
	return err
}

// DropJobs takes jobs from the workers' consumer (configured with ackWait
// and maxDeliver) and never acknowledges them, as a worker that dies on
// every job would, until ctx ends.
func DropJobs(ctx context.Context, f *Farm, ackWait time.Duration, maxDeliver int) error {
	c, err := f.consumer(ctx, ackWait, maxDeliver)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		c.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
	}
	return nil
}

// WithTamper makes a dishonest worker: fn rewrites every result it proves
// (shard, the sharded bundle's JSON) before it is stored.
func WithTamper(cfg WorkerConfig, fn func(shard int, result []byte) []byte) WorkerConfig {
	cfg.tamper = func(j *Job, result []byte) []byte { return fn(j.Shard, result) }
	return cfg
}
