package prover_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
)

// TestInterruptedSetupKeyPair simulates a setup interrupted between writing
// its two keys (issue 18: Ctrl-C during setup): the new proving key lies
// beside the old verifying key. Reading the keys succeeds, but CheckKeyPair
// refuses the pair before any proving, and accepts each setup's own pair.
func TestInterruptedSetupKeyPair(t *testing.T) {
	c := compileTiny(t, 3)
	old, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkPath, vkPath := filepath.Join(dir, "pk.key"), filepath.Join(dir, "vk.key")
	if err := prover.WriteKeys(pkPath, vkPath, old); err != nil {
		t.Fatal(err)
	}
	check := func() error {
		t.Helper()
		_, pkh, err := prover.ReadProvingKey(pkPath)
		if err != nil {
			t.Fatal(err)
		}
		vk, vkh, err := prover.ReadVerifyingKey(vkPath)
		if err != nil {
			t.Fatal(err)
		}
		return prover.CheckKeyPair(pkh, vk, vkh)
	}
	if err := check(); err != nil {
		t.Fatalf("one setup's pair: %v", err)
	}

	// The interrupted setup: only the new proving key reached its place.
	if err := prover.WriteKeys(pkPath, filepath.Join(dir, "unused.key"), fresh); err != nil {
		t.Fatal(err)
	}
	if err := check(); !errors.Is(err, prover.ErrKeyPair) {
		t.Fatalf("new pk beside old vk: %v, want ErrKeyPair", err)
	}

	// A completed setup repairs it.
	if err := prover.WriteKeys(pkPath, vkPath, fresh); err != nil {
		t.Fatal(err)
	}
	if err := check(); err != nil {
		t.Fatalf("after setup again: %v", err)
	}

	// A proving key from before pair digests names no verifying key.
	_, pkh, err := prover.ReadProvingKey(pkPath)
	if err != nil {
		t.Fatal(err)
	}
	pkh.VKDigest = ""
	if err := prover.CheckKeyPair(pkh, fresh.VK, fresh.VKHeader); !errors.Is(err, prover.ErrKeyPair) {
		t.Fatalf("pk without vk digest: %v, want ErrKeyPair", err)
	}

	// Nothing but the keys is left beside them.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("directory holds %d entries, want pk.key, vk.key and unused.key", len(entries))
	}
}
