package weights_test

import (
	"encoding/json"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/weights"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

// commitCircuit proves that the witness weights W commit to Want.
type commitCircuit struct {
	W    weights.Vars
	Want frontend.Variable `gnark:",public"`

	model *quant.Model
	bits  bool
}

func (c *commitCircuit) Define(api frontend.API) error {
	var opts []fixedpoint.Option
	if c.bits {
		opts = append(opts, fixedpoint.WithBitDecomposition())
	}
	h, _, err := weights.Commit(api, fixedpoint.New(api, opts...), c.model, &c.W)
	if err != nil {
		return err
	}
	api.AssertIsEqual(h, c.Want)
	return nil
}

func ffnModel(t *testing.T, seed uint64) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 40, SeqLen: 1, Activation: quant.ActivationReLU}
	m, err := quant.Quantize(quant.RandomModel(cfg, seed), quant.Scales{StreamFrac: 4, HiddenFrac: 3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func gpt2Model(t *testing.T, seed uint64) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 2, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
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

func check(t *testing.T, m *quant.Model, a weights.Vars, want any, bits bool) error {
	t.Helper()
	c := &commitCircuit{W: weights.New(m), model: m, bits: bits}
	return test.IsSolved(c, &commitCircuit{W: a, Want: want}, field)
}

// The commitment the circuit recomputes from witness weights is quant.Commit,
// bit for bit, for random ffn and gpt2 models, with either range-check strategy.
func TestCommitMatchesGo(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		for name, m := range map[string]*quant.Model{"ffn": ffnModel(t, seed), "gpt2": gpt2Model(t, seed)} {
			want, err := quant.Commit(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, bits := range []bool{false, true} {
				if err := check(t, m, weights.Assign(m), want, bits); err != nil {
					t.Fatalf("%s seed %d (bits %v): %v", name, seed, bits, err)
				}
			}
			other, err := quant.Commit(ffnModel(t, seed+10))
			if err != nil {
				t.Fatal(err)
			}
			if check(t, m, weights.Assign(m), other, false) == nil {
				t.Fatalf("%s seed %d: weights opened another model's commitment", name, seed)
			}
		}
	}
}

// Every tampered parameter changes the commitment or breaks a range check:
// the circuit rejects it.
func TestCommitRejectsTamperedWeights(t *testing.T) {
	fm, gm := ffnModel(t, 5), gpt2Model(t, 5)
	for name, tc := range map[string]struct {
		m      *quant.Model
		tamper func(v *weights.Vars)
	}{
		"weight":   {fm, func(v *weights.Vars) { v.FC.W[3] = add(v.FC.W[3], 1) }},
		"bias":     {fm, func(v *weights.Vars) { v.Proj.B[0] = add(v.Proj.B[0], -1) }},
		"mult":     {fm, func(v *weights.Vars) { v.FC.Mult[1] = add(v.FC.Mult[1], 1) }},
		"gamma":    {gm, func(v *weights.Vars) { v.Blocks[1].LN2.Gamma[0] = add(v.Blocks[1].LN2.Gamma[0], 1) }},
		"beta":     {gm, func(v *weights.Vars) { v.Blocks[0].LN1.Beta[2] = add(v.Blocks[0].LN1.Beta[2], 1) }},
		"ln mult":  {gm, func(v *weights.Vars) { v.LNF[0].Mult = add(v.LNF[0].Mult, 1) }},
		"qkv":      {gm, func(v *weights.Vars) { v.Blocks[0].QKV.W[0] = add(v.Blocks[0].QKV.W[0], -1) }},
		"last one": {gm, func(v *weights.Vars) { p := v.Blocks[1].Proj.W; p[len(p)-1] = add(p[len(p)-1], 1) }},
		// The same packed element: weight 0 carries 256 into byte 0, weight
		// 1 gives it back. Only the int8 range check stops this.
		"packed carry": {fm, func(v *weights.Vars) {
			v.FC.W[0] = add(v.FC.W[0], 256)
			v.FC.W[1] = add(v.FC.W[1], -1)
		}},
	} {
		want, err := quant.Commit(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		a := weights.Assign(tc.m)
		tc.tamper(&a)
		for _, bits := range []bool{false, true} {
			if check(t, tc.m, a, want, bits) == nil {
				t.Errorf("tampered %s accepted (bits %v)", name, bits)
			}
		}
	}
}

// A multiplier or a bias out of its width that still commits (the
// commitment is recomputed for it) is rejected by the range checks, which the
// worst-case quotient bounds rely on.
func TestCommitRejectsOutOfRangeParameters(t *testing.T) {
	m := ffnModel(t, 6)
	for name, tamper := range map[string]func(*quant.Model){
		"mult":  func(m *quant.Model) { m.FC.Mult[0] = quant.MaxMultiplier },
		"bias":  func(m *quant.Model) { m.Proj.B[1] = quant.Int32Max + 1 },
		"bias-": func(m *quant.Model) { m.Proj.B[1] = quant.Int32Min - 1 },
	} {
		bad := cloneModel(t, m)
		tamper(bad)
		elems, err := quant.Encode(bad)
		if err != nil {
			t.Fatal(err)
		}
		if check(t, m, weights.Assign(bad), quant.Poseidon2(elems), false) == nil {
			t.Errorf("out-of-range %s accepted", name)
		}
	}
}

func add(v frontend.Variable, d int64) frontend.Variable {
	switch x := v.(type) {
	case int64:
		return x + d
	}
	panic("unexpected witness type")
}

func cloneModel(t *testing.T, m *quant.Model) *quant.Model {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out quant.Model
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}
