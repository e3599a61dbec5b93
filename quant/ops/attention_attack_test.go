package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// attackQAttention is a valid 4×4 const-mask attention node (2 heads of 4).
func attackQAttention() (*ops.QAttention, []quant.Value, []quant.Value) {
	q := &ops.QAttention{Heads: 2, KVHeads: 2, HeadDim: 4, Mask: ops.MaskConst, LogitFrac: 4, LogitBits: 10,
		Logit: quant.Requant{Mult: 1 << 15, Shift: 20}, Out: quant.Requant{Mult: 1 << 15, Shift: 20},
		Mode: make([]int8, 16), Value: make([]int64, 16)}
	for i := range q.Mode {
		q.Mode[i] = ops.AttnComputed
	}
	v := quant.Value{Shape: []int{4, 8}, Frac: 4, Lo: quant.Int8Min, Hi: quant.Int8Max}
	return q, []quant.Value{v, v, v}, []quant.Value{v}
}

// Attack: a hostile model.quant.json gives a computed position the bias
// math.MinInt64, whose absolute value overflows int64 (abs(MinInt64) is
// negative), so it slipped past both the bias bound and the accumulator
// bound; Forward then wrapped s + b around int64 while the circuit's
// requantization range check is unsatisfiable. Check must refuse it.
func TestAttentionAttackBiasMinInt64(t *testing.T) {
	for _, b := range []int64{math.MinInt64, math.MinInt64 + 1, math.MaxInt64, -1 << 62} {
		q, in, out := attackQAttention()
		q.Value[5] = b
		if err := q.Check(in, out); err == nil {
			t.Errorf("bias %d accepted", b)
		}
	}
	// An excluded position's value and a constant logit of MinInt64.
	q, in, out := attackQAttention()
	q.Mode[5], q.Value[5] = ops.AttnConst, math.MinInt64
	if err := q.Check(in, out); err == nil {
		t.Error("constant logit MinInt64 accepted")
	}
	if q.LogitAccBound() < 0 {
		t.Errorf("accumulator bound %d", q.LogitAccBound())
	}
}

// Attack: a long const mask (T = 64 queries over S = 16384 keys, one head
// of 1: 2^21 multiply-adds, far below the bound, a 16 MB model file).
// ScoreCols called Cols (O(S)) per position, so Cost, Sites and the
// gadget took O(T·S²) (about a minute here, hours at the bounds: a denial
// of service from compile-circuit's or an auditor's estimate). Linear now:
// this test takes milliseconds.
func TestAttentionAttackLongMaskCost(t *testing.T) {
	tq, s := 64, 16384
	q := &ops.QAttention{Heads: 1, KVHeads: 1, HeadDim: 1, Mask: ops.MaskConst, LogitFrac: 4, LogitBits: 10,
		Logit: quant.Requant{Mult: 1 << 15, Shift: 20}, Out: quant.Requant{Mult: 1 << 15, Shift: 20},
		Mode: make([]int8, tq*s), Value: make([]int64, tq*s)}
	for i := range q.Mode {
		q.Mode[i] = ops.AttnComputed
	}
	qv := quant.Value{Shape: []int{tq, 1}, Lo: quant.Int8Min, Hi: quant.Int8Max}
	kv := quant.Value{Shape: []int{s, 1}, Lo: quant.Int8Min, Hi: quant.Int8Max}
	in, out := []quant.Value{qv, kv, kv}, []quant.Value{qv}
	if err := q.Check(in, out); err != nil {
		t.Fatal(err)
	}
	if c := q.Cost(in, out); c.R1CS <= 0 || q.ScoreCols(tq-1, s) != s {
		t.Errorf("cost %v, score columns %d", c, q.ScoreCols(tq-1, s))
	}
}

// Attack (accuracy): masked positions before a row's last kept one with a
// fill below the logit range (left padding, a sliding window: HF's
// finfo.min) are the constant logit lo. At the calibrated logit fraction
// of small logits (12: lo = −0.125) the softmax weighed them by
// exp(−0.125) ≈ 0.88 where the float graph gives 0: the outputs were off
// by 8 % of their range (36 % at smaller logits). The quantization now
// widens the logit range until lo is 12 below every calibrated logit.
func TestAttentionAttackMaskedWeight(t *testing.T) {
	for name, keep := range map[string]func(i, j int) bool{
		"left padding":   func(i, j int) bool { return j >= 2 },
		"sliding window": func(i, j int) bool { return j <= i && j > i-3 },
	} {
		t.Run(name, func(t *testing.T) {
			k := make([]int8, 36)
			for i := 0; i < 6; i++ {
				for j := 0; j < 6; j++ {
					if keep(i, j) {
						k[i*6+j] = 1
					}
				}
			}
			rng := rand.New(rand.NewPCG(70, 4))
			fm := attentionGraph(t, rng, 16, &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: 8, Scale: 0.35, Mask: ops.MaskConst, Keep: k, Fill: -math.MaxFloat32})
			m := quantizedClose(t, fm, rng, 96, 0.05)
			q := m.Graph.Nodes[3].Op.(*ops.QAttention)
			lo, _ := quant.GPT2Formats{LogitBits: q.LogitBits}.LogitRange()
			// The constant lo's exp at the largest distance below a logit
			// of 0 (the calibrated logits are near 0 here) rounds to 0.
			if e := q.ExpTable()[-lo]; e != 0 {
				t.Errorf("logit frac %d: exp(lo) = %d, want 0", q.LogitFrac, e)
			}
		})
	}
}
