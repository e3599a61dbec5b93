package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
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

// TestDetachLookupBlueprints: after the lookup blueprints are replaced by
// copies, the system encodes to the same bytes (same circuit digest), no
// blueprint points into a lookup table any more, and the system proves.
func TestDetachLookupBlueprints(t *testing.T) {
	for _, backend := range Backends {
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), builderOf(backend), &lookupTestCircuit{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := digestOf(ccs)
		if err != nil {
			t.Fatal(err)
		}
		before := slices.Clone(ccs.(*cs.R1CS).Blueprints)
		detachLookupBlueprints(ccs)
		got, err := digestOf(ccs)
		if err != nil || got != want {
			t.Fatalf("%s: digest %s after detaching, %s before", backend, got, want)
		}
		replaced := 0
		for i, bp := range ccs.(*cs.R1CS).Blueprints {
			if _, ok := bp.(*constraint.BlueprintLookupHint[constraint.U64]); ok {
				if bp == before[i] {
					t.Fatalf("%s: lookup blueprint %d not replaced", backend, i)
				}
				replaced++
			}
		}
		if replaced == 0 {
			t.Fatalf("%s: the test circuit has no lookup table", backend)
		}
		w, err := frontend.NewWitness(&lookupTestCircuit{X: 3, Y: 9}, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ccs.Solve(w); err != nil {
			t.Fatalf("%s: solve after detaching: %v", backend, err)
		}
		bad, _ := frontend.NewWitness(&lookupTestCircuit{X: 3, Y: 8}, ecc.BN254.ScalarField())
		if _, err := ccs.Solve(bad); err == nil {
			t.Fatalf("%s: a wrong witness solved after detaching", backend)
		}
	}
}

// lookupTestCircuit looks X up in a table of squares.
type lookupTestCircuit struct {
	X, Y frontend.Variable
}

func (c *lookupTestCircuit) Define(api frontend.API) error {
	t := logderivlookup.New(api)
	for i := range 16 {
		t.Insert(i * i)
	}
	api.AssertIsEqual(t.Lookup(c.X)[0], c.Y)
	api.AssertIsEqual(t.Lookup(api.Add(c.X, 1))[0], api.Mul(api.Add(c.X, 1), api.Add(c.X, 1)))
	return nil
}

func builderOf(backend string) frontend.NewBuilder {
	if backend == BackendPLONK {
		return scs.NewBuilder
	}
	return r1cs.NewBuilder
}
