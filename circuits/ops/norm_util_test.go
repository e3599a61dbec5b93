package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/constraint/solver"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Short names for the shared helpers of circuits/graph/graphtest, as the
// tests of this package use them.
var (
	nmField = graphtest.Field
	nmIO    = graphtest.PublicIO
)

// nmNode is a graphtest.Node: its output is the value named name.
type nmNode struct {
	name string
	op   quant.FloatOp
	in   []string
}

// nmTamper is a graphtest.Tamper: a hint h whose outputs f moves.
type nmTamper struct {
	h solver.Hint
	f func(field *big.Int, in, out []*big.Int)
}

func nmTensor(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	return graphtest.Tensor(rng, scale, shape...)
}

func nmModel(t testing.TB, rng *rand.Rand, shape []int, nodes ...nmNode) *quant.Model {
	t.Helper()
	gn := make([]graphtest.Node, len(nodes))
	for i, n := range nodes {
		gn[i] = graphtest.Node{Name: n.name, Op: n.op, In: n.in}
	}
	return graphtest.Chain(t, rng, shape, gn...)
}

func nmInputs(rng *rand.Rand, m *quant.Model, random int) [][][]int64 {
	return graphtest.Inputs(rng, m, random)
}

func nmAssign(t testing.TB, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	return graphtest.Assign(t, m, tr)
}

func nmMatches(t *testing.T, m *quant.Model, inputs [][][]int64) {
	t.Helper()
	graphtest.Matches(t, m, inputs)
}

func nmProveTampered(t *testing.T, m *quant.Model, x [][]int64, tampers map[string]nmTamper) {
	t.Helper()
	gt := make(map[string]graphtest.Tamper, len(tampers))
	for k, tm := range tampers {
		gt[k] = graphtest.Tamper{H: tm.h, F: tm.f}
	}
	graphtest.ProveTampered(t, m, x, gt)
}

func nmAdd(k int, d int64) func(*big.Int, []*big.Int, []*big.Int) { return graphtest.Add(k, d) }

// nmDivision returns m with its softmax, masked softmax and attention nodes
// on the division semantics (Recip false, the files of before 2026-12-01),
// changed in place.
func nmDivision(m *quant.Model) *quant.Model {
	for _, n := range m.Graph.Nodes {
		switch q := n.Op.(type) {
		case *ops.QSoftmax:
			q.Recip = false
		case *ops.QMaskedSoftmax:
			q.Recip = false
		case *ops.QAttention:
			q.Recip = false
		}
	}
	return m
}
