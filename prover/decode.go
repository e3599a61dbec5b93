package prover

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
)

// Limits on untrusted verifying keys, proofs and artifact files. A verifier
// takes keys and proofs from bundles a prover wrote, so every size in them is
// hostile until checked; these bound what Decode and readArtifact accept.
const (
	// MaxPublicInputs bounds the public inputs of a circuit whose key we
	// accept (16384 field elements, ~500 KB of packed int8 public tensors;
	// our circuits expose commitments and have a handful).
	MaxPublicInputs = 1 << 14
	// MaxCommitments bounds the BSB22 commitments of a key or proof (gnark
	// makes one per circuit that uses std/rangecheck or lookups).
	MaxCommitments = 32
	// MaxVerifyingKeyBytes bounds an encoded verifying key: a Groth16 key of
	// MaxPublicInputs uncompressed points (~1 MiB) with room to spare; a
	// PLONK key is ~35 KB whatever its circuit.
	MaxVerifyingKeyBytes = 2 << 20
	// MaxProofBytes bounds an encoded proof: uncompressed, with
	// MaxCommitments commitments, either backend's proof is under 8 KiB.
	MaxProofBytes = 16 << 10
	// MaxSmallArtifactBytes bounds a verifying-key file: the key plus its
	// JSON header line.
	MaxSmallArtifactBytes = MaxVerifyingKeyBytes + maxHeader + len(magic)
	// MaxLargeArtifactBytes bounds circuits, proving keys and ceremony
	// files (a proving key of 2^26 constraints is ~20 GiB uncompressed);
	// anything larger is refused before it is read.
	MaxLargeArtifactBytes = 64 << 30
)

// ErrTooLarge is wrapped by errors about sizes beyond the limits above.
var ErrTooLarge = fmt.Errorf("%w: too large", ErrCorrupted)

// Encoded sizes of BN254 points and field elements in gnark-crypto's binary
// encoding (ecc/bn254/marshal.go): the two top bits of a point's first byte
// say whether it is compressed (any flag but 0b00) or not.
const (
	encG1Compressed   = 32
	encG1Uncompressed = 64
	encG2Compressed   = 64
	encG2Uncompressed = 128
	encFr             = 32
	encFlagMask       = 0b11 << 6
	encUncompressed   = 0b00 << 6
	// encKZGLines is kzg.VerifyingKey.Lines, [2][2][66]LineEvaluationAff
	// written by encoding/binary: 264 lines of four 32-byte fp.Elements.
	encKZGLines = 2 * 2 * 66 * 4 * 32
)

// plonkKeyVersionMarker and plonkKeyVersion1 are gnark's keyVersionMarker and
// KeyVersion1 (backend/plonk/bn254/setup.go): a PLONK key starting with the
// marker carries a version; any other first word is the legacy encoding,
// whose first word is the domain size.
const (
	plonkKeyVersionMarker = 0
	plonkKeyVersion1      = 1
)

// checkEncoding walks the encoding of a BN254 verifying key or proof before
// gnark decodes it. gnark's decoders allocate before checking: gnark-crypto's
// Decoder reads a uint32 length and makes a slice of that many points (or
// uint64s) before reading any of them, so a 2 KB key declaring 0xFFFFFFFF
// points asks for 256 GiB and the runtime dies with a fatal "out of memory"
// that recover cannot catch. The walker mirrors gnark's layouts field by
// field, allocates nothing, and refuses any declared length the remaining
// bytes cannot hold, any count above our limits, and trailing bytes. Other
// types (circuits, proving keys, ceremony files) pass unchecked: their
// readers bound them (readArtifact, checkPhase1Layout).
func checkEncoding(v any, b []byte) error {
	switch v.(type) {
	case *groth16bn254.VerifyingKey:
		return walk("groth16 verifying key", b, MaxVerifyingKeyBytes, walkGroth16VK)
	case *groth16bn254.Proof:
		return walk("groth16 proof", b, MaxProofBytes, walkGroth16Proof)
	case *plonkbn254.VerifyingKey:
		return walk("plonk verifying key", b, MaxVerifyingKeyBytes, walkPlonkVK)
	case *plonkbn254.Proof:
		return walk("plonk proof", b, MaxProofBytes, walkPlonkProof)
	}
	return nil
}

// checkedType reports whether checkEncoding walks encodings of v's type.
func checkedType(v any) bool {
	switch v.(type) {
	case *groth16bn254.VerifyingKey, *groth16bn254.Proof, *plonkbn254.VerifyingKey, *plonkbn254.Proof:
		return true
	}
	return false
}

func walk(what string, b []byte, limit int, f func(*walker) error) error {
	if len(b) > limit {
		return fmt.Errorf("%w: %s of %d bytes, more than the %d accepted", ErrTooLarge, what, len(b), limit)
	}
	w := &walker{what: what, b: b}
	if err := f(w); err != nil {
		return err
	}
	if rest := w.left(); rest != 0 {
		return fmt.Errorf("%w: %s: %d bytes after its last field", ErrCorrupted, what, rest)
	}
	return nil
}

// walkGroth16VK mirrors (*groth16bn254.VerifyingKey).readFrom:
// [α]₁ [β]₁ [β]₂ [γ]₂ [δ]₁ [δ]₂, K as uint32 n and n G1 points,
// PublicAndCommitmentCommitted as uint32 m and m × (uint32 k, k uint64),
// uint32 c and c Pedersen verifying keys of two G2 points each.
func walkGroth16VK(w *walker) error {
	for _, f := range []struct {
		name string
		g2   bool
	}{{"G1.Alpha", false}, {"G1.Beta", false}, {"G2.Beta", true}, {"G2.Gamma", true}, {"G1.Delta", false}, {"G2.Delta", true}} {
		var err error
		if f.g2 {
			err = w.g2(f.name)
		} else {
			err = w.g1(f.name)
		}
		if err != nil {
			return err
		}
	}
	if err := w.g1s("G1.K", MaxPublicInputs+1+MaxCommitments); err != nil {
		return err
	}
	m, err := w.count("PublicAndCommitmentCommitted", MaxCommitments, 4, "committed-index lists")
	if err != nil {
		return err
	}
	for i := range m {
		if err := w.uint64s(fmt.Sprintf("PublicAndCommitmentCommitted[%d]", i), MaxPublicInputs); err != nil {
			return err
		}
	}
	c, err := w.count("CommitmentKeys", MaxCommitments, 2*encG2Compressed, "Pedersen verifying keys")
	if err != nil {
		return err
	}
	for i := range c {
		if err := w.g2(fmt.Sprintf("CommitmentKeys[%d].G", i)); err != nil {
			return err
		}
		if err := w.g2(fmt.Sprintf("CommitmentKeys[%d].GSigmaNeg", i)); err != nil {
			return err
		}
	}
	return nil
}

// walkGroth16Proof mirrors (*groth16bn254.Proof).ReadFrom: Ar (G1), Bs (G2),
// Krs (G1), Commitments as uint32 n and n G1 points, CommitmentPok (G1).
func walkGroth16Proof(w *walker) error {
	if err := w.g1("Ar"); err != nil {
		return err
	}
	if err := w.g2("Bs"); err != nil {
		return err
	}
	if err := w.g1("Krs"); err != nil {
		return err
	}
	if err := w.g1s("Commitments", MaxCommitments); err != nil {
		return err
	}
	return w.g1("CommitmentPok")
}

// walkPlonkVK mirrors (*plonkbn254.VerifyingKey).ReadFrom: uint64 marker 0
// and uint64 version 1 (or, legacy, no marker), uint64 Size, SizeInv and
// Generator (fr), uint64 NbPublicVariables, CosetShift (fr), S[0..2], Ql, Qr,
// Qm, Qo, Qk (G1), Qcp as uint32 n and n G1 points, Kzg.G1 (G1), Kzg.G2[0..1]
// (G2), Kzg.Lines (encKZGLines bytes), CommitmentConstraintIndexes as
// uint32 n and n uint64.
func walkPlonkVK(w *walker) error {
	first, err := w.uint64("Size or version marker")
	if err != nil {
		return err
	}
	if first == plonkKeyVersionMarker {
		v, err := w.uint64("version")
		if err != nil {
			return err
		}
		if v != plonkKeyVersion1 {
			return fmt.Errorf("%w: %s: serialization version %d (gnark %s reads %d)", ErrCorrupted, w.what, v, GnarkVersion(), plonkKeyVersion1)
		}
		if _, err := w.uint64("Size"); err != nil {
			return err
		}
	}
	if err := w.skip("SizeInv", encFr); err != nil {
		return err
	}
	if err := w.skip("Generator", encFr); err != nil {
		return err
	}
	nbPublic, err := w.uint64("NbPublicVariables")
	if err != nil {
		return err
	}
	if nbPublic > MaxPublicInputs {
		return fmt.Errorf("%w: %s: NbPublicVariables is %d, more than the %d accepted", ErrTooLarge, w.what, nbPublic, MaxPublicInputs)
	}
	if err := w.skip("CosetShift", encFr); err != nil {
		return err
	}
	for _, name := range []string{"S[0]", "S[1]", "S[2]", "Ql", "Qr", "Qm", "Qo", "Qk"} {
		if err := w.g1(name); err != nil {
			return err
		}
	}
	if err := w.g1s("Qcp", MaxCommitments); err != nil {
		return err
	}
	if err := w.g1("Kzg.G1"); err != nil {
		return err
	}
	if err := w.g2("Kzg.G2[0]"); err != nil {
		return err
	}
	if err := w.g2("Kzg.G2[1]"); err != nil {
		return err
	}
	if err := w.skip("Kzg.Lines", encKZGLines); err != nil {
		return err
	}
	return w.uint64s("CommitmentConstraintIndexes", MaxCommitments)
}

// walkPlonkProof mirrors (*plonkbn254.Proof).ReadFrom: LRO[0..2], Z,
// H[0..2], BatchedProof.H (G1), BatchedProof.ClaimedValues as uint32 n and n
// fr, ZShiftedOpening.H (G1), ZShiftedOpening.ClaimedValue (fr),
// Bsb22Commitments as uint32 n and n G1 points.
func walkPlonkProof(w *walker) error {
	for _, name := range []string{"LRO[0]", "LRO[1]", "LRO[2]", "Z", "H[0]", "H[1]", "H[2]", "BatchedProof.H"} {
		if err := w.g1(name); err != nil {
			return err
		}
	}
	// gnark's verifier wants 6 claimed values (linearised polynomial, l,
	// r, o, s1, s2) and one per commitment.
	n, err := w.count("BatchedProof.ClaimedValues", 6+MaxCommitments, encFr, "field elements")
	if err != nil {
		return err
	}
	if err := w.skip("BatchedProof.ClaimedValues", int(n)*encFr); err != nil {
		return err
	}
	if err := w.g1("ZShiftedOpening.H"); err != nil {
		return err
	}
	if err := w.skip("ZShiftedOpening.ClaimedValue", encFr); err != nil {
		return err
	}
	return w.g1s("Bsb22Commitments", MaxCommitments)
}

// walker reads an encoding without decoding it.
type walker struct {
	what string
	b    []byte
	off  int
}

func (w *walker) left() int { return len(w.b) - w.off }

// skip consumes n bytes of field.
func (w *walker) skip(field string, n int) error {
	if n > w.left() {
		return fmt.Errorf("%w: %s: %s needs %d bytes, %d left", ErrCorrupted, w.what, field, n, w.left())
	}
	w.off += n
	return nil
}

func (w *walker) uint64(field string) (uint64, error) {
	if err := w.skip(field, 8); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(w.b[w.off-8:]), nil
}

// count reads a uint32 length prefix of field and checks it against max and
// against the bytes left, each element taking at least minSize bytes.
func (w *walker) count(field string, max, minSize int, elems string) (uint32, error) {
	if err := w.skip(field+" length", 4); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(w.b[w.off-4:])
	if need := uint64(n) * uint64(minSize); need > uint64(w.left()) {
		return 0, fmt.Errorf("%w: %s: %s declares %d %s (at least %d bytes), only %d bytes left", ErrCorrupted, w.what, field, n, elems, need, w.left())
	}
	if uint64(n) > uint64(max) {
		return 0, fmt.Errorf("%w: %s: %s declares %d %s, more than the %d accepted", ErrTooLarge, w.what, field, n, elems, max)
	}
	return n, nil
}

// point consumes one point whose first byte's flag says whether it takes
// compressed or uncompressed bytes.
func (w *walker) point(field string, compressed, uncompressed int) error {
	if w.left() == 0 {
		return fmt.Errorf("%w: %s: %s needs %d bytes, none left", ErrCorrupted, w.what, field, compressed)
	}
	n := compressed
	if w.b[w.off]&encFlagMask == encUncompressed {
		n = uncompressed
	}
	return w.skip(field, n)
}

func (w *walker) g1(field string) error {
	return w.point(field, encG1Compressed, encG1Uncompressed)
}

func (w *walker) g2(field string) error {
	return w.point(field, encG2Compressed, encG2Uncompressed)
}

// g1s consumes a uint32 count and that many G1 points.
func (w *walker) g1s(field string, max int) error {
	n, err := w.count(field, max, encG1Compressed, "G1 points")
	if err != nil {
		return err
	}
	for i := range n {
		if err := w.g1(fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return err
		}
	}
	return nil
}

// uint64s consumes a uint32 count and that many uint64.
func (w *walker) uint64s(field string, max int) error {
	n, err := w.count(field, max, 8, "uint64")
	if err != nil {
		return err
	}
	return w.skip(field, int(n)*8)
}

// artifactLimit is the largest file readArtifact reads for a format.
func artifactLimit(format string) int64 {
	if format == FormatVerifyingKey {
		return int64(MaxSmallArtifactBytes)
	}
	return MaxLargeArtifactBytes
}

// readLimited reads the whole of f, refusing it when it is larger than
// limit: first by its size, then while reading, in case it grows.
func readLimited(f *os.File, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d accepted", ErrTooLarge, fi.Size(), limit)
	}
	var buf bytes.Buffer
	// Room for the whole file and the end-of-file read, so the buffer
	// never grows for a file that did not.
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%w: more than the %d bytes accepted", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}
