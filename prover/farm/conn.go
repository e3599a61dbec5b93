package farm

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream resources of a farm.
const (
	JobStream     = "ZKINFER_JOBS"
	JobSubject    = "zkinfer.jobs"
	WorkerGroup   = "zkinfer-workers"
	ArtifactStore = "zkinfer-artifacts"
	JobBucket     = "zkinfer-jobs"
	WorkerBucket  = "zkinfer-workers"
	// maxDeliveriesAdvisory: JetStream's notice that a job reached the
	// consumer's delivery limit.
	maxDeliveriesAdvisory = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + JobStream + "." + WorkerGroup
)

// Retention of the farm's records; artifacts are kept until deleted (see
// the README: they are what makes a second inference of a model cheap).
const (
	jobRetention    = 7 * 24 * time.Hour
	workerRetention = 24 * time.Hour
	maxJobMessage   = 64 << 10
)

// Errors of the farm; each names what went wrong for the user.
var (
	ErrFarm = errors.New("farm")
	// ErrNotFound: an artifact is not in the store.
	ErrNotFound = fmt.Errorf("%w: artifact not in the store", ErrFarm)
	// ErrCorrupt: an artifact's bytes do not hash to its name.
	ErrCorrupt = fmt.Errorf("%w: artifact does not match its digest", ErrFarm)
	// ErrTooLarge: an artifact is larger than the reader's limit.
	ErrTooLarge = fmt.Errorf("%w: artifact too large", ErrFarm)
	// ErrJobFailed: a worker terminated a job.
	ErrJobFailed = fmt.Errorf("%w: job failed", ErrFarm)
	// ErrBadResult: a worker returned a result that is not the proof asked for.
	ErrBadResult = fmt.Errorf("%w: result rejected", ErrFarm)
	// ErrMessage: a job, input or status record that does not parse.
	ErrMessage = fmt.Errorf("%w: malformed record", ErrFarm)
)

// Options say how to reach the farm's NATS servers. Secrets are read from
// files (credentials, NKey seed, TLS key) or given by the caller from the
// environment; they are never printed: Redact a URL before showing it.
type Options struct {
	// URL is one or more nats:// or tls:// URLs, comma-separated.
	URL string
	// Name is the connection name the servers show (monitoring).
	Name string
	// Creds is a NATS credentials file (JWT + NKey seed, decentralized auth).
	Creds string
	// NKey is a file holding an NKey seed (user nkey auth).
	NKey string
	// User and Password, or Token, for servers with simple auth.
	User, Password, Token string
	// TLSCA, TLSCert and TLSKey: the CA that signs the servers'
	// certificates, and a client certificate and key for mutual TLS.
	TLSCA, TLSCert, TLSKey string
	// Replicas of the streams and buckets this connection creates (1, or 3
	// on a 3-node cluster); existing ones keep theirs.
	Replicas int
}

// Farm is a connection to a farm's JetStream resources.
type Farm struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	objects jetstream.ObjectStore
	jobs    jetstream.KeyValue
	workers jetstream.KeyValue
}

// Redact returns url with any user information removed, for messages.
func Redact(urls string) string {
	var out []string
	for _, s := range strings.Split(urls, ",") {
		s = strings.TrimSpace(s)
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			if i := strings.LastIndex(s, "@"); i >= 0 {
				s = "REDACTED@" + s[i+1:]
			}
			out = append(out, s)
			continue
		}
		if u.User != nil {
			u.User = url.User("REDACTED")
		}
		out = append(out, u.String())
	}
	return strings.Join(out, ",")
}

func (o Options) natsOptions() ([]nats.Option, error) {
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.NKey != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKey)
		if err != nil {
			return nil, fmt.Errorf("%w: nkey seed file: %v", ErrFarm, err)
		}
		opts = append(opts, opt)
	}
	if o.User != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, fmt.Errorf("%w: a client certificate needs both its certificate and its key", ErrFarm)
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	return opts, nil
}

// Connect connects to the farm and creates its stream and buckets where
// they do not exist yet.
func Connect(ctx context.Context, o Options) (*Farm, error) {
	if o.URL == "" {
		return nil, fmt.Errorf("%w: no NATS URL", ErrFarm)
	}
	opts, err := o.natsOptions()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		// nats errors name the server, never the credentials; the URL may
		// carry a password, so it is redacted.
		return nil, fmt.Errorf("%w: connect to %s: %v", ErrFarm, Redact(o.URL), err)
	}
	f, err := open(ctx, nc, max(o.Replicas, 1))
	if err != nil {
		nc.Close()
		return nil, err
	}
	return f, nil
}

func open(ctx context.Context, nc *nats.Conn, replicas int) (*Farm, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFarm, err)
	}
	f := &Farm{nc: nc, js: js}
	fail := func(what string, err error) (*Farm, error) {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("%w: %s: JetStream is not enabled on the server (start nats-server with -js, or zkinfer farm serve)", ErrFarm, what)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrFarm, what, err)
	}
	if f.stream, err = js.Stream(ctx, JobStream); errors.Is(err, jetstream.ErrStreamNotFound) {
		f.stream, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name: JobStream, Description: "zkinfer shard proof jobs", Subjects: []string{JobSubject},
			Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Replicas: replicas,
			MaxMsgSize: maxJobMessage, MaxAge: jobRetention,
		})
	}
	if err != nil {
		return fail("job stream", err)
	}
	if f.objects, err = js.ObjectStore(ctx, ArtifactStore); errors.Is(err, jetstream.ErrBucketNotFound) {
		f.objects, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: ArtifactStore, Description: "zkinfer circuits, keys, inputs and results by SHA-256",
			Storage: jetstream.FileStorage, Replicas: replicas,
		})
	}
	if err != nil {
		return fail("artifact store", err)
	}
	kv := func(bucket, desc string, ttl time.Duration) (jetstream.KeyValue, error) {
		b, err := js.KeyValue(ctx, bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			b, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Description: desc, TTL: ttl,
				MaxValueSize: maxJobMessage, Storage: jetstream.FileStorage, Replicas: replicas})
		}
		return b, err
	}
	if f.jobs, err = kv(JobBucket, "zkinfer job states", jobRetention); err != nil {
		return fail("job bucket", err)
	}
	if f.workers, err = kv(WorkerBucket, "zkinfer worker heartbeats", workerRetention); err != nil {
		return fail("worker bucket", err)
	}
	return f, nil
}

// Close drains the connection.
func (f *Farm) Close() {
	f.nc.Drain()
}
