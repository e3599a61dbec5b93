package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
)

// TestPendingFileBesideTarget: temporary files of atomic writes live in the
// target's directory, never in $TMPDIR, even when $TMPDIR is on the same
// file system (where renameio would choose it): an interrupted write must
// not leave a key-sized hidden file in /tmp (issue 18).
func TestPendingFileBesideTarget(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	target := filepath.Join(dir, "pk.key")
	f, err := newPendingFile(target)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Cleanup()
	if got := filepath.Dir(f.Name()); got != dir {
		t.Fatalf("temporary file %s, want it in %s", f.Name(), dir)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("$TMPDIR holds %d entries", len(entries))
	}
}

// TestStreamedArtifactBytes: the streamed write (placeholder digest, header
// rewritten in place) writes exactly magic, the header line with the
// payload's digest, and the payload.
func TestStreamedArtifactBytes(t *testing.T) {
	payload := bytes.Repeat([]byte("zkinfer payload "), 200_000) // > the 1 MiB write buffer
	h := Header{Format: FormatProvingKey, Backend: BackendGroth16, Curve: CurveBN254, CircuitDigest: "sha256:00", Warning: "x"}
	path := filepath.Join(t.TempDir(), "a.key")
	if err := writeArtifact(path, h, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	h.PayloadSHA256 = hex.EncodeToString(sum[:])
	hdr, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte(magic), hdr...), '\n'), payload...)
	if !bytes.Equal(got, want) {
		t.Fatalf("file differs from magic + header + payload (%d bytes, want %d)", len(got), len(want))
	}
	if _, p, err := readArtifact(path, FormatProvingKey); err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("read back: %v", err)
	}
}

// TestCompiledCSReloaded: Compile returns the decoded copy of the system it
// compiled, whose encoding is the one the circuit digest names, and which
// proves (every Groth16 and PLONK test proves with compiled circuits).
func TestCompiledCSReloaded(t *testing.T) {
	for _, backend := range Backends {
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), builderOf(backend), &setupTestCircuit{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := digestOf(ccs)
		if err != nil {
			t.Fatal(err)
		}
		fresh, got, err := reloadCS(ccs, backend)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: digest %s, the encoding's %s", backend, got, want)
		}
		if again, err := digestOf(fresh); err != nil || again != want {
			t.Fatalf("%s: the reloaded system encodes to %s, want %s", backend, again, want)
		}
		if fresh == ccs || fresh.GetNbConstraints() != ccs.GetNbConstraints() {
			t.Fatalf("%s: not a copy of the same system", backend)
		}
	}
}

func builderOf(backend string) frontend.NewBuilder {
	if backend == BackendPLONK {
		return scs.NewBuilder
	}
	return r1cs.NewBuilder
}
