// Package norm constrains LayerNorm exactly as quant.LayerNorm computes it.
//
// For a row x of d int8 values the gadget computes, as linear combinations,
// S = Σx and c_i = d·x_i − S; then V = Σc_i² + ε (d products), the hinted
// reciprocal square root r, z_i = c_i·r (d products) and the requantized
// out_i = requant(z_i·γ_i + β_i). The hint r is pinned by
//
//	0 ≤ r < 2^(K+1)
//	t1 = 2^2K − r²·V            ∈ [0, 2^B)
//	t2 = (r+1)²·V − 2^2K − 1    ∈ [0, 2^B)
//
// i.e. r²·V ≤ 2^2K < (r+1)²·V, which has the single non-negative solution
// r = floor(2^K / sqrt(V)). Without the range check of r, −r would satisfy the
// same bounds.
package norm

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

func init() {
	solver.RegisterHint(GetHints()...)
}

// GetHints lists the hints of this package.
func GetHints() []solver.Hint { return []solver.Hint{RsqrtHint} }

// LayerNorm normalizes one row of int8 values (range-checked or clamp outputs).
func LayerNorm(api frontend.API, fp *fixedpoint.Gadget, ln *quant.LayerNorm, x []frontend.Variable) []frontend.Variable {
	d := len(x)
	sum := api.Add(0, 0, x...)
	c := make([]frontend.Variable, d)
	sq := make([]frontend.Variable, d)
	for i := range x {
		c[i] = api.Sub(api.Mul(x[i], d), sum)
		sq[i] = api.Mul(c[i], c[i])
	}
	v := api.Add(ln.Eps, 0, sq...)
	r := Rsqrt(api, fp, v, ln.K, VBound(d))
	bits := fixedpoint.QuotientBits(ln.AccBound(), ln.Mult, ln.Shift)
	out := make([]frontend.Variable, d)
	for i := range x {
		z := api.Mul(c[i], r)
		out[i] = fp.Requantize(api.Add(api.Mul(z, ln.Gamma[i]), ln.Beta[i]), ln.Mult, ln.Shift, quant.Int8Min, quant.Int8Max, bits)
	}
	return out
}

// Sites returns the clamp sites of ln applied to rows rows, for fixedpoint.NewPlan.
func Sites(ln *quant.LayerNorm, rows int) []fixedpoint.Site {
	return []fixedpoint.Site{{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: fixedpoint.QuotientBits(ln.AccBound(), ln.Mult, ln.Shift), Shift: ln.Shift, Count: ln.D * rows}}
}

// VBound bounds V = Σc_i² + ε for rows of d int8 values: d·(255·d)² + 2^40.
func VBound(d int) *big.Int {
	v := new(big.Int).Mul(big.NewInt(int64(d)), new(big.Int).Exp(big.NewInt(int64(255*d)), big.NewInt(2), nil))
	return v.Add(v, new(big.Int).Lsh(big.NewInt(1), 40))
}

// Rsqrt returns r = floor(2^k / sqrt(v)) for 1 ≤ v ≤ vMax.
func Rsqrt(api frontend.API, fp *fixedpoint.Gadget, v frontend.Variable, k uint, vMax *big.Int) frontend.Variable {
	res, err := api.Compiler().NewHint(RsqrtHint, 1, v, k)
	if err != nil {
		panic(err)
	}
	r := res[0]
	// Bounds only (CheckBound may widen them to whole limbs): with r ≥ 0
	// and r, t1, t2 far below the field (r < 2^(k+17), t < 2^(bits+16)), the
	// two inequalities below hold over the integers and pin r.
	fp.CheckBound(r, int(k)+1)
	two2k := new(big.Int).Lsh(big.NewInt(1), 2*k)
	r2 := api.Mul(r, r)
	r2v := api.Mul(r2, v)
	rv := api.Mul(r, v)
	// (2r+1)·v bounds both gaps: 2r+1 ≤ 2^(k+2) and v ≤ vMax.
	bits := int(k) + 2 + vMax.BitLen()
	fp.CheckBound(api.Sub(two2k, r2v), bits)
	fp.CheckBound(api.Sub(api.Add(r2v, api.Mul(rv, 2), v), two2k, 1), bits)
	return r
}

// RsqrtHint returns floor(2^k / sqrt(v)) (inputs: v ≥ 1, k), as quant.LNRsqrt.
func RsqrtHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 2 || len(outputs) != 1 {
		return fmt.Errorf("RsqrtHint: want 2 inputs and 1 output")
	}
	v, k := inputs[0], inputs[1].Uint64()
	if v.Sign() <= 0 || !v.IsInt64() || k > 120 {
		return fmt.Errorf("RsqrtHint: v = %s, k = %d out of range", v, k)
	}
	outputs[0].SetInt64(quant.LNRsqrt(v.Int64(), uint(k)))
	return nil
}
