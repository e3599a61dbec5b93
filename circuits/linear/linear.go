// Package linear constrains dense layers.
//
// With constant weights (the `fixed` visibility) every accumulator
// acc[j] = Σ_i in[i]·W[i][j] + b[j] is a linear combination of the inputs: in
// R1CS it costs no constraint at all, only the requantization that follows does.
//
// With witness weights (hashed or public) each product in·w is a product of
// two witnesses: DenseWitness pays one constraint each, DenseWitnessRows
// batches the rows (tokens) of a layer into one matrix product checked by
// circuits/matmul's randomized check (see its package doc for the
// soundness argument: error ≤ c·Out/|F| for the product, run once).
package linear

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// Accumulate returns acc[j] = Σ_i in[i]·d.W[i·d.Out+j] + d.B[j] for the
// constant weights of d. Zero weights add no term.
func Accumulate(api frontend.API, d *quant.Dense, in []frontend.Variable) []frontend.Variable {
	acc := make([]frontend.Variable, d.Out)
	terms := make([]frontend.Variable, 0, d.In+1)
	for j := 0; j < d.Out; j++ {
		terms = append(terms[:0], d.B[j])
		for i := 0; i < d.In; i++ {
			if w := d.W[i*d.Out+j]; w != 0 {
				terms = append(terms, api.Mul(in[i], int64(w)))
			}
		}
		if len(terms) == 1 {
			acc[j] = terms[0]
			continue
		}
		acc[j] = api.Add(terms[0], terms[1], terms[2:]...)
	}
	return acc
}

// Sites returns the clamp sites of d applied to rows rows, for fixedpoint.NewPlan.
func Sites(d *quant.Dense, rows int) []fixedpoint.Site {
	return sitesOf(d, rows, fixedpoint.QuotientBits)
}

// sitesOf returns the clamp sites of d applied to rows rows, output j's
// quotient of quotientBits(d.AccBound(j), d.Mult[j], d.Shift) bits.
func sitesOf(d *quant.Dense, rows int, quotientBits func(accBound, mult int64, shift uint) int) []fixedpoint.Site {
	count := make(map[int]int)
	for j := 0; j < d.Out; j++ {
		count[quotientBits(d.AccBound(j), d.Mult[j], d.Shift)] += rows
	}
	sites := make([]fixedpoint.Site, 0, len(count))
	for bits, n := range count {
		sites = append(sites, fixedpoint.Site{Lo: d.Lo, Hi: d.Hi, Bits: bits, Shift: d.Shift, Count: n})
	}
	return sites
}

// Dense applies d to in: constant-weight accumulation, then requantization
// to [d.Lo, d.Hi] (with ReLU fused when d.Lo is 0), exactly as quant.Dense.Apply.
func Dense(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, in []frontend.Variable) []frontend.Variable {
	acc := Accumulate(api, d, in)
	out := make([]frontend.Variable, d.Out)
	for j := range acc {
		bits := fixedpoint.QuotientBits(d.AccBound(j), d.Mult[j], d.Shift)
		out[j] = fp.Requantize(acc[j], d.Mult[j], d.Shift, d.Lo, d.Hi, bits)
	}
	return out
}

// DenseMapped returns f(Dense(in)) for a function f of the layer's clamped
// outputs given by values[v − d.Lo] (such as GELU), each output in one
// lookup of a table that composes the clamp with f where the plan allows
// (fixedpoint.Gadget.RequantizeMapped, shared by key), else Dense followed
// by fallback.Lookup(out − d.Lo). The values are those of Dense then f.
func DenseMapped(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, in []frontend.Variable, key string, values []int64, fallback logderivlookup.Table) []frontend.Variable {
	acc := Accumulate(api, d, in)
	out := make([]frontend.Variable, d.Out)
	for j := range acc {
		bits := fixedpoint.QuotientBits(d.AccBound(j), d.Mult[j], d.Shift)
		out[j] = fp.RequantizeMapped(acc[j], d.Mult[j], d.Shift, d.Lo, d.Hi, bits, key, values, fallback)
	}
	return out
}

// MappedPays reports whether DenseMapped's composed table pays for count
// outputs of d: each saves a clamp lookup (2 R1CS constraints) and the table
// costs one constraint per entry, for the widest output bound of d.
func MappedPays(fp *fixedpoint.Gadget, d *quant.Dense, count int) bool {
	k := 0
	for j := 0; j < d.Out; j++ {
		kj := fp.MappedTableBits(d.Lo, d.Hi, fixedpoint.QuotientBits(d.AccBound(j), d.Mult[j], d.Shift))
		if kj == 0 {
			return false
		}
		k = max(k, kj)
	}
	return k > 0 && 2*count > 1<<k
}

// ResidualSites returns the clamp sites of DenseAdd applied to rows rows.
func ResidualSites(d *quant.Dense, rows int) []fixedpoint.Site {
	return sitesOf(d, rows, fixedpoint.ResidualQuotientBits)
}

// DenseAdd applies d to in and adds res (d.Out int8 values, constrained
// by the caller) before the one clamp to [d.Lo, d.Hi]
// (fixedpoint.Gadget.RequantizeAdd): ops.QLinearResidual.Apply.
func DenseAdd(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, in, res []frontend.Variable) []frontend.Variable {
	acc := Accumulate(api, d, in)
	out := make([]frontend.Variable, d.Out)
	for j := range acc {
		bits := fixedpoint.ResidualQuotientBits(d.AccBound(j), d.Mult[j], d.Shift)
		out[j] = fp.RequantizeAdd(acc[j], d.Mult[j], d.Shift, res[j], d.Lo, d.Hi, bits)
	}
	return out
}
