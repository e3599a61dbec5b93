package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// Media types of the Groth16 ceremony files.
const (
	// FormatPhase1 is a powers-of-tau state: the starting point (index 0) or
	// the state after the index-th contribution. It depends only on the
	// domain size, so one phase 1 serves every circuit up to that size.
	FormatPhase1 = "application/vnd.zkinfer.mpc-phase1.v1"
	// FormatMPCSRS is phase 1 verified and sealed with a beacon: the input
	// of phase 2.
	FormatMPCSRS = "application/vnd.zkinfer.mpc-srs.v1"
	// FormatPhase2 is a circuit-specific state: the starting point for a
	// circuit or the state after the index-th contribution.
	FormatPhase2 = "application/vnd.zkinfer.mpc-phase2.v1"
)

// MaxCeremonyDomain bounds the domain size of a ceremony (constraints
// rounded up to a power of two).
const MaxCeremonyDomain = 1 << 26

// ErrCeremony is wrapped by every error about a ceremony transcript that
// verification rejects.
var ErrCeremony = errors.New("ceremony transcript rejected")

// Ceremony is the header section of a ceremony file. Headers are a
// convenience for humans and for early, clear errors; what a verifier
// trusts is the cryptographic chain in the payloads, where each contribution
// commits to the hash of the one before and proves knowledge of its secret.
type Ceremony struct {
	Phase       int    `json:"phase"`
	Index       int    `json:"index"`
	Domain      uint64 `json:"domain_size"`
	Previous    string `json:"previous,omitempty"`
	Contributor string `json:"contributor,omitempty"`
	// SRS is, in phase 2 files and keys, the digest of the sealed phase 1.
	SRS string `json:"srs,omitempty"`
	// Beacon (hex) and Transcript (payload digests of the contributions, in
	// order) are set in sealed files and in keys made by the ceremony.
	Beacon     string   `json:"beacon,omitempty"`
	Transcript []string `json:"transcript,omitempty"`
	// Phase1Beacon is, in keys, the beacon phase 1 was sealed with.
	Phase1Beacon string `json:"phase1_beacon,omitempty"`
}

// Contribution is one ceremony state file, phase 1 or 2.
type Contribution struct {
	Header Header
	// Digest is the SHA-256 of the payload, as in the header.
	Digest string
	p1     *mpcsetup.Phase1
	p2     *mpcsetup.Phase2
}

// Phase returns 1 or 2.
func (c *Contribution) Phase() int { return c.Header.Ceremony.Phase }

// Index is 0 for a starting point, i after the i-th contribution.
func (c *Contribution) Index() int { return c.Header.Ceremony.Index }

// CeremonyDomain returns the phase 1 domain size a Groth16 ceremony for c
// needs: its constraints rounded up to a power of two.
func CeremonyDomain(c *Circuit) uint64 {
	return ecc.NextPowerOfTwo(uint64(max(c.CS.GetNbConstraints(), 2)))
}

func ceremonyHeader(format string, phase, index int, domain uint64) Header {
	return Header{
		Format: format, Backend: BackendGroth16, Curve: CurveBN254,
		Tool: ToolVersion, Gnark: GnarkVersion(), Created: time.Now().UTC(),
		Ceremony: &Ceremony{Phase: phase, Index: index, Domain: domain},
	}
}

// NewPhase1 returns the starting point of phase 1 for a domain of the given
// size (a power of two; see CeremonyDomain). It involves no secret: anyone
// can recompute it.
func NewPhase1(domain uint64) (*Contribution, error) {
	if domain < 2 || domain > MaxCeremonyDomain || ecc.NextPowerOfTwo(domain) != domain {
		return nil, fmt.Errorf("ceremony: domain size %d: want a power of two between 2 and %d", domain, MaxCeremonyDomain)
	}
	return sealFile(&Contribution{Header: ceremonyHeader(FormatPhase1, 1, 0, domain), p1: mpcsetup.NewPhase1(domain)})
}

// sealFile fills in the payload digest.
func sealFile(c *Contribution) (*Contribution, error) {
	d, err := digestOf(c.payload())
	if err != nil {
		return nil, err
	}
	c.Digest = d
	return c, nil
}

func (c *Contribution) payload() io.WriterTo {
	if c.p1 != nil {
		return c.p1
	}
	return c.p2
}

// NewPhase2 returns the starting point of phase 2 for circuit c on the
// sealed phase 1 srs. Like NewPhase1 it involves no secret.
func NewPhase2(c *Circuit, srs *MPCSRS) (*Contribution, error) {
	r1cs, err := groth16R1CS(c)
	if err != nil {
		return nil, err
	}
	if need := CeremonyDomain(c); srs.domain() < need {
		return nil, fmt.Errorf("ceremony: %w: the phase 1 domain is %d, circuit %s needs %d (%d constraints); run phase 1 with a larger domain", ErrCeremony, srs.domain(), c.Header.CircuitDigest, need, c.CS.GetNbConstraints())
	}
	p2, _, err := initPhase2(r1cs, srs)
	if err != nil {
		return nil, err
	}
	h := ceremonyHeader(FormatPhase2, 2, 0, srs.domain())
	h.CircuitDigest, h.ModelDigest, h.Constraints = c.Header.CircuitDigest, c.Header.ModelDigest, c.Header.Constraints
	h.Ceremony.SRS = srs.Header.SetupDigest
	return sealFile(&Contribution{Header: h, p2: p2})
}

func initPhase2(r1cs *csbn254.R1CS, srs *MPCSRS) (p2 *mpcsetup.Phase2, evals mpcsetup.Phase2Evaluations, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ceremony: phase 2 start: %v", r)
		}
	}()
	p2 = new(mpcsetup.Phase2)
	evals = p2.Initialize(r1cs, &srs.commons)
	return p2, evals, nil
}

func groth16R1CS(c *Circuit) (*csbn254.R1CS, error) {
	r1cs, ok := c.CS.(*csbn254.R1CS)
	if !ok || c.Header.Backend != BackendGroth16 {
		return nil, fmt.Errorf("ceremony: %w: the MPC ceremony makes Groth16 keys; circuit %s is compiled for %s (PLONK takes an SRS file: setup --srs)", ErrBackendMismatch, c.Header.CircuitDigest, c.Header.Backend)
	}
	return r1cs, nil
}

// Contribute adds this machine's randomness to prev and returns the next
// state, labelled with contributor (free text, for the transcript). The
// secret is drawn from crypto/rand and never leaves memory. prev is consumed.
func Contribute(prev *Contribution, contributor string) (next *Contribution, err error) {
	h := prev.Header
	h.Ceremony = new(Ceremony)
	*h.Ceremony = *prev.Header.Ceremony
	h.Ceremony.Index++
	h.Ceremony.Previous = prev.Digest
	h.Ceremony.Contributor = contributor
	h.Created, h.Tool, h.Gnark = time.Now().UTC(), ToolVersion, GnarkVersion()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ceremony: contribute: %v", r)
		}
	}()
	if prev.p1 != nil {
		prev.p1.Contribute()
	} else {
		prev.p2.Contribute()
	}
	return sealFile(&Contribution{Header: h, p1: prev.p1, p2: prev.p2})
}

// WriteContribution writes a ceremony state atomically.
func WriteContribution(path string, c *Contribution) error {
	return writeArtifact(path, c.Header, c.payload())
}

// ReadContribution reads a phase 1 or phase 2 state file.
func ReadContribution(path string) (*Contribution, error) {
	h, err := ReadHeader(path)
	if err != nil {
		return nil, err
	}
	if h.Format != FormatPhase1 && h.Format != FormatPhase2 {
		return nil, fmt.Errorf("%s: %w: %q is not a ceremony contribution (want %s or %s)", path, ErrUnsupportedVersion, h.Format, FormatPhase1, FormatPhase2)
	}
	h, payload, err := readArtifact(path, h.Format)
	if err != nil {
		return nil, err
	}
	if h.Ceremony == nil || h.Backend != BackendGroth16 || h.Curve != CurveBN254 {
		return nil, fmt.Errorf("%s: %w: ceremony header incomplete", path, ErrCorrupted)
	}
	c := &Contribution{Header: h, Digest: "sha256:" + h.PayloadSHA256}
	if h.Format == FormatPhase1 {
		if err := checkPhase1Layout(payload, h.Ceremony.Domain); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c.p1 = new(mpcsetup.Phase1)
		err = Decode(c.p1, payload)
	} else {
		if err := checkPhase2Layout(payload); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c.p2 = new(mpcsetup.Phase2)
		err = Decode(c.p2, payload)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Sizes of compressed BN254 points and of an mpcsetup.UpdateProof.
const (
	g1Size    = 32
	g2Size    = 64
	proofSize = g1Size + g2Size
)

// checkPhase1Layout checks the domain size in a phase 1 payload against its
// header and the payload's length before gnark allocates for it.
func checkPhase1Layout(p []byte, domain uint64) error {
	off := 3 * proofSize
	if len(p) < off+8 {
		return fmt.Errorf("%w: phase 1 payload too short", ErrCorrupted)
	}
	n := binary.BigEndian.Uint64(p[off:])
	if n != domain || n < 2 || n > MaxCeremonyDomain || ecc.NextPowerOfTwo(n) != n {
		return fmt.Errorf("%w: phase 1 domain %d, header says %d", ErrCorrupted, n, domain)
	}
	// [τⁱ]₁ 2N-2, [τⁱ]₂ N-1, [ατⁱ]₁ and [βτⁱ]₁ N each, [β]₂, challenge.
	want := off + 8 + g2Size + int(2*n-2)*g1Size + int(n-1)*g2Size + int(2*n)*g1Size + 1
	if len(p) < want {
		return fmt.Errorf("%w: phase 1 payload is %d bytes, domain %d needs at least %d", ErrCorrupted, len(p), n, want)
	}
	return nil
}

// checkPhase2Layout walks the length prefixes of a phase 2 payload (as
// mpcsetup.Phase2.WriteTo lays it out, compressed points) so that no prefix
// makes gnark allocate more than the payload could fill.
func checkPhase2Layout(p []byte) error {
	off := 0
	bad := fmt.Errorf("%w: phase 2 payload layout", ErrCorrupted)
	take := func(n int) bool {
		if n < 0 || off+n > len(p) {
			return false
		}
		off += n
		return true
	}
	slice := func() bool {
		if !take(4) {
			return false
		}
		n := int(binary.BigEndian.Uint32(p[off-4:]))
		return n <= len(p)/g1Size && take(n*g1Size)
	}
	if !take(2) {
		return bad
	}
	nc := int(binary.BigEndian.Uint16(p[:2]))
	if !take(g1Size) || !slice() || !slice() || !take(g2Size) {
		return bad
	}
	for range nc {
		if !slice() {
			return bad
		}
	}
	// The challenge is a one-byte length and its bytes.
	if !take(nc*g2Size) || !take(proofSize) || !take(nc*proofSize) || !take(1) {
		return bad
	}
	if !take(int(p[off-1])) || off != len(p) {
		return bad
	}
	return nil
}

// MPCSRS is phase 1 verified and sealed: the circuit-independent part of
// Groth16 keys. Header.SetupDigest is the digest of the phase 1 transcript.
type MPCSRS struct {
	Header  Header
	commons mpcsetup.SrsCommons
}

func (s *MPCSRS) domain() uint64 { return uint64(len(s.commons.G1.AlphaTau)) }

// WriteMPCSRS writes a sealed phase 1 atomically.
func WriteMPCSRS(path string, s *MPCSRS) error {
	return writeArtifact(path, s.Header, &s.commons)
}

// ReadMPCSRS reads a sealed phase 1.
func ReadMPCSRS(path string) (*MPCSRS, error) {
	h, payload, err := readArtifact(path, FormatMPCSRS)
	if err != nil {
		return nil, err
	}
	if h.Ceremony == nil {
		return nil, fmt.Errorf("%s: %w: ceremony header missing", path, ErrCorrupted)
	}
	// Same layout as a phase 1 payload without the proofs and challenge.
	fake := append(make([]byte, 3*proofSize), payload...)
	if err := checkPhase1Layout(append(fake, 0), h.Ceremony.Domain); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &MPCSRS{Header: h}
	if err := Decode(&s.commons, payload); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// transcriptDigest hashes the parts of a transcript, in order.
func transcriptDigest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return "sha256:" + hex.EncodeToString(h[:])
}

// checkChain checks the headers of a list of contributions: one phase, the
// same domain, indices 1, 2, ... in order, each naming the one before. The
// cryptographic check follows; this one gives clear errors for files given
// in the wrong order, missing or from elsewhere.
func checkChain(phase int, contribs []*Contribution) error {
	if len(contribs) == 0 {
		return fmt.Errorf("ceremony: %w: no contributions", ErrCeremony)
	}
	for i, c := range contribs {
		ch := c.Header.Ceremony
		switch {
		case ch.Phase != phase:
			return fmt.Errorf("ceremony: %w: contribution %d is from phase %d, want phase %d", ErrCeremony, i+1, ch.Phase, phase)
		case ch.Index == 0:
			return fmt.Errorf("ceremony: %w: file %d is a starting point, not a contribution; list contributions 1..n only", ErrCeremony, i+1)
		case ch.Index != i+1:
			return fmt.Errorf("ceremony: %w: contribution %d in the list has index %d: the transcript is incomplete or out of order", ErrCeremony, i+1, ch.Index)
		case ch.Domain != contribs[0].Header.Ceremony.Domain:
			return fmt.Errorf("ceremony: %w: contribution %d has domain %d, contribution 1 has %d", ErrCeremony, i+1, ch.Domain, contribs[0].Header.Ceremony.Domain)
		case i > 0 && ch.Previous != contribs[i-1].Digest:
			return fmt.Errorf("ceremony: %w: contribution %d was not made on contribution %d", ErrCeremony, i+1, i)
		}
	}
	return nil
}

// verifyStep runs gnark's check of next against prev, turning a panic on
// malformed input into an error.
func verifyStep(i int, verify func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
		if err != nil {
			err = fmt.Errorf("ceremony: %w: contribution %d: %v", ErrCeremony, i+1, err)
		}
	}()
	return verify()
}

// VerifyPhase1 checks a phase 1 transcript (contributions 1..n, in order)
// from the public starting point.
func VerifyPhase1(contribs []*Contribution) error {
	_, err := verifyPhase1(contribs)
	return err
}

func verifyPhase1(contribs []*Contribution) (*mpcsetup.Phase1, error) {
	if err := checkChain(1, contribs); err != nil {
		return nil, err
	}
	start, err := NewPhase1(contribs[0].Header.Ceremony.Domain)
	if err != nil {
		return nil, err
	}
	prev := start.p1
	for i, c := range contribs {
		if err := verifyStep(i, func() error { return prev.Verify(c.p1) }); err != nil {
			return nil, err
		}
		prev = c.p1
	}
	return prev, nil
}

// SealPhase1 verifies a phase 1 transcript and seals it with beacon, a
// public random value fixed after the last contribution (e.g. a future
// block hash or drand round), so that the last contributor could not steer
// the result. The contributions are consumed.
func SealPhase1(contribs []*Contribution, beacon []byte) (*MPCSRS, error) {
	if len(beacon) == 0 {
		return nil, fmt.Errorf("ceremony: %w: empty beacon", ErrCeremony)
	}
	last, err := verifyPhase1(contribs)
	if err != nil {
		return nil, err
	}
	domain := contribs[0].Header.Ceremony.Domain
	s := &MPCSRS{Header: ceremonyHeader(FormatMPCSRS, 1, len(contribs), domain), commons: last.Seal(beacon)}
	digests := transcriptOf(contribs)
	s.Header.Ceremony.Beacon = hex.EncodeToString(beacon)
	s.Header.Ceremony.Transcript = digests
	s.Header.Setup = SetupGroth16MPC
	s.Header.SetupDigest = transcriptDigest(append([]string{"zkinfer groth16 mpc phase 1", fmt.Sprint(domain), s.Header.Ceremony.Beacon}, digests...)...)
	return s, nil
}

func transcriptOf(contribs []*Contribution) []string {
	d := make([]string, len(contribs))
	for i, c := range contribs {
		d[i] = c.Digest
	}
	return d
}

// VerifyPhase2 checks a phase 2 transcript (contributions 1..n, in order)
// for circuit c on the sealed phase 1 srs.
func VerifyPhase2(c *Circuit, srs *MPCSRS, contribs []*Contribution) error {
	_, _, err := verifyPhase2(c, srs, contribs)
	return err
}

func verifyPhase2(c *Circuit, srs *MPCSRS, contribs []*Contribution) (*mpcsetup.Phase2, *mpcsetup.Phase2Evaluations, error) {
	r1cs, err := groth16R1CS(c)
	if err != nil {
		return nil, nil, err
	}
	for i, k := range contribs {
		if k.Phase() == 2 && k.Header.CircuitDigest != c.Header.CircuitDigest {
			return nil, nil, fmt.Errorf("ceremony: %w: contribution %d is for circuit %s, this circuit is %s", ErrCircuitMismatch, i+1, k.Header.CircuitDigest, c.Header.CircuitDigest)
		}
		if k.Phase() == 2 && k.Header.Ceremony.SRS != srs.Header.SetupDigest {
			return nil, nil, fmt.Errorf("ceremony: %w: contribution %d builds on phase 1 %s, the SRS given is %s", ErrCeremony, i+1, k.Header.Ceremony.SRS, srs.Header.SetupDigest)
		}
	}
	if err := checkChain(2, contribs); err != nil {
		return nil, nil, err
	}
	prev, evals, err := initPhase2(r1cs, srs)
	if err != nil {
		return nil, nil, err
	}
	for i, k := range contribs {
		if err := verifyStep(i, func() error { return prev.Verify(k.p2) }); err != nil {
			return nil, nil, err
		}
		prev = k.p2
	}
	return prev, &evals, nil
}

// ExtractKeys verifies a phase 2 transcript for circuit c, seals it with
// beacon (see SealPhase1) and returns the Groth16 keys. Their headers record
// SetupGroth16MPC and the digest of the whole transcript, phase 1 included,
// so a bundle names the ceremony its keys came from. The contributions are
// consumed.
func ExtractKeys(c *Circuit, srs *MPCSRS, contribs []*Contribution, beacon []byte) (k *Keys, err error) {
	if len(beacon) == 0 {
		return nil, fmt.Errorf("ceremony: %w: empty beacon", ErrCeremony)
	}
	last, evals, err := verifyPhase2(c, srs, contribs)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ceremony: seal phase 2: %v", r)
		}
	}()
	pk, vk := last.Seal(&srs.commons, evals, beacon)
	digests := transcriptOf(contribs)
	b := hex.EncodeToString(beacon)
	digest := transcriptDigest(append([]string{"zkinfer groth16 mpc phase 2", srs.Header.SetupDigest, c.Header.CircuitDigest, b}, digests...)...)
	if k, err = newKeys(c, pk.(ProvingKey), vk.(VerifyingKey), SetupGroth16MPC, digest, ""); err != nil {
		return nil, err
	}
	info := &Ceremony{Phase: 2, Index: len(contribs), Domain: srs.domain(), SRS: srs.Header.SetupDigest, Beacon: b, Transcript: digests, Phase1Beacon: srs.Header.Ceremony.Beacon}
	k.PKHeader.Ceremony, k.VKHeader.Ceremony = info, info
	return k, nil
}

// SameVerifyingKey reports whether two verifying keys encode to the same bytes.
func SameVerifyingKey(a, b VerifyingKey) bool {
	var x, y bytes.Buffer
	if _, err := a.WriteTo(&x); err != nil {
		return false
	}
	if _, err := b.WriteTo(&y); err != nil {
		return false
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}

// AuditCeremony recomputes Groth16 keys from the whole transcript (phase 1
// and phase 2 contributions, in order, with the beacons recorded in
// vkHeader) for circuit c and checks that they are vk. It is what an auditor
// runs: nothing of the coordinator's is trusted but the files, and the
// beacons, which the auditor should compare with their public source.
func AuditCeremony(c *Circuit, vk VerifyingKey, vkHeader Header, phase1, phase2 []*Contribution) error {
	info := vkHeader.Ceremony
	if vkHeader.Setup != SetupGroth16MPC || info == nil {
		return fmt.Errorf("ceremony: %w: the verifying key was not made by a ceremony (setup %q)", ErrCeremony, vkHeader.Setup)
	}
	if vkHeader.CircuitDigest != c.Header.CircuitDigest {
		return fmt.Errorf("ceremony: %w: verifying key is for circuit %s, this circuit is %s", ErrCircuitMismatch, vkHeader.CircuitDigest, c.Header.CircuitDigest)
	}
	b1, err1 := hex.DecodeString(info.Phase1Beacon)
	b2, err2 := hex.DecodeString(info.Beacon)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("ceremony: %w: beacons in the key header are not hex", ErrCorrupted)
	}
	srs, err := SealPhase1(phase1, b1)
	if err != nil {
		return err
	}
	if srs.Header.SetupDigest != info.SRS {
		return fmt.Errorf("ceremony: %w: phase 1 transcript gives %s, the keys were made from %s", ErrCeremony, srs.Header.SetupDigest, info.SRS)
	}
	keys, err := ExtractKeys(c, srs, phase2, b2)
	if err != nil {
		return err
	}
	if keys.VKHeader.SetupDigest != vkHeader.SetupDigest || !SameVerifyingKey(keys.VK, vk) {
		return fmt.Errorf("ceremony: %w: the transcript does not produce this verifying key", ErrCeremony)
	}
	// The header's layout is in the verifying-key digest a verifier pins
	// after the audit, and none of it is in the gnark key: a visibility,
	// shape or weights basis (committed weights: the digest of the basis
	// the model commitment is computed over, which the verifying key cannot
	// check) must be the one the transcript's keys have, or the coordinator
	// could name a forged basis whose commitment of the published model is
	// the point of other weights.
	want, err1 := VerifyingKeyDigest(keys.VK, keys.VKHeader.Layout())
	got, err2 := VerifyingKeyDigest(vk, vkHeader.Layout())
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if got != want {
		return fmt.Errorf("ceremony: %w: the key header's layout (visibility, input and output, weights basis) is not the circuit's: the verifying key digest is %s, the transcript's keys have %s", ErrCeremony, got, want)
	}
	return nil
}
