package attention_test

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// recipCircuit checks Probs = SoftmaxRecip(Logits) at Frac for one row,
// with the packed exp table and, when Log, the log-derivative checker (as
// the gpt2 circuit); otherwise gnark's checker (as layer graphs).
type recipCircuit struct {
	Logits []frontend.Variable
	Probs  []frontend.Variable `gnark:",public"`
	frac   int
	log    bool
}

func (c *recipCircuit) Define(api frontend.API) error {
	var opts []fixedpoint.Option
	if c.log {
		opts = append(opts, fixedpoint.WithLogChecker())
	}
	fp := fixedpoint.New(api, opts...)
	lo, _ := quant.GPT2Formats{LogitBits: logitBits}.LogitRange()
	for _, l := range c.Logits {
		fp.Check(api.Sub(l, lo), logitBits)
	}
	p := attention.SoftmaxRecip(api, fp, fixedpoint.NewPackedTable(api, quant.ExpTableFor(logitFrac, logitBits)), c.Logits, c.frac)
	for i := range p {
		api.AssertIsEqual(p[i], c.Probs[i])
	}
	return nil
}

func recipShape(n, frac int, log bool) *recipCircuit {
	return &recipCircuit{Logits: make([]frontend.Variable, n), Probs: make([]frontend.Variable, n), frac: frac, log: log}
}

func recipAssign(logits []int64, frac int) *recipCircuit {
	probs, _ := quant.SoftmaxRecipRow(logits, quant.ExpTableFor(logitFrac, logitBits), frac)
	c := &recipCircuit{frac: frac}
	for i := range logits {
		c.Logits = append(c.Logits, logits[i])
		c.Probs = append(c.Probs, probs[i])
	}
	return c
}

// recipTestRows are the extreme rows of n logits (all equal, one-hot with
// the rest at the range's bottom, the max last) and random ones.
func recipTestRows(rng *rand.Rand, n, random int) [][]int64 {
	oneHot := make([]int64, n)
	for i := range oneHot {
		oneHot[i] = -512
	}
	oneHot[n-1] = 511
	top := make([]int64, n)
	for i := range top {
		top[i] = 511
	}
	rows := [][]int64{make([]int64, n), top, oneHot}
	for range random {
		row := make([]int64, n)
		for i := range row {
			row[i] = rng.Int64N(1024) - 512
		}
		rows = append(rows, row)
		near := make([]int64, n) // logits within a few units: long flat rows
		for i := range near {
			near[i] = rng.Int64N(8)
		}
		rows = append(rows, near)
	}
	return rows
}

// The reciprocal softmax circuit accepts exactly quant.SoftmaxRecipRow on
// random and extreme rows (a row of one, uniform, one-hot; up to 4,096
// values, whose 31-bit remainders take three limbs), at frac 7 (the int8 ops) and 12 (attention), under both range
// checkers, and rejects a probability moved by one.
func TestSoftmaxRecipMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 85))
	for _, frac := range []int{7, quant.ProbFrac} {
		for _, n := range []int{1, 2, 5, 33, 300, 4096} {
			rows := recipTestRows(rng, n, 2)
			if n == 4096 {
				rows = rows[2:4] // one-hot and random: t = 31, three limbs under base 15
			}
			for _, row := range rows {
				for _, log := range []bool{false, true} {
					if err := test.IsSolved(recipShape(n, frac, log), recipAssign(row, frac), field); err != nil {
						t.Fatalf("frac %d, n %d, log %v, %v: %v", frac, n, log, row, err)
					}
					bad := recipAssign(row, frac)
					j := rng.IntN(n)
					bad.Probs[j] = bad.Probs[j].(int64) + 1
					if err := test.IsSolved(recipShape(n, frac, log), bad, field); err == nil {
						t.Fatalf("frac %d, n %d, log %v: probability %d + 1 accepted", frac, n, log, j)
					}
				}
			}
		}
	}
}

// Every hint of the reciprocal softmax is pinned: the real Groth16 prover
// fails on a wrong reciprocal (R ± 1), a wrong output (out ± 1, its
// remainder then outside [0, 2^t), the hint's remainder value moved with it
// under the log checker so that the limbs agree), an output moved by a
// whole 2^t step with the remainder (a remainder out of range the other
// way), and the packed table's forgeries that keep S an integer (rounded
// away by the division and shift hints), under both range checkers.
func TestSoftmaxRecipTamperedHints(t *testing.T) {
	row := []int64{10, -40, 200, 199, 0}
	table := quant.ExpTableFor(logitFrac, logitBits)
	inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift), field)
	moveOut := func(d int64) solver.Hint {
		return func(p *big.Int, in, out []*big.Int) error {
			if err := fixedpoint.DivPow2Hint(p, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(d))
			if len(out) == 2 { // the remainder's value, consistent with q
				s := uint(in[1].Uint64())
				out[1].Sub(out[1], new(big.Int).Lsh(big.NewInt(d), s)).Mod(out[1], p)
			}
			return nil
		}
	}
	moveR := func(d int64) solver.Hint {
		return func(p *big.Int, in, out []*big.Int) error {
			if err := fixedpoint.DivFloorHint(p, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(d))
			return nil
		}
	}
	// Δ = 190, 240, 0, 1, 200: entries 2 and 3 move to the neighbouring keys
	// (Σδ = 0), the division and shift hints take the integer parts.
	shifted := func(p *big.Int, in, out []*big.Int) error {
		if err := fixedpoint.PackedLookupHint(p, in, out); err != nil {
			return err
		}
		for k, d := range map[int]int64{2: 1, 3: -1} {
			delta := in[1+len(table)+k].Int64()
			v := new(big.Int).Mul(big.NewInt(d), inv)
			out[k].Add(v, big.NewInt(table[delta+d])).Mod(out[k], p)
		}
		return nil
	}
	// The max forged below the row's (199, the second largest, so that the
	// zero product holds): Δ = 189, 239, −1, 0, 199. Entry 2's key −1 is
	// outside the table; δ = +1 moves it to key 0 and δ = −1 moves entry 0
	// from 189 to 188 (Σδ = 0, S an integer): each forged value is a table
	// key, and the division and shift hints round the rest away. Only the
	// per-element argument (δ_j·R = 0) rejects it.
	lowMax := func(p *big.Int, in, out []*big.Int) error {
		out[0].SetInt64(199)
		return nil
	}
	lowMaxKeys := func(p *big.Int, in, out []*big.Int) error {
		n := int(in[0].Int64())
		for k := range out {
			delta := in[1+n+k]
			if delta.Cmp(new(big.Int).Rsh(p, 1)) > 0 {
				delta = new(big.Int).Sub(delta, p)
			}
			i, d := delta.Int64(), int64(0)
			switch k {
			case 0:
				i, d = i-1, -1
			case 2:
				i, d = i+1, 1
			}
			v := new(big.Int).Mul(big.NewInt(d), inv)
			out[k].Add(v, big.NewInt(table[i])).Mod(out[k], p)
		}
		return nil
	}
	integral := func(p, v *big.Int) *big.Int {
		one := new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift)
		x := new(big.Int).Lsh(v, fixedpoint.PackedShift)
		x.Mod(x, p)
		if x.Cmp(new(big.Int).Rsh(p, 1)) > 0 {
			x.Sub(x, p)
		}
		c := new(big.Int).Mod(x, one)
		if c.Bit(fixedpoint.PackedShift-1) == 1 {
			c.Sub(c, one)
		}
		return x.Sub(x, c).Rsh(x, fixedpoint.PackedShift)
	}
	roundDiv := func(p *big.Int, in, out []*big.Int) error {
		out[0].Quo(integral(p, in[0]), integral(p, in[1]))
		return nil
	}
	roundShift := func(p *big.Int, in, out []*big.Int) error {
		n := integral(p, in[0])
		s := uint(in[1].Uint64())
		q := new(big.Int).Rsh(n, s)
		out[0].Mod(q, p)
		if len(out) == 2 {
			out[1].Sub(n, q.Lsh(q, s)).Mod(out[1], p)
		}
		return nil
	}
	for _, frac := range []int{7, quant.ProbFrac} {
		for _, log := range []bool{false, true} {
			ccs, err := frontend.Compile(field, r1cs.NewBuilder, recipShape(len(row), frac, log))
			if err != nil {
				t.Fatal(err)
			}
			pk, _, err := groth16.Setup(ccs)
			if err != nil {
				t.Fatal(err)
			}
			w, err := frontend.NewWitness(recipAssign(row, frac), field)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := groth16.Prove(ccs, pk, w); err != nil {
				t.Fatalf("frac %d, log %v: honest proof failed: %v", frac, log, err)
			}
			t0 := quant.RecipShift(len(row))
			for name, o := range map[string][]solver.Option{
				"out+1":   {solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), moveOut(1))},
				"out-1":   {solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), moveOut(-1))},
				"out+2^t": {solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), moveOut(1<<t0))},
			} {
				if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(o...)); err == nil {
					t.Errorf("frac %d, log %v: tampered %s: prover succeeded", frac, log, name)
				}
			}
			// A wrong reciprocal, the public outputs set to what it gives
			// (E_j·R' rounded), so that only the row division's remainder
			// checks can reject it: R ± 1 leaves most outputs as they are.
			for _, d := range []int64{1, -1, 1 << 10} {
				honest, r := quant.SoftmaxRecipRow(row, table, frac)
				moved := recipAssign(row, frac)
				for j, l := range row {
					mx := slices.Max(row)
					moved.Probs[j] = (table[mx-l]*(r+d) + int64(1)<<(t0-1)) >> t0
				}
				mw, err := frontend.NewWitness(moved, field)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := groth16.Prove(ccs, pk, mw, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), moveR(d)))); err == nil {
					t.Errorf("frac %d, log %v: R%+d with its outputs %v (honest %v): prover succeeded", frac, log, d, moved.Probs, honest)
				}
			}
			// The packed table's forgeries, each with the public outputs
			// set to what the forged values give through the rounding
			// hints (SoftmaxRecipRow of the forged table entries), so that
			// only the per-element argument (δ_j·R = 0 through ShiftRound's
			// remainder check) can reject them, not the outputs' equality.
			for name, f := range map[string]struct {
				o    []solver.Option
				exps []int64
			}{
				"max below the row's, keys shifted into the table": {
					[]solver.Option{solver.OverrideHint(solver.GetHintID(attention.MaxHint), lowMax), solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), lowMaxKeys), solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), roundDiv), solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundShift)},
					[]int64{table[188], table[239], table[0], table[0], table[199]},
				},
				"neighbouring keys": {
					[]solver.Option{solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), shifted), solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), roundDiv), solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundShift)},
					[]int64{table[190], table[240], table[1], table[0], table[200]},
				},
			} {
				forged := recipAssign(row, frac)
				var s int64
				for _, e := range f.exps {
					s += e
				}
				r := quant.RecipNumerator(frac, t0) / s
				for j, e := range f.exps {
					forged.Probs[j] = (e*r + int64(1)<<(t0-1)) >> t0
				}
				fw, err := frontend.NewWitness(forged, field)
				if err != nil {
					t.Fatal(err)
				}
				_, err = groth16.Prove(ccs, pk, fw, backend.WithSolverOptions(f.o...))
				if testing.Verbose() {
					t.Logf("frac %d, log %v, %s (outputs %v): %v", frac, log, name, forged.Probs, err)
				}
				if err == nil {
					t.Errorf("frac %d, log %v: forged %s: prover succeeded", frac, log, name)
				}
			}
			// The forgery hints alone, on honest values, are honest: the
			// rounding hints reproduce the honest proof.
			if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(
				solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), roundDiv),
				solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundShift))); err != nil {
				t.Errorf("frac %d, log %v: rounding hints on honest values: %v", frac, log, err)
			}
		}
	}
}

// The bounds the package doc's SoftmaxRecip argument relies on, for every
// row length up to quant.MaxDim at both fractions in use, with the widest
// slack the checkers allow (remainders padded and bounds widened by up to
// 15 bits, keys differing by |δ| < 2^31): R ≥ 1 and p_j ≤ 2^frac − 1 at
// the honest values, R and S within their checked widths, |Σδ| and
// |δ_j·R| below 2^(K−15), and 2^K times the integers M, M' of the
// argument below p/2 (no wraparound a prover could use); the reference's
// products E_j·R fit an int64.
func TestSoftmaxRecipFieldBounds(t *testing.T) {
	pow := func(e int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }
	halfP := new(big.Int).Rsh(field, 1)
	const slack, deltaBits = 15, 31
	k := fixedpoint.PackedShift
	for _, frac := range []int{ops.SoftmaxFrac, quant.ProbFrac} {
		for n := 1; n <= quant.MaxDim; n++ {
			tt := int(quant.RecipShift(n))
			rb, den := quant.RecipBits(n, frac)
			N := quant.RecipNumerator(frac, uint(tt))
			bigN := new(big.Int).Sub(new(big.Int).Lsh(new(big.Int).Sub(pow(frac+1), big.NewInt(1)), uint(tt-1)), big.NewInt(1))
			sMax := new(big.Int).Mul(big.NewInt(int64(n)), pow(quant.ExpBits))
			switch {
			case bigN.Cmp(big.NewInt(N)) != 0 || bigN.BitLen() > 62:
				t.Fatalf("frac %d, n %d: N = %s overflows int64", frac, n, bigN)
			case bigN.Cmp(sMax) < 0:
				t.Fatalf("frac %d, n %d: R may be 0", frac, n)
			case new(big.Int).Rsh(new(big.Int).Add(bigN, pow(tt-1)), uint(tt)).Cmp(new(big.Int).Sub(pow(frac), big.NewInt(1))) != 0:
				t.Fatalf("frac %d, n %d: the largest output is not 2^frac − 1", frac, n)
			case new(big.Int).Rsh(bigN, quant.ExpBits).BitLen() > rb || sMax.BitLen() > den:
				t.Fatalf("frac %d, n %d: R or S above its checked width", frac, n)
			}
			// Row division: |Σδ| < n·2^31, M = A + B + 2^e·(1 − Σe_i).
			if bits.Len(uint(n))+deltaBits >= k-slack {
				t.Fatalf("frac %d, n %d: Σδ may reach 2^(K−e)", frac, n)
			}
			m := new(big.Int).Add(pow(den+slack+1), new(big.Int).Lsh(sMax, slack))
			if new(big.Int).Lsh(m, uint(k)).Cmp(halfP) >= 0 {
				t.Fatalf("frac %d, n %d: 2^K·M may wrap", frac, n)
			}
			// Per element: |δ_j·R| < 2^31·2^(rb+15), M' = A + 2^e·(q·2^t − 2^(t−1) − e·R).
			if deltaBits+rb+slack >= k-slack {
				t.Fatalf("frac %d, n %d: δ·R may reach 2^(K−e)", frac, n)
			}
			mp := new(big.Int).Add(pow(frac+slack+tt), pow(quant.ExpBits+rb+slack))
			mp.Lsh(mp, slack).Add(mp, pow(tt+slack))
			if new(big.Int).Lsh(mp, uint(k)).Cmp(halfP) >= 0 {
				t.Fatalf("frac %d, n %d: 2^K·M' may wrap", frac, n)
			}
		}
	}
}
