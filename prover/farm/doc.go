// Package farm proves the shards of a sharded model on a farm of workers
// over NATS JetStream.
//
// # Engine
//
// The farm is a nats-server with JetStream (standalone or clustered;
// StartServer embeds one in-process for tests and single machines) and
// four JetStream resources, created on first use by whoever connects:
//
//   - the stream ZKINFER_JOBS (work-queue retention) on subject
//     zkinfer.jobs: one message per shard proof, a Job;
//   - its durable pull consumer zkinfer-workers, which every worker pulls
//     from: explicit acks, an ack wait after which a job whose worker
//     stopped acknowledging progress is redelivered, and a delivery limit;
//   - the object store zkinfer-artifacts: circuits, proving and verifying
//     keys, sub-models, shard inputs and result bundles, each named by the
//     SHA-256 of its bytes (sha256-HEX), so an artifact is uploaded once and
//     reused by every job and every later inference of the model;
//   - the key-value buckets zkinfer-jobs (each job's Status: queued,
//     proving on worker W, done, failed with its error) and zkinfer-workers
//     (each worker's heartbeat).
//
// # Trust
//
// Workers and the store are not trusted for soundness. Every artifact is
// checked against its SHA-256 name on read (a worker's disk cache too), and
// the submitter checks each result's public inputs against the integer
// trace it computed and verifies the assembled bundle against the keys it
// holds (a keys manifest), exactly as a local prove --shards does. A worker
// can waste time, never make the submitter accept a wrong proof. Workers
// see the model and the shard inputs (and the salts of private inputs and
// outputs): run them on machines you would run the prover on.
//
// # Failures
//
// A worker sends in-progress acks while it proves, so a long proof keeps its
// job; a worker that dies stops them and the job is redelivered after the
// ack wait. A job that fails for a reason another attempt cannot change (a
// key for another circuit, an artifact whose bytes do not match its name, a
// witness the circuit rejects) is terminated with the error, recorded in its
// Status, and reported by the submitter; other errors are retried up to the
// delivery limit.
package farm
