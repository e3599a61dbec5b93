package ops

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// SampleTokens constrains ops.SampleTokens. For every checked row
// x_0…x_(V−1) (r = From + k), with SampleMaxHint's maximum m, threshold key
// κ and top-k bits b_j, and SampleDrawHint's t and bits c_j:
//
//	E_j = Weights[m − x_j]            (a lookup: m − x_j ∈ [0, 255], so m ≥ x_j)
//	Π_j (m − x_j) = 0                 (m is one of the x_j: the maximum)
//	K ≤ V − 1 only: b_j(b_j − 1) = 0, Σ b_j = K,
//	  (2b_j − 1)(key_j − κ) + b_j − 1 ∈ [0, 2^kb), key_j = (x_j + 128)·V + V − 1 − j
//	  (b_j = 1 iff key_j ≥ κ; the keys are distinct, so exactly the K largest)
//	  Π_j (b_j·(key_j − κ) + 1 − b_j) = 0   (κ is the K-th largest key)
//	w_j = b_j·E_j,  C_j = w_0 + … + w_j,  S = C_(V−1)
//	u = Poseidon2(SampleTag, seed, r), its 254 bits (unique: below the
//	  modulus), lo = its low 64 bits
//	lo·S = t·2^64 + ρ,  ρ ∈ [0, 2^64), t ∈ [0, 2^41)   (t = floor(lo·S/2^64) < S)
//	c_j(c_j − 1) = 0,  (2c_j − 1)(t − C_j) + c_j − 1 ∈ [0, 2^41)
//	  (c_j = 1 iff C_j ≤ t; C is non-decreasing, C_(V−1) = S > t)
//	out_k = Σ c_j = min { j : C_j > t },   ids[r + 1] = out_k (k < N − 1)
//
// Every hint output is pinned: m by the lookups and the product, b by the
// key comparisons and their count, κ by the product over the selected keys
// (with K = V: κ and b are asserted 0), t and ρ by the product's unique
// decomposition (lo·S < 2^105, far below the field), c by the comparisons.
//
// sample_tokens_rows (ops.SampleTokens with Sliced) is the same gadget on
// logits that hold the checked rows only: row k is position r = From + k,
// and the hash and the ids use r.
type SampleTokens struct{}

func init() {
	gadget.Register("sample_tokens", SampleTokens{})
	gadget.Register("sample_tokens_rows", SampleTokens{})
	solver.RegisterHint(SampleMaxHint, SampleDrawHint)
}

// sampleKeyBits bounds |key_j − κ| for a vocabulary of v.
func sampleKeyBits(v int) int { return big.NewInt(int64(256*v)).BitLen() + 1 }

func (SampleTokens) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	s, err := opAs[*ops.SampleTokens](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	sh := in[0].Value.Shape
	v := sh[len(sh)-1]
	table := c.Table(s.Weights)
	rows := out[0].Size()
	y := make([]frontend.Variable, rows)
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	for k := range y {
		r, row := s.From+k, s.Row(k) // the position, its logits row
		x := in[0].V[row*v : (row+1)*v]
		hint, err := api.Compiler().NewHint(SampleMaxHint, 2+v, append([]frontend.Variable{s.TopK}, x...)...)
		if err != nil {
			return nil, err
		}
		m, kappa, b := hint[0], hint[1], hint[2:]
		var prod frontend.Variable = 1
		w := make([]frontend.Variable, v)
		var count, atKappa frontend.Variable = 0, 1
		for j, xj := range x {
			d := api.Sub(m, xj)
			prod = api.Mul(prod, d)
			e := table.Lookup(d)[0]
			if s.TopK == v {
				w[j] = e
				continue
			}
			api.AssertIsBoolean(b[j])
			count = api.Add(count, b[j])
			key := api.Add(api.Mul(api.Add(xj, 128), v), v-1-j)
			diff := api.Sub(key, kappa)
			cmp := api.Add(api.Mul(api.Sub(api.Mul(b[j], 2), 1), diff), b[j], -1)
			c.FP.Check(cmp, sampleKeyBits(v))
			// κ is the smallest selected key: some selected key equals it.
			atKappa = api.Mul(atKappa, api.Add(api.Mul(b[j], diff), 1, api.Neg(b[j])))
			w[j] = api.Mul(b[j], e)
		}
		api.AssertIsEqual(prod, 0)
		if s.TopK < v {
			api.AssertIsEqual(count, s.TopK)
			api.AssertIsEqual(atKappa, 0)
		} else {
			api.AssertIsEqual(kappa, 0) // unused: pinned
			for _, bj := range b {
				api.AssertIsEqual(bj, 0)
			}
		}
		cum := make([]frontend.Variable, v)
		var sum frontend.Variable = 0
		for j := range w {
			sum = api.Add(sum, w[j])
			cum[j] = sum
		}
		u, err := modelio.Hash(api, []frontend.Variable{ops.SampleTag, in[2].V[0], r})
		if err != nil {
			return nil, err
		}
		bitsU := api.ToBinary(u, api.Compiler().FieldBitLen())
		lo := api.FromBinary(bitsU[:64]...)
		draw, err := api.Compiler().NewHint(SampleDrawHint, 2+v, append([]frontend.Variable{lo, sum}, cum...)...)
		if err != nil {
			return nil, err
		}
		t, rho, cbits := draw[0], draw[1], draw[2:]
		c.FP.Check(t, ops.SampleSumBits)
		c.FP.Check(rho, 64)
		api.AssertIsEqual(api.Mul(lo, sum), api.Add(api.Mul(t, two64), rho))
		var idx frontend.Variable = 0
		for j, cj := range cbits {
			api.AssertIsBoolean(cj)
			cmp := api.Add(api.Mul(api.Sub(api.Mul(cj, 2), 1), api.Sub(t, cum[j])), cj, -1)
			c.FP.Check(cmp, ops.SampleSumBits)
			idx = api.Add(idx, cj)
		}
		y[k] = idx
		if k < rows-1 {
			api.AssertIsEqual(in[1].V[r+1], idx)
		}
	}
	return one(y), nil
}

func (SampleTokens) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	s, ok := op.(*ops.SampleTokens)
	sh := in[0].Shape
	v, rows := sh[len(sh)-1], out[0].Size()
	sites := []fixedpoint.Site{rangeSite(ops.SampleSumBits, rows*(v+1)), rangeSite(64, rows)}
	if ok && s.TopK < v {
		sites = append(sites, rangeSite(uint(sampleKeyBits(v)), rows*v))
	}
	return sites
}

func (SampleTokens) Tables(op quant.Op) [][]int64 {
	if s, ok := op.(*ops.SampleTokens); ok {
		return [][]int64{s.Weights}
	}
	return nil
}

// signedOf reads a field element as a signed integer.
func signedOf(field, v *big.Int) *big.Int {
	if v.Cmp(new(big.Int).Rsh(field, 1)) > 0 {
		return new(big.Int).Sub(v, field)
	}
	return new(big.Int).Set(v)
}

// SampleMaxHint returns the maximum m of its signed inputs 1.., the
// threshold key κ of the k largest keys (inputs[0] = k; κ = 0 when k is
// all of them) and their bits (1: among the k largest; all 0 when k is all
// of them, where the gadget takes every position).
func SampleMaxHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 2 || !inputs[0].IsInt64() || len(outputs) != len(inputs)+1 {
		return fmt.Errorf("SampleMaxHint: want k, n ≥ 1 values and n + 2 outputs")
	}
	k, n := int(inputs[0].Int64()), len(inputs)-1
	x := make([]int64, n)
	for j, e := range inputs[1:] {
		x[j] = signedOf(field, e).Int64()
	}
	m := x[0]
	for _, e := range x {
		m = max(m, e)
	}
	outputs[0].Mod(big.NewInt(m), field)
	for i := range outputs[1:] {
		outputs[i+1].SetInt64(0)
	}
	if k < 1 || k >= n {
		return nil
	}
	key := func(j int) int64 { return (x[j]+128)*int64(n) + int64(n-1-j) }
	order := make([]int, n)
	for j := range order {
		order[j] = j
	}
	sort.Slice(order, func(a, b int) bool { return key(order[a]) > key(order[b]) })
	outputs[1].SetInt64(key(order[k-1]))
	for _, j := range order[:k] {
		outputs[2+j].SetInt64(1)
	}
	return nil
}

// SampleDrawHint returns t = floor(lo·S / 2^64), ρ = lo·S − t·2^64 and the
// bits [C_j ≤ t] (inputs: lo, S, C_0…C_(n−1)).
func SampleDrawHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 3 || len(outputs) != len(inputs) {
		return fmt.Errorf("SampleDrawHint: want lo, S, n ≥ 1 sums and n + 2 outputs")
	}
	p := new(big.Int).Mul(inputs[0], inputs[1])
	t := new(big.Int).Rsh(p, 64)
	outputs[0].Set(t)
	outputs[1].Sub(p, new(big.Int).Lsh(t, 64))
	for j, cj := range inputs[2:] {
		outputs[2+j].SetInt64(0)
		if cj.Cmp(t) <= 0 {
			outputs[2+j].SetInt64(1)
		}
	}
	return nil
}
