package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/renameio/v2"
)

// VKDigestPrefix starts every verifying-key digest.
const VKDigestPrefix = "sha256:"

// VerifyingKeyDigest is the canonical digest of a verifying key:
// "sha256:" and the hex SHA-256 of gnark's binary encoding of the decoded
// key (WriteTo, compressed points). Because it is taken over the key as
// re-encoded after decoding, two encodings of one key have one digest, and
// the digest names the key a verifier actually uses, never a label or a
// file's bytes. setup and ceremony extract print it and write it beside the
// keys (DigestPath); bundles name it; keys manifests and the registry record
// it; verify --vk-digest pins it.
func VerifyingKeyDigest(vk VerifyingKey) (string, error) {
	var buf bytes.Buffer
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
func WriteDigest(vkPath string, vk VerifyingKey) (string, error) {
	d, err := VerifyingKeyDigest(vk)
	if err != nil {
		return "", err
	}
	if err := renameio.WriteFile(DigestPath(vkPath), []byte(d+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("%s: %w", DigestPath(vkPath), err)
	}
	return d, nil
}
