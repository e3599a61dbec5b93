package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/prover/farm"
	"github.com/zkinfer/zkinfer/quant"
)

// TestFarm proves a 3-shard model through a farm of real worker processes
// (the test binary is the zkinfer command, as in the scripts) around an
// embedded nats-server with JetStream on a loopback port:
//
//  1. two workers prove it; the bundle verifies against the keys manifest;
//  2. a worker is killed (SIGKILL, by PID) in the middle of a job, inside
//     prover.Prove (a hidden test hook holds it there): the job is
//     redelivered to another worker, and the bundle verifies;
//  3. a rerun proves nothing again (and verifies against the pinned keys
//     manifest);
//  4. a proving key for another circuit: the worker terminates the job and
//     prove reports the reason; farm status lists it.
func TestFarm(t *testing.T) {
	bin, err := exec.LookPath("zkinfer")
	if err != nil {
		t.Fatalf("the zkinfer command (set up by testscript.Main): %v", err)
	}
	dir := t.TempDir()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 3,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	if err := quant.WriteExample(filepath.Join(dir, "m"), cfg, 7, 8); err != nil {
		t.Fatal(err)
	}
	zk := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("zkinfer %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	zk("-q", "gen-settings", "--model", "m/model.safetensors")
	zk("-q", "calibrate-settings", "--data", "m/calibration.json")
	zk("-q", "compile-circuit", "--shard-blocks", "1")
	zk("-q", "setup", "--dev", "--shards", "circuit.shards.json")

	srv, err := farm.StartServer(farm.ServerConfig{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	url := srv.ClientURL()
	f, err := farm.Connect(context.Background(), farm.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)

	var workers sync.WaitGroup
	exited := map[string]chan struct{}{}
	logs := map[string]*syncBuffer{}
	worker := func(name string, extra ...string) *exec.Cmd {
		t.Helper()
		log := &syncBuffer{}
		logs[name] = log
		cmd := exec.Command(bin, append([]string{"worker", "--nats", url, "--name", name, "--ack-wait", "2s", "--cache", filepath.Join(dir, "cache-"+name)}, extra...)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers.Add(1)
		t.Cleanup(func() {
			cmd.Process.Kill()
			workers.Wait()
			if t.Failed() {
				t.Logf("worker %s:\n%s", name, log.String())
			}
		})
		gone := make(chan struct{})
		exited[name] = gone
		go func() { cmd.Wait(); close(gone); workers.Done() }()
		return cmd
	}
	prove := func(input string, ok bool, extra ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"prove", "--input", input, "--shards", "circuit.shards.json", "--nats", url, "--timeout", "5m"}, extra...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if (err == nil) != ok {
			t.Fatalf("prove --nats: %v\n%s", err, out)
		}
		return string(out)
	}
	want := func(out string, patterns ...string) {
		t.Helper()
		for _, p := range patterns {
			if !regexp.MustCompile(p).MatchString(out) {
				t.Errorf("output lacks %q:\n%s", p, out)
			}
		}
	}

	// 1. Two workers.
	w1, w2 := worker("w1"), worker("w2")
	out := prove("m/input.json", true)
	want(out, `shard 0 \[#\.+\] queued`, `shard 2 \[#+\] done by worker w[12] in`, `bundle: proof.json \(3 shards, proved on the farm in .*verified with the keys of circuit.shards.json`)
	want(zk("verify", "--keys", "circuit.keys.json", "--model", "model.quant.json", "proof.json"), `VERIFIED: sharded proof, 3 shards`)
	// SIGINT: they finish what they hold and exit, leaving the next jobs
	// to the workers below.
	w1.Process.Signal(os.Interrupt)
	w2.Process.Signal(os.Interrupt)
	<-exited["w1"]
	<-exited["w2"]

	// 2. A worker dies holding a job. Another input, so the jobs are new.
	var in struct {
		InputData [][]float64 `json:"input_data"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "m", "input.json"))), &in); err != nil {
		t.Fatal(err)
	}
	in.InputData[0][0] += 0.5
	in2, _ := json.Marshal(in)
	if err := os.WriteFile(filepath.Join(dir, "input2.json"), in2, 0o644); err != nil {
		t.Fatal(err)
	}
	stalled := worker("stalled", "--test-stall")
	var out2 string
	done := make(chan struct{})
	go func() { out2 = prove("input2.json", true); close(done) }()
	claimed := waitFor(t, f, func(st farm.Status) bool { return st.Worker == "stalled" && st.State == farm.StateProving })
	// Killed inside prover.Prove, where gnark's prover starts.
	for i := 0; !strings.Contains(logs["stalled"].String(), "stalled (test hook)"); i++ {
		if i == 600 {
			t.Fatalf("the stalled worker did not reach the proof:\n%s", logs["stalled"].String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	worker("w3")
	if err := stalled.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	want(out2, `proving on worker stalled`, `shard \d \[#+\.+\] proving on worker w3 \(attempt 2\)`, `bundle: proof.json \(3 shards`)
	if !regexp.MustCompile(`shard ` + strconv.Itoa(claimed.Job.Shard) + ` \[#{5}\.{5}\] proving on worker w3 \(attempt [2-9]\)`).MatchString(out2) {
		t.Errorf("shard %d, claimed by the killed worker, was not redelivered to w3:\n%s", claimed.Job.Shard, out2)
	}
	want(zk("verify", "--keys", "circuit.keys.json", "--model", "model.quant.json", "proof.json"), `VERIFIED: sharded proof, 3 shards`)

	// 3. Rerun: nothing proved again, nothing uploaded.
	want(prove("input2.json", true, "--keys", "circuit.keys.json"), `shards \[0 1 2\] from an earlier run; verified with the keys of circuit.keys.json`, `0 of \d+ artifacts uploaded`)

	// 4. Keys for another circuit.
	man := readFile(t, filepath.Join(dir, "circuit.shards.json"))
	bad := strings.Replace(man, `"pk": "pk.shard-1.key"`, `"pk": "pk.shard-0.key"`, 1)
	if bad == man {
		t.Fatal("manifest has no pk.shard-1.key")
	}
	if err := os.WriteFile(filepath.Join(dir, "circuit.shards.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out = prove("m/input.json", false)
	want(out, `zkinfer: error: farm: job failed: shard 1 on worker w3 \(attempt 1\): bad artifact: made for another circuit`, `zkinfer: hint: fix the cause`)
	// The worker records the failure, then terminates the message: wait
	// for the server to have it.
	status := zk("farm", "status", "--nats", url)
	for i := 0; i < 100 && !strings.Contains(status, "queue: 0 waiting, 0 in flight"); i++ {
		time.Sleep(100 * time.Millisecond)
		status = zk("farm", "status", "--nats", url)
	}
	want(status, `queue: 0 waiting, 0 in flight`, `workers seen \(last day\): 4`, `1 failed`, `shard 1 \(job [0-9a-f]{12}\) on w3, attempt 1: bad artifact: made for another circuit`)
}

// waitFor polls the farm's job states until one satisfies ok (a minute
// at most: a bound on a hang, not a speed goal).
func waitFor(t *testing.T, f *farm.Farm, ok func(farm.Status) bool) farm.Status {
	t.Helper()
	for range 600 {
		jobs, err := f.Jobs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range jobs {
			if ok(st) {
				return st
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no job reached the state")
	return farm.Status{}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
