package attention_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

const logitFrac, logitBits = 5, 10

// softmaxCircuit checks Probs = softmax(Logits) for one row.
type softmaxCircuit struct {
	Logits []frontend.Variable
	Probs  []frontend.Variable `gnark:",public"`
}

func (c *softmaxCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	lo, _ := quant.GPT2Formats{LogitBits: logitBits}.LogitRange()
	for _, l := range c.Logits {
		// The gadget's contract: logits are in the logit range.
		fp.Check(api.Sub(l, lo), logitBits)
	}
	exp := fixedpoint.NewTable(api, quant.ExpTableFor(logitFrac, logitBits))
	p := attention.Softmax(api, fp, exp, c.Logits)
	for i := range p {
		api.AssertIsEqual(p[i], c.Probs[i])
	}
	return nil
}

func assign(logits []int64) *softmaxCircuit {
	probs, _, _, _ := quant.SoftmaxRow(logits, quant.ExpTableFor(logitFrac, logitBits))
	c := &softmaxCircuit{}
	for i := range logits {
		c.Logits = append(c.Logits, logits[i])
		c.Probs = append(c.Probs, probs[i])
	}
	return c
}

func shape(n int) *softmaxCircuit {
	return &softmaxCircuit{Logits: make([]frontend.Variable, n), Probs: make([]frontend.Variable, n)}
}

func TestSoftmaxMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 5, 16} {
		rows := [][]int64{make([]int64, n)} // all equal: uniform probabilities
		extreme := make([]int64, n)
		for i := range extreme {
			extreme[i] = -512 // the whole range: Δ up to 1023, exp underflows to 0
		}
		extreme[0] = 511
		rows = append(rows, extreme)
		for range 20 {
			row := make([]int64, n)
			for i := range row {
				row[i] = rng.Int64N(1024) - 512
			}
			rows = append(rows, row)
		}
		for _, row := range rows {
			if err := test.IsSolved(shape(n), assign(row), field); err != nil {
				t.Fatalf("n=%d %v: %v", n, row, err)
			}
			bad := assign(row)
			bad.Probs[0] = new(big.Int).Add(big.NewInt(int64(bad.Probs[0].(int64))), big.NewInt(1))
			if test.IsSolved(shape(n), bad, field) == nil {
				t.Fatalf("n=%d %v: wrong probability accepted", n, row)
			}
		}
	}
}

func TestSoftmaxTamperedHints(t *testing.T) {
	row := []int64{10, -40, 200, 199, 0}
	for name, tm := range map[string]struct {
		h solver.Hint
		k int
		d int64
	}{
		"max+1":      {attention.MaxHint, 0, 1},
		"max-1":      {attention.MaxHint, 0, -1},
		"quotient+1": {fixedpoint.DivFloorHint, 0, 1},
		"quotient-1": {fixedpoint.DivFloorHint, 0, -1},
	} {
		fake := func(p *big.Int, in, out []*big.Int) error {
			if err := tm.h(p, in, out); err != nil {
				return err
			}
			out[tm.k].Add(out[tm.k], big.NewInt(tm.d))
			out[tm.k].Mod(out[tm.k], p)
			return nil
		}
		err := test.IsSolved(shape(len(row)), assign(row), field, test.WithReplacementHint(solver.GetHintID(tm.h), fake))
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// attnCircuit runs Attention on private qkv rows; with expose set it also
// asserts the output equals the public Out. Without it, only the gadget's own
// constraints pin the products.
type attnCircuit struct {
	QKV [][]frontend.Variable
	Out [][]frontend.Variable `gnark:",public"`

	p      attention.Params
	exp    []int64
	expose bool
	// planned sets up the range checks as circuits/gpt2 does: clamp tables
	// planned from Sites, the log-derivative range checker.
	planned bool
}

func (c *attnCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api)
	if c.planned {
		plan := fixedpoint.NewPlan(attention.Sites(c.p, len(c.QKV[0])/3, len(c.QKV)))
		fp = fixedpoint.New(api, fixedpoint.WithPlan(plan), fixedpoint.WithLogChecker())
	}
	out := attention.Attention(api, fp, fixedpoint.NewTable(api, c.exp), c.p, c.QKV)
	if c.expose {
		for i := range out {
			for j := range out[i] {
				api.AssertIsEqual(out[i][j], c.Out[i][j])
			}
		}
	}
	return nil
}

// attnSeq differs from the head width (8/2), so a hint call's shape tells
// QKᵀ (m = attnSeq columns) from P·V (m = 4).
const attnSeq, attnHeadDim = 6, 4

// attnCases returns a tiny quantized gpt2 block's attention parameters and
// exp table, and the qkv rows and attention outputs of the integer reference
// (quant's forward pass) on random inputs.
func attnCases(t *testing.T, n int) (quant.Block, *quant.Model, [][][]int64, [][][]int64) {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: attnSeq, NHead: 2, NLayer: 1, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5}
	fm := quant.RandomModel(cfg, 5)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 8, 5))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var qkvs, outs [][][]int64
	for range n {
		x := make([][]int64, cfg.SeqLen)
		span := []int64{10, 60, 127}[rng.IntN(3)]
		for i := range x {
			x[i] = make([]int64, cfg.DModel)
			for j := range x[i] {
				x[i][j] = max(rng.Int64N(2*span+1)-span, quant.Int8Min)
			}
		}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		qkvs = append(qkvs, tr.GPT2[0].QKV)
		outs = append(outs, tr.GPT2[0].Attn)
	}
	return m.Blocks[0], m, qkvs, outs
}

func rows(x [][]int64) [][]frontend.Variable {
	out := make([][]frontend.Variable, len(x))
	for i := range x {
		out[i] = make([]frontend.Variable, len(x[i]))
		for j := range x[i] {
			out[i][j] = x[i][j]
		}
	}
	return out
}

func attnShape(b quant.Block, m *quant.Model, mode matmul.Mode, expose bool) *attnCircuit {
	c := &attnCircuit{QKV: rows(make([][]int64, attnSeq)), p: attention.Params{NHead: m.Config.NHead, Logit: b.Logit, AttnOut: b.AttnOut, Formats: m.Scales.GPT2.Formats, Products: mode}, exp: m.ExpTable, expose: expose}
	for i := range c.QKV {
		c.QKV[i] = make([]frontend.Variable, 3*m.Config.DModel)
	}
	if expose {
		c.Out = make([][]frontend.Variable, attnSeq)
		for i := range c.Out {
			c.Out[i] = make([]frontend.Variable, m.Config.DModel)
		}
	}
	return c
}

// Every way of constraining the products gives quant's outputs bit for bit.
func TestAttentionMatchesReference(t *testing.T) {
	b, m, qkvs, outs := attnCases(t, 30)
	for _, mode := range []matmul.Mode{matmul.Direct, matmul.Checked, matmul.Auto} {
		circ := attnShape(b, m, mode, true)
		for k := range qkvs {
			if err := test.IsSolved(circ, &attnCircuit{QKV: rows(qkvs[k]), Out: rows(outs[k])}, field); err != nil {
				t.Fatalf("%s, input %d: %v", mode, k, err)
			}
			bad := rows(outs[k])
			bad[k%attnSeq][k%8] = outs[k][k%attnSeq][k%8] + 1
			if test.IsSolved(circ, &attnCircuit{QKV: rows(qkvs[k]), Out: bad}, field) == nil {
				t.Fatalf("%s, input %d: wrong output accepted", mode, k)
			}
		}
	}
}

// One wrong entry of QKᵀ or of P·V, in one head, is rejected although the
// attention output is not bound to anything: the randomized check alone
// catches it.
func TestAttentionRejectsWrongProduct(t *testing.T) {
	b, m, qkvs, _ := attnCases(t, 1)
	circ := attnShape(b, m, matmul.Checked, false)
	w := &attnCircuit{QKV: rows(qkvs[0])}
	if err := test.IsSolved(circ, w, field); err != nil {
		t.Fatalf("honest: %v", err)
	}
	for _, pr := range []struct {
		name    string
		m       int64 // the product's columns: its hint's third input
		entries int
	}{
		{"QKᵀ", attnSeq, attnSeq * (attnSeq + 1) / 2},
		{"P·V", attnHeadDim, attnSeq * attnHeadDim},
	} {
		for head := range m.Config.NHead {
			for k := range pr.entries {
				calls := 0
				fake := func(f *big.Int, in, out []*big.Int) error {
					if err := matmul.ProductHint(f, in, out); err != nil {
						return err
					}
					if in[2].Int64() == pr.m {
						if calls == head {
							out[k].Add(out[k], big.NewInt(1))
						}
						calls++
					}
					return nil
				}
				if test.IsSolved(circ, w, field, test.WithReplacementHint(solver.GetHintID(matmul.ProductHint), fake)) == nil {
					t.Fatalf("%s head %d: entry %d off by one accepted", pr.name, head, k)
				}
				if calls != m.Config.NHead {
					t.Fatalf("%s: %d hint calls, want one per head", pr.name, calls)
				}
			}
		}
	}
}

// Completeness: a logit requantization whose largest quotient is small (a
// small logit multiplier, e.g. a small head dim) — the logits' clamp bounds
// ±2^(B−1) are farther than the int8 bounds fixedpoint.QuotientBits allows
// for, so the honest prover could not clamp its logits ("lookup query too
// large"). Every multiplier down to 1/64 of the calibrated one gives quant's
// outputs bit for bit, on random and extreme inputs, with plain range checks
// and with circuits/gpt2's (clamp tables, log-derivative checker).
func TestAttentionSmallLogitQuotient(t *testing.T) {
	b, m, _, _ := attnCases(t, 0)
	for _, div := range []int64{2, 4, 16, 64} {
		m.Blocks[0].Logit.Mult = b.Logit.Mult / div
		circ, planned := attnShape(m.Blocks[0], m, matmul.Auto, true), attnShape(m.Blocks[0], m, matmul.Auto, true)
		planned.planned = true
		rng := rand.New(rand.NewPCG(71, uint64(div)))
		for k := range 4 {
			x := make([][]int64, attnSeq)
			for i := range x {
				x[i] = make([]int64, m.Config.DModel)
				for j := range x[i] {
					if k == 0 {
						x[i][j] = []int64{quant.Int8Min, quant.Int8Max}[(i+j)%2]
					} else {
						x[i][j] = rng.Int64N(256) + quant.Int8Min
					}
				}
			}
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			bt := tr.GPT2[0]
			for _, c := range []*attnCircuit{planned, circ} {
				if err := test.IsSolved(c, &attnCircuit{QKV: rows(bt.QKV), Out: rows(bt.Attn)}, field); err != nil {
					t.Fatalf("mult/%d, planned %v, input %d: %v", div, c.planned, k, err)
				}
			}
		}
	}
}

// packedSoftmaxCircuit is softmaxCircuit as circuits/gpt2 builds it: the
// log-derivative range checker and the exp table packed into it
// (fixedpoint.NewPackedTable: one constraint a lookup).
type packedSoftmaxCircuit struct {
	softmaxCircuit
}

func (c *packedSoftmaxCircuit) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithLogChecker())
	lo, _ := quant.GPT2Formats{LogitBits: logitBits}.LogitRange()
	for _, l := range c.Logits {
		fp.Check(api.Sub(l, lo), logitBits)
	}
	p := attention.Softmax(api, fp, fixedpoint.NewPackedTable(api, quant.ExpTableFor(logitFrac, logitBits)), c.Logits)
	for i := range p {
		api.AssertIsEqual(p[i], c.Probs[i])
	}
	return nil
}

func packedShape(n int) *packedSoftmaxCircuit { return &packedSoftmaxCircuit{*shape(n)} }

func packedAssign(logits []int64) *packedSoftmaxCircuit {
	return &packedSoftmaxCircuit{*assign(logits)}
}

// With the packed exp table the probabilities are quant's, bit for bit, on
// random and extreme rows, and a wrong probability is rejected.
func TestPackedSoftmaxMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{1, 2, 7, 33} {
		extreme := make([]int64, n)
		for i := range extreme {
			extreme[i] = -512
		}
		extreme[n-1] = 511
		rows := [][]int64{make([]int64, n), extreme}
		for range 5 {
			row := make([]int64, n)
			for i := range row {
				row[i] = rng.Int64N(1024) - 512
			}
			rows = append(rows, row)
		}
		for _, row := range rows {
			if err := test.IsSolved(packedShape(n), packedAssign(row), field); err != nil {
				t.Fatalf("n=%d %v: %v", n, row, err)
			}
			bad := packedAssign(row)
			bad.Probs[n-1] = bad.Probs[n-1].(int64) + 1
			if err := test.IsSolved(packedShape(n), bad, field); err == nil {
				t.Fatalf("n=%d %v: wrong probability accepted", n, row)
			}
		}
	}
}

// Tampered packed-table hints are rejected by the real Groth16 prover: a
// wrong exp value (its key is no table key), a wrong multiplicity, and the
// attack the packed key leaves open to the lookup alone — two exp values
// off by ∓2^−K·1 so that their keys are the neighbouring entries'
// (Δ_0 + 2^K·E_0 = (Δ_0+1) + 2^K·e[Δ_0+1], and Δ_1 − 1 likewise), which
// keeps S an integer: the division's range checks reject it (package doc).
func TestPackedSoftmaxTamperedHints(t *testing.T) {
	row := []int64{10, -40, 200, 199, 0}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, packedShape(len(row)))
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(packedAssign(row), field)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, w); err != nil {
		t.Fatalf("honest proof failed: %v", err)
	}
	table := quant.ExpTableFor(logitFrac, logitBits)
	inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift), field)
	// Δ = max − l: 190, 240, 0, 1, 200; entries 0 and 1 move to the
	// neighbouring keys.
	shifted := func(p *big.Int, in, out []*big.Int) error {
		if err := fixedpoint.PackedLookupHint(p, in, out); err != nil {
			return err
		}
		for k, d := range map[int]int64{0: 1, 1: -1} {
			delta := in[1+len(table)+k].Int64()
			// E = e[Δ+d] + d·2^−K: its key Δ + 2^K·E is entry Δ+d's.
			v := new(big.Int).Mul(big.NewInt(d), inv)
			out[k].Add(v, big.NewInt(table[delta+d]))
			out[k].Mod(out[k], p)
			key := new(big.Int).Lsh(out[k], fixedpoint.PackedShift)
			key.Add(key, big.NewInt(delta)).Mod(key, p)
			want := new(big.Int).Lsh(big.NewInt(table[delta+d]), fixedpoint.PackedShift)
			if want.Add(want, big.NewInt(delta+d)).Cmp(key) != 0 {
				t.Errorf("forged key of Δ=%d is not entry %d's: the forgery would not reach the division", delta, delta+d)
			}
		}
		return nil
	}
	for name, tm := range map[string]struct {
		h    solver.Hint
		fake solver.Hint
	}{
		"exp value+1":       {fixedpoint.PackedLookupHint, nil},
		"count+1":           {fixedpoint.PackedCountHint, nil},
		"neighbouring keys": {fixedpoint.PackedLookupHint, shifted},
	} {
		fake := tm.fake
		if fake == nil {
			h := tm.h
			fake = func(p *big.Int, in, out []*big.Int) error {
				if err := h(p, in, out); err != nil {
					return err
				}
				out[0].Add(out[0], big.NewInt(1))
				return nil
			}
		}
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(tm.h), fake))); err == nil {
			t.Errorf("tampered %s: prover succeeded", name)
		}
	}
}
