package peers

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The circom side is written by hand here: circomlib has no fixed-point
// requantization, and the circuit must compute exactly quant.Requantize
// (floor((acc·m + 2^(s−1)) / 2^s), then clamp) to prove the same statement as
// zkinfer. It uses circomlib's Num2Bits and LessThan, the standard way to
// range-check and compare in circom.

// requantTemplates are the circom templates shared by the generated circuits.
//
// RequantConst(S, M, LO, HI, B) is quant.Requantize with a constant
// multiplier: p = acc·M + 2^(S−1) + K·2^S with K = 2^(B−1) (so p ≥ 0 for
// every |q| < K), qk = p \ 2^S and r = p % 2^S hinted, p = qk·2^S + r,
// r ∈ [0, 2^S) and qk ∈ [0, 2^B) by Num2Bits, and the clamp of q = qk − K to
// [LO, HI] by two LessThan(B). RequantVar is the same with the multiplier a
// signal (one more constraint for acc·mult).
const requantTemplates = `
template Clamp(LO, HI, B) {
    // in = q + K with K = 2^(B-1); out = clamp(q, LO, HI).
    signal input in;
    signal output out;
    var K = 1 << (B - 1);
    component qb = Num2Bits(B);
    qb.in <== in;
    component lt = LessThan(B);
    lt.in[0] <== in;
    lt.in[1] <== LO + K;
    component gt = LessThan(B);
    gt.in[0] <== HI + K;
    gt.in[1] <== in;
    signal mid <== (1 - lt.out - gt.out) * (in - K);
    out <== mid + lt.out * LO + gt.out * HI;
}

template DivPow2(S, B) {
    // in = p + K·2^S ≥ 0; out = floor(in / 2^S), remainder range-checked.
    signal input in;
    signal output out;
    signal r;
    out <-- in \ (1 << S);
    r <-- in % (1 << S);
    in === out * (1 << S) + r;
    component rb = Num2Bits(S);
    rb.in <== r;
}

template RequantConst(S, M, LO, HI, B) {
    signal input acc;
    signal output out;
    var K = 1 << (B - 1);
    component d = DivPow2(S, B);
    d.in <== acc * M + (1 << (S - 1)) + K * (1 << S);
    component c = Clamp(LO, HI, B);
    c.in <== d.out;
    out <== c.out;
}

template RequantVar(S, LO, HI, B) {
    signal input acc;
    signal input mult;
    signal output out;
    var K = 1 << (B - 1);
    signal p <== acc * mult;
    component d = DivPow2(S, B);
    d.in <== p + (1 << (S - 1)) + K * (1 << S);
    component c = Clamp(LO, HI, B);
    c.in <== d.out;
    out <== c.out;
}
`

const circomHeader = `pragma circom 2.0.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
`

// clampBits is B of the templates: the offset quotient q + 2^(B−1) must lie
// in [0, 2^B) for every |q| ≤ maxQ, and LO, HI within int8 must fit too.
func clampBits(accBound, mult int64, shift uint) int {
	q := new(big.Int).Mul(big.NewInt(accBound), big.NewInt(mult))
	q.Add(q, big.NewInt(quant.RoundingTerm(shift)))
	q.Rsh(q, shift)
	q.Add(q, big.NewInt(1))
	return max(q.BitLen()+1, 9)
}

// ChainCircom is a chain of n ≥ 1 multiplications s_i = s_{i−1}·s_{i−1} from a
// private x to a public y: exactly n R1CS constraints.
func ChainCircom(n int) string {
	return fmt.Sprintf(`pragma circom 2.0.0;

template Chain(N) {
    signal input x;
    signal output y;
    signal s[N + 1];
    s[0] <== x;
    for (var i = 1; i <= N; i++) {
        s[i] <== s[i - 1] * s[i - 1];
    }
    y <== s[N];
}

component main = Chain(%d);
`, n)
}

// DenseSignalsCircom is the dense layer in×out of quant.Dense semantics with
// the weights, biases and multipliers as private signals (one constraint per
// product), shift s, clamp [lo, hi], the input private and the outputs
// public. With checkWeights every weight is range-checked to int8 by
// Num2Bits(8) (zkinfer's witness-weight gadget range-checks its weights).
func DenseSignalsCircom(in, out int, shift uint, lo, hi int64, checkWeights bool) string {
	b := clampBits(linear.WorstAccBound(in), quant.MaxMultiplier-1, shift)
	check := ""
	if checkWeights {
		check = `
    component wb[IN][OUT];
    for (var i = 0; i < IN; i++) {
        for (var j = 0; j < OUT; j++) {
            wb[i][j] = Num2Bits(8);
            wb[i][j].in <== w[i][j] + 128;
        }
    }`
	}
	var sb strings.Builder
	sb.WriteString(circomHeader)
	sb.WriteString(requantTemplates)
	fmt.Fprintf(&sb, `
template DenseSignals(IN, OUT, S, LO, HI, B) {
    signal input x[IN];
    signal input w[IN][OUT];
    signal input b[OUT];
    signal input mult[OUT];
    signal output y[OUT];
    signal prod[OUT][IN];
    component rq[OUT];%s
    for (var j = 0; j < OUT; j++) {
        var lc = b[j];
        for (var i = 0; i < IN; i++) {
            prod[j][i] <== x[i] * w[i][j];
            lc += prod[j][i];
        }
        rq[j] = RequantVar(S, LO, HI, B);
        rq[j].acc <== lc;
        rq[j].mult <== mult[j];
        y[j] <== rq[j].out;
    }
}

component main = DenseSignals(%d, %d, %d, %d, %d, %d);
`, check, in, out, shift, lo, hi, b)
	return sb.String()
}

// MLPCircom is the circom circuit of a graph model made only of linear
// layers (ops.QLinear, one row): the same integer forward pass as
// m.Forward, with the weights as constants of the circuit, the input and the
// output public (zkinfer's fixed weights and public input and output).
func MLPCircom(m *quant.Model) (string, error) {
	layers, err := DenseLayers(m)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(circomHeader)
	sb.WriteString(requantTemplates)
	// One template per layer, its constants in var arrays and the sums built
	// in a loop (a literal 784-term expression overflows circom's stack).
	list := func(n int, f func(i int) int64) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprint(f(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	for l, d := range layers {
		if d.Shift < 1 {
			return "", fmt.Errorf("layer %d: shift %d: the circom template needs a shift ≥ 1", l, d.Shift)
		}
		rows := make([]string, d.In)
		for i := range rows {
			rows[i] = list(d.Out, func(j int) int64 { return int64(d.W[i*d.Out+j]) })
		}
		fmt.Fprintf(&sb, `
template Layer%d() {
    signal input x[%d];
    signal output y[%d];
    var W[%d][%d] = [%s];
    var B[%d] = %s;
    var M[%d] = %s;
    var QB[%d] = %s;
    component rq[%d];
    for (var j = 0; j < %d; j++) {
        var lc = B[j];
        for (var i = 0; i < %d; i++) {
            lc += W[i][j] * x[i];
        }
        rq[j] = RequantConst(%d, M[j], %d, %d, QB[j]);
        rq[j].acc <== lc;
        y[j] <== rq[j].out;
    }
}
`, l, d.In, d.Out, d.In, d.Out, strings.Join(rows, ",\n        "), d.Out, list(d.Out, func(j int) int64 { return d.B[j] }),
			d.Out, list(d.Out, func(j int) int64 { return d.Mult[j] }),
			d.Out, list(d.Out, func(j int) int64 { return int64(clampBits(d.AccBound(j), d.Mult[j], d.Shift)) }),
			d.Out, d.Out, d.In, d.Shift, d.Lo, d.Hi)
	}
	sb.WriteString("\ntemplate MLP() {\n")
	fmt.Fprintf(&sb, "    signal input x[%d];\n", layers[0].In)
	fmt.Fprintf(&sb, "    signal output y[%d];\n", layers[len(layers)-1].Out)
	prev := "x"
	for l, d := range layers {
		fmt.Fprintf(&sb, "    component l%d = Layer%d();\n", l, l)
		fmt.Fprintf(&sb, "    for (var i = 0; i < %d; i++) { l%d.x[i] <== %s[i]; }\n", d.In, l, prev)
		prev = fmt.Sprintf("l%d.y", l)
	}
	fmt.Fprintf(&sb, "    for (var j = 0; j < %d; j++) { y[j] <== %s[j]; }\n", layers[len(layers)-1].Out, prev)
	sb.WriteString("}\n\ncomponent main {public [x]} = MLP();\n")
	return sb.String(), nil
}

// DenseLayers returns the dense layers of a graph model that is a chain of
// linear layers on one row, in order.
func DenseLayers(m *quant.Model) ([]*quant.Dense, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("not a layer-graph model")
	}
	if rows, _ := quant.Rows(m.InputShape()); rows != 1 {
		return nil, fmt.Errorf("input has %d rows, want 1", rows)
	}
	var out []*quant.Dense
	for _, n := range m.Graph.Nodes {
		q, ok := n.Op.(*ops.QLinear)
		if !ok {
			return nil, fmt.Errorf("node %s: op %s is not a linear layer", n.Name, n.Op.Kind())
		}
		out = append(out, &q.Dense)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no layers")
	}
	return out, nil
}
