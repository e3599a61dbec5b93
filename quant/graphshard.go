package quant

import (
	"fmt"
	"slices"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Cut sharding of layer graphs (quant/GRAPH.md §5 step 12). A graph of n
// nodes (topological order) is cut at node boundaries 0 < b₁ < … < b_{k−1}
// < n into k shards, shard i the nodes b_i..b_{i+1}−1 (b₀ = 0, b_k = n).
// The cut set at a boundary b, Frontier(b), is every value produced before b
// (a graph input or an output of a node before b) that a node at or after b
// reads or that is a graph output: the residual stream, and also the token
// ids a later next_tokens reads, or a graph output produced early. Shard i
// is the sub-graph of its nodes with Frontier(b_i) as inputs (the graph
// inputs for the first) and Frontier(b_{i+1}) as outputs (the graph outputs
// for the last); a value of both passes through. Formats, integers and
// tables are the quantized model's, so the shards' forward passes chained
// reproduce the model's bit for bit.

// GraphShardsVersion is the version of the encoding GraphShardsCommitment
// hashes (ShardsVersion, 1, is the legacy gpt2 block sharding's).
const GraphShardsVersion = 2

// ShardUnits is what a sharding of m cuts: the blocks of a gpt2 model
// (ShardsVersion 1), the nodes of a graph (GraphShardsVersion).
func (m *Model) ShardUnits() (version, n int, err error) {
	switch {
	case m.Graph != nil && m.Config.Architecture == ArchitectureGraph:
		return GraphShardsVersion, len(m.Graph.Nodes), nil
	case m.Config.Architecture == ArchitectureGPT2:
		return ShardsVersion, len(m.Blocks), nil
	}
	return 0, 0, fmt.Errorf("%w: only gpt2 and layer-graph models split into shards, not %q", ErrValidation, m.Config.Architecture)
}

// ShardOf returns the sub-model of units from..to-1 of a sharding of the
// given version (ShardUnits): Slice for gpt2 blocks, GraphShard for nodes.
func (m *Model) ShardOf(version, from, to int) (*Model, error) {
	v, _, err := m.ShardUnits()
	if err != nil {
		return nil, err
	}
	if v != version {
		return nil, fmt.Errorf("%w: a sharding of version %d, the model is sharded by version %d", ErrValidation, version, v)
	}
	if v == GraphShardsVersion {
		return m.GraphShard(from, to)
	}
	return m.Slice(from, to)
}

// Frontier returns the values live across node boundary b (0 ≤ b ≤ n): the
// graph inputs at 0, the graph outputs at n (both in graph order), and
// otherwise, by increasing value id, every value produced before node b
// that a node at or after b reads or that is a graph output.
func (g *Graph) Frontier(b int) ([]int, error) {
	if b < 0 || b > len(g.Nodes) {
		return nil, fmt.Errorf("%w: boundary %d of a graph of %d nodes", ErrValidation, b, len(g.Nodes))
	}
	if b == 0 {
		return slices.Clone(g.Inputs), nil
	}
	if b == len(g.Nodes) {
		return slices.Clone(g.Outputs), nil
	}
	before := make([]bool, len(g.Values))
	for _, id := range g.Inputs {
		before[id] = true
	}
	for _, n := range g.Nodes[:b] {
		for _, id := range n.Out {
			before[id] = true
		}
	}
	live := make([]bool, len(g.Values))
	for _, n := range g.Nodes[b:] {
		for _, id := range n.In {
			live[id] = live[id] || before[id]
		}
	}
	for _, id := range g.Outputs {
		live[id] = live[id] || before[id]
	}
	var out []int
	for id, l := range live {
		if l {
			out = append(out, id)
		}
	}
	if len(out) == 0 || len(out) > MaxGraphIO {
		return nil, fmt.Errorf("%w: %d values live across the boundary before node %d, want 1..%d", ErrValidation, len(out), b, MaxGraphIO)
	}
	return out, nil
}

// GraphShard returns the sub-model of nodes from..to-1 of a graph model:
// inputs Frontier(from), outputs Frontier(to), the values the shard reads or
// writes renumbered in the model's order, the nodes' ops and the scales of
// those values (and the inner scales of those nodes) unchanged.
func (m *Model) GraphShard(from, to int) (*Model, error) {
	if m.Graph == nil || m.Config.Architecture != ArchitectureGraph || m.Scales.Graph == nil {
		return nil, fmt.Errorf("%w: GraphShard of a %q model", ErrValidation, m.Config.Architecture)
	}
	g := m.Graph
	if from < 0 || to > len(g.Nodes) || from >= to {
		return nil, fmt.Errorf("%w: nodes %d:%d of a graph of %d nodes", ErrValidation, from, to, len(g.Nodes))
	}
	ins, err := g.Frontier(from)
	if err != nil {
		return nil, err
	}
	outs, err := g.Frontier(to)
	if err != nil {
		return nil, err
	}
	used := make([]bool, len(g.Values))
	for _, id := range slices.Concat(ins, outs) {
		used[id] = true
	}
	for _, n := range g.Nodes[from:to] {
		for _, id := range slices.Concat(n.In, n.Out) {
			used[id] = true
		}
	}
	renum := make([]int, len(g.Values))
	sg := &Graph{}
	sc := &GraphScales{}
	for id, u := range used {
		renum[id] = -1
		if !u {
			continue
		}
		renum[id] = len(sg.Values)
		v := g.Values[id]
		v.Shape = slices.Clone(v.Shape)
		sg.Values = append(sg.Values, v)
		sc.Fracs = append(sc.Fracs, m.Scales.Graph.Fracs[id])
	}
	ids := func(old []int) []int {
		out := make([]int, len(old))
		for i, id := range old {
			out[i] = renum[id]
		}
		return out
	}
	sg.Inputs, sg.Outputs = ids(ins), ids(outs)
	for _, n := range g.Nodes[from:to] {
		sg.Nodes = append(sg.Nodes, Node{Name: n.Name, Op: n.Op, In: ids(n.In), Out: ids(n.Out)})
		if inner, ok := m.Scales.Graph.Inner[n.Name]; ok {
			if sc.Inner == nil {
				sc.Inner = map[string][]int{}
			}
			sc.Inner[n.Name] = slices.Clone(inner)
		}
	}
	s := &Model{Version: m.Version, Config: m.Config, Scales: Scales{Graph: sc}, Graph: sg}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("nodes %d:%d: %w", from, to, err)
	}
	return s, nil
}

// GraphShardRanges turns boundaries 0 < b₁ < … < b_{k−1} < n into the k
// node ranges of a graph of n nodes.
func GraphShardRanges(n int, bounds []int) ([]ShardRange, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: a graph of %d nodes", ErrValidation, n)
	}
	var out []ShardRange
	prev := 0
	for _, b := range append(slices.Clone(bounds), n) {
		if b <= prev || b > n {
			return nil, fmt.Errorf("%w: cuts %v of a graph of %d nodes (want increasing boundaries within 1..%d)", ErrValidation, bounds, n, n-1)
		}
		out = append(out, ShardRange{From: prev, To: b})
		prev = b
	}
	return out, nil
}

// CutsByName returns the boundaries after the named values (or nodes): a
// value name cuts after the node that produces it (a graph input cannot be
// cut at), a node name after that node. Boundaries are sorted; a name that
// is unknown, at the graph's end or named twice is an error.
func (g *Graph) CutsByName(names []string) ([]int, error) {
	// Where each name cuts: after the node producing the value of that
	// name, or after the node of that name. A name that points at two
	// places (a value of one node and another node, two values or nodes
	// of that name) is refused rather than resolved silently.
	at := map[string][]int{}
	add := func(name string, i int) {
		if l := at[name]; len(l) == 0 || l[len(l)-1] != i {
			at[name] = append(l, i)
		}
	}
	for i, n := range g.Nodes {
		for _, id := range n.Out {
			add(g.Values[id].Name, i)
		}
		add(n.Name, i)
		if n.Op != nil && n.Op.Kind() == "linear_residual" {
			// A linear layer fused with its residual add, "<linear>+<add>"
			// (ops.FuseResidualPass): the add's name cuts after it too, at
			// the boundary the add had (every suffix after a "+", as either
			// name may hold one; a clash is refused as ambiguous below).
			for k := range len(n.Name) {
				if n.Name[k] == '+' && k+1 < len(n.Name) {
					add(n.Name[k+1:], i)
				}
			}
		}
	}
	inputs := map[string]bool{}
	for _, id := range g.Inputs {
		inputs[g.Values[id].Name] = true
	}
	seen := map[int]string{}
	var out []int
	for _, name := range names {
		l := at[name]
		switch {
		case len(l) == 0 && inputs[name]:
			return nil, fmt.Errorf("%w: cut %q: a graph input; a cut falls after a node (the cuttable values: %s)", ErrValidation, name, cuttable(g))
		case len(l) == 0:
			if f := fusedInto(g, name); f != "" {
				return nil, fmt.Errorf("%w: cut %q: that node was fused with the residual add that reads it into node %q when the model was quantized, so no boundary lies between them; cut after %q instead", ErrValidation, name, f, f)
			}
			return nil, fmt.Errorf("%w: cut %q: no value or node of that name (the cuttable values: %s)%s", ErrValidation, name, cuttable(g), fusedNote(g))
		case len(l) > 1:
			return nil, fmt.Errorf("%w: cut %q is ambiguous: it names values or nodes after nodes %v; cut by another name", ErrValidation, name, l)
		}
		i := l[0]
		b := i + 1
		if b == len(g.Nodes) {
			return nil, fmt.Errorf("%w: cut %q: the last node or its output; nothing is left after it", ErrValidation, name)
		}
		if prev, ok := seen[b]; ok {
			return nil, fmt.Errorf("%w: cuts %q and %q fall at the same boundary (after node %d, %s)", ErrValidation, prev, name, i, g.Nodes[i].Name)
		}
		seen[b] = name
		out = append(out, b)
	}
	slices.Sort(out)
	return out, nil
}

// fusedInto returns the name of the fused node (a linear layer and the
// residual add that reads it, named "<linear>+<add>": ops.FuseResidualPass)
// whose first part is name, "" for none.
func fusedInto(g *Graph, name string) string {
	for _, n := range g.Nodes {
		if n.Op != nil && n.Op.Kind() == "linear_residual" && strings.HasPrefix(n.Name, name+"+") {
			return n.Name
		}
	}
	return ""
}

// fusedNote says, for a graph with fused linear + residual nodes, that the
// fused layers' outputs are no values.
func fusedNote(g *Graph) string {
	var names []string
	for _, n := range g.Nodes {
		if n.Op != nil && n.Op.Kind() == "linear_residual" && strings.Contains(n.Name, "+") {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	if len(names) > 4 {
		names = append(names[:4], "…")
	}
	return fmt.Sprintf("; the linear layers fused with their residual adds when quantized (%s) write no output of their own", strings.Join(names, ", "))
}

// cuttable lists the first value names a cut may name.
func cuttable(g *Graph) string {
	var names []string
	for _, n := range g.Nodes[:max(len(g.Nodes)-1, 0)] {
		for _, id := range n.Out {
			names = append(names, g.Values[id].Name)
		}
		if len(names) >= 12 {
			names = append(names, "…")
			break
		}
	}
	return strings.Join(names, ", ")
}

// BalancedCuts returns the boundaries that split m's graph into k shards of
// about equal estimated R1CS constraints (the ops' Cost plus the hashing of
// each node's outputs, were they a boundary, and of the model's inputs
// under v). Boundary j goes near j/k of
// the total: among the positions whose prefix is within a quarter of a
// shard of that target, the one with the fewest values crossing it (the
// residual stream rather than a branch and the stream), then the closest;
// no shard is left empty.
func (m *Model) BalancedCuts(k int, v Visibility) ([]int, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("%w: BalancedCuts of a %q model", ErrValidation, m.Config.Architecture)
	}
	g := m.Graph
	n := len(g.Nodes)
	if k < 1 || k > n || k > MaxLayers {
		return nil, fmt.Errorf("%w: %d shards of a graph of %d nodes (want 1..%d)", ErrValidation, k, n, min(n, MaxLayers))
	}
	prefix := make([]int, n+1)
	for i, nd := range g.Nodes {
		c := nd.Op.Cost(g.values(nd.In), g.values(nd.Out)).R1CS
		for _, id := range nd.Out {
			c += IOCost(g.Values[id].Size(), VisibilityHashed, false).R1CS
		}
		if i == 0 { // the first shard exposes the model's inputs as v says
			for _, id := range g.Inputs {
				c += IOCost(g.Values[id].Size(), v.Input, true).R1CS
			}
		}
		prefix[i+1] = prefix[i] + max(c, 1)
	}
	total := prefix[n]
	slack := total / (4 * k)
	width := func(b int) int { // values crossing b, or -1 when b cannot be cut
		f, err := g.Frontier(b)
		if err != nil {
			return -1
		}
		w := 0
		for _, id := range f {
			w += g.Values[id].Size()
		}
		return w
	}
	var out []int
	prev := 0
	for j := 1; j < k; j++ {
		target := total * j / k
		best, bestW, bestD := -1, 0, 0
		for b := prev + 1; b <= n-(k-j); b++ {
			d := prefix[b] - target
			if d < 0 {
				d = -d
			}
			w := width(b)
			if w < 0 {
				continue
			}
			in := d <= slack
			bestIn := best >= 0 && bestD <= slack
			switch {
			case best < 0,
				in && !bestIn,
				in && bestIn && (w < bestW || (w == bestW && d < bestD)),
				!in && !bestIn && d < bestD:
				best, bestW, bestD = b, w, d
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("%w: no boundary between nodes %d and %d can be cut (more than %d values cross each)", ErrValidation, prev, n-(k-j), MaxGraphIO)
		}
		out = append(out, best)
		prev = best
	}
	return out, nil
}

// GraphShardsCommitment is Poseidon2 of the encoding of a cut sharding of a
// graph model: "zkinfer.shards" as a big-endian integer,
// GraphShardsVersion, the whole model's commitment, its number of nodes n,
// the number of shards k, then per shard its first node, its end node, and
// its model commitment (Commit of the sub-model, whose v3 encoding binds
// its inputs' and outputs' formats). Each shard's commitment is a public
// input of its proof, so a verifier recomputes it from the proofs and the
// model commitment it pins; unlike ShardsCommitment (v1) it names the
// model too.
func GraphShardsCommitment(model fr.Element, n int, ranges []ShardRange, commitments []fr.Element) (fr.Element, error) {
	if len(ranges) != len(commitments) || len(ranges) == 0 {
		return fr.Element{}, fmt.Errorf("%w: %d shards and %d commitments", ErrValidation, len(ranges), len(commitments))
	}
	var e encoder
	e.big(shardsDomain)
	e.int(GraphShardsVersion)
	e.out = append(e.out, model)
	e.int(int64(n))
	e.int(int64(len(ranges)))
	for i, r := range ranges {
		e.int(int64(r.From))
		e.int(int64(r.To))
		e.out = append(e.out, commitments[i])
	}
	return Poseidon2(e.out), nil
}

// ShardsCommitmentOf is the commitment of a sharding of the given version:
// ShardsCommitment (1, legacy gpt2 blocks; model unused) or
// GraphShardsCommitment (2).
func ShardsCommitmentOf(version int, model fr.Element, n int, ranges []ShardRange, commitments []fr.Element) (fr.Element, error) {
	switch version {
	case 0, ShardsVersion:
		return ShardsCommitment(n, ranges, commitments)
	case GraphShardsVersion:
		return GraphShardsCommitment(model, n, ranges, commitments)
	}
	return fr.Element{}, fmt.Errorf("%w: shards version %d (this build knows 1 and 2)", ErrUnsupportedVersion, version)
}

// ShardInput maps the outputs of the previous shard (one flat slice per
// part, Trace.OutputParts) to what s.Forward takes: rows of the last axis
// for a shard with one int8 input, one slice per part otherwise.
func (m *Model) ShardInput(parts [][]int64) ([][]int64, error) {
	ip := m.InputParts()
	if err := CheckParts(ip, parts); err != nil {
		return nil, err
	}
	if m.Graph != nil && SingleInt8(ip) {
		return toRows(parts[0], ip[0].Shape), nil
	}
	if m.Graph == nil {
		return toRows(parts[0], ip[0].Shape), nil
	}
	return parts, nil
}
