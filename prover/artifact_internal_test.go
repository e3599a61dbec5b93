package prover

import (
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
