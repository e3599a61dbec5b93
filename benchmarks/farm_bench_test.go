package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/prover/farm"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// farmShards compiles and sets up the one-block shards of cfg in dir (dev
// setup, fixed weights), or reuses what an earlier run left there, and
// returns the resolved manifest and its keys manifest.
func farmShards(b *testing.B, m *quant.Model, dir string) (*prover.ShardManifest, *prover.KeysManifest) {
	b.Helper()
	circuit := filepath.Join(dir, "circuit.zkc")
	path := prover.ManifestPath(circuit)
	if man, err := prover.ReadManifest(path); err == nil {
		if d, _ := m.Digest(); d == man.ModelDigest {
			if keys, err := prover.NewKeysManifest(man); err == nil {
				b.Logf("reusing the shards and keys in %s", dir)
				return man, keys
			}
		}
	}
	t0 := time.Now()
	man, err := prover.CompileShards(m, 1, circuit, filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("compiled %d shards in %s", len(man.Shards), time.Since(t0).Round(time.Millisecond))
	if err := prover.WriteManifest(path, man); err != nil {
		b.Fatal(err)
	}
	if man, err = prover.ReadManifest(path); err != nil {
		b.Fatal(err)
	}
	for _, e := range man.Shards {
		t0 := time.Now()
		c, err := prover.ReadCircuit(e.Circuit)
		if err != nil {
			b.Fatal(err)
		}
		k, err := prover.SetupDev(c, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := prover.WriteKeys(e.PK, e.VK, k); err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(e.PK)
		b.Logf("shard %2d: %d constraints, setup %s, proving key %d MiB", e.Index, e.Constraints, time.Since(t0).Round(time.Millisecond), fi.Size()>>20)
		runtime.GC()
	}
	keys, err := prover.NewKeysManifest(man)
	if err != nil {
		b.Fatal(err)
	}
	return man, keys
}

// proveLocal is prove --shards --jobs 1: every shard read from disk,
// proved, checked and bundled in turn, then the bundle verified.
func proveLocal(b *testing.B, man *prover.ShardManifest, keys *prover.KeysManifest, m *quant.Model, x [][]int64) {
	b.Helper()
	salts, _ := modelio.RandomSalts()
	cur := x
	n := len(man.Shards)
	sb := &verifier.ShardedBundle{MediaType: verifier.ShardedMediaType, ModelDigest: man.ModelDigest, ModelCommitment: man.ModelCommitment,
		ShardsCommitment: man.ShardsCommitment, NLayer: man.NLayer, NShards: n, Visibility: man.Visibility}
	for _, e := range man.Shards {
		sub, err := m.Slice(e.From, e.To)
		if err != nil {
			b.Fatal(err)
		}
		tr, err := sub.Forward(cur)
		if err != nil {
			b.Fatal(err)
		}
		cur = tr.Y
		c, err := prover.ReadCircuit(e.Circuit)
		if err != nil {
			b.Fatal(err)
		}
		pk, pkh, err := prover.ReadProvingKey(e.PK)
		if err != nil {
			b.Fatal(err)
		}
		vk, vkh, err := prover.ReadVerifyingKey(e.VK)
		if err != nil {
			b.Fatal(err)
		}
		proof, err := prover.Prove(c, pk, pkh, sub, tr, nil, prover.WithSalts(salts))
		if err != nil {
			b.Fatal(err)
		}
		if err := prover.Verify(vk, proof.Proof, proof.Public); err != nil {
			b.Fatal(err)
		}
		bu, err := verifier.NewBundle(sub, c, vk, vkh, proof, tr)
		if err != nil {
			b.Fatal(err)
		}
		sh, err := verifier.NewShard(bu, e.Index, n, quant.ShardRange{From: e.From, To: e.To})
		if err != nil {
			b.Fatal(err)
		}
		sb.Shards = append(sb.Shards, sh)
		runtime.GC()
	}
	if _, err := verifier.VerifySharded(sb, keys, "keys"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFarm proves the one-block shards of GPT-2-small (d 768, 12
// heads, d_hidden 3072, one token, random weights, ln_f in the last shard;
// fixed weights, so every shard has its own circuit and keys) locally, as
// prove --shards --jobs 1 does, and on a farm: an embedded nats-server with
// JetStream on loopback and W in-process workers (each its own connection
// and artifact cache) for W = 1, 2, 4. For each farm, "cold" is the first
// inference (every artifact uploaded to the store and fetched by the
// workers) and "warm" a second one on another input (artifacts stored and
// cached; a worker may still fetch a shard it has not proved before).
//
// ZKINFER_FARM_BLOCKS sets the number of blocks (default 12);
// ZKINFER_FARM_DIR keeps the compiled shards and keys between runs (setup
// dominates: minutes per shard on 2 cores). Run with -benchtime 1x -v.
func BenchmarkFarm(b *testing.B) {
	blocks := 12
	if s := os.Getenv("ZKINFER_FARM_BLOCKS"); s != "" {
		var err error
		if blocks, err = strconv.Atoi(s); err != nil || blocks < 1 || blocks > 12 {
			b.Fatalf("ZKINFER_FARM_BLOCKS=%q: 1 to 12", s)
		}
	}
	dir := os.Getenv("ZKINFER_FARM_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	m, samples, err := harness.RandomQuantized(gpt2(768, 12, 1, blocks), 4)
	if err != nil {
		b.Fatal(err)
	}
	man, keys := farmShards(b, m, dir)
	inputs := make([][][]int64, 2)
	for i := range inputs {
		if inputs[i], err = m.QuantizeInput(samples[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d shards, %d CPUs, GOMAXPROCS %d", len(man.Shards), runtime.NumCPU(), runtime.GOMAXPROCS(0))

	b.Run("local", func(b *testing.B) {
		for range b.N {
			t0 := time.Now()
			proveLocal(b, man, keys, m, inputs[1])
			b.ReportMetric(time.Since(t0).Seconds(), "wall-s")
		}
	})
	for _, w := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("farm-%d", w), func(b *testing.B) {
			for range b.N {
				cold, warm := proveFarm(b, man, keys, m, inputs, w)
				b.ReportMetric(cold.Seconds(), "cold-wall-s")
				b.ReportMetric(warm.Seconds(), "warm-wall-s")
			}
		})
	}
}

// proveFarm starts a farm of w workers and proves inputs[0] (cold), then
// inputs[1] (warm).
func proveFarm(b *testing.B, man *prover.ShardManifest, keys *prover.KeysManifest, m *quant.Model, inputs [][][]int64, w int) (time.Duration, time.Duration) {
	b.Helper()
	srv, err := farm.StartServer(farm.ServerConfig{Listen: "127.0.0.1:0", StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for i := range w {
		f, err := farm.Connect(ctx, farm.Options{URL: srv.ClientURL()})
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		wg.Go(func() {
			if err := f.RunWorker(ctx, farm.WorkerConfig{Name: fmt.Sprintf("w%d", i), Concurrency: 1, Cache: farm.Cache{Dir: b.TempDir()}}); err != nil {
				b.Error(err)
			}
		})
	}
	f, err := farm.Connect(ctx, farm.Options{URL: srv.ClientURL()})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var times []time.Duration
	for k, x := range inputs {
		salts, _ := modelio.RandomSalts()
		t0 := time.Now()
		workers := map[string]int{}
		var mu sync.Mutex
		res, err := f.Prove(ctx, farm.Request{Manifest: man, Keys: keys, KeysSource: "keys", Model: m, X: x, Salts: salts,
			Events: func(e farm.Event) {
				if e.State == farm.StateDone {
					mu.Lock()
					workers[e.Worker]++
					mu.Unlock()
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		times = append(times, d)
		b.Logf("farm of %d workers, %s inference: %s (%d of %d artifacts uploaded; shards per worker %v)",
			w, map[int]string{0: "cold", 1: "warm"}[k], d.Round(time.Millisecond), res.Uploaded, res.Artifacts, workers)
		runtime.GC()
	}
	return times[0], times[1]
}
