package prover

import (
	"math/big"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

// Committed input and output, what the circuit binds: a prover that
// commits other values than the circuit's (the output copy Y permuted or
// changed, an input outside int8, an input congruent to an int8 value plus
// a multiple of r) and publishes the hash of exactly what it committed
// gets no witness: each is refused by the constraints (Y = y, the int8
// range checks), so no proof exists for a value list a verifier would
// recompute from those values.
func TestCommittedIOWitnessAttacks(t *testing.T) {
	m, c, keys, tr := committedDenseSetup(t, committedIOVis, 0, "")
	_, bIn, err := ioBasis(c.CS, committedIOVis, keys.PK, SideInput)
	if err != nil {
		t.Fatal(err)
	}
	_, bOut, err := ioBasis(c.CS, committedIOVis, keys.PK, SideOutput)
	if err != nil {
		t.Fatal(err)
	}
	xs, ys := flatValues(tr.InputParts()), flatValues(tr.OutputParts())
	id, err := randomizeHintID()
	if err != nil {
		t.Fatal(err)
	}
	// commitField is CommittedValues without the int8 check: what a
	// cheating prover publishes for field elements v.
	commitField := func(v []*big.Int, b []curve.G1Affine) fr.Element {
		s := make([]fr.Element, len(v))
		for j := range v {
			s[j].SetBigInt(v[j])
		}
		var d curve.G1Affine
		if _, err := d.MultiExp(b, s, ecc.MultiExpConfig{}); err != nil {
			t.Fatal(err)
		}
		return CommittedModel(d)
	}
	bigs := func(v []int64) []*big.Int {
		out := make([]*big.Int, len(v))
		for j := range v {
			out[j] = big.NewInt(v[j])
		}
		return out
	}
	prove := func(x, y []*big.Int) error {
		a, err := circuits.Assignment(m, tr, committedIOVis, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		ga := a.(*graph.Circuit)
		for j := range x {
			ga.IO.X[0][j] = x[j]
		}
		for j := range y {
			ga.IO.Y[j] = y[j]
		}
		ga.IO.Input[0], ga.IO.Output[0] = commitField(x, bIn), commitField(y, bOut)
		full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			return err
		}
		_, err = groth16.Prove(c.CS, keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(solver.OverrideHint(id, zeroMask)))
		return err
	}
	if err := prove(bigs(xs), bigs(ys)); err != nil {
		t.Fatalf("honest witness: %v", err)
	}
	if ys[0] == ys[1] {
		t.Fatal("fixture: the first two outputs are equal")
	}
	swapped := bigs(ys)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	changed := bigs(ys)
	changed[len(changed)-1].Add(changed[len(changed)-1], big.NewInt(1))
	wide := bigs(xs)
	wide[0] = big.NewInt(quant.Int8Max + 1)
	wrapped := bigs(xs)
	wrapped[1].Add(wrapped[1], fr.Modulus()) // the same field element: must prove (it is the value)
	for name, w := range map[string][2][]*big.Int{
		"output copy permuted":  {bigs(xs), swapped},
		"output copy changed":   {bigs(xs), changed},
		"input 128 (not int8)":  {wide, bigs(ys)},
		"output 128 (not int8)": {bigs(xs), append(bigs(ys[:len(ys)-1]), big.NewInt(quant.Int8Max+1))},
		"input -129 (not int8)": {append([]*big.Int{big.NewInt(quant.Int8Min - 1)}, bigs(xs[1:])...), bigs(ys)},
	} {
		if err := prove(w[0], w[1]); err == nil {
			t.Fatalf("%s: a witness committing other values was proven", name)
		}
	}
	// Each value changed alone, the commitment over the changed list: the
	// circuit ties every committed wire to its value (a wire committed but
	// constrained by nothing, or only trivially, would prove here).
	bump := func(v int64) int64 {
		if v == quant.Int8Max {
			return v - 1
		}
		return v + 1
	}
	// An input changed alone, the output kept: proven exactly when the
	// reference maps the changed input to the same output (an honest
	// proof about that input).
	for j := range xs {
		x := append([]int64(nil), xs...)
		x[j] = bump(xs[j])
		tr2, err := m.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		same := slices.Equal(flatValues(tr2.OutputParts()), ys)
		if err := prove(bigs(x), bigs(ys)); (err == nil) != same {
			t.Fatalf("input %d changed (the reference's output the same: %v): proving gave %v", j, same, err)
		}
	}
	for j := range ys {
		y := bigs(ys)
		y[j].SetInt64(bump(ys[j]))
		if err := prove(bigs(xs), y); err == nil {
			t.Fatalf("output %d changed: proven", j)
		}
	}
	// x + r is x in the field: the commitment and the proof are x's, and
	// a verifier recomputes them from x (IOPoint refuses x + r as a value).
	if err := prove(wrapped, bigs(ys)); err != nil {
		t.Fatalf("input + r: %v", err)
	}
	if _, err := IOPoint([]int64{quant.Int8Max + 1}, bIn[:1]); err == nil {
		t.Fatal("IOPoint took a value outside int8")
	}
}
