// Package ops holds the gadget of every op of quant/ops, one file per op
// family under the same name, each constraining exactly its op's integer
// reference (Op.Forward). Importing it registers the gadgets with
// circuits/gadget.
package ops

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/quant"
)

func opAs[T quant.Op](op quant.Op) (T, error) {
	t, ok := op.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("gadget of %T given %T", zero, op)
	}
	return t, nil
}

func one(v []frontend.Variable) [][]frontend.Variable { return [][]frontend.Variable{v} }
