package ops_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func TestSoftmaxFloatMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	x := nmTensor(rng, 5, 2, 3, 7)
	y, err := (&ops.Softmax{}).Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 6; r++ {
		s := 0.0
		for i := 0; i < 7; i++ {
			s += math.Exp(x.Data[r*7+i])
		}
		for i := 0; i < 7; i++ {
			if want := math.Exp(x.Data[r*7+i]) / s; math.Abs(y[0].Data[r*7+i]-want) > 1e-12 {
				t.Fatalf("row %d value %d: %v, naive %v", r, i, y[0].Data[r*7+i], want)
			}
		}
	}
}

// The integer softmax is quant.SoftmaxRow at 12 bits requantized to frac 7,
// within a step or two of the float probabilities on the input's grid.
func TestSoftmaxInteger(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 2))
	for _, frac := range []int{-2, 0, 3, 5, 7, 12} {
		q := &ops.QSoftmax{InFrac: frac}
		tab := q.ExpTable()
		if len(tab) != 256 {
			t.Fatalf("exp table of %d entries", len(tab))
		}
		for range 50 {
			n := 1 + rng.IntN(12)
			x := make([]int64, n)
			for i := range x {
				x[i] = rng.Int64N(256) - 128
			}
			p := q.Row(x, tab)
			p12, _, _, _ := quant.SoftmaxRow(x, tab)
			fx := make([]float64, n)
			for i := range x {
				fx[i] = quant.DequantizeValue(x[i], frac)
			}
			fp, _ := (&ops.Softmax{}).Eval([]*quant.FloatTensor{{Shape: []int{n}, Data: fx}})
			for i := range p {
				if p[i] != quant.Requantize(p12[i], 1, quant.ProbFrac-ops.SoftmaxFrac, 0, 127) || p[i] < 0 || p[i] > 127 {
					t.Fatalf("frac %d row %v: %v", frac, x, p)
				}
				if d := math.Abs(quant.DequantizeValue(p[i], ops.SoftmaxFrac) - fp[0].Data[i]); d > 2.0/128 {
					t.Fatalf("frac %d row %v: probability %d is %v, float %v", frac, x, i, p[i], fp[0].Data[i])
				}
			}
		}
	}
}

// Quantize sets Recip on the softmax and masked softmax ops; a recip
// node's forward pass is quant.SoftmaxRecipRow per row, its JSON carries
// "recip": true (a division node's has no such key), and its encoding
// differs from the division node's at the same length.
func TestSoftmaxRecipOps(t *testing.T) {
	in := []quant.Value{{Shape: []int{2, 3}, Frac: 4, Lo: quant.Int8Min, Hi: quant.Int8Max}}
	out := []quant.Value{{Shape: []int{2, 3}}}
	op, err := (&ops.Softmax{}).Quantize(in, out)
	if err != nil {
		t.Fatal(err)
	}
	q := op.(*ops.QSoftmax)
	if !q.Recip {
		t.Fatal("softmax: Quantize left Recip false")
	}
	x := []int64{5, -7, 100, -128, -128, -128}
	y, err := q.Forward([]*quant.Tensor{{Shape: in[0].Shape, Data: x}}, out)
	if err != nil {
		t.Fatal(err)
	}
	table := q.ExpTable()
	for r := range 2 {
		want, _ := quant.SoftmaxRecipRow(x[3*r:3*r+3], table, ops.SoftmaxFrac)
		if !slices.Equal(y[0].Data[3*r:3*r+3], want) {
			t.Fatalf("row %d: %v, want %v", r, y[0].Data[3*r:3*r+3], want)
		}
	}
	div := &ops.QSoftmax{InFrac: q.InFrac}
	enc := func(o quant.Op) []fr.Element {
		g := &quant.Graph{Values: []quant.Value{in[0], out[0]}, Inputs: []int{0}, Outputs: []int{1},
			Nodes: []quant.Node{{Name: "sm", Op: o, In: []int{0}, Out: []int{1}}}}
		els, err := quant.Encode(&quant.Model{Config: quant.Config{Architecture: quant.ArchitectureGraph}, Graph: g})
		if err != nil {
			t.Fatal(err)
		}
		return els
	}
	if a, b := enc(q), enc(div); len(a) != len(b) || slices.Equal(a, b) {
		t.Errorf("encodings: recip %d elements, division %d, equal %v", len(a), len(b), slices.Equal(a, b))
	}
	for o, want := range map[quant.Op]bool{q: true, div: false} {
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(data), `"recip":true`); got != want || (!want && strings.Contains(string(data), "recip")) {
			t.Errorf("JSON %s", data)
		}
	}
	mop, err := (&ops.MaskedSoftmax{Rows: 2, Cols: 3, Keep: []uint8{1, 0, 0, 1, 1, 1}}).Quantize(in, []quant.Value{{Shape: []int{2, 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if !mop.(*ops.QMaskedSoftmax).Recip {
		t.Error("masked softmax: Quantize left Recip false")
	}
}

// An op's attributes with a key twice, up to case (encoding/json matches
// keys case-insensitively and keeps the last), are refused: a file whose
// "recip": false is overridden by a later "Recip": true would read as the
// division to other tools while committing to the reciprocal. A single
// key, "recip" true, false, null or absent, decodes; a non-bool is refused.
func TestOpAttrsDuplicateKeys(t *testing.T) {
	node := func(op, attrs string) error {
		var n quant.Node
		return json.Unmarshal([]byte(`{"name":"n","op":"`+op+`","in":[0],"out":[1],"attrs":`+attrs+`}`), &n)
	}
	for _, a := range []string{
		`{"in_frac":3,"recip":true,"recip":false}`,
		`{"in_frac":3,"recip":false,"Recip":true}`,
		`{"in_frac":3,"recip":false,"RECIP":true}`,
		`{"in_frac":3,"in_frac":4}`,
	} {
		if err := node("softmax", a); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("softmax %s: %v", a, err)
		}
	}
	for _, logit := range []string{`{"mult":1,"shift":0,"Mult":2}`, `{"mult":1,"shift":0,"ſhift":5}`} { // encoding/json folds ſ to s
		if err := node("attention", `{"heads":1,"kv_heads":1,"head_dim":1,"mask":"none","logit_frac":1,"logit_bits":8,"logit":`+logit+`,"out":{"mult":1,"shift":0}}`); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("attention, logit %s: %v", logit, err)
		}
	}
	if err := node("masked_softmax", `{"in_frac":3,"rows":1,"cols":2,"keep":[1,1],"recip":true,"recip":true}`); err == nil {
		t.Error("masked_softmax: a repeated recip accepted")
	}
	for a, want := range map[string]bool{`{"in_frac":3,"recip":true}`: true, `{"in_frac":3,"recip":false}`: false, `{"in_frac":3,"recip":null}`: false, `{"in_frac":3}`: false} {
		var n quant.Node
		if err := json.Unmarshal([]byte(`{"name":"n","op":"softmax","in":[0],"out":[1],"attrs":`+a+`}`), &n); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if got := n.Op.(*ops.QSoftmax).Recip; got != want {
			t.Errorf("%s: recip %v", a, got)
		}
	}
	for _, a := range []string{`{"in_frac":3,"recip":1}`, `{"in_frac":3,"recip":"true"}`} {
		if err := node("softmax", a); err == nil {
			t.Errorf("%s accepted", a)
		}
	}
}
