package peers

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// PublicIO is the visibility of the model comparison: fixed weights (circuit
// constants, as in the circom circuit), input and output public.
var PublicIO = quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}

// MLP builds the layer-graph model x[1×dims[0]] → linear+ReLU → … → linear
// (dims[len−1] outputs), random weights from seed, calibrated on 16 uniform
// samples in [−1, 1] and quantized: the model both provers prove.
func MLP(seed uint64, dims ...int) (*quant.Model, error) {
	if len(dims) < 2 {
		return nil, fmt.Errorf("MLP: want at least 2 dims, got %v", dims)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	tensor := func(scale float64, shape ...int) *quant.FloatTensor {
		t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
		for i := range t.Data {
			t.Data[i] = (rng.Float64()*2 - 1) * scale
		}
		return t
	}
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{1, dims[0]}); err != nil {
		return nil, err
	}
	prev := "x"
	for l := 1; l < len(dims); l++ {
		name := fmt.Sprintf("fc%d", l)
		// Uniform weights scaled like a default torch init, 1/√in.
		w := tensor(1/math.Sqrt(float64(dims[l-1])), dims[l-1], dims[l])
		bias := tensor(0.1, dims[l])
		relu := l < len(dims)-1
		if err := b.Node(name, ops.NewLinear(w, bias, relu), []string{prev}, []string{name}); err != nil {
			return nil, err
		}
		prev = name
	}
	if err := b.Output(prev); err != nil {
		return nil, err
	}
	g, err := b.Build()
	if err != nil {
		return nil, err
	}
	fm, err := quant.NewGraphModel(g)
	if err != nil {
		return nil, err
	}
	var cal [][]float64
	for range 16 {
		cal = append(cal, tensor(1, dims[0]).Data)
	}
	s, err := quant.Calibrate(fm, cal)
	if err != nil {
		return nil, err
	}
	return quant.Quantize(fm, s)
}

// Input is a random int8 input row of m (fixed seed).
func Input(seed uint64, m *quant.Model) [][]int64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	_, width := quant.Rows(m.InputShape())
	x := make([]int64, width)
	for i := range x {
		x[i] = rng.Int64N(256) - 128
	}
	return [][]int64{x}
}

// ZkinferModel is the model compiled and set up by zkinfer's public API
// (prover.Compile with PublicIO, prover.SetupDev), ready to prove.
type ZkinferModel struct {
	M       *quant.Model
	Circuit *prover.Circuit
	Keys    *prover.Keys
	// Compile and Setup are the wall times of the two steps.
	Compile, Setup time.Duration
}

// NewZkinferModel compiles m and runs the dev setup.
func NewZkinferModel(m *quant.Model) (*ZkinferModel, error) {
	t0 := time.Now()
	c, err := prover.Compile(m, nil, prover.WithVisibility(PublicIO))
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	k, err := prover.SetupDev(c, nil)
	if err != nil {
		return nil, err
	}
	return &ZkinferModel{M: m, Circuit: c, Keys: k, Compile: t1.Sub(t0), Setup: time.Since(t1)}, nil
}

// Constraints is the circuit's R1CS constraint count.
func (z *ZkinferModel) Constraints() int { return z.Circuit.CS.GetNbConstraints() }

// Prove runs the integer reference on x and proves it (witness assignment,
// solving and Groth16 proving: what prover.Prove does), timing the prove, and
// verifies the proof (untimed). It returns the output row.
func (z *ZkinferModel) Prove(x [][]int64) (time.Duration, []int64, error) {
	tr, err := z.M.Forward(x)
	if err != nil {
		return 0, nil, err
	}
	t0 := time.Now()
	p, err := prover.Prove(z.Circuit, z.Keys.PK, z.Keys.PKHeader, z.M, tr, nil)
	d := time.Since(t0)
	if err != nil {
		return 0, nil, err
	}
	if err := prover.Verify(z.Keys.VK, p.Proof, p.Public); err != nil {
		return 0, nil, fmt.Errorf("verify: %w", err)
	}
	return d, tr.Y[0], nil
}

// ChainCircuit is n multiplications s_i = s_{i−1}² from a private X to a
// public Y, the gnark twin of ChainCircom: n + 1 R1CS constraints (gnark's
// builder has no a·b = c assertion, so s_n = Y is one more constraint; circom
// writes y <== s·s as one).
type ChainCircuit struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
	n int
}

// NewChain returns the circuit of n multiplications.
func NewChain(n int) *ChainCircuit { return &ChainCircuit{n: n} }

// Define implements frontend.Circuit.
func (c *ChainCircuit) Define(api frontend.API) error {
	s := c.X
	for i := 1; i < c.n; i++ {
		s = api.Mul(s, s)
	}
	api.AssertIsEqual(api.Mul(s, s), c.Y)
	return nil
}

// ChainAssignment is the witness of the chain of n from x.
func ChainAssignment(n int, x int64) *ChainCircuit {
	f := ecc.BN254.ScalarField()
	s := big.NewInt(x)
	for range n {
		s.Mul(s, s).Mod(s, f)
	}
	return &ChainCircuit{X: x, Y: s, n: n}
}

// Groth16 is a plain gnark Groth16 circuit compiled and set up.
type Groth16 struct {
	CS constraint.ConstraintSystem
	PK groth16.ProvingKey
	VK groth16.VerifyingKey
	// Compile and Setup are the wall times of the two steps.
	Compile, Setup time.Duration
}

// NewGroth16 compiles c to R1CS and runs gnark's (dev) Groth16 setup.
func NewGroth16(c frontend.Circuit) (*Groth16, error) {
	t0 := time.Now()
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, err
	}
	return &Groth16{CS: cs, PK: pk, VK: vk, Compile: t1.Sub(t0), Setup: time.Since(t1)}, nil
}

// Prove times witness building and groth16.Prove (which solves the
// witness), and verifies the proof untimed.
func (g *Groth16) Prove(assignment frontend.Circuit) (time.Duration, error) {
	t0 := time.Now()
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return 0, err
	}
	proof, err := groth16.Prove(g.CS, g.PK, w)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	pub, err := w.Public()
	if err != nil {
		return 0, err
	}
	if err := groth16.Verify(proof, g.VK, pub); err != nil {
		return 0, fmt.Errorf("verify: %w", err)
	}
	return d, nil
}

// denseShape is a dense layer's architecture for the cost comparison.
func denseShape(in, out int) *quant.Dense {
	return &quant.Dense{In: in, Out: out, Shift: DenseShift, Lo: 0, Hi: quant.Int8Max}
}

// DenseShift is the shift of the dense layers of the cost comparison (a
// typical value of quantized layers; the cost depends on it only through the
// remainder range check).
const DenseShift = 16

// denseFixed is zkinfer's dense gadget with constant weights (the fixed
// visibility): linear.Dense with the clamp-table plan of linear.Sites.
type denseFixed struct {
	X []frontend.Variable
	Y []frontend.Variable `gnark:",public"`
	d *quant.Dense
}

func (c *denseFixed) Define(api frontend.API) error {
	fp := fixedpoint.New(api, fixedpoint.WithPlan(fixedpoint.NewPlan(linear.Sites(c.d, 1))))
	y := linear.Dense(api, fp, c.d, c.X)
	for j := range y {
		api.AssertIsEqual(y[j], c.Y[j])
	}
	return nil
}

// denseWitness is zkinfer's dense gadget with the weights as witnesses (the
// gadget of the hashed and public visibilities, without the hashing):
// linear.CheckWeights and linear.DenseWitness.
type denseWitness struct {
	X []frontend.Variable
	W linear.Weights
	Y []frontend.Variable `gnark:",public"`
	d *quant.Dense
}

func (c *denseWitness) Define(api frontend.API) error {
	bits := fixedpoint.WorstQuotientBits(linear.WorstAccBound(c.d.In), c.d.Shift)
	plan := fixedpoint.NewPlan([]fixedpoint.Site{{Lo: c.d.Lo, Hi: c.d.Hi, Bits: bits, Shift: c.d.Shift, Count: c.d.Out}})
	fp := fixedpoint.New(api, fixedpoint.WithPlan(plan))
	linear.CheckWeights(api, fp, c.W)
	y := linear.DenseWitness(api, fp, c.d, c.W, c.X)
	for j := range y {
		api.AssertIsEqual(y[j], c.Y[j])
	}
	return nil
}

// DenseCost is the R1CS constraint count of zkinfer's dense gadget for an
// in×out layer with ReLU (clamp [0, 127]), shift DenseShift: fixed is the
// constant-weight gadget (random int8 weights, worst-case-free bounds),
// witness the witness-weight one. The counts include the public outputs'
// equality with the gadget's results (free: folded into linear expressions)
// and the range checker's table.
func DenseCost(in, out int, seed uint64) (fixed, witness int, err error) {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := denseShape(in, out)
	d.W = make([]int8, in*out)
	for i := range d.W {
		d.W[i] = int8(rng.IntN(256) - 128)
	}
	d.B = make([]int64, out)
	d.Mult = make([]int64, out)
	for j := range d.B {
		d.B[j] = rng.Int64N(1<<16) - 1<<15
		d.Mult[j] = 1<<14 + rng.Int64N(1<<14)
	}
	f := ecc.BN254.ScalarField()
	cf, err := frontend.Compile(f, r1cs.NewBuilder, &denseFixed{X: make([]frontend.Variable, in), Y: make([]frontend.Variable, out), d: d})
	if err != nil {
		return 0, 0, err
	}
	cw, err := frontend.Compile(f, r1cs.NewBuilder, &denseWitness{X: make([]frontend.Variable, in), W: linear.NewWeights(d), Y: make([]frontend.Variable, out), d: d})
	if err != nil {
		return 0, 0, err
	}
	return cf.GetNbConstraints(), cw.GetNbConstraints(), nil
}
