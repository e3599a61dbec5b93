package quant

// Uses returns, for each value of g, how often it is read (once per node
// input that names it, once per graph output) and the node that produces
// it (−1 where none does: a graph input).
func (g *Graph) Uses() (readers, producer []int) {
	return valueUses(len(g.Values), g.Nodes, func(n Node) ([]int, []int) { return n.In, n.Out }, g.Outputs)
}

// Uses returns, for each value of g, how often it is read (once per node
// input that names it, once per graph output) and the node that produces
// it (−1 where none does: a graph input).
func (g *FloatGraph) Uses() (readers, producer []int) {
	return valueUses(len(g.Names), g.Nodes, func(n FloatNode) ([]int, []int) { return n.In, n.Out }, g.Outputs)
}

func valueUses[N any](values int, nodes []N, io func(N) (in, out []int), outputs []int) (readers, producer []int) {
	readers = make([]int, values)
	producer = make([]int, values)
	for i := range producer {
		producer[i] = -1
	}
	for i, n := range nodes {
		in, out := io(n)
		for _, id := range in {
			readers[id]++
		}
		for _, id := range out {
			producer[id] = i
		}
	}
	for _, id := range outputs {
		readers[id]++
	}
	return readers, producer
}

// RemapIDs returns the value ids l renumbered through ids (ids[old] is the
// new id), in a new slice.
func RemapIDs(ids, l []int) []int {
	r := make([]int, len(l))
	for k, id := range l {
		r[k] = ids[id]
	}
	return r
}
