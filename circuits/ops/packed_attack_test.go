package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// packedForgery returns a PackedLookupHint that moves each row's exp values
// to other keys of the packed table: E_j = e[Δ_j + d_j] + d_j·2^−K, whose
// key Δ_j + 2^K·E_j is the table's key of index Δ_j + d_j (checked: the
// forgery passes the packed lookup's own argument, so only the softmax's
// division can reject it). shifts picks d for a row of n logits and its
// differences Δ (nil: the row is left honest).
func packedForgery(t *testing.T, shifts func(deltas []int64) map[int]int64) solver.Hint {
	inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift), graphtest.Field)
	return func(p *big.Int, in, out []*big.Int) error {
		if err := fixedpoint.PackedLookupHint(p, in, out); err != nil {
			return err
		}
		n := int(in[0].Int64())
		table, idx := in[1:1+n], in[1+n:]
		deltas := make([]int64, len(idx))
		for j, d := range idx {
			deltas[j] = d.Int64()
		}
		keys := make(map[string]bool, n)
		for i, v := range table {
			k := new(big.Int).Lsh(v, fixedpoint.PackedShift)
			keys[k.Add(k, big.NewInt(int64(i))).String()] = true
		}
		for j, d := range shifts(deltas) {
			i := deltas[j] + d
			if i < 0 || i >= int64(n) {
				t.Errorf("forgery moves Δ=%d by %d out of the table", deltas[j], d)
				continue
			}
			e := new(big.Int).Mul(big.NewInt(d), inv)
			out[j].Add(e, table[i]).Mod(out[j], p)
			key := new(big.Int).Lsh(out[j], fixedpoint.PackedShift)
			key.Add(key, idx[j]).Mod(key, p)
			if !keys[key.String()] {
				t.Errorf("forged key of Δ=%d (d=%d) is no table key: the forgery would not reach the division", deltas[j], d)
			}
		}
		return nil
	}
}

// roundingDivision is DivFloorHint for a numerator and denominator that a
// forgery moved by small multiples of 2^−K: it divides their integer parts
// N (v = N + c·2^−K, |c| < 2^(K−1)), the quotient an attacker would pick.
func roundingDivision(p *big.Int, in, out []*big.Int) error {
	integral := func(v *big.Int) *big.Int {
		t := new(big.Int).Lsh(v, fixedpoint.PackedShift)
		t.Mod(t, p)
		c := new(big.Int).Mod(t, new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift))
		if c.Bit(fixedpoint.PackedShift-1) == 1 {
			c.Sub(c, new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift))
		}
		return t.Sub(t, c).Rsh(t, fixedpoint.PackedShift)
	}
	num, den := integral(in[0]), integral(in[1])
	if den.Sign() <= 0 {
		den.SetInt64(1)
	}
	out[0].Quo(num, den)
	return nil
}

// roundingShift is DivPow2Hint for a value that a forgery moved by a small
// multiple of 2^−K (the recip softmax's E_j·R + 2^(t−1)): it shifts its
// integer part N (v = N + c·2^−K, |c| < 2^(K−1); N = v for an honest
// integer), the quotient and remainder an attacker would pick.
func roundingShift(p *big.Int, in, out []*big.Int) error {
	half := new(big.Int).Rsh(p, 1)
	t := new(big.Int).Lsh(in[0], fixedpoint.PackedShift)
	t.Mod(t, p)
	if t.Cmp(half) > 0 {
		t.Sub(t, p)
	}
	one := new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift)
	c := new(big.Int).Mod(t, one)
	if c.Bit(fixedpoint.PackedShift-1) == 1 {
		c.Sub(c, one)
	}
	n := t.Sub(t, c).Rsh(t, fixedpoint.PackedShift)
	if !n.IsInt64() {
		return fixedpoint.DivPow2Hint(p, in, out)
	}
	q, r := quant.DivPow2(n.Int64(), uint(in[1].Uint64()))
	out[0].Mod(big.NewInt(q), p)
	if len(out) == 2 {
		out[1].Mod(big.NewInt(r), p)
	}
	return nil
}

// The packed exp table (one constraint a lookup) against forgeries its key
// argument accepts: every forged exp value below is a table key, so only
// Softmax's division (its remainder and quotient checks, the argument of
// the circuits/attention package doc) stands between them and a proof.
// Pairs of opposite shifts (Σδ = 0, so S stays an integer), wide ones, a
// single shift in a row of one logit (softmax of width 1, a masked row
// keeping one entry, causal attention's first row), each with the honest division hint and with one that
// rounds the forged values away, under gnark's range checker and under the
// log-derivative one (padded remainder checks); each on the per-row
// reciprocal softmax (the default; its shifts E_j·R + 2^(t−1) then rounded
// too, roundingShift) and on the division. The real Groth16 prover must
// fail on each.
func TestPackedSoftmaxForgeriesReachingTheDivision(t *testing.T) {
	pair := func(d int64) func([]int64) map[int]int64 {
		return func(deltas []int64) map[int]int64 {
			if len(deltas) == 1 {
				return map[int]int64{0: d}
			}
			// a: the max (Δ = 0) moves up by d; b: a logit at Δ ≥ d moves down.
			a, b := -1, -1
			for j, x := range deltas {
				if x == 0 && a < 0 {
					a = j
				} else if x >= d && b < 0 {
					b = j
				}
			}
			if a < 0 || b < 0 {
				return nil
			}
			return map[int]int64{a: d, b: -d}
		}
	}
	r := rand.New(rand.NewPCG(9, 42))
	models := map[string]struct {
		m *quant.Model
		x [][]int64
	}{
		"softmax 2×5": {
			nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}}),
			[][]int64{{10, -40, 100, 99, 0}, {-128, 127, 126, 3, -5}},
		},
		"softmax 2×1": {
			nmModel(t, r, []int{2, 1}, nmNode{"sm", &ops.Softmax{}, []string{"x"}}),
			[][]int64{{10}, {-40}},
		},
		"masked softmax, a row of one kept": {
			nmModel(t, r, []int{2, 3}, nmNode{"sm", &ops.MaskedSoftmax{Rows: 2, Cols: 3, Keep: []uint8{1, 0, 0, 1, 1, 1}}, []string{"x"}}),
			[][]int64{{5, 100, -100}, {90, 0, -1}},
		},
	}
	// Causal attention (8 tokens: the randomized products): row 0 of
	// each head has a single key.
	am := attnModel(t, 3, 8, 16, &ops.Attention{Heads: 2, KVHeads: 1, HeadDim: 8, Scale: 0.5, Mask: ops.MaskCausal})
	models["causal attention"] = struct {
		m *quant.Model
		x [][]int64
	}{am, nmInputs(rand.New(rand.NewPCG(70, 4)), am, 1)[4]}
	if testing.Short() {
		delete(models, "masked softmax, a row of one kept")
		delete(models, "causal attention")
	}
	// The same on the division semantics.
	for name, mc := range map[string]struct {
		m *quant.Model
		x [][]int64
	}{
		"softmax 2×5 (division)": {
			nmDivision(nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}})),
			[][]int64{{10, -40, 100, 99, 0}, {-128, 127, 126, 3, -5}},
		},
		"softmax 2×1 (division)": {
			nmDivision(nmModel(t, r, []int{2, 1}, nmNode{"sm", &ops.Softmax{}, []string{"x"}})),
			[][]int64{{10}, {-40}},
		},
	} {
		models[name] = mc
	}
	for _, log := range []bool{false, true} {
		var opts []fixedpoint.Option
		if log {
			opts = append(opts, fixedpoint.WithLogChecker())
		}
		for name, mc := range models {
			ccs, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, graphtest.Circuit(t, mc.m, graphtest.PublicIO, opts...))
			if err != nil {
				t.Fatal(err)
			}
			pk, _, err := groth16.Setup(ccs)
			if err != nil {
				t.Fatal(err)
			}
			w := graphtest.Witness(t, mc.m, mc.x)
			if _, err := groth16.Prove(ccs, pk, w); err != nil {
				t.Fatalf("%s (log %v): honest proof failed: %v", name, log, err)
			}
			for _, d := range []int64{1, 7} {
				forge := packedForgery(t, pair(d))
				for _, div := range []solver.Hint{nil, roundingDivision} {
					o := []solver.Option{solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), forge)}
					if div != nil {
						o = append(o, solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), div),
							solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundingShift))
					}
					_, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(o...))
					if testing.Verbose() {
						t.Logf("%s (log %v) ±%d rounding %v: %v", name, log, d, div != nil, err)
					}
					if err == nil {
						t.Errorf("%s (log checker %v): forged exp values shifted by ±%d (rounding division %v): the prover succeeded", name, log, d, div != nil)
					}
				}
			}
		}
	}
}

// The same forgeries under PLONK (the packed table's key argument and the
// log checker's PLONK gates): the prover fails.
func TestPackedSoftmaxForgeriesPLONK(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 43))
	for name, mc := range map[string]struct {
		m *quant.Model
		x [][]int64
	}{
		"softmax 2×5":            {nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}}), [][]int64{{10, -40, 100, 99, 0}, {-128, 127, 126, 3, -5}}},
		"softmax 2×1":            {nmModel(t, r, []int{2, 1}, nmNode{"sm", &ops.Softmax{}, []string{"x"}}), [][]int64{{10}, {-40}}},
		"softmax 2×5 (division)": {nmDivision(nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}})), [][]int64{{10, -40, 100, 99, 0}, {-128, 127, 126, 3, -5}}},
	} {
		for _, log := range []bool{false, true} {
			var opts []fixedpoint.Option
			if log {
				opts = append(opts, fixedpoint.WithLogChecker())
			}
			ccs, pk, _ := graphtest.SetupPLONK(t, graphtest.Circuit(t, mc.m, graphtest.PublicIO, opts...))
			w := graphtest.Witness(t, mc.m, mc.x)
			if _, err := plonk.Prove(ccs, pk, w); err != nil {
				t.Fatalf("%s (log %v): honest proof failed: %v", name, log, err)
			}
			forge := packedForgery(t, func(deltas []int64) map[int]int64 {
				if len(deltas) == 1 {
					return map[int]int64{0: 1}
				}
				for j, x := range deltas {
					if x >= 1 {
						for a, y := range deltas {
							if y == 0 {
								return map[int]int64{a: 1, j: -1}
							}
						}
					}
				}
				return nil
			})
			o := []solver.Option{
				solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), forge),
				solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), roundingDivision),
				solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundingShift),
			}
			if _, err := plonk.Prove(ccs, pk, w, backend.WithSolverOptions(o...)); err == nil {
				t.Errorf("%s (log checker %v): forged exp values: the PLONK prover succeeded", name, log)
			}
		}
	}
}

// TestPackedSoftmaxForgeriesReachingTheDivision's pairs, with the public
// outputs set to what the forged exp values give through the rounding
// hints (the row's softmax of the forged table entries; the rows change),
// so that the prover can fail only on the softmax's own argument, not on
// the outputs' equality with the honest ones: on the reciprocal softmax
// (δ_j·R = 0 through ShiftRound's remainder check) and on the division,
// under gnark's range checker (the plan's padded remainders) and the log
// checker.
func TestPackedSoftmaxForgeriesWithForgedOutputs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 43))
	x := [][]int64{{10, -40, 100, 99, 0}, {-128, 127, 126, 3, -5}}
	recip := nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}})
	models := map[string]*quant.Model{"recip": recip, "division": nmDivision(nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}}))}
	// pair moves the row's max (Δ = 0) up by d and the first logit at
	// Δ ≥ d down by d (Σδ = 0).
	pair := func(d int64) func([]int64) map[int]int64 {
		return func(deltas []int64) map[int]int64 {
			a, b := -1, -1
			for j, x := range deltas {
				if x == 0 && a < 0 {
					a = j
				} else if x >= d && b < 0 {
					b = j
				}
			}
			return map[int]int64{a: d, b: -d}
		}
	}
	for name, m := range models {
		q := m.Graph.Nodes[0].Op.(*ops.QSoftmax)
		table := q.ExpTable()
		for _, d := range []int64{1, 7} {
			// The outputs the forgery computes: the rows' softmax over the
			// forged entries' integer parts.
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			changed := false
			for i, row := range x {
				mx := row[0]
				for _, v := range row {
					mx = max(mx, v)
				}
				deltas := make([]int64, len(row))
				for j, v := range row {
					deltas[j] = mx - v
				}
				exps := make([]int64, len(row))
				for j := range row {
					exps[j] = table[deltas[j]]
				}
				for j, s := range pair(d)(deltas) {
					exps[j] = table[deltas[j]+s]
				}
				var s int64
				for _, e := range exps {
					s += e
				}
				y := make([]int64, len(row))
				for j, e := range exps {
					if q.Recip {
						t0 := quant.RecipShift(len(row))
						y[j] = (e*(quant.RecipNumerator(ops.SoftmaxFrac, t0)/s) + int64(1)<<(t0-1)) >> t0
					} else {
						y[j] = quant.Requantize((e<<(quant.ProbFrac+1)+s)/(2*s), 1, quant.ProbFrac-ops.SoftmaxFrac, 0, quant.Int8Max)
					}
					changed = changed || y[j] != tr.Y[i][j]
				}
				tr.Y[i] = y
			}
			if !changed {
				t.Fatalf("%s ±%d: the forgery leaves the outputs as they are", name, d)
			}
			for _, log := range []bool{false, true} {
				var opts []fixedpoint.Option
				if log {
					opts = append(opts, fixedpoint.WithLogChecker())
				}
				ccs, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, graphtest.Circuit(t, m, graphtest.PublicIO, opts...))
				if err != nil {
					t.Fatal(err)
				}
				pk, _, err := groth16.Setup(ccs)
				if err != nil {
					t.Fatal(err)
				}
				w, err := frontend.NewWitness(nmAssign(t, m, tr), graphtest.Field)
				if err != nil {
					t.Fatal(err)
				}
				_, err = groth16.Prove(ccs, pk, w, backend.WithSolverOptions(
					solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), packedForgery(t, pair(d))),
					solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), roundingDivision),
					solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundingShift)))
				if testing.Verbose() {
					t.Logf("%s ±%d (log %v), outputs %v: %v", name, d, log, tr.Y, err)
				}
				if err == nil {
					t.Errorf("%s: forged exp values shifted by ±%d, forged outputs (log checker %v): the prover succeeded", name, d, log)
				}
				if name != "recip" || d != 1 || testing.Short() {
					continue
				}
				// The same under PLONK.
				pccs, ppk, _ := graphtest.SetupPLONK(t, graphtest.Circuit(t, m, graphtest.PublicIO, opts...))
				if _, err := plonk.Prove(pccs, ppk, w); err == nil {
					t.Errorf("%s ±%d (log checker %v): the forged outputs proved under PLONK without a forgery", name, d, log)
				}
				if _, err := plonk.Prove(pccs, ppk, w, backend.WithSolverOptions(
					solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), packedForgery(t, pair(d))),
					solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), roundingDivision),
					solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), roundingShift))); err == nil {
					t.Errorf("%s: forged exp values shifted by ±%d, forged outputs (log checker %v): the PLONK prover succeeded", name, d, log)
				}
			}
		}
	}
}
