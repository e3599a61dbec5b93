package quant

import (
	"encoding/binary"
	"fmt"

	"github.com/nlpodyssey/safetensors"
)

// MaxSafetensorsHeader bounds the JSON header of every safetensors file
// zkinfer reads (the library's own bound is 100 MB). Decoding a header
// costs far more memory than its bytes: 94 MB holding one tensor's shape of
// 50 million ones took 4.3 GB of resident memory. 4 MiB holds some 35 000
// tensor entries, far more than any model zkinfer imports names.
const MaxSafetensorsHeader = 4 << 20

// DeserializeSafetensors parses untrusted safetensors bytes: the header
// length is checked against MaxSafetensorsHeader before anything is
// decoded, and a panic in the library becomes an ErrValidation error.
func DeserializeSafetensors(data []byte) (st safetensors.SafeTensors, err error) {
	if len(data) >= 8 {
		if n := binary.LittleEndian.Uint64(data); n > MaxSafetensorsHeader {
			return st, fmt.Errorf("%w: malformed safetensors file: header too large: %d bytes, at most %d", ErrValidation, n, MaxSafetensorsHeader)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: malformed safetensors file: %v", ErrValidation, r)
		}
	}()
	st, err = safetensors.Deserialize(data)
	if err != nil {
		return st, fmt.Errorf("%w: malformed safetensors file: %v", ErrValidation, err)
	}
	return st, nil
}
