package farm_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/prover/farm"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// sharded is a tiny 3-block GPT-2 compiled as three one-block shards, with
// dev keys and the keys manifest.
type sharded struct {
	model *quant.Model
	man   *prover.ShardManifest
	keys  *prover.KeysManifest
	x     [][]int64
}

var (
	shardedMu    sync.Mutex
	shardedCache = map[quant.Visibility]*sharded{}
	shardedDir   string
)

// newSharded returns the model compiled with visibility vis, made once per
// test binary: its setup is most of a test's time.
func newSharded(t *testing.T, vis quant.Visibility) *sharded {
	t.Helper()
	shardedMu.Lock()
	defer shardedMu.Unlock()
	if s, ok := shardedCache[vis]; ok {
		man := *s.man
		man.Shards = slices.Clone(s.man.Shards)
		return &sharded{model: s.model, man: &man, keys: s.keys, x: s.x}
	}
	dir, err := os.MkdirTemp(shardedDir, "sharded")
	if err != nil {
		t.Fatal(err)
	}
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 3,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	fm := quant.RandomModel(cfg, 3)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, 3))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	circuit := filepath.Join(dir, "circuit.zkc")
	man, err := prover.CompileShards(m, 1, circuit, filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	man, keys := setupShards(t, circuit, man)
	x, err := m.QuantizeInput(quant.RandomSamples(cfg, 1, 9)[0])
	if err != nil {
		t.Fatal(err)
	}
	shardedCache[vis] = &sharded{model: m, man: man, keys: keys, x: x}
	c := *man
	c.Shards = slices.Clone(man.Shards)
	return &sharded{model: m, man: &c, keys: keys, x: x}
}

func TestMain(m *testing.M) {
	var err error
	if shardedDir, err = os.MkdirTemp("", "farm-test"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(shardedDir)
	os.Exit(code)
}

func (s *sharded) request(t *testing.T) farm.Request {
	salts, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	return farm.Request{Manifest: s.man, Keys: s.keys, KeysSource: "keys manifest", Model: s.model, X: s.x, Salts: salts}
}

// startFarm starts an embedded nats-server with JetStream on a loopback
// port and returns a connection to it.
func startFarm(t *testing.T) (string, *farm.Farm) {
	t.Helper()
	srv, err := farm.StartServer(farm.ServerConfig{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	url := srv.ClientURL()
	f, err := farm.Connect(context.Background(), farm.Options{URL: url, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return url, f
}

// startWorkers runs n in-process workers until the test ends.
func startWorkers(t *testing.T, url string, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := range n {
		f, err := farm.Connect(ctx, farm.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		wg.Go(func() {
			err := f.RunWorker(ctx, farm.WorkerConfig{Name: "w" + string(rune('1'+i)), Concurrency: 1, Cache: farm.Cache{Dir: t.TempDir()}, AckWait: 5 * time.Second, Logf: t.Logf})
			if err != nil {
				t.Error(err)
			}
		})
	}
}

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Three shards proved by two workers, assembled and verified; a rerun
// proves nothing again and gives the private output's salt of the run
// that proved it.
func TestProveOnFarm(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityPrivate, Weights: quant.VisibilityFixed}
	s := newSharded(t, vis)
	url, f := startFarm(t)
	startWorkers(t, url, 2)
	var mu sync.Mutex
	seen := map[int][]string{}
	req := s.request(t)
	req.Events = func(e farm.Event) {
		mu.Lock()
		defer mu.Unlock()
		seen[e.Shard] = append(seen[e.Shard], e.State)
	}
	res, err := f.Prove(deadline(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bundle.Shards) != 3 || len(res.Reused) != 0 || res.Uploaded != res.Artifacts {
		t.Fatalf("%d shards, reused %v, uploaded %d of %d artifacts", len(res.Bundle.Shards), res.Reused, res.Uploaded, res.Artifacts)
	}
	for i := range 3 {
		if st := seen[i]; len(st) == 0 || st[0] != farm.StateQueued || st[len(st)-1] != farm.StateDone {
			t.Errorf("shard %d went through %v", i, st)
		}
	}
	// The salt opens the private output: it is the one the worker used.
	last := res.Bundle.Shards[2].Bundle
	want, _ := s.model.Forward(s.x)
	if err := openOutput(last, want.Y, res.Salts); err != nil {
		t.Fatal(err)
	}

	again := s.request(t)
	res2, err := f.Prove(deadline(t), again)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res2.Reused, []int{0, 1, 2}) || res2.Uploaded != 0 {
		t.Fatalf("rerun: reused %v, uploaded %d", res2.Reused, res2.Uploaded)
	}
	if res2.Salts.Output != res.Salts.Output {
		t.Fatal("rerun: the output salt is not the one of the run that proved the last shard")
	}
}

// A proving key for another circuit: the worker terminates the job with
// the reason, and the submitter reports it instead of waiting.
func TestWrongKeysTerminate(t *testing.T) {
	s := newSharded(t, quant.DefaultVisibility)
	url, f := startFarm(t)
	startWorkers(t, url, 1)
	s.man.Shards[1].PK = s.man.Shards[0].PK
	_, err := f.Prove(deadline(t), s.request(t))
	if !errors.Is(err, farm.ErrJobFailed) || !strings.Contains(err.Error(), "shard 1") || !strings.Contains(err.Error(), "made for another circuit") {
		t.Fatalf("got %v, want shard 1 failed: made for another circuit", err)
	}
	rep, err := f.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Jobs[farm.StateFailed] != 1 || len(rep.Failures) != 1 || rep.Failures[0].Job.Shard != 1 || len(rep.Workers) != 1 {
		t.Fatalf("status: jobs %v, failures %+v, workers %d", rep.Jobs, rep.Failures, len(rep.Workers))
	}
}

// An object whose bytes are not its name's is reported, by the store's
// reader and the worker's cache alike; uploading the artifact again
// repairs it, and a damaged cached copy is fetched again.
func TestCorruptObject(t *testing.T) {
	_, f := startFarm(t)
	ctx := deadline(t)
	good := []byte("the proving key")
	d, up, err := f.PutBytes(ctx, good, "test")
	if err != nil || !up {
		t.Fatalf("put: %v, uploaded %v", err, up)
	}
	if _, up, _ := f.PutBytes(ctx, good, "test"); up {
		t.Fatal("the same bytes were uploaded twice")
	}
	cache := &farm.Cache{Dir: t.TempDir()}
	path, err := f.Fetch(ctx, cache, d, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := farm.Overwrite(ctx, f, d, []byte("another key")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetBytes(ctx, d, 1<<20); !errors.Is(err, farm.ErrCorrupt) {
		t.Fatalf("reading an overwritten object: %v, want %v", err, farm.ErrCorrupt)
	}
	if f.Has(ctx, d) {
		t.Fatal("Has: the overwritten object passes")
	}
	// The cached copy is good and still used; a damaged one is not.
	if _, err := f.Fetch(ctx, cache, d, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("the proving kez"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(ctx, cache, d, 1<<20); !errors.Is(err, farm.ErrCorrupt) {
		t.Fatalf("fetch with a damaged cache and store: %v, want %v", err, farm.ErrCorrupt)
	}
	if _, up, err := f.PutBytes(ctx, good, "test"); err != nil || !up {
		t.Fatalf("repair: %v, uploaded %v", err, up)
	}
	if err := os.WriteFile(path, []byte("the proving kez"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(ctx, cache, d, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(good) {
		t.Fatalf("cache holds %q", got)
	}
	if _, err := f.GetBytes(ctx, d, 4); !errors.Is(err, farm.ErrTooLarge) {
		t.Fatalf("over the limit: %v, want %v", err, farm.ErrTooLarge)
	}
	if _, err := f.GetBytes(ctx, farm.DigestOf([]byte("nothing")), 1<<20); !errors.Is(err, farm.ErrNotFound) {
		t.Fatalf("missing: %v, want %v", err, farm.ErrNotFound)
	}
}

func TestParseJobRejects(t *testing.T) {
	for _, data := range []string{
		``, `{}`, `{"media_type": "application/vnd.zkinfer.farm-job.v2+json"}`,
		`{"media_type": "application/vnd.zkinfer.farm-job.v1+json", "extra": 1}`,
		`{"media_type": "application/vnd.zkinfer.farm-job.v1+json", "shard": 3, "n_shards": 3, "n_layer": 3, "from": 0, "to": 1}`,
		`{"media_type": "application/vnd.zkinfer.farm-job.v1+json", "shards_version": 3, "shard": 0, "n_shards": 3, "n_layer": 3, "from": 0, "to": 1}`,
		`{"media_type": "application/vnd.zkinfer.farm-job.v1+json", "shard": 0, "n_shards": 2, "n_layer": 300, "from": 0, "to": 1}`,
		strings.Repeat(" ", 1<<20),
	} {
		if _, err := farm.ParseJob([]byte(data)); !errors.Is(err, farm.ErrMessage) {
			t.Errorf("ParseJob(%.60q): %v, want %v", data, err, farm.ErrMessage)
		}
	}
	if r := farm.Redact("nats://alice:s3cret@h1:4222,tls://tok@h2:4222"); strings.Contains(r, "s3cret") || strings.Contains(r, "tok") {
		t.Errorf("Redact: %s", r)
	}
}

func openOutput(b *verifier.Bundle, y [][]int64, s modelio.Salts) error {
	return verifier.Open(b, verifier.TensorOutput, quant.Flatten(y), s.Output)
}

// A job whose workers all die before finishing it reaches the delivery
// limit: the submitter is told and stops waiting.
func TestDeliveryLimit(t *testing.T) {
	s := newSharded(t, quant.DefaultVisibility)
	_, f := startFarm(t)
	ctx, cancel := context.WithCancel(deadline(t))
	defer cancel()
	go farm.DropJobs(ctx, f, 500*time.Millisecond, 2)
	_, err := f.Prove(ctx, s.request(t))
	if !errors.Is(err, farm.ErrJobFailed) || !strings.Contains(err.Error(), "delivered 2 times and never finished") {
		t.Fatalf("got %v, want a job delivered 2 times and never finished", err)
	}
}

// An artifact damaged in the store after the submitter uploaded it: the
// worker finds its bytes do not match its digest (twice), terminates the
// job and the submitter reports it; the next run repairs the store.
func TestCorruptArtifactReported(t *testing.T) {
	s := newSharded(t, quant.DefaultVisibility)
	url, f := startFarm(t)
	ctx := deadline(t)
	errc := make(chan error, 1)
	go func() { _, err := f.Prove(ctx, s.request(t)); errc <- err }()
	var pk farm.Digest
	for pk == "" {
		jobs, err := f.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range jobs {
			if st.Job.Shard == 1 {
				pk = st.Job.PK
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := farm.Overwrite(ctx, f, pk, []byte("not a proving key")); err != nil {
		t.Fatal(err)
	}
	startWorkers(t, url, 1)
	err := <-errc
	if !errors.Is(err, farm.ErrJobFailed) || !strings.Contains(err.Error(), "shard 1") || !strings.Contains(err.Error(), "proving key: farm: artifact does not match its digest") {
		t.Fatalf("got %v, want shard 1 failed: proving key does not match its digest", err)
	}
	if _, err := f.Prove(ctx, s.request(t)); err != nil {
		t.Fatalf("after the store was repaired: %v", err)
	}
}

// setupShards writes man beside circuit, reads it back, makes dev keys for
// every shard circuit, and returns the manifest read and its keys manifest.
func setupShards(t *testing.T, circuit string, man *prover.ShardManifest) (*prover.ShardManifest, *prover.KeysManifest) {
	t.Helper()
	path := prover.ManifestPath(circuit)
	if err := prover.WriteManifest(path, man); err != nil {
		t.Fatal(err)
	}
	man, err := prover.ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range man.Shards {
		c, err := prover.ReadCircuit(e.Circuit)
		if err != nil {
			t.Fatal(err)
		}
		k, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := prover.WriteKeys(e.PK, e.VK, k); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := prover.NewKeysManifest(man)
	if err != nil {
		t.Fatal(err)
	}
	return man, keys
}
