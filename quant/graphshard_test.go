package quant

import (
	"errors"
	"strings"
	"testing"
)

// A cut name must say where to cut: a name that is a value of one node and
// the name of another, or a value or node name used twice, is ambiguous;
// a graph input is named as such.
func TestCutsByNameAmbiguous(t *testing.T) {
	g := &Graph{
		Values: []Value{{Name: "x"}, {Name: "p"}, {Name: "r"}, {Name: "q"}, {Name: "q"}, {Name: "y"}},
		Inputs: []int{0}, Outputs: []int{5},
		Nodes: []Node{
			{Name: "n0", In: []int{0}, Out: []int{1}}, // value p
			{Name: "p", In: []int{1}, Out: []int{2}},  // node p, another place
			{Name: "n2", In: []int{2}, Out: []int{3}}, // value q
			{Name: "n3", In: []int{3}, Out: []int{4}}, // value q again
			{Name: "n4", In: []int{4}, Out: []int{5}},
		},
	}
	for _, c := range []struct{ name, want string }{
		{"p", "ambiguous"},
		{"q", "ambiguous"},
		{"x", "graph input"},
	} {
		_, err := g.CutsByName([]string{c.name})
		if err == nil || !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("cut %q: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if b, err := g.CutsByName([]string{"r", "n0"}); err != nil || len(b) != 2 || b[0] != 1 || b[1] != 2 {
		t.Errorf("cuts r, n0: %v %v, want [1 2]", b, err)
	}
}
