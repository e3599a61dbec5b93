// Package verifier defines the proof bundle and verifies it offline.
//
// A bundle is everything an auditor needs to check one inference: the proof,
// the public inputs (named, with their fixed-point scales), the verifying
// key, the model and circuit digests, and how the keys were made. Verify
// needs nothing else: no chain, no key files, no trust in the host.
package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/renameio/v2"
)

// MediaType is the only bundle format this build reads and writes.
const MediaType = "application/vnd.zkinfer.bundle.v1+json"

// Limits enforced while parsing a bundle.
const (
	MaxBundleSize   = 64 << 20
	MaxPublicValues = 1 << 20
)

// Errors of bundle reading and verification.
var (
	ErrBundle             = errors.New("bad bundle")
	ErrUnsupportedVersion = fmt.Errorf("%w: unsupported media type", ErrBundle)
	ErrRejected           = errors.New("proof rejected")
)

// EncodingPackedInt8 is the encoding of an int8 tensor in public inputs:
// quant.PackInt8, 31 values per field element.
const EncodingPackedInt8 = "int8-packed-31"

// Tensor is a named group of public values: integers held at scale 2^-Frac,
// exposed to the verifier in the given encoding.
type Tensor struct {
	Name     string  `json:"name"`
	Shape    []int   `json:"shape"`
	Frac     int     `json:"frac"`
	Encoding string  `json:"encoding"`
	Values   []int64 `json:"values"`
}

// Bundle is a self-contained proof of one inference.
type Bundle struct {
	MediaType     string `json:"media_type"`
	Backend       string `json:"backend"`
	Curve         string `json:"curve"`
	ModelDigest   string `json:"model_digest"`
	CircuitDigest string `json:"circuit_digest"`
	// Setup is how the keys were made (prover.SetupDevUnsafe,
	// SetupGroth16MPC, SetupKZGSRS) and SetupDigest the digest of the
	// ceremony transcript or SRS file, for the latter two.
	Setup        string    `json:"setup"`
	SetupDigest  string    `json:"setup_digest,omitempty"`
	Warning      string    `json:"warning,omitempty"`
	ToolVersion  string    `json:"tool_version"`
	GnarkVersion string    `json:"gnark_version"`
	Created      time.Time `json:"created"`
	// PublicInputs in the circuit's order: the verifier's public witness.
	PublicInputs []Tensor `json:"public_inputs"`
	// Proof and VerifyingKey are gnark's binary encodings (base64 in JSON).
	Proof        []byte `json:"proof"`
	VerifyingKey []byte `json:"verifying_key"`
}

// Encode returns the bundle as indented JSON.
func (b *Bundle) Encode() ([]byte, error) {
	return json.MarshalIndent(b, "", "  ")
}

// Write writes the bundle to path atomically.
func (b *Bundle) Write(path string) error {
	data, err := b.Encode()
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Parse decodes a bundle, rejecting unknown media types and fields and
// enforcing the size limits.
func Parse(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBundle, len(data), MaxBundleSize)
	}
	var probe struct {
		MediaType string `json:"media_type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: malformed JSON: %v", ErrBundle, err)
	}
	if probe.MediaType != MediaType {
		return nil, fmt.Errorf("%w: %q (this build reads %q)", ErrUnsupportedVersion, probe.MediaType, MediaType)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	n := 0
	for _, t := range b.PublicInputs {
		n += len(t.Values)
		if n > MaxPublicValues {
			return nil, fmt.Errorf("%w: more than %d public values", ErrBundle, MaxPublicValues)
		}
		want := 1
		for _, s := range t.Shape {
			if s < 0 || s > MaxPublicValues {
				return nil, fmt.Errorf("%w: tensor %q has shape %v", ErrBundle, t.Name, t.Shape)
			}
			want *= s
		}
		if want != len(t.Values) {
			return nil, fmt.Errorf("%w: tensor %q has %d values for shape %v", ErrBundle, t.Name, len(t.Values), t.Shape)
		}
		if t.Encoding != EncodingPackedInt8 {
			return nil, fmt.Errorf("%w: tensor %q has encoding %q (supported: %q)", ErrBundle, t.Name, t.Encoding, EncodingPackedInt8)
		}
	}
	return &b, nil
}

// Read reads and parses a bundle file.
func Read(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Tensor returns the public tensor with the given name.
func (b *Bundle) Tensor(name string) (*Tensor, bool) {
	for i := range b.PublicInputs {
		if b.PublicInputs[i].Name == name {
			return &b.PublicInputs[i], true
		}
	}
	return nil, false
}
