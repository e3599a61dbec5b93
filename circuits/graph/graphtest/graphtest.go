// Package graphtest holds the helpers that the tests of layer-graph ops
// share: building and calibrating a small graph model (Chain, Graph; from a
// builder: Built, Quantized; token-id language models: TokenLM, Bigram,
// UncheckedNextTokens), random and extreme
// int8 inputs, checking a circuit bit-exact against the integer reference
// (and that a moved output is rejected), and proving with tampered hints in
// the real Groth16 prover.
package graphtest

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Field is BN254's scalar field.
var Field = ecc.BN254.ScalarField()

// PublicIO exposes the packed input and output, so tests can tamper with
// them, with fixed weights.
var PublicIO = quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}

// Tensor is a tensor of uniform values in [−scale, scale].
func Tensor(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
	for i := range t.Data {
		t.Data[i] = (rng.Float64()*2 - 1) * scale
	}
	return t
}

// Node is one node of Chain: its output is the value named Name.
type Node struct {
	Name string
	Op   quant.FloatOp
	In   []string
}

// Step is one node of Graph with named outputs.
type Step struct {
	Name    string
	Op      quant.FloatOp
	In, Out []string
}

// Chain builds x (shape) → nodes, the last node's value the output, and
// returns it calibrated on 16 uniform samples in [−1, 1] and quantized.
func Chain(t testing.TB, rng *rand.Rand, shape []int, nodes ...Node) *quant.Model {
	t.Helper()
	steps := make([]Step, len(nodes))
	for i, n := range nodes {
		steps[i] = Step{n.Name, n.Op, n.In, []string{n.Name}}
	}
	return Graph(t, rng, shape, steps...)
}

// Graph is Chain with explicit output names; the first output of the last
// step is the graph output.
func Graph(t testing.TB, rng *rand.Rand, shape []int, steps ...Step) *quant.Model {
	t.Helper()
	b := quant.NewGraphBuilder()
	if err := b.Input("x", shape); err != nil {
		t.Fatal(err)
	}
	return Calibrated(t, rng, build(t, b, steps))
}

// TokenLM builds ids [1, seq] (index values in [0, v)) → nodes, the last
// node's value the output (the logits), and returns it calibrated on 16
// random id sequences and quantized.
func TokenLM(t testing.TB, rng *rand.Rand, seq, v int, nodes ...Node) *quant.Model {
	t.Helper()
	steps := make([]Step, len(nodes))
	for i, n := range nodes {
		steps[i] = Step{n.Name, n.Op, n.In, []string{n.Name}}
	}
	b := quant.NewGraphBuilder()
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(v - 1)}); err != nil {
		t.Fatal(err)
	}
	return IDCalibrated(t, rng, build(t, b, steps), v)
}

// IDCalibrated calibrates fm, whose one input is token ids in [0, v), on 16
// random id sequences and quantizes it.
func IDCalibrated(t testing.TB, rng *rand.Rand, fm *quant.FloatModel, v int) *quant.Model {
	t.Helper()
	return calibrated(t, fm, func() []float64 {
		x := make([]float64, fm.Graph.InputSize())
		for i := range x {
			x[i] = float64(rng.IntN(v))
		}
		return x
	})
}

// Bigram is the smallest causal LM: ids [1, seq] → embedding [v, 2] →
// linear head → logits [1, seq, v], calibrated on random ids.
func Bigram(t testing.TB, rng *rand.Rand, seq, v int) *quant.Model {
	t.Helper()
	return TokenLM(t, rng, seq, v,
		Node{"e", ops.NewGather(Tensor(rng, 1, v, 2)), []string{"ids"}},
		Node{"logits", ops.NewLinear(Tensor(rng, 1, 2, v), Tensor(rng, 0.5, v), false), []string{"e"}})
}

// UncheckedNextTokens is ops.NextTokensModel without its causality check:
// lm's graph with a next_tokens node on its logits and ids (for tests of
// the defences behind that check).
func UncheckedNextTokens(t testing.TB, lm *quant.Model, promptLen, n int) *quant.Model {
	t.Helper()
	g := lm.Graph
	logits := g.Values[g.Outputs[0]]
	v := logits.Shape[len(logits.Shape)-1]
	ng := &quant.Graph{Values: slices.Clone(g.Values), Inputs: slices.Clone(g.Inputs), Nodes: slices.Clone(g.Nodes)}
	id := len(ng.Values)
	ng.Values = append(ng.Values, quant.Value{Name: "next_tokens", Shape: []int{n}, DType: quant.DTypeIndex, Hi: int64(v - 1)})
	ng.Nodes = append(ng.Nodes, quant.Node{Name: "next_tokens", Op: &ops.NextTokens{From: promptLen - 1, Count: n}, In: []int{g.Outputs[0], g.Inputs[0]}, Out: []int{id}})
	ng.Outputs = []int{id}
	m := *lm
	m.Graph = ng
	sg := *lm.Scales.Graph
	sg.Fracs = append(slices.Clone(sg.Fracs), 0)
	m.Scales.Graph = &sg
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return &m
}

// build adds steps to b (its inputs declared), the first output of the last
// step being the graph output, and returns the float model.
func build(t testing.TB, b *quant.GraphBuilder, steps []Step) *quant.FloatModel {
	t.Helper()
	for _, s := range steps {
		if err := b.Node(s.Name, s.Op, s.In, s.Out); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output(steps[len(steps)-1].Out[0]); err != nil {
		t.Fatal(err)
	}
	return Built(t, b)
}

// Built builds b (inputs, nodes and outputs declared) into a float model.
func Built(t testing.TB, b *quant.GraphBuilder) *quant.FloatModel {
	t.Helper()
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.NewGraphModel(g)
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

// Calibrated calibrates fm on 16 uniform samples in [−1, 1] and quantizes it.
func Calibrated(t testing.TB, rng *rand.Rand, fm *quant.FloatModel) *quant.Model {
	t.Helper()
	return calibrated(t, fm, func() []float64 { return Tensor(rng, 1, fm.Graph.InputSize()).Data })
}

func calibrated(t testing.TB, fm *quant.FloatModel, sample func() []float64) *quant.Model {
	t.Helper()
	var cal [][]float64
	for range 16 {
		cal = append(cal, sample())
	}
	return Quantized(t, fm, cal)
}

// Quantized calibrates fm on the samples cal and quantizes it.
func Quantized(t testing.TB, fm *quant.FloatModel, cal [][]float64) *quant.Model {
	t.Helper()
	m, _ := QuantizedAt(t, fm, cal, quant.Precision{})
	return m
}

// QuantizedAt is Quantized at the requantization precision p; it also
// returns what each capped requantization got.
func QuantizedAt(t testing.TB, fm *quant.FloatModel, cal [][]float64, p quant.Precision) (*quant.Model, []quant.RequantNote) {
	t.Helper()
	s, err := quant.Calibrate(fm, cal)
	if err != nil {
		t.Fatal(err)
	}
	var notes []quant.RequantNote
	m, err := quant.QuantizeWith(fm, s, quant.NewRequantizer(p, &notes))
	if err != nil {
		t.Fatal(err)
	}
	return m, notes
}

// Inputs returns four extreme inputs (all −128, all 127, all 0, alternating)
// and random ones, shaped as m's input rows.
func Inputs(rng *rand.Rand, m *quant.Model, random int) [][][]int64 {
	rows, width := quant.Rows(m.Graph.Input().Shape)
	mk := func(f func(i int) int64) [][]int64 {
		x := make([][]int64, rows)
		for r := range x {
			x[r] = make([]int64, width)
			for i := range x[r] {
				x[r][i] = f(r*width + i)
			}
		}
		return x
	}
	out := [][][]int64{
		mk(func(int) int64 { return -128 }), mk(func(int) int64 { return 127 }), mk(func(int) int64 { return 0 }),
		mk(func(i int) int64 { return []int64{-128, 127}[i%2] }),
	}
	for range random {
		out = append(out, mk(func(int) int64 { return rng.Int64N(256) - 128 }))
	}
	return out
}

// Circuit returns m's circuit under v.
func Circuit(t testing.TB, m *quant.Model, v quant.Visibility, opts ...fixedpoint.Option) *graph.Circuit {
	t.Helper()
	c, err := graph.New(m, v, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// R1CS compiles m's circuit under PublicIO (fixed weights) and returns its
// R1CS constraint count.
func R1CS(t testing.TB, m *quant.Model) int {
	t.Helper()
	ccs, err := frontend.Compile(Field, r1cs.NewBuilder, Circuit(t, m, PublicIO))
	if err != nil {
		t.Fatal(err)
	}
	return ccs.GetNbConstraints()
}

// Assign returns the witness of tr under PublicIO.
func Assign(t testing.TB, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	return AssignAt(t, m, tr, PublicIO)
}

// AssignAt returns the witness of tr under v (no salts).
func AssignAt(t testing.TB, m *quant.Model, tr *quant.Trace, v quant.Visibility) *graph.Circuit {
	t.Helper()
	a, err := graph.Assignment(m, tr, v, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Witness runs m on x and returns the full witness of its trace under
// PublicIO, for a prover.
func Witness(t testing.TB, m *quant.Model, x [][]int64) witness.Witness {
	t.Helper()
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(Assign(t, m, tr), Field)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Matches checks that the circuit of m (PublicIO) accepts exactly the
// integer reference's output on every input (test.IsSolved), with the bit
// decomposition strategy too on the first two, and rejects the output
// moved by one.
func Matches(t *testing.T, m *quant.Model, inputs [][][]int64) {
	t.Helper()
	circ := Circuit(t, m, PublicIO)
	circBits := Circuit(t, m, PublicIO, fixedpoint.WithBitDecomposition())
	for k, x := range inputs {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circ, Assign(t, m, tr), Field); err != nil {
			t.Fatalf("input %d %v: %v", k, x, err)
		}
		if k < 2 {
			if err := test.IsSolved(circBits, Assign(t, m, tr), Field); err != nil {
				t.Fatalf("input %d, bit decomposition: %v", k, err)
			}
		}
		j := k % len(tr.Y[0])
		r := k % len(tr.Y)
		y := tr.Y[r][j]
		out := m.Graph.Output()
		tr.Y[r][j] = y + 1
		if y == out.Hi {
			tr.Y[r][j] = y - 1
		}
		if test.IsSolved(circ, Assign(t, m, tr), Field) == nil {
			t.Fatalf("input %d: a wrong output (%d for %d) was accepted", k, tr.Y[r][j], y)
		}
	}
}

// Tamper is a hint that runs H and then moves its outputs by F.
type Tamper struct {
	H solver.Hint
	F func(field *big.Int, in, out []*big.Int)
}

// Add moves output k by d.
func Add(k int, d int64) func(*big.Int, []*big.Int, []*big.Int) {
	return func(_ *big.Int, _, out []*big.Int) { out[k].Add(out[k], big.NewInt(d)) }
}

// ProveTampered proves m on x with the real Groth16 prover: the honest
// proof verifies, and every tampered hint makes the prover fail.
func ProveTampered(t *testing.T, m *quant.Model, x [][]int64, tampers map[string]Tamper) {
	t.Helper()
	ccs, err := frontend.Compile(Field, r1cs.NewBuilder, Circuit(t, m, PublicIO))
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w := Witness(t, m, x)
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		t.Fatalf("honest proof failed: %v", err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatal(err)
	}
	for name, tm := range tampers {
		fake := func(f *big.Int, in, out []*big.Int) error {
			if err := tm.H(f, in, out); err != nil {
				return err
			}
			tm.F(f, in, out)
			for _, o := range out {
				o.Mod(o, f)
			}
			return nil
		}
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(tm.H), fake))); err == nil {
			t.Errorf("tampered %s: the prover succeeded", name)
		}
	}
}

// ProvePLONK compiles m's circuit (PublicIO) for PLONK, runs a setup on an
// unsafe test SRS, proves m on x and verifies the proof; it returns the
// number of PLONK constraints.
func ProvePLONK(t *testing.T, m *quant.Model, x [][]int64) int {
	t.Helper()
	ccs, pk, vk := SetupPLONK(t, Circuit(t, m, PublicIO))
	w := Witness(t, m, x)
	proof, err := plonk.Prove(ccs, pk, w)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := plonk.Verify(proof, vk, pub); err != nil {
		t.Fatal(err)
	}
	return ccs.GetNbConstraints()
}

// SetupPLONK compiles circ for PLONK and runs a setup on an unsafe test SRS.
func SetupPLONK(t testing.TB, circ frontend.Circuit) (constraint.ConstraintSystem, plonk.ProvingKey, plonk.VerifyingKey) {
	t.Helper()
	ccs, err := frontend.Compile(Field, scs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	srs, lag, err := unsafekzg.NewSRS(ccs)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := plonk.Setup(ccs, srs, lag)
	if err != nil {
		t.Fatal(err)
	}
	return ccs, pk, vk
}
