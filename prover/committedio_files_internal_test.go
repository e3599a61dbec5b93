package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
)

// Hostile I/O basis files: whatever the bytes, ReadIOBasis answers with an
// error (or, for a well-formed file, points; a zero or repeated point is
// refused as at setup), never a panic, and allocates
// nothing before the file's size is the header's count. The digest is
// made to match each file, as a bundle's own (unpinned) input_basis would
// (contracts.NewCalldata reads by it): the parser, not the digest, must
// stop them.
func TestIOBasisFileHostile(t *testing.T) {
	dir := t.TempDir()
	_, _, g, _ := curve.Generators()
	gc := g.Bytes()
	var inf curve.G1Affine
	ic := inf.Bytes()
	file := func(magic string, count uint64, pts ...[]byte) []byte {
		var b bytes.Buffer
		b.WriteString(magic)
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], count)
		b.Write(n[:])
		for _, p := range pts {
			b.Write(p)
		}
		return b.Bytes()
	}
	var g2 curve.G1Affine
	g2.Double(&g)
	g2c := g2.Bytes()
	// An x with x³ + 3 not a square mod p: no point has it.
	offCurve := bytes.Clone(gc[:])
	for x := byte(2); ; x++ {
		offCurve[31] = x
		var p curve.G1Affine
		if _, err := p.SetBytes(offCurve); err != nil {
			break
		}
	}
	uncompressedFlag := bytes.Clone(gc[:])
	uncompressedFlag[0] &= 0x3f
	allOnes := bytes.Repeat([]byte{0xff}, curve.SizeOfG1AffineCompressed)
	for name, c := range map[string]struct {
		data   []byte
		values int
		want   string // "" for success
	}{
		"well formed":          {file(ioBasisMagic, 2, gc[:], g2c[:]), 2, ""},
		"repeated point":       {file(ioBasisMagic, 2, gc[:], gc[:]), 2, "share a basis point"},
		"point at infinity":    {file(ioBasisMagic, 2, gc[:], ic[:]), 2, "zero"},
		"x not on the curve":   {file(ioBasisMagic, 1, offCurve), 1, "point 0"},
		"uncompressed flag":    {file(ioBasisMagic, 1, uncompressedFlag), 1, "point 0"},
		"all ones":             {file(ioBasisMagic, 1, allOnes), 1, "point 0"},
		"weights magic":        {file(basisMagic, 1, gc[:]), 1, "bytes"},
		"other magic":          {file(strings.Repeat("x", len(ioBasisMagic)), 1, gc[:]), 1, "not a"},
		"count says more":      {file(ioBasisMagic, 3, gc[:]), 1, "not a"},
		"truncated":            {file(ioBasisMagic, 2, gc[:]), 2, "bytes"},
		"padded":               {append(file(ioBasisMagic, 1, gc[:]), 0), 1, "bytes"},
		"empty":                {nil, 1, "bytes"},
		"header claims 2^30":   {file(ioBasisMagic, 1<<30, gc[:]), 1 << 30, "bytes"},
		"header claims 2^30+1": {file(ioBasisMagic, 1, gc[:]), 1<<30 + 1, "malformed"},
		"header claims 0":      {file(ioBasisMagic, 0), 0, "malformed"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(c.data)
		want := &IOBasis{Commitment: 0, Values: c.values, Digest: "sha256:" + hex.EncodeToString(sum[:])}
		b, err := ReadIOBasis(path, want)
		switch {
		case c.want == "" && (err != nil || len(b) != c.values):
			t.Errorf("%s: %d points, %v", name, len(b), err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	// A directory, a missing file, and a wrong commitment index.
	if _, err := ReadIOBasis(dir, &IOBasis{Values: 1, Digest: "sha256:00"}); err == nil {
		t.Error("a directory read as a basis")
	}
	if _, err := ReadIOBasis(filepath.Join(dir, "none"), &IOBasis{Values: 1, Digest: "sha256:00"}); err == nil {
		t.Error("a missing file read as a basis")
	}
	if _, err := ReadIOBasis(filepath.Join(dir, "well_formed"), &IOBasis{Commitment: 3, Values: 2}); err == nil {
		t.Error("commitment index 3 accepted")
	}
}
