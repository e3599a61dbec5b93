package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// A graph of the index ops (index map, logic, matmul of activations,
// prelu, argmax) proves and verifies under PLONK.
func TestIndexOpsProvePLONK(t *testing.T) {
	r := rand.New(rand.NewPCG(62, 47))
	c := 0.1
	m := nmModel(t, r, []int{4, 6},
		nmNode{"fc", nmLinear(r, 6, 6), []string{"x"}},
		nmNode{"xt", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}},
		nmNode{"mm", &ops.MatMul{}, []string{"fc", "xt"}},
		nmNode{"pr", &ops.PRelu{SlopeShape: []int{1}, Slope: []float64{0.25}}, []string{"mm"}},
		nmNode{"gt", &ops.Compare{Op: "greater", Const: &c}, []string{"pr"}},
		nmNode{"nt", &ops.Logic{Op: "not"}, []string{"gt"}},
		nmNode{"xr", &ops.Logic{Op: "xor"}, []string{"gt", "nt"}},
		nmNode{"tl", &ops.IndexMap{Shape: []int{4, 8}, Index: ops.AxisIndex([]int{4, 4}, []int{4, 8}, func(_, c int) int { return c % 4 })}, []string{"pr"}},
		nmNode{"am", &ops.ArgMax{Axis: -1}, []string{"tl"}},
	)
	n := graphtest.ProvePLONK(t, m, [][]int64{{3, -100, 127, 0, 5, 6}, {-128, 5, 64, -7, 0, 0}, {1, 2, 3, 4, 5, 6}, {9, 9, 9, 9, 9, 9}})
	t.Logf("%d PLONK constraints (estimate %d)", n, m.Graph.Cost().SCS)
}
