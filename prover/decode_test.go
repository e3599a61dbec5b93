package prover_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/zkinfer/zkinfer/prover"
)

// commitCircuit is the smallest circuit whose keys have every length-prefixed
// field gnark encodes: a BSB22 commitment over a public and a private input
// gives a Groth16 key CommitmentKeys and PublicAndCommitmentCommitted, a
// PLONK key Qcp and CommitmentConstraintIndexes, and proofs their commitments.
type commitCircuit struct {
	X frontend.Variable `gnark:",public"`
	Y frontend.Variable
}

// Define proves knowledge of Y with X·Y = X + Y + 1 and commits to both.
func (c *commitCircuit) Define(api frontend.API) error {
	cm, err := api.(frontend.Committer).Commit(c.X, c.Y)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cm, 0)
	api.AssertIsEqual(api.Mul(c.X, c.Y), api.Add(c.X, c.Y, 1))
	return nil
}

// encodings holds a key and a proof of one backend, compressed (WriteTo)
// and uncompressed (WriteRawTo).
type encodings struct {
	backend                    string
	vk, vkRaw, proof, proofRaw []byte
}

type rawEncoder interface {
	io.WriterTo
	WriteRawTo(io.Writer) (int64, error)
}

func encodeBoth(v rawEncoder) (compressed, raw []byte, err error) {
	var c, r bytes.Buffer
	if _, err = v.WriteTo(&c); err != nil {
		return
	}
	_, err = v.WriteRawTo(&r)
	return c.Bytes(), r.Bytes(), err
}

var (
	encOnce          sync.Once
	encG16, encPLONK encodings
	encErr           error
)

// testEncodings sets up and proves commitCircuit once per test binary, for
// each backend (dev setup: the keys only need to be well formed).
func testEncodings(t testing.TB) (g16, plk encodings) {
	t.Helper()
	encOnce.Do(func() { encG16, encPLONK, encErr = makeEncodings() })
	if encErr != nil {
		t.Fatal(encErr)
	}
	return encG16, encPLONK
}

func makeEncodings() (g16, plk encodings, err error) {
	field := ecc.BN254.ScalarField()
	w, err := frontend.NewWitness(&commitCircuit{X: 3, Y: 2}, field)
	if err != nil {
		return
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &commitCircuit{})
	if err != nil {
		return
	}
	gpk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		return
	}
	gproof, err := groth16.Prove(ccs, gpk, w)
	if err != nil {
		return
	}
	g16.backend = prover.BackendGroth16
	if g16.vk, g16.vkRaw, err = encodeBoth(gvk.(rawEncoder)); err != nil {
		return
	}
	if g16.proof, g16.proofRaw, err = encodeBoth(gproof.(rawEncoder)); err != nil {
		return
	}
	scss, err := frontend.Compile(field, scs.NewBuilder, &commitCircuit{})
	if err != nil {
		return
	}
	srs, lagrange, err := unsafekzg.NewSRS(scss)
	if err != nil {
		return
	}
	ppk, pvk, err := plonk.Setup(scss, srs, lagrange)
	if err != nil {
		return
	}
	pproof, err := plonk.Prove(scss, ppk, w)
	if err != nil {
		return
	}
	plk.backend = prover.BackendPLONK
	if plk.vk, plk.vkRaw, err = encodeBoth(pvk.(rawEncoder)); err != nil {
		return
	}
	plk.proof, plk.proofRaw, err = encodeBoth(pproof.(rawEncoder))
	return
}

func decodeVK(backend string, b []byte) (prover.VerifyingKey, error) {
	vk, err := prover.NewVerifyingKey(backend)
	if err != nil {
		return nil, err
	}
	return vk, prover.Decode(vk, b)
}

func decodeProof(backend string, b []byte) (prover.ProofData, error) {
	p, err := prover.NewProof(backend)
	if err != nil {
		return nil, err
	}
	return p, prover.Decode(p, b)
}

func reencode(t testing.TB, v io.WriterTo) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeValid: real keys and proofs of both backends, compressed or
// not, decode and re-encode to the canonical (compressed) bytes.
func TestDecodeValid(t *testing.T) {
	g16, plk := testEncodings(t)
	for _, e := range []encodings{g16, plk} {
		for name, b := range map[string][]byte{"compressed": e.vk, "raw": e.vkRaw} {
			vk, err := decodeVK(e.backend, b)
			if err != nil {
				t.Fatalf("%s %s verifying key: %v", e.backend, name, err)
			}
			if !bytes.Equal(reencode(t, vk), e.vk) {
				t.Fatalf("%s %s verifying key re-encodes differently", e.backend, name)
			}
		}
		for name, b := range map[string][]byte{"compressed": e.proof, "raw": e.proofRaw} {
			p, err := decodeProof(e.backend, b)
			if err != nil {
				t.Fatalf("%s %s proof: %v", e.backend, name, err)
			}
			if !bytes.Equal(reencode(t, p), e.proof) {
				t.Fatalf("%s %s proof re-encodes differently", e.backend, name)
			}
		}
	}
	// Compression is per point: a raw key whose first K point is compressed.
	mixed := append(append(bytes.Clone(g16.vkRaw[:576+4]), g16.vk[288+4:288+4+32]...), g16.vkRaw[576+4+64:]...)
	// gnark still reads PLONK keys written before the version marker.
	legacy := plk.vk[16:]
	for _, c := range []struct {
		backend string
		b, want []byte
	}{{prover.BackendGroth16, mixed, g16.vk}, {prover.BackendPLONK, legacy, plk.vk}} {
		vk, err := decodeVK(c.backend, c.b)
		if err != nil {
			t.Fatalf("%s: %v", c.backend, err)
		}
		if !bytes.Equal(reencode(t, vk), c.want) {
			t.Fatalf("%s key re-encodes differently", c.backend)
		}
	}
}

// lengthField is a length prefix in a compressed encoding: its offset, and
// how many bytes the elements it counts take at least.
type lengthField struct {
	name    string
	backend string
	proof   bool
	off     int
	elem    int
}

// lengthFields lists every length prefix of the encodings, at offsets
// computed from gnark's layouts (backend/groth16/bn254/marshal.go,
// backend/plonk/bn254/marshal.go) independently of the walker.
func lengthFields(t testing.TB) []lengthField {
	g16, plk := testEncodings(t)
	u32 := func(b []byte, off int) int { return int(binary.BigEndian.Uint32(b[off:])) }

	// Groth16 key: α₁ β₁ β₂ γ₂ δ₁ δ₂ (32+32+64+64+32+64), then K.
	kOff := 288
	nK := u32(g16.vk, kOff)
	pcOff := kOff + 4 + 32*nK
	if u32(g16.vk, pcOff) != 1 {
		t.Fatalf("groth16 key: %d committed-index lists, want 1", u32(g16.vk, pcOff))
	}
	innerOff := pcOff + 4
	ckOff := innerOff + 4 + 8*u32(g16.vk, innerOff)
	if u32(g16.vk, ckOff) != 1 || ckOff+4+128 != len(g16.vk) {
		t.Fatalf("groth16 key layout: %d commitment keys at %d in %d bytes", u32(g16.vk, ckOff), ckOff, len(g16.vk))
	}
	// Groth16 proof: Ar₁ Bs₂ Krs₁, then Commitments.
	gcOff := 32 + 64 + 32
	// PLONK key: marker, version, Size (3×8), SizeInv, Generator (2×32),
	// NbPublicVariables (8), CosetShift (32), S[3] Ql Qr Qm Qo Qk (8×32).
	qcpOff := 24 + 64 + 8 + 32 + 8*32
	cciOff := qcpOff + 4 + 32*u32(plk.vk, qcpOff) + 32 + 2*64 + 2*2*66*4*32
	if cciOff+4+8*u32(plk.vk, cciOff) != len(plk.vk) || u32(plk.vk, qcpOff) != 1 {
		t.Fatalf("plonk key layout: CommitmentConstraintIndexes at %d in %d bytes", cciOff, len(plk.vk))
	}
	// PLONK proof: LRO[3] Z H[3] BatchedProof.H (8×32), ClaimedValues,
	// ZShiftedOpening H and value (32+32), Bsb22Commitments.
	cvOff := 8 * 32
	bsbOff := cvOff + 4 + 32*u32(plk.proof, cvOff) + 64
	if bsbOff+4+32*u32(plk.proof, bsbOff) != len(plk.proof) || u32(plk.proof, bsbOff) != 1 {
		t.Fatalf("plonk proof layout: Bsb22Commitments at %d in %d bytes", bsbOff, len(plk.proof))
	}
	return []lengthField{
		{"G1.K", prover.BackendGroth16, false, kOff, 32},
		{"PublicAndCommitmentCommitted", prover.BackendGroth16, false, pcOff, 4},
		{"PublicAndCommitmentCommitted[0]", prover.BackendGroth16, false, innerOff, 8},
		{"CommitmentKeys", prover.BackendGroth16, false, ckOff, 128},
		{"Commitments", prover.BackendGroth16, true, gcOff, 32},
		{"Qcp", prover.BackendPLONK, false, qcpOff, 32},
		{"CommitmentConstraintIndexes", prover.BackendPLONK, false, cciOff, 8},
		{"BatchedProof.ClaimedValues", prover.BackendPLONK, true, cvOff, 32},
		{"Bsb22Commitments", prover.BackendPLONK, true, bsbOff, 32},
	}
}

// allocatedBy returns the bytes the heap allocated while f ran.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecodeHostileLengths patches each length prefix of real keys and
// proofs to 0xFFFFFFFF and to one element more than the bytes left can
// hold. Without the walker, gnark-crypto's Decoder makes the slice first:
// 0xFFFFFFFF G1 points are 256 GiB and the process dies with "fatal error:
// runtime: out of memory"; 0xFFFFFFFF uint64 in a committed-index list are
// 32 GiB. With it, Decode refuses at once, naming the field, allocating
// next to nothing.
func TestDecodeHostileLengths(t *testing.T) {
	g16, plk := testEncodings(t)
	for _, f := range lengthFields(t) {
		e := g16
		if f.backend == prover.BackendPLONK {
			e = plk
		}
		orig := e.vk
		if f.proof {
			orig = e.proof
		}
		left := len(orig) - f.off - 4
		for _, n := range []uint32{0xFFFFFFFF, uint32(left/f.elem + 1)} {
			b := bytes.Clone(orig)
			binary.BigEndian.PutUint32(b[f.off:], n)
			var err error
			start := time.Now()
			alloc := allocatedBy(func() {
				if f.proof {
					_, err = decodeProof(f.backend, b)
				} else {
					_, err = decodeVK(f.backend, b)
				}
			})
			if !errors.Is(err, prover.ErrCorrupted) {
				t.Fatalf("%s %s = %#x: err = %v, want ErrCorrupted", f.backend, f.name, n, err)
			}
			want := fmt.Sprintf("%s declares %d ", f.name, n)
			if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf("only %d bytes left", left)) {
				t.Errorf("%s %s = %#x: error %q names not the field, its length and the bytes left", f.backend, f.name, n, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s %s = %#x: refused after %v", f.backend, f.name, n, d)
			}
			if alloc > 1<<20 {
				t.Errorf("%s %s = %#x: %d bytes allocated", f.backend, f.name, n, alloc)
			}
			t.Logf("%s %s = %#x: %v (%d bytes allocated)", f.backend, f.name, n, err, alloc)
		}
	}
}

// TestDecodeRefusesExtraAndOversized: trailing bytes, truncations and
// payloads beyond the size limits are refused.
func TestDecodeRefusesExtraAndOversized(t *testing.T) {
	g16, plk := testEncodings(t)
	for _, e := range []encodings{g16, plk} {
		if _, err := decodeVK(e.backend, append(bytes.Clone(e.vk), 0)); !errors.Is(err, prover.ErrCorrupted) {
			t.Errorf("%s key with a trailing byte: %v", e.backend, err)
		}
		if _, err := decodeProof(e.backend, append(bytes.Clone(e.proof), 0)); !errors.Is(err, prover.ErrCorrupted) {
			t.Errorf("%s proof with a trailing byte: %v", e.backend, err)
		}
		for _, n := range []int{0, 1, len(e.vk) / 2, len(e.vk) - 1} {
			if _, err := decodeVK(e.backend, e.vk[:n]); !errors.Is(err, prover.ErrCorrupted) {
				t.Errorf("%s key cut to %d bytes: %v", e.backend, n, err)
			}
		}
		for _, n := range []int{0, len(e.proof) - 1} {
			if _, err := decodeProof(e.backend, e.proof[:n]); !errors.Is(err, prover.ErrCorrupted) {
				t.Errorf("%s proof cut to %d bytes: %v", e.backend, n, err)
			}
		}
		big := append(bytes.Clone(e.vk), make([]byte, prover.MaxVerifyingKeyBytes)...)
		if _, err := decodeVK(e.backend, big); !errors.Is(err, prover.ErrTooLarge) {
			t.Errorf("%s key of %d bytes: %v", e.backend, len(big), err)
		}
		big = append(bytes.Clone(e.proof), make([]byte, prover.MaxProofBytes)...)
		if _, err := decodeProof(e.backend, big); !errors.Is(err, prover.ErrTooLarge) {
			t.Errorf("%s proof of %d bytes: %v", e.backend, len(big), err)
		}
	}
	// A count within the bytes present but above the limits.
	b := bytes.Clone(g16.proof)
	binary.BigEndian.PutUint32(b[128:], prover.MaxCommitments+1)
	b = append(b, make([]byte, 32*(prover.MaxCommitments+1))...)
	if _, err := decodeProof(prover.BackendGroth16, b); !errors.Is(err, prover.ErrTooLarge) {
		t.Errorf("groth16 proof with %d commitments: %v", prover.MaxCommitments+1, err)
	}
}

// TestReadVerifyingKeyFileLimit: a verifying-key file larger than
// MaxSmallArtifactBytes is refused by its size, before it is read.
func TestReadVerifyingKeyFileLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vk.key")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("zkinfer\n{\"format\":\"" + prover.FormatVerifyingKey + "\"}\n")
	// Sparse: 1 GiB on paper, nothing on disk.
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var rerr error
	alloc := allocatedBy(func() { _, _, rerr = prover.ReadVerifyingKey(path) })
	if !errors.Is(rerr, prover.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", rerr)
	}
	if alloc > 1<<20 {
		t.Errorf("%d bytes allocated refusing the file", alloc)
	}
}
