package ops

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// GatherPacked constrains ops.QGatherPacked: one log-derivative lookup
// table of V·K entries (K = ⌈D/C⌉), entry id·K + k holding
//
//	P(id, k) = Σ_{i < n_k} (Table[id][k·C + i] + 128) · 256^i,  n_k = min(C, D − k·C)
//
// and for every id and chunk k the lookup of id·K + k, unpacked by
// UnpackHint into n_k bytes b_i with
//
//	0 ≤ b_i < 256 (8-bit range checks)   and   Σ b_i · 256^i = looked-up value,
//
// the outputs being b_i − 128.
//
// Why the outputs are exactly row id: the ids are an index value
// range-checked to [0, V) by their producer, so (id, k) ↦ id·K + k is
// injective into the table's indices (gather.go's argument) and the lookup
// returns P(id, k). The bytes are range-checked and n_k ≤ 31, so Σ b_i·256^i
// < 2^248 is below the field's modulus: the field equation is an integer
// one, and the base-256 digits of an integer are unique, so b_i =
// Table[id][k·C + i] + 128 for every i, and every output is within
// [-128, 127].
//
// Under fixed weights P(id, k) are constants; under hashed or public
// weights they are linear combinations of the int8-range-checked,
// committed table witnesses (the commitment and its encoding are
// gather's).
type GatherPacked struct{}

func init() {
	gadget.Register("gather_packed", GatherPacked{})
	solver.RegisterHint(UnpackHint)
}

// UnpackHint returns the len(outputs) base-256 digits of inputs[0], lowest first.
func UnpackHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 1 {
		return fmt.Errorf("unpack hint: %d inputs, want 1", len(inputs))
	}
	x := new(big.Int).Set(inputs[0])
	mask := big.NewInt(255)
	for _, o := range outputs {
		o.And(x, mask)
		x.Rsh(x, 8)
	}
	return nil
}

func (GatherPacked) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QGatherPacked](op)
	if err != nil {
		return nil, err
	}
	k := q.Chunks()
	width := func(j int) int { return min(q.C, q.D-j*q.C) }
	pow := make([]*big.Int, q.C)
	for i := range pow {
		pow[i] = new(big.Int).Lsh(big.NewInt(1), uint(8*i))
	}
	t := logderivlookup.New(c.API)
	if c.W != nil {
		terms := make([]frontend.Variable, 0, q.C)
		for id := range q.V {
			for j := range k {
				terms = terms[:0]
				row := c.W[0][id*q.D+j*q.C:]
				for i := range width(j) {
					terms = append(terms, c.API.Mul(c.API.Add(row[i], -quant.Int8Min), pow[i]))
				}
				t.Insert(sum(c.API, terms))
			}
		}
	} else {
		var acc, b big.Int
		for id := range q.V {
			for j := range k {
				acc.SetInt64(0)
				row := q.Table[id*q.D+j*q.C:]
				for i := range width(j) {
					b.SetInt64(int64(row[i]) - quant.Int8Min)
					acc.Add(&acc, b.Lsh(&b, uint(8*i)))
				}
				t.Insert(new(big.Int).Set(&acc))
			}
		}
	}
	queries := make([]frontend.Variable, 0, len(in[0].V)*k)
	for _, id := range in[0].V {
		base := c.API.Mul(id, k)
		for j := range k {
			queries = append(queries, c.API.Add(base, j))
		}
	}
	packed := t.Lookup(queries...)
	y := make([]frontend.Variable, 0, out[0].Size())
	terms := make([]frontend.Variable, 0, q.C)
	for n, p := range packed {
		w := width(n % k)
		b, err := c.API.Compiler().NewHint(UnpackHint, w, p)
		if err != nil {
			return nil, err
		}
		terms = terms[:0]
		for i, bi := range b {
			c.FP.Check(bi, 8)
			terms = append(terms, c.API.Mul(bi, pow[i]))
			y = append(y, c.API.Add(bi, quant.Int8Min))
		}
		c.API.AssertIsEqual(sum(c.API, terms), p)
	}
	return one(y), nil
}

// sum is the sum of terms (one or more).
func sum(api frontend.API, terms []frontend.Variable) frontend.Variable {
	if len(terms) == 1 {
		return terms[0]
	}
	return api.Add(terms[0], terms[1], terms[2:]...)
}

// WitnessWeights: under hashed or public weights the table's entries are
// the witness parameters, as for gather.
func (GatherPacked) WitnessWeights() {}

func (GatherPacked) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

// Checks: one 8-bit check per output value (not planned, as MaxPool's).
func (GatherPacked) Checks(_ quant.Op, _, out []quant.Value) []fixedpoint.Site {
	return []fixedpoint.Site{rangeSite(8, out[0].Size())}
}
