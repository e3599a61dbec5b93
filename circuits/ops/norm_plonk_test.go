package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Every op of this family has a gadget.
func TestNormOpsHaveGadgets(t *testing.T) {
	for _, kind := range []string{"layernorm", "rmsnorm", "softmax", "reduce", "minmax", "compare", "where"} {
		if _, ok := quant.LookupOp(kind); !ok {
			t.Errorf("%s: not registered", kind)
		}
		if _, err := gadget.Lookup(kind); err != nil {
			t.Error(err)
		}
	}
}

// A graph of every op of the family proves and verifies under PLONK.
func TestNormOpsProvePLONK(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 47))
	c := -0.2
	m := nmModel(t, r, []int{2, 4},
		nmNode{"ln", ops.NewLayerNorm(nmTensor(r, 1, 4), nmTensor(r, 0.3, 4), 1e-5), []string{"x"}},
		nmNode{"rms", ops.NewRMSNorm(nmTensor(r, 1, 4), 1e-6), []string{"ln"}},
		nmNode{"sm", &ops.Softmax{}, []string{"rms"}},
		nmNode{"mean", &ops.Reduce{Op: "mean", Axes: []int{1}, KeepDims: true}, []string{"x"}},
		nmNode{"mx", &ops.Reduce{Op: "max", Axes: []int{0}}, []string{"x"}},
		nmNode{"hi", &ops.MinMax{Op: "max"}, []string{"mean", "mx"}},
		nmNode{"lt", &ops.Compare{Op: "less"}, []string{"sm", "hi"}},
		nmNode{"gt", &ops.Compare{Op: "greater", Const: &c}, []string{"x"}},
		nmNode{"w", &ops.Where{}, []string{"lt", "sm", "hi"}},
		nmNode{"y", &ops.Where{}, []string{"gt", "w", "x"}},
	)
	n := graphtest.ProvePLONK(t, m, [][]int64{{3, -100, 127, 0}, {-128, 5, 64, -7}})
	t.Logf("%d PLONK constraints (estimate %d)", n, m.Graph.Cost().SCS)
}
