package benchmarks

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark/backend/groth16"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
	"github.com/zkinfer/zkinfer/prover"
)

// cpuSeconds is the CPU time (user + system) this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// phase times f in wall and CPU seconds.
type phase struct{ wall, cpu float64 }

func timed(f func()) phase {
	c0, t0 := cpuSeconds(), time.Now()
	f()
	return phase{time.Since(t0).Seconds(), cpuSeconds() - c0}
}

func (p phase) String() string { return fmt.Sprintf("%.1f s wall, %.1f s CPU", p.wall, p.cpu) }

// liveHeap is the live Go heap after a full collection, in bytes.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// currentRSS is the process's resident set size now (VmRSS), in bytes.
func currentRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkSetupDev measures what `zkinfer compile-circuit` and `zkinfer
// setup --dev` cost on one d-64, 4-head gpt2 block (the issue-19 shape at
// seq 64; seq 16 or 32 for a quicker look), Groth16, and compares the dev setup
// with proving the same circuit:
//
//   - compile (prover.Compile): time, peak and retained Go heap per
//     million constraints;
//   - the circuit file: write and read (what setup starts with);
//   - setup before (gnark's groth16.Setup, what SetupDev called until
//     issue 19) and after (prover.SetupDev), CPU and wall;
//   - writing the keys (prover.WriteKeys, streamed) against writing the
//     proving key buffered as before, time and peak RSS, and the key's size;
//   - prove (prover.Prove) and verify, and setup/prove ratios.
//
// Run one size at a time, under the heavy-job lock (seq 64 needs ~4 GB and
// ~10 minutes on a loaded 2-core machine, most of it gnark's setup):
//
//	flock /work/notes/heavy.lock go test -count=1 -timeout 60m -run XXX -bench 'SetupDev/seq64' -benchtime 1x ./benchmarks
//
// ZKINFER_SETUP_BEFORE=0 skips gnark's setup (profiling the new path).
func BenchmarkSetupDev(b *testing.B) {
	for _, seq := range []int{16, 32, 64} {
		b.Run(fmt.Sprintf("seq%d", seq), func(b *testing.B) {
			for range b.N {
				benchSetupDev(b, seq)
			}
		})
	}
}

func benchSetupDev(b *testing.B, seq int) {
	b.Logf("machine: %d cores, load %.2f", runtime.NumCPU(), harness.Load1())
	m, tr := quantizedTrace(b, gpt2(64, 4, seq, 1))
	dir := b.TempDir()

	base := liveHeap()
	stopHeap := harness.WatchHeap()
	var c *prover.Circuit
	compile := timed(func() {
		var err error
		if c, err = prover.Compile(m, nil); err != nil {
			b.Fatal(err)
		}
	})
	peak := stopHeap()
	retained := liveHeap() - base
	n := c.Header.Constraints
	mc := float64(n) / 1e6
	b.Logf("compile: %d constraints, %s; Go heap peak %.2f GB (%.2f GB per M constraints), constraint system %.2f GB (%.2f GB per M), process peak RSS %.2f GB",
		n, compile, float64(peak)/1e9, float64(peak)/1e9/mc, float64(retained)/1e9, float64(retained)/1e9/mc, float64(harness.MaxRSS())/1e9)
	b.ReportMetric(float64(n), "constraints")
	b.ReportMetric(compile.wall, "compile-s")
	b.ReportMetric(float64(peak)/1e9/mc, "compile-peak-GB/Mconstraint")
	b.ReportMetric(float64(retained)/1e9/mc, "cs-GB/Mconstraint")

	circuitPath := filepath.Join(dir, "circuit.zkc")
	write := timed(func() {
		if err := prover.WriteCircuit(circuitPath, c); err != nil {
			b.Fatal(err)
		}
	})
	read := timed(func() {
		var err error
		if c, err = prover.ReadCircuit(circuitPath); err != nil {
			b.Fatal(err)
		}
	})
	st, _ := os.Stat(circuitPath)
	b.Logf("circuit file: %.0f MB, write %s, read %s", float64(st.Size())/1e6, write, read)
	debug.FreeOSMemory()

	var before phase
	if os.Getenv("ZKINFER_SETUP_BEFORE") != "0" {
		before = timed(func() {
			if _, _, err := groth16.Setup(c.CS); err != nil {
				b.Fatal(err)
			}
		})
		b.Logf("setup before (gnark groth16.Setup): %s", before)
		debug.FreeOSMemory()
	}
	var keys *prover.Keys
	after := timed(func() {
		var err error
		if keys, err = prover.SetupDev(c, nil); err != nil {
			b.Fatal(err)
		}
	})
	b.Logf("setup after (prover.SetupDev): %s", after)
	pkPath, vkPath := filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key")
	// Writing the proving key as before issue 19: the payload buffered in
	// memory to hash it before the header, then written.
	debug.FreeOSMemory()
	rss0 := currentRSS()
	harness.ResetPeakRSS()
	buffered := timed(func() {
		var body bytes.Buffer
		if _, err := keys.PK.WriteRawTo(&body); err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(body.Bytes())
		_ = sum
		if err := os.WriteFile(filepath.Join(dir, "pk-buffered.key"), body.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	})
	bufferedPeak := harness.MaxRSS() - rss0
	os.Remove(filepath.Join(dir, "pk-buffered.key"))
	debug.FreeOSMemory()
	rss0 = currentRSS()
	harness.ResetPeakRSS()
	writeKeys := timed(func() {
		if err := prover.WriteKeys(pkPath, vkPath, keys); err != nil {
			b.Fatal(err)
		}
	})
	streamedPeak := harness.MaxRSS() - rss0
	st, _ = os.Stat(pkPath)
	b.Logf("write keys: %s, peak RSS +%.0f MB; buffered as before: %s, peak RSS +%.0f MB; proving key %.0f MB",
		writeKeys, float64(streamedPeak)/1e6, buffered, float64(bufferedPeak)/1e6, float64(st.Size())/1e6)
	pk, pkh, err := prover.ReadProvingKey(pkPath)
	if err != nil {
		b.Fatal(err)
	}
	keys = nil
	debug.FreeOSMemory()

	var proof *prover.Proof
	prove := timed(func() {
		if proof, err = prover.Prove(c, pk, pkh, m, tr, nil); err != nil {
			b.Fatal(err)
		}
	})
	vk, _, err := prover.ReadVerifyingKey(vkPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := prover.Verify(vk, proof.Proof, proof.Public); err != nil {
		b.Fatal(err)
	}
	b.Logf("prove: %s, verified", prove)
	if before.cpu > 0 {
		b.Logf("setup/prove CPU: before %.1f×, after %.1f×; setup speedup %.1f× CPU, %.1f× wall",
			before.cpu/prove.cpu, after.cpu/prove.cpu, before.cpu/after.cpu, before.wall/after.wall)
		b.ReportMetric(before.wall, "setup-before-s")
		b.ReportMetric(before.cpu/prove.cpu, "setup-before/prove-cpu")
	} else {
		b.Logf("setup/prove CPU: %.1f×", after.cpu/prove.cpu)
	}
	b.ReportMetric(after.wall, "setup-s")
	b.ReportMetric(after.cpu/prove.cpu, "setup/prove-cpu")
	b.ReportMetric(prove.wall, "prove-s")
	b.Logf("load now %.2f", harness.Load1())
}
