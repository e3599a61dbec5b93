package modelio

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
)

// maxSaltsFile bounds a salts file: two hex elements and a media type.
const maxSaltsFile = 4 << 10

// ReadSalts reads a salts file written by WriteSalts. input and output say
// which salts it holds.
func ReadSalts(path string) (s Salts, input, output bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return s, false, false, err
	}
	if len(data) > maxSaltsFile {
		return s, false, false, fmt.Errorf("%s: %w: salts file of %d bytes", path, quant.ErrValidation, len(data))
	}
	var f saltsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return s, false, false, fmt.Errorf("%s: %w: malformed salts file: %v", path, quant.ErrValidation, err)
	}
	if f.MediaType != SaltsMediaType {
		return s, false, false, fmt.Errorf("%s: %w: %q (this build reads %q)", path, quant.ErrUnsupportedVersion, f.MediaType, SaltsMediaType)
	}
	if f.Input != "" {
		if s.Input, err = parseHex(f.Input); err != nil {
			return s, false, false, fmt.Errorf("%s: input salt: %w", path, err)
		}
	}
	if f.Output != "" {
		if s.Output, err = parseHex(f.Output); err != nil {
			return s, false, false, fmt.Errorf("%s: output salt: %w", path, err)
		}
	}
	return s, f.Input != "", f.Output != "", nil
}

func parseHex(s string) (fr.Element, error) {
	var e fr.Element
	h, ok := strings.CutPrefix(s, "0x")
	if !ok || len(h) != 2*fr.Bytes {
		return e, fmt.Errorf("%w: %q is not 0x and %d hex digits", quant.ErrValidation, s, 2*fr.Bytes)
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return e, fmt.Errorf("%w: %q: %v", quant.ErrValidation, s, err)
	}
	if err := e.SetBytesCanonical(raw); err != nil {
		return e, fmt.Errorf("%w: %q: %v", quant.ErrValidation, s, err)
	}
	return e, nil
}
