package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant/ops"
)

// Logic ops over comparisons (booleans) are bit-exact in the circuit and
// reject any output moved by one.
func TestLogicGadget(t *testing.T) {
	r := rand.New(rand.NewPCG(62, 2))
	rng := rand.New(rand.NewPCG(62, 3))
	c1, c2 := 0.1, -0.2
	for _, op := range []string{"and", "or", "xor", "not"} {
		nodes := []nmNode{
			{"fc", nmLinear(r, 4, 4), []string{"x"}},
			{"a", &ops.Compare{Op: "greater", Const: &c1}, []string{"fc"}},
			{"b", &ops.Compare{Op: "less", Const: &c2}, []string{"x"}},
			{"rb", &ops.Reduce{Op: "max", Axes: []int{0}, KeepDims: false}, []string{"b"}},
		}
		if op == "not" {
			nodes = append(nodes, nmNode{"l", &ops.Logic{Op: op}, []string{"a"}})
		} else {
			nodes = append(nodes, nmNode{"l", &ops.Logic{Op: op}, []string{"a", "rb"}})
		}
		nodes = append(nodes, nmNode{"l2", &ops.Logic{Op: "xor"}, []string{"l", "a"}})
		m := nmModel(t, r, []int{3, 4}, nodes...)
		nmMatches(t, m, nmInputs(rng, m, 6))
	}
}
