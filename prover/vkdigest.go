package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
)

// VKDigestPrefix starts every verifying-key digest.
const VKDigestPrefix = "sha256:"

// Layout is what a verifier must know besides the key to read a proof's
// public inputs: which tensors they encode and how (visibility), with the
// shapes and fixed-point fractions of input and output. A key alone does not
// fix it: one public input can be a salted commitment or 31 packed public
// values, and a prover who picks the salt can make it either. So the digest
// that pins a key pins its layout with it.
type Layout struct {
	Backend    string            `json:"backend"`
	Visibility *quant.Visibility `json:"visibility"`
	Input      *TensorSpec       `json:"input"`
	Output     *TensorSpec       `json:"output"`
	// WeightsBasis is set for committed weights only (absent otherwise, so
	// other keys' digests are unchanged): the digest then pins the basis
	// an auditor recomputes model commitments with.
	WeightsBasis *WeightsBasis `json:"weights_basis,omitempty"`
	// InputBasis and OutputBasis are set for a committed input (output)
	// only, likewise: the digest pins the basis its public input is
	// recomputed over.
	InputBasis  *IOBasis `json:"input_basis,omitempty"`
	OutputBasis *IOBasis `json:"output_basis,omitempty"`
}

// Layout returns the layout a key (or circuit) header records.
func (h Header) Layout() Layout {
	return Layout{Backend: h.Backend, Visibility: h.Visibility, Input: h.Input, Output: h.Output, WeightsBasis: h.WeightsBasis, InputBasis: h.InputBasis, OutputBasis: h.OutputBasis}
}

// VerifyingKeyDigest is the canonical digest that pins a verifying key with
// the layout of its public inputs: "sha256:" and the hex SHA-256 of
//
//	"zkinfer.vk-digest.v1\n" ‖ JSON(l) ‖ "\n" ‖ gnark's binary encoding of vk
//
// (WriteTo of the decoded key, compressed points; JSON as encoding/json
// writes Layout). Because it is taken over the key as re-encoded after
// decoding, two encodings of one key have one digest, and the digest names
// the key a verifier actually uses and how it reads the public inputs, never
// a label or a file's bytes. setup and ceremony extract print it and write
// it beside the keys (DigestPath); bundles name it; keys manifests and the
// registry record it; verify --vk-digest pins it. A key of a circuit that is
// not a model's (tests) has the zero Layout.
func VerifyingKeyDigest(vk VerifyingKey, l Layout) (string, error) {
	var buf bytes.Buffer
	buf.WriteString("zkinfer.vk-digest.v1\n")
	js, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("verifying key digest: %w", err)
	}
	buf.Write(js)
	buf.WriteByte('\n')
	if _, err := vk.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("verifying key digest: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return VKDigestPrefix + hex.EncodeToString(sum[:]), nil
}

// ParseVKDigest checks that s is a verifying-key digest ("sha256:" and 64
// lowercase hex digits) and returns it unchanged.
func ParseVKDigest(s string) (string, error) {
	h, ok := strings.CutPrefix(s, VKDigestPrefix)
	if !ok || len(h) != 2*sha256.Size || strings.ToLower(h) != h {
		return "", fmt.Errorf("verifying key digest %q: want %s and %d lowercase hex digits", s, VKDigestPrefix, 2*sha256.Size)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("verifying key digest %q: %v", s, err)
	}
	return s, nil
}

// DigestPath is the file beside a verifying key that holds its digest:
// vk.key → vk.digest.
func DigestPath(vkPath string) string {
	if i := strings.LastIndexByte(vkPath, '.'); i > strings.LastIndexByte(vkPath, '/') {
		return vkPath[:i] + ".digest"
	}
	return vkPath + ".digest"
}

// WriteDigest writes the digest of vk, with a final newline, to
// DigestPath(vkPath) atomically and returns it: the line a model host
// publishes for verifiers to pin (verify --vk-digest).
func WriteDigest(vkPath string, vk VerifyingKey, l Layout) (string, error) {
	d, err := VerifyingKeyDigest(vk, l)
	if err != nil {
		return "", err
	}
	if err := quant.WriteFile(DigestPath(vkPath), []byte(d+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("%s: %w", DigestPath(vkPath), err)
	}
	return d, nil
}
