package quant

import (
	"fmt"
	"math/big"
)

// PackedPerElement is how many int8 values one BN254 field element carries
// as a public input: 31 bytes stay below the ~254-bit modulus.
const PackedPerElement = 31

// PackInt8 packs int8 values into field elements: element k is
// Σ_i (v[31k+i] + 128)·256^i, i.e. the offset bytes in little-endian order.
// Public tensors are exposed this way so that a proof over n values costs
// ⌈n/31⌉ public inputs, which keeps the on-chain verifier small and cheap.
func PackInt8(values []int64) ([]*big.Int, error) {
	out := make([]*big.Int, 0, (len(values)+PackedPerElement-1)/PackedPerElement)
	for start := 0; start < len(values); start += PackedPerElement {
		end := min(start+PackedPerElement, len(values))
		e := new(big.Int)
		for i := end - 1; i >= start; i-- {
			v := values[i]
			if v < Int8Min || v > Int8Max {
				return nil, fmt.Errorf("%w: value %d = %d is not int8", ErrRange, i, v)
			}
			e.Lsh(e, 8)
			e.Add(e, big.NewInt(v-Int8Min))
		}
		out = append(out, e)
	}
	return out, nil
}

// Flatten returns the rows of v one after the other.
func Flatten(v [][]int64) []int64 {
	var out []int64
	for _, row := range v {
		out = append(out, row...)
	}
	return out
}
