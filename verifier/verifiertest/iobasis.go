package verifiertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/verifier"
)

// ForgeIOBasis returns b with its first point replaced so that Σ v_j·B'_j
// is d (v[0] = 1): a committed-I/O basis of the prover's making over which
// the values v commit to the proof's point d.
func ForgeIOBasis(t testing.TB, v []int64, b []curve.G1Affine, d curve.G1Affine) []curve.G1Affine {
	t.Helper()
	if v[0] != 1 {
		t.Fatal("ForgeIOBasis needs v[0] = 1")
	}
	rest, err := prover.IOPoint(append([]int64{0}, v[1:]...), b)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]curve.G1Affine(nil), b...)
	out[0].Sub(&d, &rest)
	return out
}

// WriteIOBasisFile writes b in the I/O basis file format (written here by
// hand, as prover.WriteIOBasis does from a key) and returns its digest.
func WriteIOBasisFile(t testing.TB, path string, b []curve.G1Affine) string {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("zkinfer.io-basis.v1\n")
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	buf.Write(n[:])
	for i := range b {
		c := b[i].Bytes()
		buf.Write(c[:])
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CloneBundle returns a deep copy of b (encoded and parsed again).
func CloneBundle(t testing.TB, b *verifier.Bundle) *verifier.Bundle {
	t.Helper()
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	c, err := verifier.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
