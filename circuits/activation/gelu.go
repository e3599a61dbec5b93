package activation

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/quant"
)

// GELU maps int8 values (requantization outputs) through table, the
// circuit's GELU table (fixedpoint.NewTable of the model's 256-entry
// GELUTable, indexed by v + 128). The lookup itself proves the index is in [0, 256).
func GELU(api frontend.API, table logderivlookup.Table, v []frontend.Variable) []frontend.Variable {
	idx := make([]frontend.Variable, len(v))
	for i, x := range v {
		idx[i] = api.Sub(x, quant.Int8Min)
	}
	return table.Lookup(idx...)
}
