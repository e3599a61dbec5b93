package fixedpoint

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
)

// PackedShift is K of a packed table's keys i + 2^K·T[i] (see NewPackedTable).
const PackedShift = 100

// packedTable is a function table i ↦ T[i] served by the log checker's
// argument as single keys i + 2^K·T[i] (see Gadget.NewPackedTable).
type packedTable struct {
	api    frontend.API
	values []int64
	keys   []*big.Int
	// queries are the keys idx + 2^K·val the circuit looked up.
	queries []frontend.Variable
}

// NewPackedTable returns a lookup table of values (index i ↦ values[i])
// whose lookups cost one R1CS constraint each instead of two: under
// WithLogChecker a lookup of idx returns a hinted val and adds the single
// key idx + 2^K·val (K = PackedShift) to a log-derivative argument over the
// constant keys i + 2^K·values[i], run with the range checks' commitment and
// challenge (as a separate sum, so that no key meets the range table). Other
// gadgets return NewTable(values), gnark's table.
//
// The key pins idx and val only when both are known integers of bounded
// size, which the lookup itself does not give: a key equal to i +
// 2^K·values[i] leaves val = values[i] + (i − idx)·2^−K for any idx. The
// caller must therefore (a) bound idx, |idx| < 2^30, and (b) pin val to a
// bounded integer by its own constraints (an integer multiple of val plus
// bounded integers range-checked far below 2^(K−40)); then (i − idx)·2^−K
// is an integer of size below 2^(K−40)… only when i = idx, so idx is in the
// table's domain and val = values[idx]. attention.Softmax is such a caller
// (its package doc gives the argument). Values must lie in [0, 2^40).
func (g *Gadget) NewPackedTable(values []int64) logderivlookup.Table {
	if !g.log {
		return NewTable(g.api, values)
	}
	t := &packedTable{api: g.api, values: values, keys: make([]*big.Int, len(values))}
	for i, v := range values {
		if v < 0 || v >= 1<<40 {
			panic(fmt.Sprintf("fixedpoint: packed table value %d = %d outside [0, 2^40)", i, v))
		}
		k := new(big.Int).Lsh(big.NewInt(v), PackedShift)
		t.keys[i] = k.Add(k, big.NewInt(int64(i)))
	}
	lc := g.rc.(*logChecker)
	lc.packed = append(lc.packed, t)
	return t
}

// Insert is not supported: a packed table's entries are fixed at creation.
func (t *packedTable) Insert(frontend.Variable) int {
	panic("fixedpoint: packed tables are fixed at creation")
}

// Lookup returns values[idx] for each index (hinted; see NewPackedTable
// for what pins them).
func (t *packedTable) Lookup(inds ...frontend.Variable) []frontend.Variable {
	if len(inds) == 0 {
		return nil
	}
	in := make([]frontend.Variable, 0, 1+len(t.values)+len(inds))
	in = append(in, len(t.values))
	for _, v := range t.values {
		in = append(in, v)
	}
	in = append(in, inds...)
	out, err := t.api.Compiler().NewHint(PackedLookupHint, len(inds), in...)
	if err != nil {
		panic(err)
	}
	shift := new(big.Int).Lsh(big.NewInt(1), PackedShift)
	for i, idx := range inds {
		t.queries = append(t.queries, t.api.Add(idx, t.api.Mul(out[i], shift)))
	}
	return out
}

// PackedLookupHint returns values[idx] for each index (inputs: n,
// values[0..n), indices...); an index outside [0, n) is an error.
func PackedLookupHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 1 || !inputs[0].IsUint64() || uint64(len(inputs)) != 1+inputs[0].Uint64()+uint64(len(outputs)) {
		return fmt.Errorf("PackedLookupHint: want n, n values and %d indices", len(outputs))
	}
	n := int(inputs[0].Uint64())
	values, inds := inputs[1:1+n], inputs[1+n:]
	for i, idx := range inds {
		if !idx.IsUint64() || idx.Uint64() >= uint64(n) {
			return fmt.Errorf("PackedLookupHint: index %s outside the table of %d entries", idx, n)
		}
		outputs[i].Set(values[idx.Uint64()])
	}
	return nil
}

// PackedCountHint returns, for each key of a packed table, how many of the
// queries equal it (inputs: n, keys[0..n), queries...). Queries that are no
// key are not counted: the argument then fails.
func PackedCountHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 1 || !inputs[0].IsUint64() || uint64(len(outputs)) != inputs[0].Uint64() || uint64(len(inputs)) < 1+inputs[0].Uint64() {
		return fmt.Errorf("PackedCountHint: want n, n keys, queries and n outputs")
	}
	n := int(inputs[0].Uint64())
	index := make(map[string]int, n)
	for i, k := range inputs[1 : 1+n] {
		index[string(k.Bytes())] = i
	}
	counts := make([]uint64, n)
	for _, q := range inputs[1+n:] {
		if i, ok := index[string(q.Bytes())]; ok {
			counts[i]++
		}
	}
	for i, c := range counts {
		outputs[i].SetUint64(c)
	}
	return nil
}
