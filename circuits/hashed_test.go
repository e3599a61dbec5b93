package circuits_test

import (
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

var (
	hashedVis = quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityHashed}
	publicVis = quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityPublic}
)

func ffnModel(t testing.TB, seed uint64) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 16, SeqLen: 2, Activation: quant.ActivationReLU}
	m, err := quant.Quantize(quant.RandomModel(cfg, seed), quant.Scales{StreamFrac: 4, HiddenFrac: 3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func gpt2Model(t testing.TB, seed uint64) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 3, NHead: 2, NLayer: 2, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	fm := quant.RandomModel(cfg, seed)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, seed))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// otherWeights returns m with every weight, bias and γ negated: another
// weight set (another commitment, another function) of the same
// architecture, since multipliers and shifts are unchanged.
func otherWeights(t testing.TB, m *quant.Model) *quant.Model {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	o, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	neg := func(d *quant.Dense) {
		for i := range d.W {
			d.W[i] = -d.W[i]
		}
		for j := range d.B {
			d.B[j] = -d.B[j]
		}
	}
	negLN := func(l *quant.LayerNorm) {
		for i := range l.Gamma {
			l.Gamma[i] = -l.Gamma[i]
		}
	}
	neg(&o.FC)
	neg(&o.Proj)
	for i := range o.Blocks {
		b := &o.Blocks[i]
		neg(&b.QKV)
		neg(&b.AttnProj)
		neg(&b.FC)
		neg(&b.Proj)
		negLN(&b.LN1)
		negLN(&b.LN2)
	}
	if o.LNF != nil {
		negLN(o.LNF)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o
}

func randomInput(rng *rand.Rand, m *quant.Model) [][]int64 {
	x := make([][]int64, m.Config.SeqLen)
	for i := range x {
		x[i] = make([]int64, m.Config.DModel)
		for j := range x[i] {
			x[i][j] = rng.Int64N(256) - 128
		}
	}
	return x
}

func assign(t testing.TB, m *quant.Model, x [][]int64, v quant.Visibility) frontend.Circuit {
	t.Helper()
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	a, err := circuits.Assignment(m, tr, v, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newCircuit(t testing.TB, m *quant.Model, v quant.Visibility) frontend.Circuit {
	t.Helper()
	c, err := circuits.New(m, v)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// With hashed (and public) weights the circuit built from one model proves
// the integer reference of any model of its architecture bit for bit: the
// public output is the reference's, on random inputs, for both weight sets.
func TestWitnessWeightsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for name, m := range map[string]*quant.Model{"ffn": ffnModel(t, 1), "gpt2": gpt2Model(t, 1)} {
		o := otherWeights(t, m)
		for _, v := range []quant.Visibility{hashedVis, publicVis} {
			c := newCircuit(t, m, v)
			n := 4
			if testing.Short() {
				n = 1
			}
			for k := range n {
				for _, mm := range []*quant.Model{m, o} {
					if err := test.IsSolved(c, assign(t, mm, randomInput(rng, mm), v), field); err != nil {
						t.Fatalf("%s %s weights, input %d: %v", name, v.Weights, k, err)
					}
				}
			}
			// A witness of the other weights under this model's
			// commitment (and the reverse) does not solve.
			x := randomInput(rng, m)
			a := assign(t, o, x, v)
			commitM, err := quant.Commit(m)
			if err != nil {
				t.Fatal(err)
			}
			setModel(a, commitM)
			if test.IsSolved(c, a, field) == nil {
				t.Fatalf("%s %s weights: other weights opened this model's commitment", name, v.Weights)
			}
		}
	}
}

func setModel(a frontend.Circuit, v any) {
	switch c := a.(type) {
	case *graph.Circuit:
		c.IO.Model = v
	}
}

func digest(t testing.TB, c frontend.Circuit) (string, int) {
	t.Helper()
	cs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := cs.WriteTo(h); err != nil {
		t.Fatal(err)
	}
	return string(h.Sum(nil)), cs.GetNbConstraints()
}

// The hashed-weights circuit depends on the architecture only: two weight
// sets compile to the same constraint system, while fixed weights do not.
func TestHashedCircuitIsWeightIndependent(t *testing.T) {
	for name, m := range map[string]*quant.Model{"ffn": ffnModel(t, 2), "gpt2": gpt2Model(t, 2)} {
		o := otherWeights(t, m)
		dm, nh := digest(t, newCircuit(t, m, hashedVis))
		do, _ := digest(t, newCircuit(t, o, hashedVis))
		if dm != do {
			t.Errorf("%s: hashed circuits of two weight sets differ", name)
		}
		fixed := hashedVis
		fixed.Weights = quant.VisibilityFixed
		fm, nf := digest(t, newCircuit(t, m, fixed))
		fo, _ := digest(t, newCircuit(t, o, fixed))
		if fm == fo {
			t.Errorf("%s: fixed circuits of two weight sets are equal", name)
		}
		t.Logf("%s: %d constraints fixed, %d hashed", name, nf, nh)
	}
}

// The real Groth16 prover fails on a tampered weight witness: the
// recomputed commitment no longer matches the public one.
func TestProverRejectsTamperedWeight(t *testing.T) {
	m := ffnModel(t, 3)
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, newCircuit(t, m, hashedVis))
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(rand.New(rand.NewPCG(1, 2)), m)
	prove := func(a frontend.Circuit) error {
		w, err := frontend.NewWitness(a, field)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := groth16.Prove(ccs, pk, w)
		if err != nil {
			return err
		}
		pub, err := w.Public()
		if err != nil {
			t.Fatal(err)
		}
		return groth16.Verify(proof, vk, pub)
	}
	if err := prove(assign(t, m, x, hashedVis)); err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	// The other weight set proves with the same keys.
	if err := prove(assign(t, otherWeights(t, m), x, hashedVis)); err != nil {
		t.Fatalf("second weight set: %v", err)
	}
	a := assign(t, m, x, hashedVis)
	tamperWeight(a)
	if prove(a) == nil {
		t.Fatal("tampered weight proved")
	}
}

func tamperWeight(a frontend.Circuit) {
	w := a.(*graph.Circuit).W[3] // c_proj's weights (c_fc's weight, bias, multipliers come first)
	w[2] = w[2].(int64) ^ 1
}
