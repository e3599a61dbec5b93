package prover

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
)

// A committed weight outside int8 whose commitment is the registered one
// (the attacker registers the commitment of the weights it proves with)
// is refused by the weights' own log-derivative range checker alone: the
// weight multiplies an input of 0, so the outputs are the honest ones, and
// the same witness with the weight moved inside int8 (commitment
// recomputed) proves. Values just outside (128, −129), a multiple of the
// table size away (w ± 256) and a field element near p.
func TestCommittedWeightOutsideInt8Refused(t *testing.T) {
	m, c, keys, tr := committedDenseSetup(t, committedVis, 0, "")
	_, b, err := weightsBasis(c.CS, keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	honest, err := graph.WeightValues(m)
	if err != nil {
		t.Fatal(err)
	}
	id, err := randomizeHintID()
	if err != nil {
		t.Fatal(err)
	}
	// W is 6×5 (input × output), listed first: entries 25..29 multiply x_5 = 0.
	const at = 25
	prove := func(v *big.Int) error {
		a, err := circuits.Assignment(m, tr, committedVis, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		s := make([]fr.Element, len(honest))
		for j, x := range honest {
			s[j].SetInt64(x)
		}
		s[at].SetBigInt(v)
		var d curve.G1Affine
		if _, err := d.MultiExp(b, s, ecc.MultiExpConfig{}); err != nil {
			t.Fatal(err)
		}
		ga := a.(*graph.Circuit)
		ga.IO.Model = CommittedModel(d)
		ga.W[0][at] = v
		full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		_, err = groth16.Prove(c.CS, keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16),
			backend.WithSolverOptions(solver.OverrideHint(id, zeroMask)))
		return err
	}
	w := honest[at]
	inside := int64(5)
	if w == inside {
		inside = -5
	}
	if err := prove(big.NewInt(inside)); err != nil {
		t.Fatalf("weight %d → %d (inside int8, commitment recomputed): %v", w, inside, err)
	}
	p := ecc.BN254.ScalarField()
	for _, v := range []*big.Int{big.NewInt(128), big.NewInt(-129), big.NewInt(w + 256), big.NewInt(w - 256), new(big.Int).Sub(p, big.NewInt(1000))} {
		if prove(v) == nil {
			t.Errorf("committed weight %v outside int8 (commitment recomputed) proven", v)
		}
	}
}
