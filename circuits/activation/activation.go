// Package activation constrains activation functions over integer tensors.
package activation

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
)

// ReLU returns max(v, 0) for values with |v| < 2^bits, as quant.ReLU.
//
// After an int8 requantization, ReLU is fused into the clamp (lower bound 0)
// and costs nothing; this gadget serves values that are not requantized.
func ReLU(fp *fixedpoint.Gadget, v frontend.Variable, bits int) frontend.Variable {
	return fp.ClampLow(v, 0, bits)
}
