package prover

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseKeysManifest(t *testing.T) {
	entry := func(i, from, to int, vis string) string {
		return `{"index": ` + strconv.Itoa(i) + `, "from": ` + strconv.Itoa(from) + `, "to": ` + strconv.Itoa(to) + `, "vk_digest": "sha256:` + strings.Repeat("ab", 32) + `", "key": {"format": "` + FormatVerifyingKey + `", "backend": "groth16", "curve": "bn254", "circuit_digest": "x", "visibility": ` + vis + `, "tool_version": "", "gnark_version": "", "created": "2026-11-30T00:00:00Z", "payload_sha256": ""}}`
	}
	const (
		first = `{"input": "hashed", "output": "hashed", "weights": "fixed"}`
		last  = `{"input": "hashed", "output": "hashed", "weights": "fixed"}`
	)
	doc := func(shards ...string) string {
		return `{"media_type": "` + FormatKeys + `", "model_digest": "m", "model_commitment": "c", "shards_commitment": "s", "n_layer": 2, "backend": "groth16", "visibility": {"input": "hashed", "output": "hashed", "weights": "fixed"}, "shards": [` + strings.Join(shards, ", ") + `]}`
	}
	good := doc(entry(0, 0, 1, first), entry(1, 1, 2, last))
	if _, err := ParseKeysManifest([]byte(good)); err != nil {
		t.Fatalf("good manifest: %v", err)
	}
	for name, data := range map[string]string{
		"other media type": strings.Replace(good, FormatKeys, FormatShards, 1),
		"unknown field":    strings.Replace(good, `"n_layer"`, `"extra": 1, "n_layer"`, 1),
		"bad digest":       strings.Replace(good, "sha256:abab", "sha256:ABAB", 1),
		"out of order":     doc(entry(1, 1, 2, last), entry(0, 0, 1, first)),
		"gap":              doc(entry(0, 0, 1, first)),
		"other backend":    strings.Replace(good, `"backend": "groth16", "curve"`, `"backend": "plonk", "curve"`, 1),
		"no visibility":    doc(entry(0, 0, 1, "null"), entry(1, 1, 2, last)),
		"too large":        good + strings.Repeat(" ", maxKeysManifest),
	} {
		if _, err := ParseKeysManifest([]byte(data)); !errors.Is(err, ErrArtifact) {
			t.Errorf("%s: %v, want ErrArtifact", name, err)
		}
	}
}
