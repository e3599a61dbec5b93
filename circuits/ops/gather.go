package ops

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Gather constrains ops.QGather: one log-derivative lookup table of the
// V·D table entries, entry id·D + j holding Table[id][j], and for every id
// and column j the lookup of id·D + j.
//
// Why this binds the id: the ids are an index value, range-checked to
// [Lo, Hi] ⊆ [0, V) by their producer (a graph input is, where modelio
// exposes it), and j < D is a constant, so id·D + j < V·D is a valid index
// and (id, j) ↦ id·D + j is injective: the looked-up values are exactly row
// id. The lookup argument only proves that each queried index is one of
// the table's, 0 … V·D − 1; without the range check, a field element id
// with id·D ≡ t (mod p) for any t < V·D − D + 1 would pass and read a
// window of D consecutive entries straddling two rows.
//
// The outputs are table entries: int8 constants under fixed weights,
// int8-range-checked witnesses (bindWeights) otherwise, so every output
// is within the output's bounds [-128, 127].
type Gather struct{}

func init() { gadget.Register("gather", Gather{}) }

func (Gather) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QGather](op)
	if err != nil {
		return nil, err
	}
	var t logderivlookup.Table
	if c.W != nil {
		t = logderivlookup.New(c.API)
		for _, w := range c.W[0] {
			t.Insert(w)
		}
	} else {
		entries := make([]int64, len(q.Table))
		for i, v := range q.Table {
			entries[i] = int64(v)
		}
		t = c.Table(entries)
	}
	queries := make([]frontend.Variable, 0, out[0].Size())
	for _, id := range in[0].V {
		base := c.API.Mul(id, q.D)
		for j := 0; j < q.D; j++ {
			queries = append(queries, c.API.Add(base, j))
		}
	}
	return one(t.Lookup(queries...)), nil
}

// WitnessWeights: under hashed or public weights the table's entries are
// the witness parameters (range-checked to int8 and bound to the
// commitment by the graph circuit).
func (Gather) WitnessWeights() {}

func (Gather) Tables(op quant.Op) [][]int64 {
	q := op.(*ops.QGather)
	entries := make([]int64, len(q.Table))
	for i, v := range q.Table {
		entries[i] = int64(v)
	}
	return [][]int64{entries}
}

func (Gather) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }
