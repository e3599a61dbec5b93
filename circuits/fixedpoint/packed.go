package fixedpoint

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/multicommit"
)

// PackedShift is K of a packed table's keys i + 2^K·T[i] (NewPackedTable).
const PackedShift = 100

// packedTable is a function table i ↦ T[i] checked as single keys
// i + 2^K·T[i] by its own log-derivative argument (NewPackedTable).
type packedTable struct {
	api    frontend.API
	values []int64
	keys   []*big.Int
	// queries are the keys idx + 2^K·val the circuit looked up.
	queries []frontend.Variable
	closed  bool
}

// NewPackedTable returns a lookup table of values (index i ↦ values[i],
// each in [0, 2^40)) whose lookups cost one R1CS constraint each instead of
// gnark's two. A lookup of idx returns a hinted val and queries the single
// key idx + 2^K·val (K = PackedShift) in a log-derivative argument over the
// constant keys i + 2^K·values[i] (Haböck 2022; the argument of
// logChecker, with its own challenge from the circuit's commitment): no
// random combination of index and value, so no product with the
// challenge. The table's keys never meet another argument's entries.
//
// The key alone does not pin idx and val: for any idx, val = values[i] +
// (i − idx)·2^−K (a field element, not an integer) gives a valid key. A
// caller must therefore know idx as an integer with |idx| < 2^30 and pin
// val to an integer by its own constraints: then (i − idx)·2^−K is an
// integer although |i − idx| < 2^31 ≪ 2^K, which leaves i = idx (so idx is
// in the table's domain) and val = values[idx]. attention.Softmax is such
// a caller (its package doc gives the argument, through the range checks
// of its division); do not use this table where nothing else bounds the
// values looked up. Insert is not supported.
func NewPackedTable(api frontend.API, values []int64) logderivlookup.Table {
	t := &packedTable{api: api, values: values, keys: make([]*big.Int, len(values))}
	for i, v := range values {
		if v < 0 || v >= 1<<40 {
			panic(fmt.Sprintf("fixedpoint: packed table value %d = %d outside [0, 2^40)", i, v))
		}
		k := new(big.Int).Lsh(big.NewInt(v), PackedShift)
		t.keys[i] = k.Add(k, big.NewInt(int64(i)))
	}
	api.Compiler().Defer(t.commit)
	return t
}

// Insert is not supported: a packed table's entries are fixed at creation.
func (t *packedTable) Insert(frontend.Variable) int {
	panic("fixedpoint: packed tables are fixed at creation")
}

// Lookup returns values[idx] for each index (hinted; see NewPackedTable
// for what pins them).
func (t *packedTable) Lookup(inds ...frontend.Variable) []frontend.Variable {
	if t.closed {
		panic("fixedpoint: lookup after the packed table was committed")
	}
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

// commit asserts Σ_q 1/(x − q) = Σ_j m_j/(x − key_j) for the hinted
// multiplicities m_j, x derived from a commitment to the queries' wires and
// the multiplicities. Soundness as logChecker's: a query that is no key
// leaves a pole on the left only, so the two sides agree at a random x with
// probability below (N + n)/|F|. A table nothing looked up costs nothing.
func (t *packedTable) commit(api frontend.API) error {
	if t.closed {
		return nil
	}
	t.closed = true
	if len(t.queries) == 0 {
		return nil
	}
	return keyArgument(api, t.keys, t.queries)
}

// keyArgument asserts that every query is one of keys (distinct constants)
// by a log-derivative argument of its own: Σ_q 1/(x − q) = Σ_j m_j/(x −
// key_j) for multiplicities m_j from PackedCountHint, x drawn from a
// commitment to the queries' wires and the multiplicities (std/multicommit:
// the circuit's one BSB22 commitment under Groth16). Soundness as
// logChecker's: a query that is no key leaves a pole on the left only, so
// the sides agree at a random x with probability below (N + n)/|F|. It
// costs one constraint per query and one per key.
func keyArgument(api frontend.API, keys []*big.Int, queries []frontend.Variable) error {
	in := make([]frontend.Variable, 0, 1+len(keys)+len(queries))
	in = append(in, len(keys))
	for _, k := range keys {
		in = append(in, k)
	}
	in = append(in, queries...)
	mult, err := api.Compiler().NewHint(PackedCountHint, len(keys), in...)
	if err != nil {
		return err
	}
	committed := append(append([]frontend.Variable{}, queries...), mult...)
	multicommit.WithCommitment(api, func(api frontend.API, x frontend.Variable) error {
		left := make([]frontend.Variable, len(queries))
		for i, q := range queries {
			left[i] = api.Sub(x, q)
		}
		if bi, ok := api.(frontend.BatchInverter); ok {
			left = bi.BatchInvert(left)
		} else {
			for i := range left {
				left[i] = api.Inverse(left[i])
			}
		}
		right := make([]frontend.Variable, len(keys))
		for j, k := range keys {
			right[j] = api.DivUnchecked(mult[j], api.Sub(x, k))
		}
		api.AssertIsEqual(sumAll(api, left), sumAll(api, right))
		return nil
	}, committed...)
	return nil
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
