package graph

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/circuits/weights"
	"github.com/zkinfer/zkinfer/quant"
)

// Committed weights (quant.VisibilityCommitted)
//
// The weight wires are committed by the proof system itself: one
// frontend.Committer.Commit call over exactly the weight wires (every
// parameter list, in order), made before any other commitment so that the
// lookup and Freivalds commitments (std/multicommit, deferred to the end of
// compilation) find the weights already committed and commit to this
// commitment's wire instead. In Groth16 (gnark's BSB22 extension) the proof
// then carries a point D = Σ w_j·B_j + μ·B_μ over the proving key's
// commitment basis B (one point per committed wire, B_j =
// [(β·u_j(τ) + α·v_j(τ) + w_j(τ))/γ]₁) and a proof of knowledge that D is
// in the span of B; the pairing check ties D to the wires the constraints
// use. μ is the mask gnark adds to every commitment (its hints.Randomize
// wire). The commitment wire, which the verifier recomputes from D as
// Keccak(D) mod r (the Solidity hash-to-field), is asserted equal to the
// public model commitment. zkinfer's prover sets μ = 0 (prover.Prove), so
// the public model commitment is Keccak(Σ w_j·B_j) mod r: a function of
// the weights and the key's basis only, which anyone recomputes from the
// published model and basis (prover.WeightsPoint).
//
// μ = 0 would also unmask the other commitment (the lookups'): so the
// circuit adds a blinding wire of its own (blindHint, never zeroed) to the
// multicommit set, keeping that commitment hiding.
//
// The weights are range-checked (bindCommittedWeights): the committed point
// does not say they are int8 to a verifier who never sees them, the range
// checks do. Committing costs no constraint.

func init() { solver.RegisterHint(blindHint) }

// blindHint returns a uniformly random field element: the blinding wire of
// the lookup commitment. It is free by design (it only hides).
func blindHint(field *big.Int, _ []*big.Int, out []*big.Int) error {
	r, err := rand.Int(rand.Reader, field)
	if err != nil {
		return err
	}
	out[0].Set(r)
	return nil
}

// bindCommittedWeights range-checks the witness parameters, commits them
// (commitWeights) and binds the commitment wire to the public model
// commitment.
//
// The range checks go to a log-derivative checker of their own
// (fixedpoint.WithLogChecker), not to the circuit's shared std/rangecheck:
// an int8 weight w is one table query, w + 128 ∈ [0, 2^b), queried as it
// is (no limb hint, no recomposition constraint), so it costs one R1CS
// constraint (the inverse 1/(x − w − 128)) instead of std/rangecheck's two
// (a limb wire, its query and the recomposition). The checker's base b is
// chosen from the weights' checks alone (8 for any model with more than a
// few hundred weights: a 256-entry table, one constraint per entry); int32
// biases are four 8-bit limbs (three hinted, the lowest the linear
// remainder), 16-bit multipliers two. The shared checker of the rest of
// the circuit is untouched, so fixed- and hashed-weight circuits keep their
// constraint systems.
//
// Soundness is the log-derivative argument's (fixedpoint/rangecheck.go):
// its challenge x is derived (std/multicommit) from a commitment to every
// query wire and multiplicity. A weight wire is already in the weights'
// commitment, so gnark commits the weights' commitment wire in its place
// (Keccak(D), itself a function of the weights): x is still drawn after
// the weights are fixed, and a weight outside int8 makes the two sides of
// the argument distinct rational functions of x, equal at a random x with
// probability below (N + 2^b)/|F| for N queries.
func (c *Circuit) bindCommittedWeights(api frontend.API, specs []quant.WeightSpec) error {
	wfp := fixedpoint.New(api, fixedpoint.WithLogChecker())
	for k, s := range specs {
		w := c.W[k]
		if len(w) != len(s.Values) {
			return fmt.Errorf("graph: weight list %d has %d values, want %d", k, len(w), len(s.Values))
		}
		switch s.Kind {
		case quant.WeightInt8:
			for _, v := range w {
				wfp.AssertInt8(v)
			}
		case quant.WeightInt32:
			for _, v := range w {
				wfp.Check(api.Sub(v, quant.Int32Min), 32)
			}
		case quant.WeightMult:
			for _, v := range w {
				wfp.Check(v, 16)
			}
		default:
			return fmt.Errorf("graph: weight kind %d", s.Kind)
		}
	}
	h, err := commitWeights(api, c.W)
	if err != nil {
		return err
	}
	return c.IO.BindModel(api, h, nil)
}

// commitWeights commits the weight wires with the proof system's commitment
// and returns the commitment wire.
func commitWeights(api frontend.API, w [][]frontend.Variable) (frontend.Variable, error) {
	committer, ok := api.(frontend.Committer)
	if !ok {
		return nil, fmt.Errorf("graph: committed weights need a builder with commitments (Groth16)")
	}
	var flat []frontend.Variable
	for _, l := range w {
		flat = append(flat, l...)
	}
	if len(flat) == 0 {
		return nil, fmt.Errorf("graph: committed weights: the model has no parameters")
	}
	h, err := committer.Commit(flat...)
	if err != nil {
		return nil, fmt.Errorf("graph: committing the weights: %w", err)
	}
	if err := blindLookups(api); err != nil {
		return nil, err
	}
	return h, nil
}

// blindLookups adds a blinding wire of its own (blindHint, which the
// prover never zeroes) to the lookup commitment (std/multicommit): the
// prover zeroes every BSB22 mask of a circuit with committed weights,
// input or output, the lookups' too.
func blindLookups(api frontend.API) error {
	blind, err := api.Compiler().NewHint(blindHint, 1)
	if err != nil {
		return err
	}
	// In a constraint, or its basis point would be zero and it would hide
	// nothing.
	api.Mul(blind[0], blind[0])
	// Joined to the multicommit set from a deferred callback, as the lookup
	// tables do: calling WithCommitment now would register the
	// multicommitter's own deferred commit before the tables' (deferred
	// callbacks run in order), closing it before they join.
	api.Compiler().Defer(func(api frontend.API) error {
		multicommit.WithCommitment(api, func(frontend.API, frontend.Variable) error { return nil }, blind[0])
		return nil
	})
	return nil
}

// bindCommittedLegacy is bindCommittedWeights for a legacy gpt2 model
// walked as its layer graph: the parameters in the legacy layout (LW,
// range-checked as the legacy circuit checks them, linear.CheckWeights and
// norm.CheckWeights, but through the weights' own log-derivative checker),
// committed in allocation order (legacyFlat).
func (c *Circuit) bindCommittedLegacy(api frontend.API) error {
	m, v := c.model, &c.LW
	if len(v.Blocks) != len(m.Blocks) || (len(v.LNF) == 1) != (m.LNF != nil) || len(v.LNF) > 1 {
		return fmt.Errorf("graph: witness has %d blocks and %d ln_f, the model %d and %v", len(v.Blocks), len(v.LNF), len(m.Blocks), m.LNF != nil)
	}
	want := weights.Assign(m)
	if got, n := len(legacyFlat(v)), len(legacyFlat(&want)); got != n {
		return fmt.Errorf("graph: witness has %d parameters, the model %d", got, n)
	}
	wfp := fixedpoint.New(api, fixedpoint.WithLogChecker())
	for i := range m.Blocks {
		b, w := &m.Blocks[i], &v.Blocks[i]
		norm.CheckWeights(api, wfp, &b.LN1, w.LN1)
		norm.CheckWeights(api, wfp, &b.LN2, w.LN2)
		for _, d := range []linear.Weights{w.QKV, w.AttnProj, w.FC, w.Proj} {
			linear.CheckWeights(api, wfp, d)
		}
	}
	if m.LNF != nil {
		norm.CheckWeights(api, wfp, m.LNF, v.LNF[0])
	}
	h, err := commitWeights(api, [][]frontend.Variable{legacyFlat(v)})
	if err != nil {
		return err
	}
	return c.IO.BindModel(api, h, nil)
}

// legacyFlat lists the legacy parameters in the order gnark allocates the
// witness (the declaration order of weights.Vars, weights.Block,
// linear.Weights and norm.Weights): ffn's FC and Proj (empty for gpt2), per
// block LN1, LN2 (Mult, γ, β), QKV, AttnProj, FC, Proj (W, B, Mult), then
// ln_f. The prover checks the weights' commitment is exactly the last
// secret inputs in this order (prover.weightsCommitment).
func legacyFlat(v *weights.Vars) []frontend.Variable {
	var out []frontend.Variable
	dense := func(w linear.Weights) {
		out = append(out, w.W...)
		out = append(out, w.B...)
		out = append(out, w.Mult...)
	}
	ln := func(w norm.Weights) {
		out = append(out, w.Mult)
		out = append(out, w.Gamma...)
		out = append(out, w.Beta...)
	}
	dense(v.FC)
	dense(v.Proj)
	for _, b := range v.Blocks {
		ln(b.LN1)
		ln(b.LN2)
		dense(b.QKV)
		dense(b.AttnProj)
		dense(b.FC)
		dense(b.Proj)
	}
	for _, w := range v.LNF {
		ln(w)
	}
	return out
}

// WeightValues returns m's parameters in the order the circuit allocates
// (and commits) them under witness weights: every quant.Weighted node's
// lists, in node order, flattened; for a legacy gpt2 model the legacy
// layout's order (legacyFlat).
func WeightValues(m *quant.Model) ([]int64, error) {
	if m.Config.Architecture == quant.ArchitectureGPT2 && m.Graph == nil {
		v := weights.Assign(m)
		var out []int64
		for _, x := range legacyFlat(&v) {
			switch t := x.(type) {
			case int64:
				out = append(out, t)
			case int:
				out = append(out, int64(t))
			default:
				return nil, fmt.Errorf("graph: legacy parameter of type %T", x)
			}
		}
		return out, nil
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("graph: model has no layer graph")
	}
	var out []int64
	for _, s := range weightSpecs(m.Graph) {
		out = append(out, s.Values...)
	}
	return out, nil
}
