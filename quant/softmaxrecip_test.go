package quant_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
)

// softmaxFloat is the float softmax of integer logits at logitFrac.
func softmaxFloat(l []int64, logitFrac int) []float64 {
	mx := l[0]
	for _, v := range l {
		mx = max(mx, v)
	}
	p := make([]float64, len(l))
	s := 0.0
	for j, v := range l {
		p[j] = math.Exp(math.Ldexp(float64(v-mx), -logitFrac))
		s += p[j]
	}
	for j := range p {
		p[j] /= s
	}
	return p
}

// recipRows are random and extreme rows of logits at 10 bits.
func recipRows(rng *rand.Rand) [][]int64 {
	var rows [][]int64
	for _, n := range []int{1, 2, 3, 7, 16, 64, 100, 1024} {
		for _, spread := range []int64{0, 4, 64, 512, 1024} {
			for k := 0; k < 8; k++ {
				row := make([]int64, n)
				for j := range row {
					if spread > 0 {
						row[j] = max(-512, min(511, rng.Int63n(spread)-spread/2))
					}
				}
				rows = append(rows, row)
			}
		}
		oneHot := make([]int64, n)
		for j := range oneHot {
			oneHot[j] = -512
		}
		oneHot[n/2] = 511
		rows = append(rows, oneHot)
	}
	return rows
}

// TestSoftmaxRecipAccuracy measures the per-row reciprocal softmax against
// the float softmax of the same integer logits and against the division
// semantics (SoftmaxRow; requantized to int8 at frac 7), and checks the
// documented bounds: outputs in [0, 2^F − 1], errors within a few units.
func TestSoftmaxRecipAccuracy(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	const logitFrac, logitBits = 5, 10
	table := quant.ExpTableFor(logitFrac, logitBits)
	rows := recipRows(rng)
	for _, frac := range []int{7, quant.ProbFrac} {
		unit := math.Ldexp(1, -frac)
		var newF, oldF, newOld, massNew, massOld float64
		for _, row := range rows {
			f := softmaxFloat(row, logitFrac)
			p, r := quant.SoftmaxRecipRow(row, table, frac)
			if r <= 1<<(frac+1) {
				t.Fatalf("frac %d, row of %d: R = %d not above 2^(F+1)", frac, len(row), r)
			}
			old, _, _, _ := quant.SoftmaxRow(row, table)
			var sn, so float64
			for j := range p {
				if p[j] < 0 || p[j] > int64(1)<<frac-1 {
					t.Fatalf("frac %d: p = %d out of [0, 2^F − 1]", frac, p[j])
				}
				o := old[j]
				if frac == 7 {
					o = quant.Requantize(o, 1, quant.ProbFrac-7, 0, quant.Int8Max)
				}
				pn, po := float64(p[j])*unit, float64(o)*unit
				newF = max(newF, math.Abs(pn-f[j]))
				oldF = max(oldF, math.Abs(po-f[j]))
				newOld = max(newOld, math.Abs(pn-po))
				sn += pn
				so += po
			}
			massNew = max(massNew, math.Abs(sn-1))
			massOld = max(massOld, math.Abs(so-1))
		}
		t.Logf("frac %2d, %d rows: max |p − float| recip %.6f (%.2f units), division %.6f (%.2f units); max |recip − division| %.6f (%.2f units); max |Σp − 1| recip %.5f, division %.5f",
			frac, len(rows), newF, newF/unit, oldF, oldF/unit, newOld, newOld/unit, massNew, massOld)
		if newF > 1.125*unit {
			t.Errorf("frac %d: recip error %.2f units", frac, newF/unit)
		}
	}
}

// TestSoftmaxRecipRowExtremes pins the bound cases: a row of one value and
// a one-hot row give 2^F − 1 at the max; an all-equal row gives equal values.
func TestSoftmaxRecipRowExtremes(t *testing.T) {
	table := quant.ExpTableFor(5, 10)
	for _, frac := range []int{7, quant.ProbFrac} {
		top := int64(1)<<frac - 1
		if p, _ := quant.SoftmaxRecipRow([]int64{-3}, table, frac); p[0] < top-2 {
			t.Errorf("frac %d: row of one: %v", frac, p)
		}
		p, _ := quant.SoftmaxRecipRow([]int64{511, -512, -512}, table, frac)
		if p[0] < top-2 || p[0] > top || p[1] != 0 || p[2] != 0 {
			t.Errorf("frac %d: one-hot row: %v", frac, p)
		}
		p, _ = quant.SoftmaxRecipRow([]int64{7, 7, 7, 7}, table, frac)
		if p[0] != p[3] || p[0] < top/4-1 || p[0] > top/4+1 {
			t.Errorf("frac %d: uniform row: %v", frac, p)
		}
		// Rows of the largest width (quant.MaxDim): no overflow, R above
		// 2^(F+1), the bound held; uniform and one-hot.
		for _, hot := range []bool{false, true} {
			row := make([]int64, quant.MaxDim)
			if hot {
				for j := range row {
					row[j] = -512
				}
				row[quant.MaxDim-1] = 511
			}
			p, r := quant.SoftmaxRecipRow(row, table, frac)
			var sum int64
			for _, v := range p {
				if v < 0 || v > top {
					t.Fatalf("frac %d, max width (one-hot %v): p = %d", frac, hot, v)
				}
				sum += v
			}
			if r <= 1<<(frac+1) || sum > top+quant.MaxDim/2 || (hot && p[quant.MaxDim-1] < top-2) {
				t.Errorf("frac %d, max width (one-hot %v): R = %d, Σp = %d", frac, hot, r, sum)
			}
		}
	}
}
