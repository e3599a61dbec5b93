package benchmarks

import (
	"math/big"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// gpt2Small12 is the 12-block GPT-2-small shape (d 768, 12 heads, d_hidden
// 3072, ln_f) for one token, random weights.
var gpt2Small12 = gpt2(768, 12, 1, 12)

// shardKeys are a shard's sub-model, circuit and keys.
type shardKeys struct {
	m    *quant.Model
	c    *prover.Circuit
	keys *prover.Keys
}

// buildShard slices blocks i..i+1 from m, compiles and sets it up, and logs the times.
func buildShard(b *testing.B, m *quant.Model, i int) (*shardKeys, time.Duration, time.Duration) {
	s, err := m.Slice(i, i+1)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	c, err := prover.Compile(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(t0)
	t0 = time.Now()
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	return &shardKeys{s, c, keys}, compile, time.Since(t0)
}

// publicOf returns the public inputs of a proof (input hash, output hash, model).
func publicOf(b *testing.B, p *prover.Proof) []big.Int {
	v, ok := p.Public.Vector().(fr.Vector)
	if !ok {
		b.Fatalf("public witness is %T", p.Public.Vector())
	}
	out := make([]big.Int, len(v))
	for i := range v {
		v[i].BigInt(&out[i])
	}
	return out
}

// BenchmarkShardsGPT2Small proves the 12-block GPT-2-small shape for one
// token as 12 one-block shards (fixed weights: 12 different circuits, so 12
// setups). "sequential" builds and proves the shards one after another,
// dropping each shard's keys before the next, and checks the hash chain;
// "parallel-2" proves shards 0 and 1 at the same time. Run each in its own
// process: the peak RSS (getrusage maxrss) is per process.
func BenchmarkShardsGPT2Small(b *testing.B) {
	b.Run("sequential", func(b *testing.B) {
		m, tr := quantizedTrace(b, gpt2Small12)
		cur := tr.X
		var prev []big.Int
		var tCompile, tSetup, tProve time.Duration
		for i := range m.Blocks {
			sk, compile, setup := buildShard(b, m, i)
			str, err := sk.m.Forward(cur)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			proof, err := prover.Prove(sk.c, sk.keys.PK, sk.keys.PKHeader, sk.m, str, nil)
			if err != nil {
				b.Fatal(err)
			}
			prove := time.Since(t0)
			t0 = time.Now()
			if err := prover.Verify(sk.keys.VK, proof.Proof, proof.Public); err != nil {
				b.Fatal(err)
			}
			verify := time.Since(t0)
			pub := publicOf(b, proof)
			if prev != nil && prev[1].Cmp(&pub[0]) != 0 {
				b.Fatalf("shard %d: input hash is not shard %d's output hash", i, i-1)
			}
			prev, cur = pub, str.Y
			tCompile, tSetup, tProve = tCompile+compile, tSetup+setup, tProve+prove
			b.Logf("shard %2d: %d constraints, compile %s, setup %s, prove %s, verify %s, process peak RSS so far %d MiB",
				i, sk.c.Header.Constraints, compile.Round(time.Millisecond), setup.Round(time.Millisecond), prove.Round(time.Millisecond), verify.Round(time.Millisecond), harness.MaxRSS()>>20)
			sk = nil
			runtime.GC()
		}
		if !slices.EqualFunc(cur, tr.Y, slices.Equal) {
			b.Fatal("the chained shards' output is not the model's")
		}
		b.ReportMetric(tCompile.Seconds(), "compile-total-s")
		b.ReportMetric(tSetup.Seconds(), "setup-total-s")
		b.ReportMetric(tProve.Seconds(), "prove-total-s")
		b.ReportMetric(float64(harness.MaxRSS())/(1<<20), "process-peak-rss-MiB")
	})
	b.Run("parallel-2", func(b *testing.B) {
		m, tr := quantizedTrace(b, gpt2Small12)
		var sks []*shardKeys
		var traces []*quant.Trace
		cur := tr.X
		for i := 0; i < 2; i++ {
			sk, compile, setup := buildShard(b, m, i)
			str, err := sk.m.Forward(cur)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("shard %d: compile %s, setup %s", i, compile.Round(time.Millisecond), setup.Round(time.Millisecond))
			sks, traces, cur = append(sks, sk), append(traces, str), str.Y
		}
		before := harness.MaxRSS()
		t0 := time.Now()
		var wg sync.WaitGroup
		times := make([]time.Duration, 2)
		errs := make([]error, 2)
		for i := range sks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.Now()
				_, errs[i] = prover.Prove(sks[i].c, sks[i].keys.PK, sks[i].keys.PKHeader, sks[i].m, traces[i], nil)
				times[i] = time.Since(t)
			}()
		}
		wg.Wait()
		wall := time.Since(t0)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("2 shards proved in parallel: wall %s (shard 0 %s, shard 1 %s); peak RSS %d MiB before proving, %d MiB after",
			wall.Round(time.Millisecond), times[0].Round(time.Millisecond), times[1].Round(time.Millisecond), before>>20, harness.MaxRSS()>>20)
		b.ReportMetric(wall.Seconds(), "prove-2-parallel-wall-s")
		b.ReportMetric(float64(harness.MaxRSS())/(1<<20), "process-peak-rss-MiB")
	})
}
