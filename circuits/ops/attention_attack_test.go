package ops_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Adversarial tests of the attention gadget (the prover controls every
// hint output; the model file's author every attribute Check accepts).

// attnDirect is x [max(tq, s), width] → attention with Q = x's first tq
// rows and H·dh columns, K and V slices of x's first s rows, so the
// extreme inputs (all −128, all 127, alternating) reach the attention's
// operands unchanged.
func attnDirect(t testing.TB, seed uint64, tq, s int, a *ops.Attention) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 71))
	qw, kvw := int64(a.Heads*a.HeadDim), int64(a.KVHeads*a.HeadDim)
	width := int(max(qw, 2*kvw))
	slice := func(rows int, c0, c1 int64) *ops.Slice {
		return &ops.Slice{Starts: []int64{0, c0}, Ends: []int64{int64(rows), c1}, Axes: []int64{0, 1}}
	}
	nodes := []nmNode{
		{"q", slice(tq, 0, qw), []string{"x"}},
		{"k", slice(s, 0, kvw), []string{"x"}},
		{"v", slice(s, kvw, 2*kvw), []string{"x"}},
		{"attn", a, []string{"q", "k", "v"}},
	}
	return nmModel(t, rng, []int{max(tq, s), width}, nodes...)
}

func attnKeepTS(tq, s int, f func(i, j int) bool) []int8 {
	k := make([]int8, tq*s)
	for i := 0; i < tq; i++ {
		for j := 0; j < s; j++ {
			if f(i, j) {
				k[i*s+j] = 1
			}
		}
	}
	return k
}

// The circuit equals the integer reference bit for bit on the extreme
// inputs at the attention's operands, for every mask kind, T ≠ S, S = 1,
// H = Hkv = 1, GQA/MQA, all-masked rows, and scales that clamp every logit.
func TestAttentionAttackExtremes(t *testing.T) {
	for name, c := range map[string]struct {
		tq, s int
		a     *ops.Attention
	}{
		"h1 none":          {3, 3, &ops.Attention{Heads: 1, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskNone}},
		"s1 t3":            {3, 1, &ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 2, Scale: 0.5, Mask: ops.MaskNone}},
		"t2 s4 gqa":        {2, 4, &ops.Attention{Heads: 4, KVHeads: 2, HeadDim: 2, Scale: 0.7, Mask: ops.MaskNone}},
		"causal big scale": {4, 4, &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 64, Mask: ops.MaskCausal}},
		"mqa tiny scale":   {4, 4, &ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 1e-3, Mask: ops.MaskCausal, LogitBits: 4}},
		"const t2 s3 all-masked row": {2, 3, &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: 2, Scale: 0.5, Mask: ops.MaskConst, Fill: -1e4,
			Keep: attnKeepTS(2, 3, func(i, j int) bool { return i == 1 && j != 1 })}},
		"additive all-masked row": {3, 3, &ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 2, Scale: 0.5, Mask: ops.MaskConst, Fill: -1e4, Additive: true,
			Keep: attnKeepTS(3, 3, func(i, j int) bool { return i > 0 && j <= i })}},
		"positive fill": {3, 3, &ops.Attention{Heads: 1, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Fill: 1e4,
			Keep: attnKeepTS(3, 3, func(i, j int) bool { return j != 2 })}},
		"additive positive": {3, 3, &ops.Attention{Heads: 1, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Fill: 3, Additive: true,
			Keep: attnKeepTS(3, 3, func(i, j int) bool { return j != 0 })}},
	} {
		t.Run(name, func(t *testing.T) {
			m := attnDirect(t, 1, c.tq, c.s, c.a)
			nmMatches(t, m, nmInputs(rand.New(rand.NewPCG(71, 2)), m, 1))
		})
	}
}

// attnOp returns the quantized attention node of m.
func attnOp(t testing.TB, m *quant.Model) (*ops.QAttention, int) {
	for k, n := range m.Graph.Nodes {
		if q, ok := n.Op.(*ops.QAttention); ok {
			return q, k
		}
	}
	t.Fatal("no attention node")
	return nil, 0
}

// A hostile but valid model file: constant logits exactly at the clamp
// bounds and biases at ±(the largest Check accepts). The circuit still
// equals the reference (no wrap-around anywhere).
func TestAttentionAttackBoundaryMask(t *testing.T) {
	m := attnDirect(t, 2, 3, 3, &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: 2, Scale: 0.5, Mask: ops.MaskConst, Fill: -0.25, Additive: true,
		Keep: attnKeepTS(3, 3, func(i, j int) bool { return j != 1 })})
	q, k := attnOp(t, m)
	if q.Mask != ops.MaskConst {
		t.Fatalf("mask %s", q.Mask)
	}
	lo, hi := quant.GPT2Formats{LogitBits: q.LogitBits}.LogitRange()
	n := m.Graph.Nodes[k]
	in, out := make([]quant.Value, len(n.In)), make([]quant.Value, len(n.Out))
	for x, id := range n.In {
		in[x] = m.Graph.Values[id]
	}
	for x, id := range n.Out {
		out[x] = m.Graph.Values[id]
	}
	// Row 0: lo, hi, computed; row 1: computed with the largest biases.
	q.Mode[0], q.Value[0] = ops.AttnConst, lo
	q.Mode[1], q.Value[1] = ops.AttnConst, hi
	// The largest bias Check accepts (binary search).
	set := func(b int64) error {
		q.Mode[3], q.Value[3] = ops.AttnComputed, b
		q.Mode[4], q.Value[4] = ops.AttnComputed, -b
		return q.Check(in, out)
	}
	okB, badB := int64(0), int64(1)<<62
	for badB-okB > 1 {
		if mid := okB + (badB-okB)/2; set(mid) == nil {
			okB = mid
		} else {
			badB = mid
		}
	}
	bmax := okB
	if err := set(bmax); err != nil || bmax == 0 {
		t.Fatalf("bias %d: %v", bmax, err)
	}
	t.Logf("logits [%d, %d], biases ±%d", lo, hi, bmax)
	nmMatches(t, m, nmInputs(rand.New(rand.NewPCG(71, 3)), m, 2))
}

// attnTamper checks that the circuit of m rejects the witness of input x
// when hint h returns f's outputs instead (gnark's test engine: its
// commitment is a hash of the committed values, as Fiat–Shamir).
func attnTamper(t *testing.T, m *quant.Model, x [][]int64, tampers map[string]nmTamper) {
	t.Helper()
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	w := graphtest.Assign(t, m, tr)
	if err := test.IsSolved(circ, w, graphtest.Field); err != nil {
		t.Fatalf("honest witness: %v", err)
	}
	for name, tm := range tampers {
		fake := func(f *big.Int, in, out []*big.Int) error {
			if err := tm.h(f, in, out); err != nil {
				return err
			}
			tm.f(f, in, out)
			for _, o := range out {
				o.Mod(o, f)
			}
			return nil
		}
		if err := test.IsSolved(circ, w, graphtest.Field, test.WithReplacementHint(solver.GetHintID(tm.h), fake)); err == nil {
			t.Errorf("tampered %s: accepted", name)
		}
	}
}

// signedOf is v as a signed integer.
func signedOf(f, v *big.Int) *big.Int {
	if v.Cmp(new(big.Int).Rsh(f, 1)) > 0 {
		return new(big.Int).Sub(v, f)
	}
	return new(big.Int).Set(v)
}

// onlyWhen applies g to the outputs of the calls with n outputs.
func onlyWhen(n int, g func(*big.Int, []*big.Int, []*big.Int)) func(*big.Int, []*big.Int, []*big.Int) {
	return func(f *big.Int, in, out []*big.Int) {
		if len(out) == n {
			g(f, in, out)
		}
	}
}

// Stronger lies than ±1: the max hint naming a logit that is not the
// largest (the product of the differences is still zero), the product
// hint lying only in the last stacked row (the second query head of a kv
// head, GQA) of Q·Kᵀ or only in P·V, or by a multiple of 2^shift, the
// division's quotient one low (remainder ≥ the divisor), and the
// requantization quotient moved by the logit range (both clamp to the
// same bound).
func TestAttentionAttackTamper(t *testing.T) {
	const tq = 8
	a := &ops.Attention{Heads: 4, KVHeads: 2, HeadDim: 2, Scale: 0.5, Mask: ops.MaskNone}
	m := attnDirect(t, 3, tq, tq, a)
	x := nmInputs(rand.New(rand.NewPCG(71, 4)), m, 1)[4]
	rep := a.Heads / a.KVHeads
	qk, pv := rep*tq*tq, rep*tq*a.HeadDim
	last := func(d int64) func(*big.Int, []*big.Int, []*big.Int) {
		return func(_ *big.Int, _, out []*big.Int) { out[len(out)-1].Add(out[len(out)-1], big.NewInt(d)) }
	}
	nmSecondMax := func(f *big.Int, in, out []*big.Int) {
		// The smallest logit: a logit, so ∏ Δ = 0 still holds.
		mn := signedOf(f, in[0])
		for _, v := range in[1:] {
			if s := signedOf(f, v); s.Cmp(mn) < 0 {
				mn = s
			}
		}
		if mn.Cmp(signedOf(f, out[0])) != 0 {
			out[0].Set(mn)
		}
	}
	attnTamper(t, m, x, map[string]nmTamper{
		"max = the smallest logit": {attention.MaxHint, nmSecondMax},
		"max + 2^B":                {attention.MaxHint, nmAdd(0, 1<<10)},
		"scores: last stacked row": {matmul.ProductHint, onlyWhen(qk, last(1))},
		"scores: +2^20":            {matmul.ProductHint, onlyWhen(qk, last(1<<20))},
		"scores: swap two":         {matmul.ProductHint, onlyWhen(qk, func(_ *big.Int, _, out []*big.Int) { out[0], out[1] = out[1], out[0] })},
		"P·V: last":                {matmul.ProductHint, onlyWhen(pv, last(1))},
		"P·V: -1 first":            {matmul.ProductHint, onlyWhen(pv, nmAdd(0, -1))},
		"division -1":              {fixedpoint.DivFloorHint, nmAdd(0, -1)},
		"quotient +1024":           {fixedpoint.DivPow2Hint, nmAdd(0, 1024)},
		"quotient -1":              {fixedpoint.DivPow2Hint, nmAdd(0, -1)},
		"clamp selectors":          {fixedpoint.ClampSelectHint, func(_ *big.Int, _, out []*big.Int) { out[0].Sub(big.NewInt(1), out[0]) }},
	})
}

// A hostile model.quant.json: every attention attribute a model file's
// author may set wrongly is refused by the loader with an error, never a
// panic (the model is x [2, 4] → slices → attention of one head of 2).
func TestAttentionAttackHostileJSON(t *testing.T) {
	m := attnDirect(t, 1, 2, 2, &ops.Attention{Heads: 1, KVHeads: 1, HeadDim: 2, Scale: 0.5, Mask: ops.MaskNone})
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.ParseModelJSON(data); err != nil {
		t.Fatalf("the honest file: %v", err)
	}
	base := `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`
	if !bytes.Contains(data, []byte(base)) {
		t.Fatalf("attention attributes not found in %s", data)
	}
	for name, attrs := range map[string]string{
		"zero heads":         `"heads":0,"kv_heads":0,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"heads·dim ≠ width":  `"heads":2,"kv_heads":2,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"kv width":           `"heads":2,"kv_heads":1,"head_dim":1,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"kv not dividing":    `"heads":2,"kv_heads":3,"head_dim":1,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"negative dim":       `"heads":-1,"kv_heads":-1,"head_dim":-2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"huge heads":         `"heads":1099511627776,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"fractional heads":   `"heads":1.5,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"unknown mask":       `"heads":1,"kv_heads":1,"head_dim":2,"mask":"Causal","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"const without mode": `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"mode too short":     `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1],"value":[0,0,0]`,
		"values too short":   `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1,1],"value":[0]`,
		"bias MinInt64":      `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1,1],"value":[0,0,0,-9223372036854775808]`,
		"bias out of int64":  `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1,1],"value":[0,0,0,-9223372036854775809]`,
		"first excluded":     `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[0,1,1,1],"value":[0,0,0,0]`,
		"excluded inside":    `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,0,1],"value":[0,0,0,0]`,
		"excluded value":     `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,0,1,1],"value":[0,5,0,0]`,
		"const above range":  `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,2,1,1],"value":[0,512,0,0]`,
		"mode 3":             `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1,3],"value":[0,0,0,0]`,
		"mode 300":           `"heads":1,"kv_heads":1,"head_dim":2,"mask":"const","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1,300],"value":[0,0,0,0]`,
		"causal with modes":  `"heads":1,"kv_heads":1,"head_dim":2,"mask":"causal","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27},"mode":[1,1,1,1],"value":[0,0,0,0]`,
		"logit bits 15":      `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":15,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"logit bits 0":       `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":0,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"logit frac 1000":    `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":1000,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":32768,"shift":27}`,
		"shift 200":          `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":200},"out":{"mult":32768,"shift":27}`,
		"negative shift":     `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":-1},"out":{"mult":32768,"shift":27}`,
		"negative mult":      `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":-5,"shift":21},"out":{"mult":32768,"shift":27}`,
		"huge out mult":      `"heads":1,"kv_heads":1,"head_dim":2,"mask":"none","logit_frac":9,"logit_bits":10,"logit":{"mult":32768,"shift":21},"out":{"mult":9223372036854775807,"shift":27}`,
	} {
		bad := bytes.Replace(data, []byte(base), []byte(attrs), 1)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: the loader panicked: %v", name, r)
				}
			}()
			if _, err := quant.ParseModelJSON(bad); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}()
	}
}

// Completeness: a logit requantization whose largest quotient is small
// (a logit range wider than the scores reach: a small calibrated
// multiplier, or the range widened for a masked constant) — the logits'
// clamp bounds ±2^(B−1) are farther than the int8 bounds QuotientBits
// allows for, so the honest prover could not clamp a logit near 0
// ("lookup query too large"). Every multiplier down to 1/64 of the
// calibrated one proves.
func TestAttentionAttackSmallLogitQuotient(t *testing.T) {
	for _, div := range []int64{2, 4, 16, 64} {
		m := attnDirect(t, 1, 3, 3, &ops.Attention{Heads: 1, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal})
		q, _ := attnOp(t, m)
		q.Logit.Mult /= div
		nmMatches(t, m, nmInputs(rand.New(rand.NewPCG(71, 5)), m, 1))
	}
}

// The same lies on a const mask at 8 tokens (the randomized check with
// rows of different lengths: an excluded suffix, constant logits inside
// rows, an all-masked row of constants), GQA.
func TestAttentionAttackTamperConstMask(t *testing.T) {
	const tq = 8
	a := &ops.Attention{Heads: 4, KVHeads: 2, HeadDim: 2, Scale: 0.5, Mask: ops.MaskConst, Fill: -1e4,
		Keep: attnKeepTS(tq, tq, func(i, j int) bool { return i > 0 && j != 1 && j <= i })}
	m := attnDirect(t, 4, tq, tq, a)
	q, _ := attnOp(t, m)
	rep := a.Heads / a.KVHeads
	qk := 0
	for i := 0; i < tq; i++ {
		qk += rep * q.ScoreCols(i, tq)
	}
	pv := rep * tq * a.HeadDim
	if qk == pv {
		t.Fatal("the products' output counts coincide")
	}
	x := nmInputs(rand.New(rand.NewPCG(71, 6)), m, 1)[4]
	last := func(d int64) func(*big.Int, []*big.Int, []*big.Int) {
		return func(_ *big.Int, _, out []*big.Int) { out[len(out)-1].Add(out[len(out)-1], big.NewInt(d)) }
	}
	attnTamper(t, m, x, map[string]nmTamper{
		"scores: last":       {matmul.ProductHint, onlyWhen(qk, last(1))},
		"scores: first":      {matmul.ProductHint, onlyWhen(qk, nmAdd(0, 1))},
		"P·V: last":          {matmul.ProductHint, onlyWhen(pv, last(-1))},
		"max of a const row": {attention.MaxHint, func(f *big.Int, in, out []*big.Int) { out[0].Add(out[0], big.NewInt(1)) }},
		"division +1":        {fixedpoint.DivFloorHint, nmAdd(0, 1)},
	})
}
