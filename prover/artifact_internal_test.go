package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
