package quant

import "errors"

// Sentinel errors; every error returned by this package wraps one of them so
// callers (and the CLI's hints) can tell a bad file from a bad value.
var (
	// ErrValidation is the root of every error about malformed input.
	ErrValidation = errors.New("invalid input")
	// ErrUnsupportedVersion marks a file whose format version this build cannot read.
	ErrUnsupportedVersion = errors.New("unsupported format version")
	// ErrShape marks a tensor or input whose shape does not match the config.
	ErrShape = errors.New("shape mismatch")
	// ErrRange marks a value outside the range its type allows.
	ErrRange = errors.New("value out of range")
)
