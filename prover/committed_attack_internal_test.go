package prover

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Adversarial tests of committed weights (attack review 2), as a prover who
// controls every witness and hint value: the commitment wire, the mask, the
// weights, the lookup queries.

// committedAttack is a committed-weights circuit with dev keys and a trace.
type committedAttack struct {
	m    *quant.Model
	c    *Circuit
	keys *Keys
	tr   *quant.Trace
	// basis is the weights' basis, mask the mask wire's basis point.
	basis []curve.G1Affine
	mask  curve.G1Affine
}

func newCommittedAttack(t *testing.T) *committedAttack {
	t.Helper()
	return newCommittedAttackOf(t, committedDense(t), [][]int64{{1, -2, 3, 127, -128, 0}})
}

func newCommittedAttackOf(t *testing.T, m *quant.Model, x [][]int64) *committedAttack {
	t.Helper()
	c, err := Compile(m, nil, WithVisibility(committedVis))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := weightsBasis(c.CS, keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	gpk := keys.PK.(*groth16bn254.ProvingKey)
	return &committedAttack{m: m, c: c, keys: keys, tr: tr, basis: b, mask: gpk.CommitmentKeys[0].Basis[len(b)]}
}

// label is Keccak(Σ w_j·B_j + μ·B_μ) mod r: the commitment wire of a proof
// with weights w (as field elements) and mask μ.
func (f *committedAttack) label(t *testing.T, w []*big.Int, mu int64) fr.Element {
	t.Helper()
	s := make([]fr.Element, len(w)+1)
	for j := range w {
		s[j].SetBigInt(w[j])
	}
	s[len(w)].SetInt64(mu)
	var d curve.G1Affine
	if _, err := d.MultiExp(append(slices.Clone(f.basis), f.mask), s, ecc.MultiExpConfig{}); err != nil {
		t.Fatal(err)
	}
	return CommittedModel(d)
}

// prove runs gnark's prover on the assignment after tamper, with the public
// model commitment set to label(weights of the tampered assignment, mu) and
// the mask hint returning mu.
func (f *committedAttack) prove(t *testing.T, mu int64, tamper func(a *graph.Circuit), opts ...solver.Option) (groth16.Proof, witness.Witness, error) {
	t.Helper()
	a, err := circuits.Assignment(f.m, f.tr, committedVis, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	ga := a.(*graph.Circuit)
	tamper(ga)
	var w []*big.Int
	for _, l := range ga.W {
		for _, v := range l {
			var e fr.Element
			if _, err := e.SetInterface(v); err != nil {
				t.Fatal(err)
			}
			w = append(w, e.BigInt(new(big.Int)))
		}
	}
	ga.IO.Model = f.label(t, w, mu)
	full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	id, err := randomizeHintID()
	if err != nil {
		t.Fatal(err)
	}
	mask := func(_ *big.Int, _ []*big.Int, out []*big.Int) error {
		for _, o := range out {
			o.SetInt64(mu)
		}
		return nil
	}
	opts = append([]solver.Option{solver.OverrideHint(id, mask)}, opts...)
	p, err := groth16.Prove(f.c.CS, f.keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(opts...))
	if err != nil {
		return nil, nil, err
	}
	pub, err := full.Public()
	if err != nil {
		t.Fatal(err)
	}
	return p, pub, nil
}

// A prover who keeps a nonzero mask μ with the honest weights makes a valid
// proof, but of another model commitment: Keccak(D + μ·B_μ), not the
// registered Keccak(D). The registered commitment is reachable only with
// μ = 0 and the registered weights (short of a discrete-log relation in
// the basis, which only the setup's toxic waste gives).
func TestCommittedAttackMask(t *testing.T) {
	f := newCommittedAttack(t)
	reg, err := ModelCommitmentOf(f.c, f.keys.PK, f.m)
	if err != nil {
		t.Fatal(err)
	}
	p, pub, err := f.prove(t, 7, func(*graph.Circuit) {})
	if err != nil {
		t.Fatalf("masked proof: %v", err)
	}
	if err := Verify(f.keys.VK, p, pub); err != nil {
		t.Fatalf("masked proof does not verify: %v", err)
	}
	v := pub.Vector().(fr.Vector)
	if got := FormatCommitted(v[len(v)-1]); got == reg {
		t.Fatal("a masked proof proves the registered commitment")
	}
	// Claiming the registered commitment with the mask in: not solvable.
	a, err := circuits.Assignment(f.m, f.tr, committedVis, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	e, _, _, err := committedModel(f.c.CS, f.keys.PK, f.m)
	if err != nil {
		t.Fatal(err)
	}
	a.(*graph.Circuit).IO.Model = e
	full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := randomizeHintID()
	seven := func(_ *big.Int, _ []*big.Int, out []*big.Int) error { out[0].SetInt64(7); return nil }
	if _, err := groth16.Prove(f.c.CS, f.keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(solver.OverrideHint(id, seven))); err == nil {
		t.Fatal("registered commitment proven with a nonzero mask")
	}
}

// Weights outside their format, with a model commitment computed from
// those very weights (the commitment alone would accept them): every list
// kind's range check refuses them. Field wrap-arounds included (w + r is
// w, so only values outside the range as field elements matter).
func TestCommittedAttackWeightRange(t *testing.T) {
	f := newCommittedAttack(t)
	if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}); err != nil {
		t.Fatalf("honest: %v", err)
	}
	r := ecc.BN254.ScalarField()
	big2 := func(e int64) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }
	bad := map[quant.WeightKind][]*big.Int{
		quant.WeightInt8:  {big.NewInt(128), big.NewInt(-129), big.NewInt(255), new(big.Int).Sub(r, big.NewInt(129)), new(big.Int).Rsh(r, 1)},
		quant.WeightInt32: {big2(31), new(big.Int).Neg(new(big.Int).Add(big2(31), big.NewInt(1))), new(big.Int).Sub(r, big2(32))},
		quant.WeightMult:  {big2(16), big.NewInt(-1)},
	}
	var specs []quant.WeightSpec
	for _, n := range f.m.Graph.Nodes {
		if wd, ok := n.Op.(quant.Weighted); ok {
			specs = append(specs, wd.Weights()...)
		}
	}
	tried := 0
	for li, s := range specs {
		for _, v := range bad[s.Kind] {
			if _, _, err := f.prove(t, 0, func(a *graph.Circuit) { a.W[li][len(a.W[li])-1] = v }); err == nil {
				t.Errorf("list %d (kind %d): weight %v out of range proven", li, s.Kind, v)
			}
			tried++
		}
	}
	if tried == 0 {
		t.Fatal("no weight list tried")
	}
}

// The lookup commitment still binds every lookup query after the weights'
// commitment took the weight wires: gnark's Commit only replaces wires the
// weights' commitment already committed (by that commitment's wire, which
// must then be among the lookup commitment's committed values: the
// challenge depends on the weights through it), so no activation wire may
// sit in the weights' commitment and the lookup commitment must commit to
// the weights' commitment wire. And a wrong lookup with honest weights (a
// range-check limb moved out of its table, the recomposition kept) is not
// provable.
func TestCommittedAttackLookupBinding(t *testing.T) {
	f := newCommittedAttack(t)
	rng := rand.New(rand.NewPCG(7, 7))
	tables := graphtest.Chain(t, rng, []int{2, 8},
		graphtest.Node{Name: "fc1", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 8), graphtest.Tensor(rng, 0.1, 8), false), In: []string{"x"}},
		graphtest.Node{Name: "ln", Op: ops.NewLayerNorm(graphtest.Tensor(rng, 1, 8), graphtest.Tensor(rng, 0.1, 8), 1e-5), In: []string{"fc1"}},
		graphtest.Node{Name: "sm", Op: &ops.Softmax{}, In: []string{"ln"}},
		graphtest.Node{Name: "fc2", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 4), graphtest.Tensor(rng, 0.1, 4), false), In: []string{"sm"}},
	)
	bg := newCommittedAttackOf(t, graphtest.Bigram(t, rng, 3, 6), [][]int64{{5, 0, 2}})
	for _, m := range []*quant.Model{f.m, tables, bg.m} {
		c := f.c
		if m != f.m {
			var err error
			if c, err = Compile(m, nil, WithVisibility(committedVis)); err != nil {
				t.Fatal(err)
			}
		}
		if kW := checkLookupBinding(t, m, c); (kW > 0) != (m == bg.m) {
			t.Fatalf("%d weights queried by lookups; the embedding model's table is its weights", kW)
		}
	}
	// The embedding model proves (the committed table is the weights).
	// Its lookup values come from a solver blueprint, not a hint, so a
	// wrong row cannot be injected here; the range-check limbs below are.
	if _, _, err := bg.prove(t, 0, func(*graph.Circuit) {}); err != nil {
		t.Fatalf("embedding model, honest: %v", err)
	}

	// A limb out of its table, the recomposition kept: honest weights,
	// the registered commitment, and only the lookup argument to refuse it.
	var multi []int // the decompositions with two limbs or more
	calls := 0
	count := func(m *big.Int, in, out []*big.Int) error {
		if len(out) >= 2 {
			multi = append(multi, calls)
		}
		calls++
		return rangecheck.DecomposeHint(m, in, out)
	}
	if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(solver.GetHintID(rangecheck.DecomposeHint), count)); err != nil {
		t.Fatalf("honest, counting: %v", err)
	}
	if len(multi) == 0 {
		t.Fatalf("no range-check decomposition with two limbs (of %d)", calls)
	}
	for _, target := range []int{multi[0], multi[len(multi)-1]} {
		n := 0
		bad := func(m *big.Int, in, out []*big.Int) error {
			if err := rangecheck.DecomposeHint(m, in, out); err != nil {
				return err
			}
			if n++; n-1 == target {
				base := new(big.Int).Lsh(big.NewInt(1), uint(in[1].Uint64()))
				out[0].Add(out[0], base) // limb 0 ≥ 2^base: not in the table
				out[1].Sub(out[1], big.NewInt(1))
				out[1].Mod(out[1], m)
			}
			return nil
		}
		if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(solver.GetHintID(rangecheck.DecomposeHint), bad)); err == nil {
			t.Errorf("range-check decomposition %d of %d with a limb out of its table proven", target, calls)
		}
	}
}

// checkLookupBinding compares the commitments of c (committed weights)
// with those of m's hashed-weights circuit.
func checkLookupBinding(t *testing.T, m *quant.Model, c *Circuit) int {
	t.Helper()
	info := c.CS.GetCommitments().(constraint.Groth16Commitments)
	if len(info) != 2 {
		t.Fatalf("%d commitments, want 2", len(info))
	}
	w, l := info[0], info[1]
	if l.CommitmentIndex <= w.CommitmentIndex {
		t.Fatal("the lookup commitment is not after the weights'")
	}
	for _, id := range l.PrivateCommitted {
		if slices.Contains(w.PrivateCommitted, id) {
			t.Fatalf("wire %d in both commitments", id)
		}
	}
	// The same model with hashed weights (one commitment, the lookups' and
	// products', weights allocated last among the secret inputs as here):
	// kW counts the weights its lookups query (the embedding model's
	// table is its weights; the int8 range checks of the weights are
	// there too, as limb wires of gnark's std/rangecheck). Under committed
	// weights every weight is queried as it is by the weights' own range
	// checker (graph.bindCommittedWeights), so the lookup commitment must
	// commit the weights' commitment wire in their place, always.
	//
	// The wire counts are not compared with the hashed circuit's any
	// more: the weights' checks moved to a checker of their own, which
	// changes both checkers' limbs (gnark's base is chosen from the checks
	// it gets). That every query is still bound is tested by tampering
	// (here: the shared checker's limbs; TestCommittedAttackWeightLimbs:
	// the weights' checker's limbs and multiplicities).
	hc, err := Compile(m, nil, WithVisibility(quant.Visibility{Input: committedVis.Input, Output: committedVis.Output, Weights: quant.VisibilityHashed}))
	if err != nil {
		t.Fatal(err)
	}
	hinfo := hc.CS.GetCommitments().(constraint.Groth16Commitments)
	if len(hinfo) != 1 {
		t.Fatalf("hashed weights: %d commitments", len(hinfo))
	}
	n := len(w.PrivateCommitted) - 1
	end := hc.CS.GetNbPublicVariables() + hc.CS.GetNbSecretVariables()
	kW := 0
	for _, id := range hinfo[0].PrivateCommitted {
		if id >= end-n && id < end {
			kW++
		}
	}
	if !slices.Contains(l.PublicAndCommitmentCommitted, w.CommitmentIndex) {
		t.Fatalf("the lookup commitment does not commit to the weights' commitment wire (commitment wires %v)", l.PublicAndCommitmentCommitted)
	}
	t.Logf("lookup commitment: %d private wires, commitment wires %v; hashed weights: %d private wires, %d of them weights", len(l.PrivateCommitted), l.PublicAndCommitmentCommitted, len(hinfo[0].PrivateCommitted), kW)

	return kW
}

// The weights' own range checker (graph.bindCommittedWeights: a
// log-derivative argument over [0, 2^b), fixedpoint.WithLogChecker) binds
// its limbs and multiplicities: with honest weights and the registered
// commitment, a hinted upper limb moved by one (so the lowest limb, the
// linear remainder, leaves the table) or moved out of the table itself,
// or one multiplicity off by one, is not provable.
func TestCommittedAttackWeightLimbs(t *testing.T) {
	f := newCommittedAttack(t)
	limbsID := solver.GetHintID(fixedpoint.LimbsHint)
	countID := solver.GetHintID(fixedpoint.RangeCountHint)
	calls, counts := 0, 0
	countCalls := func(m *big.Int, in, out []*big.Int) error {
		calls++
		return fixedpoint.LimbsHint(m, in, out)
	}
	countCounts := func(m *big.Int, in, out []*big.Int) error {
		counts++
		return fixedpoint.RangeCountHint(m, in, out)
	}
	if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(limbsID, countCalls), solver.OverrideHint(countID, countCounts)); err != nil {
		t.Fatalf("honest, counting: %v", err)
	}
	if calls == 0 || counts != 1 {
		t.Fatalf("%d limb decompositions, %d multiplicity hints: want some and one (the int32 biases have limbs)", calls, counts)
	}
	tampers := map[string]func(in, out []*big.Int){
		"limb+1": func(in, out []*big.Int) { out[0].Add(out[0], big.NewInt(1)) },
		"limb out of table": func(in, out []*big.Int) {
			out[0].Add(out[0], new(big.Int).Lsh(big.NewInt(1), uint(in[0].Uint64())))
		},
	}
	for name, tamper := range tampers {
		for _, target := range []int{0, calls - 1} {
			n := 0
			bad := func(m *big.Int, in, out []*big.Int) error {
				if err := fixedpoint.LimbsHint(m, in, out); err != nil {
					return err
				}
				if n++; n-1 == target {
					tamper(in, out)
					out[0].Mod(out[0], m)
				}
				return nil
			}
			if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(limbsID, bad)); err == nil {
				t.Errorf("%s in decomposition %d of %d proven", name, target, calls)
			}
		}
	}
	for _, j := range []int{0, 1} {
		bad := func(m *big.Int, in, out []*big.Int) error {
			if err := fixedpoint.RangeCountHint(m, in, out); err != nil {
				return err
			}
			out[j].Add(out[j], big.NewInt(1))
			return nil
		}
		if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(countID, bad)); err == nil {
			t.Errorf("multiplicity %d off by one proven", j)
		}
	}
}

// Under committed weights a dense layer over several rows hints its
// accumulators (linear.DenseWitnessRows, matmul's randomized row checks,
// challenge from the lookup commitment, which commits the weights'
// commitment wire in place of the weights): one accumulator off by one,
// in the first or the last row, with honest weights and the registered
// commitment, is not provable; the honest witness is, and its outputs are
// the integer reference's (the proof's public output hash).
func TestCommittedAttackRowProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m := graphtest.Chain(t, rng, []int{4, 8},
		graphtest.Node{Name: "fc", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 8, 8), graphtest.Tensor(rng, 0.1, 8), false), In: []string{"x"}})
	x := make([][]int64, 4)
	for i := range x {
		x[i] = make([]int64, 8)
		for j := range x[i] {
			x[i][j] = int64(rng.IntN(256)) - 128
		}
	}
	x[0][0], x[3][7] = 127, -128
	f := newCommittedAttackOf(t, m, x)
	id := solver.GetHintID(matmul.ProductHint)
	outs := 0
	count := func(fd *big.Int, in, out []*big.Int) error {
		outs += len(out)
		return matmul.ProductHint(fd, in, out)
	}
	p, pub, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(id, count))
	if err != nil {
		t.Fatalf("honest: %v", err)
	}
	if err := Verify(f.keys.VK, p, pub); err != nil {
		t.Fatalf("honest proof does not verify: %v", err)
	}
	reg, err := ModelCommitmentOf(f.c, f.keys.PK, m)
	if err != nil {
		t.Fatal(err)
	}
	if v := pub.Vector().(fr.Vector); FormatCommitted(v[len(v)-1]) != reg {
		t.Fatal("the honest proof's model commitment is not the registered one")
	}
	if outs != 4*8 {
		t.Fatalf("%d hinted accumulators, want 32 (the 4×8 product checked, not direct)", outs)
	}
	for _, k := range []int{0, outs - 1} {
		bad := func(fd *big.Int, in, out []*big.Int) error {
			if err := matmul.ProductHint(fd, in, out); err != nil {
				return err
			}
			out[k].Add(out[k], big.NewInt(1))
			return nil
		}
		if _, _, err := f.prove(t, 0, func(*graph.Circuit) {}, solver.OverrideHint(id, bad)); err == nil {
			t.Errorf("accumulator %d off by one proven", k)
		}
	}
}

// A legacy gpt2 model (walked as its layer graph) under committed weights:
// the legacy parameter layout is committed in allocation order (the
// prover's checks of the weights' commitment pass), an honest proof
// verifies and proves the registered commitment (graph.WeightValues in the
// legacy order, as an auditor computes it); a weight changed within int8
// with the registered commitment kept does not solve.
func TestCommittedWeightsGPT2(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 1,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	m := graphtest.Quantized(t, quant.RandomModel(cfg, 3), quant.RandomSamples(cfg, 4, 3))
	x := [][]int64{{1, -2, 3, 127, -128, 0, 5, 9}, {-7, 64, 2, -1, 0, 33, -90, 100}}
	f := newCommittedAttackOf(t, m, x)
	p, err := Prove(f.c, f.keys.PK, f.keys.PKHeader, m, f.tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(f.keys.VK, p.Proof, p.Public); err != nil {
		t.Fatal(err)
	}
	reg, err := ModelCommitmentOf(f.c, f.keys.PK, m)
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Public.Vector().(fr.Vector); FormatCommitted(v[len(v)-1]) != reg {
		t.Fatalf("proven model commitment %s, registered %s", FormatCommitted(v[len(v)-1]), reg)
	}
	e, _, _, err := committedModel(f.c.CS, f.keys.PK, m)
	if err != nil {
		t.Fatal(err)
	}
	id, err := randomizeHintID()
	if err != nil {
		t.Fatal(err)
	}
	a, err := circuits.Assignment(m, f.tr, committedVis, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	ga := a.(*graph.Circuit)
	ga.IO.Model = e
	w := ga.LW.Blocks[0].QKV.W
	w[0] = big.NewInt(int64(m.Blocks[0].QKV.W[0])%100 + 1)
	full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(f.c.CS, f.keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(solver.OverrideHint(id, zeroMask))); err == nil {
		t.Fatal("a changed weight with the registered commitment was proven")
	}
}
