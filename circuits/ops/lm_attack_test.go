package ops_test

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	circops "github.com/zkinfer/zkinfer/circuits/ops"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// tableLM is a causal LM whose logits row t is row ids[t] of a constant
// table [v, v] (an embedding read as logits): ids [1, seq] → gather →
// logits [1, seq, v]. The rows hold what an argmax attack wants: row 0 all
// equal, row r the maximum at (7r + 1) mod v and at v − 1 (a tie unless
// they coincide), −1 elsewhere; the integer table is then set to 127 and
// −128 there (int8 extremes).
func tableLM(t *testing.T, seq, v int) *quant.Model {
	t.Helper()
	tab := &quant.FloatTensor{Shape: []int{v, v}, Data: make([]float64, v*v)}
	for r := range v {
		for j := range v {
			x := -1.0
			switch {
			case r == 0:
				x = 0.5
			case j == (7*r+1)%v || j == v-1:
				x = 1
			}
			tab.Data[r*v+j] = x
		}
	}
	b := quant.NewGraphBuilder()
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(v - 1)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Node("logits", ops.NewGather(tab), []string{"ids"}, []string{"logits"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Output("logits"); err != nil {
		t.Fatal(err)
	}
	fm := graphtest.Built(t, b)
	var cal [][]float64
	for r := range 4 {
		x := make([]float64, seq)
		for i := range x {
			x[i] = float64((r*seq + i) % v)
		}
		cal = append(cal, x)
	}
	m := graphtest.Quantized(t, fm, cal)
	// The integer table at the int8 extremes: the maxima 127, the rest
	// −128 (differences of 255, the most the 8-bit checks must hold).
	qg := m.Graph.Nodes[0].Op.(*ops.QGather)
	for i := range qg.Table {
		switch {
		case tab.Data[i] == 1:
			qg.Table[i] = 127
		case tab.Data[i] == -1:
			qg.Table[i] = -128
		}
	}
	return m
}

// selector rules a cheating prover could put in ExtremeHint's one-hot.
type selRule func(x []int64) []int64

func oneAt(n, j int) []int64 { s := make([]int64, n); s[j] = 1; return s }

func lastMax(x []int64) []int64 {
	j := 0
	for i, v := range x {
		if v >= x[j] {
			j = i
		}
	}
	return oneAt(len(x), j)
}

var selRules = map[string]selRule{
	"later tie (last maximum)": lastMax,
	"a non-maximum (the minimum)": func(x []int64) []int64 {
		j := 0
		for i, v := range x {
			if v < x[j] {
				j = i
			}
		}
		if j == 0 && x[0] == x[len(x)-1] { // all equal: any other id
			j = len(x) - 1
		}
		return oneAt(len(x), j)
	},
	"the id after the first maximum": func(x []int64) []int64 {
		j := 0
		for i, v := range x {
			if v > x[j] {
				j = i
			}
		}
		return oneAt(len(x), (j+1)%len(x))
	},
	"two ones (first maximum and last id)": func(x []int64) []int64 {
		s := lastMax(x)
		s[0] = 1
		if s[0] == s[len(s)-1] {
			s[1] = 1
		}
		return s
	},
	"no one": func(x []int64) []int64 { return make([]int64, len(x)) },
	"negative weight (1 + 1 − 1, index 0)": func(x []int64) []int64 {
		s := make([]int64, len(x))
		if len(x) < 4 {
			s[1], s[0] = 1, 0
			return s
		}
		s[1], s[2], s[3] = 1, 1, -1
		return s
	},
}

// forgedTrace returns the ids and claimed completion a prover following
// rule would assign: the completion token k is rule's pick on row From + k,
// fed back at the next position (so ids and output agree: only the argmax
// constraints can object).
func forgedTrace(t *testing.T, lm *quant.Model, prompt []int64, n, seq, v int, rule selRule) *quant.Trace {
	t.Helper()
	ids := make([]int64, seq)
	copy(ids, prompt)
	var out []int64
	for k := range n {
		tr, err := lm.Forward([][]int64{ids})
		if err != nil {
			t.Fatal(err)
		}
		row := len(prompt) - 1 + k
		s := rule(tr.Outputs[0][row*v : (row+1)*v])
		c := int64(0)
		for j, w := range s {
			c += int64(j) * w
		}
		if c < 0 || c >= int64(v) {
			c = 0
		}
		out = append(out, c)
		if row+1 < seq && k < n-1 {
			ids[row+1] = c
		}
	}
	return &quant.Trace{Inputs: [][]int64{ids}, Outputs: [][]int64{out}}
}

// overrideSel is ExtremeHint with the selector rule's (and the maximum
// consistent with it: m = Σ s_j·x_j).
func overrideSel(rule selRule) solver.Hint {
	return func(f *big.Int, in, out []*big.Int) error {
		x := make([]int64, len(in)-1)
		for i, b := range in[1:] {
			v := new(big.Int).Set(b)
			if v.Cmp(new(big.Int).Rsh(f, 1)) > 0 {
				v.Sub(v, f)
			}
			x[i] = v.Int64()
		}
		s := rule(x)
		m := int64(0)
		for j, w := range s {
			m += w * x[j]
			out[1+j].Mod(big.NewInt(w), f)
		}
		out[0].Mod(big.NewInt(m), f)
		return nil
	}
}

// A prover controlling ExtremeHint and every public value claims a
// completion that is not the greedy one, with ids and output consistent
// (the forged token fed back at the next position): a later tie, a
// non-maximum, the id after the maximum, two ones, none, a negative weight.
// Over vocabularies at the edges (2, 3, 128, 129, 256, 257) with all-equal
// rows and int8 extremes, the constraint system is unsatisfiable for every
// rule, and satisfiable for the honest trace.
func TestAttackNextTokensForged(t *testing.T) {
	const seq, promptLen, newTokens = 6, 2, 4
	for _, v := range []int{2, 3, 128, 129, 256, 257} {
		t.Run(fmt.Sprint("V=", v), func(t *testing.T) {
			lm := tableLM(t, seq, v)
			m, err := ops.NextTokensModel(lm, promptLen, newTokens)
			if err != nil {
				t.Fatal(err)
			}
			ccs, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, graphtest.Circuit(t, m, graphtest.PublicIO))
			if err != nil {
				t.Fatal(err)
			}
			prompt := []int64{1, 2 % int64(v)}
			ids := greedyIDs(t, lm, prompt, newTokens)
			honest := &quant.Trace{Inputs: [][]int64{append(slices.Clone(ids[:seq-1]), int64(v-1))}, Outputs: [][]int64{ids[promptLen:]}}
			if tr, err := m.Forward(honest.Inputs); err != nil || !slices.Equal(tr.Outputs[0], honest.Outputs[0]) {
				t.Fatalf("honest trace: %v", err)
			}
			if err := solve(t, ccs, m, honest, nil); err != nil {
				t.Fatalf("honest: %v", err)
			}
			for name, rule := range selRules {
				tr := forgedTrace(t, lm, prompt, newTokens, seq, v, rule)
				if slices.Equal(tr.Outputs[0], honest.Outputs[0]) && name != "two ones (first maximum and last id)" && name != "no one" && name != "negative weight (1 + 1 − 1, index 0)" {
					t.Fatalf("%s: the rule picks the greedy completion %v: no attack", name, tr.Outputs[0])
				}
				if err := solve(t, ccs, m, tr, overrideSel(rule)); err == nil {
					t.Errorf("%s: completion %v (greedy %v) accepted", name, tr.Outputs[0], honest.Outputs[0])
				}
			}
		})
	}
}

// solve checks the constraint system on tr's public values, with
// ExtremeHint replaced by h (nil: the honest one).
func solve(t *testing.T, ccs constraint.ConstraintSystem, m *quant.Model, tr *quant.Trace, h solver.Hint) error {
	t.Helper()
	w, err := frontend.NewWitness(graphtest.Assign(t, m, tr), graphtest.Field)
	if err != nil {
		t.Fatal(err)
	}
	var opts []solver.Option
	if h != nil {
		opts = append(opts, solver.OverrideHint(solver.GetHintID(circops.ExtremeHint), h))
	}
	_, err = ccs.Solve(w, opts...)
	return err
}

// The ids are range-checked to the vocabulary in the circuit: an id of V,
// a negative id (p − 1), or one of 2^24 with the next id lowered by one —
// the same packed public element as the honest ids — are rejected, so a
// gather never reads outside its table and the public packing has one
// unpacking.
func TestAttackNextTokensIDRange(t *testing.T) {
	const seq, v = 6, 129
	lm := tableLM(t, seq, v)
	m, err := ops.NextTokensModel(lm, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	ids := greedyIDs(t, lm, []int64{1, 2}, 4)
	tr, err := m.Forward([][]int64{append(slices.Clone(ids[:seq-1]), 5)})
	if err != nil {
		t.Fatal(err)
	}
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
		t.Fatal(err)
	}
	p := graphtest.Field
	for name, f := range map[string]func(x []*big.Int){
		"padding id V":  func(x []*big.Int) { x[seq-1] = big.NewInt(v) },
		"padding id −1": func(x []*big.Int) { x[seq-1] = new(big.Int).Sub(p, big.NewInt(1)) },
		"prompt id 2^24, next −1 (same packing)": func(x []*big.Int) {
			x[0] = new(big.Int).Add(x[0], big.NewInt(1<<24))
			x[1] = new(big.Int).Sub(x[1], big.NewInt(1))
			x[1].Mod(x[1], p)
		},
		"id 2^24 − 1": func(x []*big.Int) { x[seq-1] = big.NewInt(1<<24 - 1) },
	} {
		a := graphtest.Assign(t, m, tr)
		x := make([]*big.Int, seq)
		for i, id := range tr.Inputs[0] {
			x[i] = big.NewInt(id)
		}
		f(x)
		packed := new(big.Int)
		for i := seq - 1; i >= 0; i-- {
			packed.Lsh(packed, 24)
			packed.Add(packed, x[i])
		}
		packed.Mod(packed, p)
		for i := range x {
			a.IO.X[0][i] = x[i]
		}
		a.IO.Input[0] = packed
		if test.IsSolved(circ, a, graphtest.Field) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The causality check, shown: next_tokens proves "each completion token
// is the argmax of the model's logits on the proven ids", and that is
// greedy decoding only when the committed model is causal. Here a
// non-causal LM (every position adds the maximum of all positions'
// embeddings, padding included) is refused by NextTokensModel, naming the
// reduction over positions; a greedy-completion model built around the
// check anyway is refused by CheckGreedyCausal (what verify --model runs),
// and the reason is real: for one prompt the prover could prove different
// "greedy" tokens by choosing the padding, each accepted by the circuit.
func TestNextTokensRefusesNonCausal(t *testing.T) {
	const seq, v, d = 4, 16, 4
	rng := rand.New(rand.NewPCG(31, 7))
	lm := graphtest.TokenLM(t, rng, seq, v,
		graphtest.Node{Name: "e", Op: ops.NewGather(graphtest.Tensor(rng, 1, v, d)), In: []string{"ids"}},
		graphtest.Node{Name: "mx", Op: &ops.Reduce{Op: "max", Axes: []int{1}, KeepDims: true}, In: []string{"e"}}, // over positions: not causal
		graphtest.Node{Name: "h", Op: &ops.Binary{Op: "add"}, In: []string{"e", "mx"}},
		graphtest.Node{Name: "logits", Op: ops.NewLinear(graphtest.Tensor(rng, 1, d, v), graphtest.Tensor(rng, 0.3, v), false), In: []string{"h"}})
	prompt := []int64{3, 9}
	if _, err := ops.NextTokensModel(lm, len(prompt), 1); !errors.Is(err, quant.ErrNotCausal) || !strings.Contains(err.Error(), `"mx"`) {
		t.Fatalf("NextTokensModel on the non-causal LM: %v, want a causality refusal naming \"mx\"", err)
	} else {
		t.Logf("refused: %v", err)
	}
	m := graphtest.UncheckedNextTokens(t, lm, len(prompt), 1)
	if err := ops.CheckGreedyCausal(m); !errors.Is(err, quant.ErrNotCausal) {
		t.Fatalf("CheckGreedyCausal: %v, want a causality refusal", err)
	}
	greedy := greedyIDs(t, lm, prompt, 1)[len(prompt)]
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	provable := map[int64]bool{}
	for p := range int64(v) {
		x := [][]int64{{prompt[0], prompt[1], p, p}}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if c := tr.Outputs[0][0]; !provable[c] {
			if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
				t.Fatal(err)
			}
			provable[c] = true
		}
	}
	t.Logf("prompt %v: step-by-step greedy token %d; provable with chosen padding: %v", prompt, greedy, provable)
	if len(provable) < 2 {
		t.Fatalf("padding steers nothing here (%v): pick another seed", provable)
	}
}

// rope at its accumulator bound: tables cos = sin = ±1 (allowed: each in
// [−1, 1]; nothing asks cos² + sin² = 1) give |acc| = 2·128·2^12 = AccBound
// on the extreme inputs, and the circuit still matches the integer
// reference bit for bit; a requantization quotient or clamp selector moved
// by one fails the real prover. masked_softmax with one kept key per row
// (the diagonal) and with none masked matches too, and a tampered division
// (moved by ±1) or row maximum fails the prover.
func TestAttackRopeMaskedSoftmaxExtremes(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 1))
	for _, sign := range []float64{1, -1} {
		cos := &quant.FloatTensor{Shape: []int{3, 4}, Data: make([]float64, 12)}
		sin := &quant.FloatTensor{Shape: []int{3, 4}, Data: make([]float64, 12)}
		for i := range cos.Data {
			cos.Data[i], sin.Data[i] = sign, sign
		}
		rope := graphtest.Chain(t, rng, []int{1, 3, 4}, graphtest.Node{Name: "y", Op: ops.NewRope(cos, sin), In: []string{"x"}})
		q := rope.Graph.Nodes[0].Op.(*ops.QRope)
		if max(abs(q.A[0]), abs(q.B[0])) != 1<<ops.RopeCoefFrac {
			t.Fatalf("coefficients %d, %d", q.A[0], q.B[0])
		}
		graphtest.Matches(t, rope, graphtest.Inputs(rng, rope, 3))
		if sign == 1 {
			graphtest.ProveTampered(t, rope, graphtest.Inputs(rng, rope, 0)[0], map[string]graphtest.Tamper{
				"quotient+1": {H: fixedpoint.DivPow2Hint, F: graphtest.Add(0, 1)},
				"quotient-1": {H: fixedpoint.DivPow2Hint, F: graphtest.Add(0, -1)},
				"clamp sel":  {H: fixedpoint.ClampSelectHint, F: graphtest.Add(0, 1)},
			})
		}
	}
	diag, all := make([]uint8, 25), make([]uint8, 25)
	for i := range 5 {
		diag[i*5+i] = 1
	}
	for i := range all {
		all[i] = 1
	}
	for name, keep := range map[string][]uint8{"diagonal": diag, "none masked": all} {
		sm := graphtest.Chain(t, rng, []int{1, 5, 5}, graphtest.Node{Name: "p", Op: &ops.MaskedSoftmax{Rows: 5, Cols: 5, Keep: keep}, In: []string{"x"}})
		graphtest.Matches(t, sm, graphtest.Inputs(rng, sm, 3))
		if name == "none masked" {
			graphtest.ProveTampered(t, sm, graphtest.Inputs(rng, sm, 1)[4], map[string]graphtest.Tamper{
				"division+1": {H: fixedpoint.DivFloorHint, F: graphtest.Add(0, 1)},
				"division-1": {H: fixedpoint.DivFloorHint, F: graphtest.Add(0, -1)},
				"max+1":      {H: attention.MaxHint, F: graphtest.Add(0, 1)},
			})
		}
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// A greedy-completion model file whose next_tokens attributes were edited
// (From near MaxInt so that From + Count overflows, Count 0, From beyond
// T, a negative From) loads to a named error: the prover's bytes never
// reach Forward or the circuit (which indexed row From + k and panicked
// before resolve compared without overflow).
func TestAttackNextTokensModelFile(t *testing.T) {
	lm := tableLM(t, 6, 5)
	m, err := ops.NextTokensModel(lm, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "g.quant.json")
	if err := quant.WriteQuantized(path, m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.LoadQuantized(path); err != nil {
		t.Fatalf("the honest file: %v", err)
	}
	const attr = `"from":1,"count":4`
	compact := strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(string(data))
	if !strings.Contains(compact, attr) {
		t.Fatalf("no %s in the model file", attr)
	}
	for _, bad := range []string{`"from":9223372036854775806,"count":4`, `"from":1,"count":0`, `"from":5,"count":4`, `"from":-1,"count":4`, `"from":1,"count":-9223372036854775808`} {
		p := filepath.Join(dir, "bad.quant.json")
		if err := os.WriteFile(p, []byte(strings.Replace(compact, attr, bad, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := quant.LoadQuantized(p); err == nil {
			t.Errorf("%s: loaded", bad)
		}
	}
}
