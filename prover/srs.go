package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	kzgbn254 "github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/plonk"
)

// MaxSRSPoints bounds the G1 powers read from an SRS file (2^26 + 3 points,
// 2 GiB compressed): enough for PLONK circuits of 64 M gates.
const MaxSRSPoints = 1<<26 + 3

// ErrSRS is wrapped by every error about an SRS file.
var ErrSRS = errors.New("bad SRS")

// SRS is a KZG structured reference string for BN254 in canonical form,
// with the SHA-256 of the file it came from.
type SRS struct {
	KZG    *kzgbn254.SRS
	Digest string
}

// ReadSRS reads a KZG SRS for BN254 in gnark-crypto's binary encoding:
// kzg.SRS.WriteTo (compressed points) or WriteRawTo, that is a big-endian
// uint32 count n, n G1 points [τⁱ]₁, then [1]₂, [τ]₂, [1]₁ and the
// precomputed pairing lines of the verifying key. The file is the whole
// SRS, not a zkinfer artifact, so SRSs from other tools need converting once.
func ReadSRS(path string) (*SRS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The point count comes first; check it against the file size before
	// gnark-crypto allocates for it, so a hostile count cannot exhaust memory.
	var n uint32
	if err := binary.Read(f, binary.BigEndian, &n); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrSRS, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if n < 2 || n > MaxSRSPoints || int64(n)*32 > fi.Size() {
		return nil, fmt.Errorf("%s: %w: header claims %d G1 points in a %d-byte file; not a BN254 KZG SRS in gnark-crypto's encoding", path, ErrSRS, n, fi.Size())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	srs := new(kzgbn254.SRS)
	r := bytes.NewReader(data)
	if err := decodeFrom(srs, r); err != nil {
		return nil, fmt.Errorf("%s: %w: not a BN254 KZG SRS in gnark-crypto's encoding (an SRS for another curve, or a damaged file): %v", path, ErrSRS, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%s: %w: %d bytes after the SRS", path, ErrSRS, r.Len())
	}
	if err := checkSRS(srs); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrSRS, err)
	}
	sum := sha256.Sum256(data)
	return &SRS{KZG: srs, Digest: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// checkSRS checks that the SRS is internally consistent: its verifying key
// holds the same [1]₁ as its first power, and [τ]₁ and [τ]₂ share τ. It
// cannot tell who knows τ; that is what the SRS's provenance is for.
func checkSRS(srs *kzgbn254.SRS) error {
	g := srs.Pk.G1
	if !g[0].Equal(&srs.Vk.G1) {
		return errors.New("the first G1 power is not the verifying key's generator")
	}
	var neg bn254.G1Affine
	neg.Neg(&g[0])
	ok, err := bn254.PairingCheck([]bn254.G1Affine{g[1], neg}, []bn254.G2Affine{srs.Vk.G2[0], srs.Vk.G2[1]})
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("[τ]₁ and [τ]₂ do not match")
	}
	return nil
}

// decodeFrom is Decode on a reader whose rest the caller inspects.
func decodeFrom(v io.ReaderFrom, r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, p)
		}
	}()
	_, err = v.ReadFrom(r)
	return err
}

// WriteSRS writes srs atomically in the encoding ReadSRS reads.
func WriteSRS(path string, srs *kzgbn254.SRS) error {
	f, err := newPendingFile(path)
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if _, err := srs.WriteTo(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.CloseAtomicallyReplace()
}

// SRSSize returns the number of G1 powers a PLONK setup of c needs: the
// domain (constraints plus public inputs, rounded up to a power of two) plus
// 3 for the blinding of the opened polynomials.
func SRSSize(c *Circuit) int {
	return int(ecc.NextPowerOfTwo(uint64(c.CS.GetNbConstraints()+c.CS.GetNbPublicVariables()))) + 3
}

// SetupPLONK makes PLONK keys for c from an SRS: whoever knows the SRS's
// secret could forge proofs, so its origin (a public ceremony) is what users
// trust; its digest is recorded in the keys (SetupKZGSRS).
func SetupPLONK(c *Circuit, srs *SRS, p Progress) (*Keys, error) {
	if c.Header.Backend != BackendPLONK {
		return nil, fmt.Errorf("setup: %w: an SRS file is for PLONK; circuit %s is compiled for %s", ErrBackendMismatch, c.Header.CircuitDigest, c.Header.Backend)
	}
	need := SRSSize(c)
	if have := len(srs.KZG.Pk.G1); have < need {
		return nil, fmt.Errorf("setup: %w: the SRS holds %d G1 powers, this circuit needs %d (%d constraints + %d public inputs, rounded up to a power of two, + 3)", ErrSRS, have, need, c.CS.GetNbConstraints(), c.CS.GetNbPublicVariables())
	}
	done := orSilent(p).Start("setup (PLONK, from SRS)")
	defer done()
	canonical := kzgbn254.SRS{Pk: kzgbn254.ProvingKey{G1: srs.KZG.Pk.G1[:need]}, Vk: srs.KZG.Vk}
	lg, err := kzgbn254.ToLagrangeG1(srs.KZG.Pk.G1[:need-3])
	if err != nil {
		return nil, fmt.Errorf("setup: lagrange form of the SRS: %w", err)
	}
	lagrange := kzgbn254.SRS{Pk: kzgbn254.ProvingKey{G1: lg}, Vk: srs.KZG.Vk}
	pk, vk, err := plonk.Setup(c.CS, &canonical, &lagrange)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return newKeys(c, pk, vk, SetupKZGSRS, srs.Digest, "")
}
