package onnx

import (
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Unary closures: exporters write GELU, SiLU or Mish as several elementwise
// nodes over one activation (GELU: x·0.5·(1 + erf(x/√2)), SiLU: x·sigmoid(x)).
// Op by op at int8 every intermediate would be requantized and lose
// precision, so the whole subgraph becomes one table (ops.Unary) when it is
// closed (only its last value is read outside it) and computes, on a grid,
// a function the table op knows. Structure picks the subgraph; numbers
// decide what it computes.

const (
	// closureWindow bounds how far after its first node a closure may end.
	closureWindow = 32
	// closureMaxNodes bounds the nodes of one closure.
	closureMaxNodes = 24
)

// closureBinary are the elementwise ops of two operands a closure may hold.
var closureBinary = map[string]func(a, b float64) float64{
	"Add": func(a, b float64) float64 { return a + b },
	"Sub": func(a, b float64) float64 { return a - b },
	"Mul": func(a, b float64) float64 { return a * b },
	"Div": func(a, b float64) float64 { return a / b },
	"Pow": math.Pow,
	"Max": math.Max,
	"Min": math.Min,
}

// closureFns are the functions a closure is matched against (ops.Unary
// names; none takes attributes).
var closureFns = []string{"gelu_erf", "gelu", "silu", "mish", "hard_swish", "softplus", "sigmoid", "tanh", "softsign"}

// closureGrid are the points a closure is evaluated at.
var closureGrid = func() []float64 {
	var g []float64
	for k := -160; k <= 160; k++ {
		g = append(g, float64(k)/20)
	}
	return g
}()

func isClosureOp(n *onnxpb.NodeProto) bool {
	if !isDefaultDomain(n) || len(n.GetOutput()) != 1 {
		return false
	}
	op := n.GetOpType()
	if _, ok := closureBinary[op]; ok {
		return true
	}
	// Relu and the unary ops (their constant operands scalars, see cone).
	return op == "Relu" || unaryOps[op] != nil
}

// tryClosure replaces a closure that starts at node i by one Unary node
// and reports whether it did.
func (gi *graphImporter) tryClosure(i int, n *onnxpb.NodeProto) (bool, error) {
	if !isClosureOp(n) {
		return false, nil
	}
	for e := min(len(gi.nodes)-1, i+closureWindow); e > i; e-- {
		if !gi.live[e] || gi.done[e] || !isClosureOp(gi.nodes[e]) {
			continue
		}
		cone, x, ok := gi.cone(e)
		if !ok || len(cone) < 2 || cone[0] != i || !gi.closed(cone, e) {
			continue
		}
		fn, ok := gi.match(cone, x)
		if !ok {
			continue
		}
		for _, j := range cone {
			gi.done[j] = true
		}
		return true, gi.node(gi.nodes[e], "", &ops.Unary{Fn: fn}, []string{x}, []string{gi.nodes[e].GetOutput()[0]})
	}
	return false, nil
}

// cone returns the nodes (sorted) that compute node e's output from one
// activation x, through closure ops and scalar constants only.
func (gi *graphImporter) cone(e int) (cone []int, x string, ok bool) {
	producer := func(name string) int {
		if j, ok := gi.producers[name]; ok && j <= e {
			return j
		}
		return -1
	}
	seen := map[int]bool{e: true}
	stack := []int{e}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		cone = append(cone, j)
		if len(cone) > closureMaxNodes {
			return nil, "", false
		}
		for _, in := range gi.nodes[j].GetInput() {
			if in == "" {
				return nil, "", false
			}
			if c := gi.consts[in]; c != nil {
				if len(c.data) != 1 {
					return nil, "", false
				}
				continue
			}
			if _, ok := gi.gb.Shape(in); ok {
				// An activation defined before the closure: its source.
				if x != "" && x != in {
					return nil, "", false
				}
				x = in
				continue
			}
			p := producer(in)
			if p < 0 || !gi.live[p] || gi.done[p] || !isClosureOp(gi.nodes[p]) {
				return nil, "", false
			}
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	if x == "" {
		return nil, "", false
	}
	xs, _ := gi.gb.Shape(x)
	for _, j := range cone {
		for _, in := range gi.nodes[j].GetInput() {
			if c := gi.consts[in]; c != nil && len(c.dims) > len(xs) {
				return nil, "", false
			}
		}
	}
	slices.Sort(cone)
	return cone, x, true
}

// closed reports whether only node e's output leaves the cone.
func (gi *graphImporter) closed(cone []int, e int) bool {
	in := map[int]bool{}
	for _, j := range cone {
		in[j] = true
	}
	for _, j := range cone {
		if j == e {
			continue
		}
		o := gi.nodes[j].GetOutput()[0]
		if gi.outputs[o] {
			return false
		}
		for _, c := range gi.consumers[o] {
			if !in[c] {
				return false
			}
		}
	}
	return true
}

// match evaluates the cone on the grid and names the function it computes.
func (gi *graphImporter) match(cone []int, x string) (string, bool) {
	// An affine chain (sums and products with constants) is none of the
	// functions: do not evaluate it.
	nonlinear := false
	for _, j := range cone {
		n := gi.nodes[j]
		switch n.GetOpType() {
		case "Add", "Sub":
		case "Mul", "Div":
			nonlinear = nonlinear || !gi.isConst(input(n, 0)) && !gi.isConst(input(n, 1))
		default:
			nonlinear = true
		}
	}
	if !nonlinear {
		return "", false
	}
	// A few points first: most cones are no function of the list.
	names := closureFns
	for _, grid := range [][]float64{closureProbe, closureGrid} {
		y, ok := gi.evalCone(cone, x, grid)
		if !ok {
			return "", false
		}
		names = matching(names, grid, y)
		if len(names) == 0 {
			return "", false
		}
	}
	return names[0], true
}

// closureProbe are the points a cone is tried at before closureGrid.
var closureProbe = []float64{-6, -2.5, -1, -0.3, 0, 0.4, 1.3, 3, 7}

// matching returns the functions of names that y approximates on grid.
func matching(names []string, grid, y []float64) []string {
	var out []string
	for _, name := range names {
		want, err := (&ops.Unary{Fn: name}).Eval([]*quant.FloatTensor{{Shape: []int{len(grid)}, Data: grid}})
		if err != nil {
			continue
		}
		ok := true
		for k, w := range want[0].Data {
			if !(math.Abs(y[k]-w) <= 1e-5*math.Max(1, math.Abs(w))) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, name)
		}
	}
	return out
}

// evalCone evaluates the cone's last value at the points of grid for x.
func (gi *graphImporter) evalCone(cone []int, x string, grid []float64) ([]float64, bool) {
	vals := map[string][]float64{x: grid}
	arg := func(name string) []float64 {
		if v, ok := vals[name]; ok {
			return v
		}
		c := gi.consts[name].data[0]
		v := make([]float64, len(grid))
		for k := range v {
			v[k] = c
		}
		return v
	}
	var last []float64
	for _, j := range cone {
		n := gi.nodes[j]
		op := n.GetOpType()
		y := make([]float64, len(grid))
		switch {
		case closureBinary[op] != nil:
			if len(n.GetInput()) != 2 {
				return nil, false
			}
			a, b := arg(n.GetInput()[0]), arg(n.GetInput()[1])
			for k := range y {
				y[k] = closureBinary[op](a[k], b[k])
			}
		case op == "Relu":
			for k, v := range arg(n.GetInput()[0]) {
				y[k] = math.Max(v, 0)
			}
		default:
			u, err := unaryOps[op](gi, n)
			if err != nil {
				return nil, false
			}
			res, err := u.Eval([]*quant.FloatTensor{{Shape: []int{len(y)}, Data: arg(n.GetInput()[0])}})
			if err != nil {
				return nil, false
			}
			y = res[0].Data
		}
		vals[n.GetOutput()[0]] = y
		last = y
	}
	return last, true
}
