package prover_test

import (
	"math/big"
	"os"
	"path/filepath"
	"testing"

	kzgbn254 "github.com/consensys/gnark-crypto/ecc/bn254/kzg"

	"github.com/zkinfer/zkinfer/prover"
)

// FuzzReadContribution: arbitrary ceremony files are errors, never panics
// or allocations beyond their size.
func FuzzReadContribution(f *testing.F) {
	dir := f.TempDir()
	p1, err := prover.NewPhase1(4)
	if err != nil {
		f.Fatal(err)
	}
	p1, err = prover.Contribute(p1, "seed")
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "p1")
	if err := prover.WriteContribution(path, p1); err != nil {
		f.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	f.Add(data)
	f.Add([]byte("zkinfer\n{\"format\":\"" + prover.FormatPhase2 + "\",\"backend\":\"groth16\",\"curve\":\"bn254\",\"ceremony\":{\"phase\":2}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "c")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := prover.ReadContribution(p)
		if err != nil {
			return
		}
		if c.Phase() == 1 {
			prover.VerifyPhase1([]*prover.Contribution{c}) // must not panic
		}
	})
}

// FuzzReadSRS: arbitrary SRS files are errors, never panics.
func FuzzReadSRS(f *testing.F) {
	srs, err := kzgbn254.NewSRS(8, big.NewInt(3))
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "srs")
	if err := prover.WriteSRS(path, srs); err != nil {
		f.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	f.Add(data)
	f.Add([]byte{0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "srs")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		prover.ReadSRS(p)
	})
}
