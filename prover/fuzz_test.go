package prover_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
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

// decodeSeeds adds the real encodings of both backends' keys (proofs) and
// the variants with each length prefix at 0xFFFFFFFF or one past what fits.
func decodeSeeds(f *testing.F, proofs bool) {
	g16, plk := testEncodings(f)
	for _, e := range []encodings{g16, plk} {
		plonk := e.backend == prover.BackendPLONK
		if proofs {
			f.Add(plonk, e.proof)
			f.Add(plonk, e.proofRaw)
		} else {
			f.Add(plonk, e.vk)
			f.Add(plonk, e.vkRaw)
		}
	}
	if !proofs {
		f.Add(true, plk.vk[16:]) // legacy PLONK key, no version marker
	}
	for _, l := range lengthFields(f) {
		if l.proof != proofs {
			continue
		}
		e := g16
		if l.backend == prover.BackendPLONK {
			e = plk
		}
		orig := e.vk
		if proofs {
			orig = e.proof
		}
		for _, n := range []uint32{0xFFFFFFFF, uint32((len(orig)-l.off-4)/l.elem + 1)} {
			b := bytes.Clone(orig)
			binary.BigEndian.PutUint32(b[l.off:], n)
			f.Add(l.backend == prover.BackendPLONK, b)
		}
	}
}

// maxDecodeAlloc bounds what decoding n bytes may allocate: gnark holds a
// point in 64 bytes (twice its compressed encoding) plus bookkeeping, and a
// PLONK key is a 41 KB struct; 64 KiB per KiB and 1 MiB to spare is far
// below what a hostile length used to ask for (gigabytes).
func maxDecodeAlloc(n int) uint64 { return 1<<20 + 64*uint64(n) }

// fuzzDecode decodes data as a key or proof of either backend: an error
// must wrap ErrCorrupted, allocations stay within maxDecodeAlloc, and what
// decodes re-encodes to bytes that decode to the same encoding.
func fuzzDecode(t *testing.T, plonk bool, data []byte, newV func(string) (io.ReaderFrom, error)) {
	backend := prover.BackendGroth16
	if plonk {
		backend = prover.BackendPLONK
	}
	v, err := newV(backend)
	if err != nil {
		t.Fatal(err)
	}
	alloc := allocatedBy(func() { err = prover.Decode(v, data) })
	if alloc > maxDecodeAlloc(len(data)) {
		t.Fatalf("decoding %d bytes allocated %d bytes", len(data), alloc)
	}
	if err != nil {
		if !errors.Is(err, prover.ErrCorrupted) {
			t.Fatalf("error %v does not wrap ErrCorrupted", err)
		}
		return
	}
	canonical := reencode(t, v.(io.WriterTo))
	v2, _ := newV(backend)
	if err := prover.Decode(v2, canonical); err != nil {
		t.Fatalf("re-encoding of a decoded %s does not decode: %v", backend, err)
	}
	if !bytes.Equal(reencode(t, v2.(io.WriterTo)), canonical) {
		t.Fatalf("%s re-encoding is not canonical", backend)
	}
}

// FuzzDecodeVerifyingKey: arbitrary bytes as a Groth16 or PLONK verifying
// key are an error or a key that round-trips, never a crash or an
// allocation beyond the input's size.
func FuzzDecodeVerifyingKey(f *testing.F) {
	decodeSeeds(f, false)
	f.Fuzz(func(t *testing.T, plonk bool, data []byte) {
		fuzzDecode(t, plonk, data, func(b string) (io.ReaderFrom, error) { return prover.NewVerifyingKey(b) })
	})
}

// FuzzDecodeProof: the same for proofs.
func FuzzDecodeProof(f *testing.F) {
	decodeSeeds(f, true)
	f.Fuzz(func(t *testing.T, plonk bool, data []byte) {
		fuzzDecode(t, plonk, data, func(b string) (io.ReaderFrom, error) { return prover.NewProof(b) })
	})
}
