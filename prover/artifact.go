package prover

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/zkinfer/zkinfer/quant"
)

// Media types of the artifacts this package writes. A reader accepts exactly these.
const (
	FormatCircuit      = "application/vnd.zkinfer.circuit.v1"
	FormatProvingKey   = "application/vnd.zkinfer.pk.v1"
	FormatVerifyingKey = "application/vnd.zkinfer.vk.v1"
)

// Setup kinds recorded in key headers (Header.Setup) and bundles: how the
// keys were made, which is what decides whom a verifier must trust.
const (
	// SetupDevUnsafe: one machine made the keys and knew their secret.
	SetupDevUnsafe = "dev-unsafe"
	// SetupGroth16MPC: Groth16 keys from an MPC ceremony; SetupDigest is the
	// digest of its transcript (CeremonyTranscriptDigest).
	SetupGroth16MPC = "groth16-mpc"
	// SetupKZGSRS: PLONK keys from a KZG SRS file; SetupDigest is the SHA-256
	// of that file.
	SetupKZGSRS = "kzg-srs"
)

// IsProduction reports whether keys made by setup kind s may be trusted by
// someone who did not make them.
func IsProduction(s string) bool {
	return s == SetupGroth16MPC || s == SetupKZGSRS
}

// Errors of artifact reading; each wraps ErrArtifact.
var (
	ErrArtifact           = errors.New("bad artifact")
	ErrUnsupportedVersion = fmt.Errorf("%w: unsupported format", ErrArtifact)
	ErrCorrupted          = fmt.Errorf("%w: corrupted", ErrArtifact)
	ErrCircuitMismatch    = fmt.Errorf("%w: made for another circuit", ErrArtifact)
	ErrBackendMismatch    = fmt.Errorf("%w: made for another backend", ErrArtifact)
	ErrUnsupportedBackend = fmt.Errorf("%w: unsupported backend", ErrArtifact)
	// ErrKeyPair: a proving key and a verifying key that one setup did not
	// make together (e.g. a setup interrupted between writing the two).
	ErrKeyPair = fmt.Errorf("%w: not one key pair", ErrArtifact)
)

const magic = "zkinfer\n"

// maxHeader bounds the JSON header line.
const maxHeader = 1 << 16

// Header describes an artifact; it is the second line of the file.
type Header struct {
	Format        string `json:"format"`
	Backend       string `json:"backend"`
	Curve         string `json:"curve"`
	CircuitDigest string `json:"circuit_digest"`
	ModelDigest   string `json:"model_digest,omitempty"`
	// Commitment is the model commitment (quant.CommitString).
	Commitment string `json:"model_commitment,omitempty"`
	// Architecture is quant.ArchitectureDigest of the model, for circuits
	// with hashed or public weights: every model with this digest proves
	// with this circuit and its keys.
	Architecture string `json:"architecture_digest,omitempty"`
	// Visibility is how the circuit exposes input and output (circuit
	// headers, and the keys made from them).
	Visibility *quant.Visibility `json:"visibility,omitempty"`
	// Input and Output are the shapes and fixed-point fractions the circuit
	// fixes for the model's input and output. A verifier reports these,
	// from the key it pinned, never a bundle's.
	Input  *TensorSpec `json:"input,omitempty"`
	Output *TensorSpec `json:"output,omitempty"`
	// WeightsBasis, in the key headers of committed-weights circuits, names
	// the weights' commitment basis (committed.go); part of the layout.
	WeightsBasis *WeightsBasis `json:"weights_basis,omitempty"`
	// InputBasis and OutputBasis, in the key headers of circuits with a
	// committed input (output), name its commitment basis (committedio.go);
	// part of the layout.
	InputBasis  *IOBasis `json:"input_basis,omitempty"`
	OutputBasis *IOBasis `json:"output_basis,omitempty"`
	// SettingsDigest is the SHA-256 of the settings file the circuit was
	// compiled from (WithSettingsDigest).
	SettingsDigest string `json:"settings_digest,omitempty"`
	// RangeChecks is RangeChecksBits for bit-decomposition circuits; empty
	// means the default, std/rangecheck.
	RangeChecks string    `json:"range_checks,omitempty"`
	Constraints int       `json:"constraints,omitempty"`
	Setup       string    `json:"setup,omitempty"`
	SetupDigest string    `json:"setup_digest,omitempty"`
	Ceremony    *Ceremony `json:"ceremony,omitempty"`
	// VKDigest, in proving-key headers, is VerifyingKeyDigest of the
	// verifying key made with it: CheckKeyPair refuses any other.
	VKDigest      string    `json:"vk_digest,omitempty"`
	Warning       string    `json:"warning,omitempty"`
	Tool          string    `json:"tool_version"`
	Gnark         string    `json:"gnark_version"`
	Created       time.Time `json:"created"`
	PayloadSHA256 string    `json:"payload_sha256"`
}

// TensorSpec is the shape of an input or output tensor and its
// fixed-point fraction: value = integer · 2^-Frac.
//
// A model whose inputs (outputs) are not one int8 tensor (quant.SingleInt8:
// several graph inputs, index inputs) lists them in Parts, in order; Shape
// is then [total values] and Frac 0, and the public inputs are the parts'
// encoding (circuits/modelio). For one int8 tensor Parts is absent, so the
// layout, and the verifying-key digests over it, are what they always were.
type TensorSpec struct {
	Shape []int      `json:"shape"`
	Frac  int        `json:"frac"`
	Parts []PartSpec `json:"parts,omitempty"`
}

// PartSpec is one part of a tensor spec: name, shape, dtype, bounds, fraction.
type PartSpec = quant.IOPart

// SpecOf is the tensor spec of a model's input or output parts; shape and
// frac are the tensor's for one int8 part.
func SpecOf(parts []quant.IOPart, shape []int, frac int) *TensorSpec {
	if quant.SingleInt8(parts) {
		return &TensorSpec{Shape: shape, Frac: frac}
	}
	return &TensorSpec{Shape: []int{quant.PartsSize(parts)}, Frac: 0, Parts: parts}
}

// IO returns the header's visibility; ReadCircuit refuses circuit headers
// without one, and the zero Visibility fails validation wherever it is used.
func (h Header) IO() quant.Visibility {
	if h.Visibility == nil {
		return quant.Visibility{}
	}
	return *h.Visibility
}

// writeArtifact writes header + payload to path atomically.
func writeArtifact(path string, h Header, payload io.WriterTo) error {
	f, err := pendingArtifact(path, h, payload)
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if err := f.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// pendingArtifact writes header + payload to a temporary file beside path,
// for the caller to rename into place (CloseAtomicallyReplace) or remove
// (Cleanup).
//
// The payload is streamed, never held in memory (a proving key is hundreds
// of MB): the header line is written first with a placeholder digest of the
// same length, the payload is encoded once into the file and its hash, and
// the header is rewritten in place with the real digest. The bytes are what
// buffering the payload wrote.
func pendingArtifact(path string, h Header, payload io.WriterTo) (*renameio.PendingFile, error) {
	h.PayloadSHA256 = strings.Repeat("0", 2*sha256.Size)
	placeholder, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	f, err := newPendingFile(path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*renameio.PendingFile, error) {
		f.Cleanup()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.WriteString(magic); err != nil {
		return fail(err)
	}
	if _, err := f.Write(append(placeholder, '\n')); err != nil {
		return fail(err)
	}
	sum := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	if _, err := payload.WriteTo(w); err != nil {
		return fail(fmt.Errorf("encode: %w", err))
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	h.PayloadSHA256 = hex.EncodeToString(sum.Sum(nil))
	hdr, err := json.Marshal(h)
	if err != nil {
		return fail(err)
	}
	if len(hdr) != len(placeholder) {
		return fail(fmt.Errorf("header changed length (%d, placeholder %d)", len(hdr), len(placeholder)))
	}
	if _, err := f.WriteAt(hdr, int64(len(magic))); err != nil {
		return fail(err)
	}
	return f, nil
}

// newPendingFile opens a temporary file for path in path's directory.
// renameio would otherwise pick $TMPDIR whenever it is on the same file
// system, where an interrupted write leaves a hidden file of the artifact's
// size that nobody looks for.
func newPendingFile(path string) (*renameio.PendingFile, error) {
	f, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o644), renameio.WithTempDir(filepath.Dir(path)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// readArtifact reads path, checks its format and payload digest, and returns
// the header and the payload bytes. It never reads more than the format's
// limit (artifactLimit): a verifying key is small, whoever wrote it.
func readArtifact(path, format string) (Header, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, nil, err
	}
	defer f.Close()
	data, err := readLimited(f, artifactLimit(format))
	if err != nil {
		return Header{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	h, payload, err := parseArtifact(data, format)
	if err != nil {
		return Header{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, payload, nil
}

func parseArtifact(data []byte, format string) (Header, []byte, error) {
	var h Header
	if !bytes.HasPrefix(data, []byte(magic)) {
		return h, nil, fmt.Errorf("%w: not a zkinfer artifact (want %s)", ErrArtifact, format)
	}
	rest := data[len(magic):]
	nl := bytes.IndexByte(rest[:min(len(rest), maxHeader)], '\n')
	if nl < 0 {
		return h, nil, fmt.Errorf("%w: header line missing or too long", ErrCorrupted)
	}
	if err := json.Unmarshal(rest[:nl], &h); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrCorrupted, err)
	}
	if h.Format != format {
		return h, nil, fmt.Errorf("%w: %q, want %q", ErrUnsupportedVersion, h.Format, format)
	}
	payload := rest[nl+1:]
	sum := sha256.Sum256(payload)
	if hex.EncodeToString(sum[:]) != h.PayloadSHA256 {
		return h, nil, fmt.Errorf("%w: payload digest does not match its header (truncated or altered file)", ErrCorrupted)
	}
	return h, payload, nil
}

// ReadHeader returns the header of any zkinfer artifact without decoding its
// payload. It reads at most the magic and maxHeader bytes, whatever the
// file's size.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, maxHeader)
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return Header{}, fmt.Errorf("%s: %w: not a zkinfer artifact", path, ErrArtifact)
	}
	line, err := r.ReadSlice('\n')
	if err != nil {
		return Header{}, fmt.Errorf("%s: %w: header line missing or too long", path, ErrCorrupted)
	}
	var h Header
	if err := json.Unmarshal(line, &h); err != nil {
		return Header{}, fmt.Errorf("%s: %w: header: %v", path, ErrCorrupted, err)
	}
	return h, nil
}
