package graph_test

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func legacyFFN(t testing.TB, cfg quant.Config, s quant.Scales, seed uint64) *quant.Model {
	t.Helper()
	m, err := quant.Quantize(quant.RandomModel(cfg, seed), s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The legacy ffn architecture re-expressed as a layer graph
// (ops.FromLegacyFFN: linear, linear, residual) and compiled by the graph
// walker is the legacy circuit (circuits/ffn, deleted since) in all that is
// pinned: the graph's forward pass is the legacy one bit for bit; the
// circuit has the legacy circuit's R1CS and PLONK constraint counts and
// public and secret variable counts under fixed, hashed and public weights
// (and with bit-decomposed range checks), measured from circuits/ffn before
// its deletion (ffnLegacyCounts); the public witness (model commitment,
// encoding v2, unchanged; input; output; public weights) is byte for byte
// the legacy one (ffnLegacyPublic); and the circuit accepts it.
func TestFFNAsGraphMatchesLegacy(t *testing.T) {
	base := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 16, SeqLen: 2, Activation: quant.ActivationReLU}
	wide := base
	wide.DModel, wide.DHidden, wide.SeqLen = 16, 64, 4
	rng := rand.New(rand.NewPCG(11, 12))
	for name, m := range map[string]*quant.Model{
		"saturating": legacyFFN(t, base, quant.Scales{StreamFrac: 5, HiddenFrac: 5}, 1),
		"calibrated": legacyFFN(t, base, quant.Scales{StreamFrac: 4, HiddenFrac: 3}, 2),
		"wide":       legacyFFN(t, wide, quant.Scales{StreamFrac: 4, HiddenFrac: 3}, 3),
	} {
		g, err := ops.FromLegacyFFN(m)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config
		for k, x := range legacyInputs(c, rng, 20) {
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			y, err := g.Forward(slices.Concat(x...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y[g.Outputs[0]], slices.Concat(tr.Y...)) || !slices.Equal(y[1], slices.Concat(tr.Hidden...)) {
				t.Fatalf("%s input %d: graph output differs from the legacy forward pass", name, k)
			}
		}
		for _, v := range []quant.Visibility{
			{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed},
			quant.DefaultVisibility,
			{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityHashed},
			{Input: quant.VisibilityPublic, Output: quant.VisibilityPrivate, Weights: quant.VisibilityPublic},
		} {
			for _, bits := range []bool{false, true} {
				var opts []fixedpoint.Option
				if bits {
					opts = append(opts, fixedpoint.WithBitDecomposition())
				}
				walked, err := graph.New(m, v, opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, plonk := range []bool{false, true} {
					key := ffnPin{name, v.Input + "/" + v.Output + "/" + v.Weights, bits, plonk}
					want, ok := ffnLegacyCounts[key]
					got := compiledCounts(t, walked, plonk)
					if !ok || got != want {
						t.Errorf("%+v: graph circuit has %v constraints, public, secret variables; the legacy circuit %v", key, got, want)
					}
				}
			}
			// The legacy public witness (commitment, input, output, and the
			// weights under public weights) is the graph circuit's.
			ga, got := legacyPublicWitness(t, m, v)
			vis := v.Input + "/" + v.Output + "/" + v.Weights
			if got != ffnLegacyPublic[[2]string{name, vis}] {
				t.Errorf("%s %s: public witness sha256 %s, the legacy circuit's %s", name, vis, got, ffnLegacyPublic[[2]string{name, vis}])
			}
			walked, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(walked, ga, field); err != nil {
				t.Errorf("%s %+v: %v", name, v, err)
			}
		}
	}
}

// legacyInputs is the inputs a legacy model and its graph are compared
// on: all -128, all 127, all 0, then n random rows of c.SeqLen × c.DModel.
func legacyInputs(c quant.Config, rng *rand.Rand, n int) [][][]int64 {
	var inputs [][][]int64
	for _, v := range []int64{-128, 127, 0} {
		inputs = append(inputs, constRows(c.SeqLen, c.DModel, func() int64 { return v }))
	}
	for range n {
		inputs = append(inputs, constRows(c.SeqLen, c.DModel, func() int64 { return rng.Int64N(256) - 128 }))
	}
	return inputs
}

// compiledCounts compiles walked for R1CS (or PLONK) and returns its
// constraint, public and secret variable counts, as the legacy pins hold them.
func compiledCounts(t testing.TB, walked frontend.Circuit, plonk bool) [3]int {
	t.Helper()
	var cs constraint.ConstraintSystem
	var err error
	if plonk {
		cs, err = frontend.Compile(field, scs.NewBuilder, walked)
	} else {
		cs, err = frontend.Compile(field, r1cs.NewBuilder, walked)
	}
	if err != nil {
		t.Fatal(err)
	}
	return [3]int{cs.GetNbConstraints(), cs.GetNbPublicVariables(), cs.GetNbSecretVariables()}
}

// legacyPublicWitness assigns m's circuit under v on the fixed input
// k*37%256-128 (k = 1, 2, ...) with input and output salts 5 and 6, and
// returns the assignment and the sha256 (hex) of its binary public witness,
// as the legacy pins hold it.
func legacyPublicWitness(t testing.TB, m *quant.Model, v quant.Visibility) (*graph.Circuit, string) {
	t.Helper()
	c := m.Config
	k := int64(0)
	tr, err := m.Forward(constRows(c.SeqLen, c.DModel, func() int64 { k++; return k*37%256 - 128 }))
	if err != nil {
		t.Fatal(err)
	}
	var salts modelio.Salts
	salts.Input.SetUint64(5)
	salts.Output.SetUint64(6)
	ga, err := graph.Assignment(m, tr, v, salts)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := frontend.NewWitness(ga, field, frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	gb, err := gw.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return ga, fmt.Sprintf("%x", sha256.Sum256(gb))
}

func constRows(rows, width int, f func() int64) [][]int64 {
	x := make([][]int64, rows)
	for r := range x {
		x[r] = make([]int64, width)
		for i := range x[r] {
			x[r][i] = f()
		}
	}
	return x
}

type ffnPin struct {
	model, vis  string
	bits, plonk bool
}

// ffnLegacyCounts are circuits/ffn's constraints, public and secret
// variables (gnark v0.16.3, BN254), measured before it was deleted.
var ffnLegacyCounts = map[ffnPin][3]int{
	{"calibrated", "hashed/hashed/fixed", false, false}:   {1514, 4, 16},
	{"calibrated", "hashed/hashed/fixed", false, true}:    {4791, 3, 16},
	{"calibrated", "hashed/hashed/fixed", true, false}:    {3215, 4, 16},
	{"calibrated", "hashed/hashed/fixed", true, true}:     {6743, 3, 16},
	{"calibrated", "hashed/hashed/hashed", false, false}:  {15779, 4, 320},
	{"calibrated", "hashed/hashed/hashed", false, true}:   {29677, 3, 320},
	{"calibrated", "hashed/hashed/hashed", true, false}:   {21471, 4, 320},
	{"calibrated", "hashed/hashed/hashed", true, true}:    {37837, 3, 320},
	{"calibrated", "public/private/public", false, false}: {15837, 62, 321},
	{"calibrated", "public/private/public", false, true}:  {29735, 61, 321},
	{"calibrated", "public/private/public", true, false}:  {21529, 62, 321},
	{"calibrated", "public/private/public", true, true}:   {37895, 61, 321},
	{"calibrated", "public/public/fixed", false, false}:   {1142, 4, 16},
	{"calibrated", "public/public/fixed", false, true}:    {4189, 3, 16},
	{"calibrated", "public/public/fixed", true, false}:    {2843, 4, 16},
	{"calibrated", "public/public/fixed", true, true}:     {6141, 3, 16},
	{"saturating", "hashed/hashed/fixed", false, false}:   {1514, 4, 16},
	{"saturating", "hashed/hashed/fixed", false, true}:    {4789, 3, 16},
	{"saturating", "hashed/hashed/fixed", true, false}:    {3207, 4, 16},
	{"saturating", "hashed/hashed/fixed", true, true}:     {6725, 3, 16},
	{"saturating", "hashed/hashed/hashed", false, false}:  {15779, 4, 320},
	{"saturating", "hashed/hashed/hashed", false, true}:   {29677, 3, 320},
	{"saturating", "hashed/hashed/hashed", true, false}:   {21487, 4, 320},
	{"saturating", "hashed/hashed/hashed", true, true}:    {37869, 3, 320},
	{"saturating", "public/private/public", false, false}: {15837, 62, 321},
	{"saturating", "public/private/public", false, true}:  {29735, 61, 321},
	{"saturating", "public/private/public", true, false}:  {21545, 62, 321},
	{"saturating", "public/private/public", true, true}:   {37927, 61, 321},
	{"saturating", "public/public/fixed", false, false}:   {1142, 4, 16},
	{"saturating", "public/public/fixed", false, true}:    {4187, 3, 16},
	{"saturating", "public/public/fixed", true, false}:    {2835, 4, 16},
	{"saturating", "public/public/fixed", true, true}:     {6123, 3, 16},
	{"wide", "hashed/hashed/fixed", false, false}:         {6196, 4, 64},
	{"wide", "hashed/hashed/fixed", false, true}:          {27767, 3, 64},
	{"wide", "hashed/hashed/fixed", true, false}:          {19089, 4, 64},
	{"wide", "hashed/hashed/fixed", true, true}:           {45407, 3, 64},
	{"wide", "hashed/hashed/hashed", false, false}:        {65243, 4, 2272},
	{"wide", "hashed/hashed/hashed", false, true}:         {129261, 3, 2272},
	{"wide", "hashed/hashed/hashed", true, false}:         {103789, 4, 2272},
	{"wide", "hashed/hashed/hashed", true, true}:          {189485, 3, 2272},
	{"wide", "public/private/public", false, false}:       {65101, 234, 2273},
	{"wide", "public/private/public", false, true}:        {128889, 233, 2273},
	{"wide", "public/private/public", true, false}:        {103647, 234, 2273},
	{"wide", "public/private/public", true, true}:         {189113, 233, 2273},
	{"wide", "public/public/fixed", false, false}:         {5082, 8, 64},
	{"wide", "public/public/fixed", false, true}:          {25965, 7, 64},
	{"wide", "public/public/fixed", true, false}:          {17975, 8, 64},
	{"wide", "public/public/fixed", true, true}:           {43605, 7, 64},
}

// ffnLegacyPublic are the sha256 of circuits/ffn's public witnesses (salts
// 5 and 6, input values (37·k mod 256) − 128), measured before it was deleted.
var ffnLegacyPublic = map[[2]string]string{
	{"calibrated", "hashed/hashed/fixed"}:   "8349c0933fd21080939a0bfa543ef3fa1856737db5eb49d9ec47511d5d53d7dd",
	{"calibrated", "hashed/hashed/hashed"}:  "8349c0933fd21080939a0bfa543ef3fa1856737db5eb49d9ec47511d5d53d7dd",
	{"calibrated", "public/private/public"}: "5835959766fba07ee0300628cd957f0a449aa8b00b32a7bf256a07bd9ea646a2",
	{"calibrated", "public/public/fixed"}:   "924611b88d905c4e24415b59082c47bada74224130f320d0dce5bf1ddc1b76e5",
	{"saturating", "hashed/hashed/fixed"}:   "b410759e49d03ca069a2012b01fdbe1a0b9ce83751a23f49b21c724dc226c557",
	{"saturating", "hashed/hashed/hashed"}:  "b410759e49d03ca069a2012b01fdbe1a0b9ce83751a23f49b21c724dc226c557",
	{"saturating", "public/private/public"}: "94bdfc9579600181685542effd6c3fb59f017d60386ee1c8f799f7396acd8b4d",
	{"saturating", "public/public/fixed"}:   "67fa21fa90770746888d60bc5a9bffef6f776e83ccc9c72031a2d7ecc8e339fc",
	{"wide", "hashed/hashed/fixed"}:         "56304611665d1c493ea4402413b8ca2476dc72b8dfda4dd7678061b1c84bac33",
	{"wide", "hashed/hashed/hashed"}:        "56304611665d1c493ea4402413b8ca2476dc72b8dfda4dd7678061b1c84bac33",
	{"wide", "public/private/public"}:       "9dbe2542362ce5e8cd5aafb440e5dbbe7deb9d8b0a165ad7c85c1b95e538e64c",
	{"wide", "public/public/fixed"}:         "b856e563a51fb40bfa90eeb104cd5b89a711b760a26e21989942ae41584e5541",
}
