package graph_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func gpt2Config(d, dh, seq, heads, layers int, lnf bool) quant.Config {
	return quant.Config{Architecture: quant.ArchitectureGPT2, DModel: d, DHidden: dh, SeqLen: seq, NHead: heads, NLayer: layers,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: lnf}
}

// legacyGPT2 is RandomModel(cfg, seed) calibrated on 8 random samples.
func legacyGPT2(t testing.TB, cfg quant.Config, seed uint64) *quant.Model {
	t.Helper()
	return graphtest.Quantized(t, quant.RandomModel(cfg, seed), quant.RandomSamples(cfg, 8, seed))
}

// demoGPT2 is the demo's model (testdata/demo) calibrated on its calibration set.
func demoGPT2(t testing.TB) *quant.Model {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "demo")
	c, err := quant.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.LoadModel(filepath.Join(dir, "model.safetensors"), c)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := quant.LoadInput(filepath.Join(dir, "calibration.json"), c)
	if err != nil {
		t.Fatal(err)
	}
	return graphtest.Quantized(t, fm, cal.InputData)
}

// The legacy gpt2 architecture re-expressed as a layer graph
// (ops.FromLegacyGPT2) and compiled by the graph walker is the legacy
// circuit (circuits/gpt2, deleted since) in all that is pinned: the graph's
// forward pass is the legacy one bit for bit; the circuit has the legacy
// circuit's R1CS and PLONK constraint counts and public and secret variable
// counts under fixed, hashed and public weights (and with bit-decomposed
// range checks), measured from circuits/gpt2 before its deletion and moved
// since only by deliberate gadget changes (gpt2LegacyCounts; "demo" is
// testdata/demo at the default visibility, 102,437 R1CS constraints in
// circuits/gpt2, 100,357 after branch attn300's range-check and packed exp
// table cuts, with c_fc's clamp and GELU fused); the public
// witness (model commitment, encoding v2, unchanged; input; output; public
// weights) is byte for byte the legacy one (gpt2LegacyPublic); and the
// circuit accepts it.
func TestGPT2AsGraphMatchesLegacy(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles circuits of up to 1.2 M constraints (about a minute)")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for name, m := range map[string]*quant.Model{
		"tiny":       legacyGPT2(t, gpt2Config(8, 16, 4, 2, 2, true), 1),
		"seq1-nolnf": legacyGPT2(t, gpt2Config(8, 32, 1, 2, 1, false), 2),
		"mid":        legacyGPT2(t, gpt2Config(16, 64, 8, 4, 2, true), 3),
		"demo":       demoGPT2(t),
	} {
		g, err := ops.FromLegacyGPT2(m)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config
		for k, x := range legacyInputs(c, rng, 10) {
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			y, err := g.Forward(slices.Concat(x...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y[g.Outputs[0]], slices.Concat(tr.Y...)) {
				t.Fatalf("%s input %d: graph output differs from the legacy forward pass", name, k)
			}
		}
		vis := []quant.Visibility{
			{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed},
			quant.DefaultVisibility,
			{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityHashed},
			{Input: quant.VisibilityPublic, Output: quant.VisibilityPrivate, Weights: quant.VisibilityPublic},
		}
		if name == "demo" {
			vis = vis[1:2]
		}
		for _, v := range vis {
			vs := v.Input + "/" + v.Output + "/" + v.Weights
			for _, bits := range []bool{false, true} {
				if bits && name != "tiny" {
					continue
				}
				var opts []fixedpoint.Option
				if bits {
					opts = append(opts, fixedpoint.WithBitDecomposition())
				}
				walked, err := graph.New(m, v, opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, plonk := range []bool{false, true} {
					key := gpt2Pin{name, vs, bits, plonk}
					want, ok := gpt2LegacyCounts[key]
					got := compiledCounts(t, walked, plonk)
					if !ok || got != want {
						t.Errorf("%+v: graph circuit has %v constraints, public, secret variables; the legacy circuit %v", key, got, want)
					}
				}
			}
			ga, got := legacyPublicWitness(t, m, v)
			if got != gpt2LegacyPublic[[2]string{name, vs}] {
				t.Errorf("%s %s: public witness sha256 %s, the legacy circuit's %s", name, vs, got, gpt2LegacyPublic[[2]string{name, vs}])
			}
			if name == "demo" || v.Weights != quant.VisibilityFixed {
				continue // the test engine is slow on large circuits
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

type gpt2Pin struct {
	model, vis  string
	bits, plonk bool
}

// gpt2LegacyCounts are circuits/gpt2's constraints, public and secret
// variables (gnark v0.16.3, BN254), measured before it was deleted.
var gpt2LegacyCounts = map[gpt2Pin][3]int{
	{"demo", "hashed/hashed/fixed", false, false}:         {100357, 4, 512},
	{"demo", "hashed/hashed/fixed", false, true}:          {1196402, 3, 512},
	{"mid", "hashed/hashed/fixed", false, false}:          {36410, 4, 128},
	{"mid", "hashed/hashed/fixed", false, true}:           {200483, 3, 128},
	{"mid", "hashed/hashed/hashed", false, false}:         {507447, 4, 7013},
	{"mid", "hashed/hashed/hashed", false, true}:          {995770, 3, 7013},
	{"mid", "public/private/public", false, false}:        {507652, 953, 7014},
	{"mid", "public/private/public", false, true}:         {995515, 952, 7014},
	{"mid", "public/public/fixed", false, false}:          {34558, 12, 128},
	{"mid", "public/public/fixed", false, true}:           {197481, 11, 128},
	{"seq1-nolnf", "hashed/hashed/fixed", false, false}:   {3531, 4, 8},
	{"seq1-nolnf", "hashed/hashed/fixed", false, true}:    {13826, 3, 8},
	{"seq1-nolnf", "hashed/hashed/hashed", false, false}:  {291777, 4, 954},
	{"seq1-nolnf", "hashed/hashed/hashed", false, true}:   {485681, 3, 954},
	{"seq1-nolnf", "public/private/public", false, false}: {291983, 210, 955},
	{"seq1-nolnf", "public/private/public", false, true}:  {485887, 209, 955},
	{"seq1-nolnf", "public/public/fixed", false, false}:   {3159, 4, 8},
	{"seq1-nolnf", "public/public/fixed", false, true}:    {13224, 3, 8},
	{"tiny", "hashed/hashed/fixed", false, false}:         {10585, 4, 32},
	{"tiny", "hashed/hashed/fixed", false, true}:          {45806, 3, 32},
	{"tiny", "hashed/hashed/fixed", true, false}:          {49622, 4, 32},
	{"tiny", "hashed/hashed/fixed", true, true}:           {105842, 3, 32},
	{"tiny", "hashed/hashed/hashed", false, false}:        {341692, 4, 1365},
	{"tiny", "hashed/hashed/hashed", false, true}:         {600824, 3, 1365},
	{"tiny", "hashed/hashed/hashed", true, false}:         {408596, 4, 1365},
	{"tiny", "hashed/hashed/hashed", true, true}:          {697783, 3, 1365},
	{"tiny", "public/private/public", false, false}:       {341856, 354, 1366},
	{"tiny", "public/private/public", false, true}:        {600873, 353, 1366},
	{"tiny", "public/private/public", true, false}:        {408760, 354, 1366},
	{"tiny", "public/private/public", true, true}:         {697832, 353, 1366},
	{"tiny", "public/public/fixed", false, false}:         {9843, 6, 32},
	{"tiny", "public/public/fixed", false, true}:          {44604, 5, 32},
	{"tiny", "public/public/fixed", true, false}:          {48880, 6, 32},
	{"tiny", "public/public/fixed", true, true}:           {104640, 5, 32},
}

// gpt2LegacyPublic are the sha256 of circuits/gpt2's public witnesses
// (salts 5 and 6, input values (37·k mod 256) − 128), measured before it
// was deleted.
var gpt2LegacyPublic = map[[2]string]string{
	{"demo", "hashed/hashed/fixed"}:         "6180765a22110a45dfd30ffe8f7a3cf5af947509698a50456d383002d9e2ad84",
	{"mid", "hashed/hashed/fixed"}:          "a18295d13d8a76552f68c44e9ae84488a17b6301b0b1254fa831a6cd42ef1922",
	{"mid", "hashed/hashed/hashed"}:         "a18295d13d8a76552f68c44e9ae84488a17b6301b0b1254fa831a6cd42ef1922",
	{"mid", "public/private/public"}:        "907ea3c1693da2e105826fc5081f1cbf707c3f6de3b47a1507c3895b313f8faf",
	{"mid", "public/public/fixed"}:          "367cd7526c299760af0e389003e8a7d646392000fe496af5990182acdbf927cc",
	{"seq1-nolnf", "hashed/hashed/fixed"}:   "05d977420e94fbd05218250f9816451a3106cb8aafc377cc0055fc083829ced8",
	{"seq1-nolnf", "hashed/hashed/hashed"}:  "05d977420e94fbd05218250f9816451a3106cb8aafc377cc0055fc083829ced8",
	{"seq1-nolnf", "public/private/public"}: "b9ec3b7fe1ad324bd8ebf5866501b80496ec70f0f5c43ec47f0a680eee64e017",
	{"seq1-nolnf", "public/public/fixed"}:   "59a1c6129394c9b342a8da5c364e27ff973036deb5babcfa52dd91f2b2eade24",
	{"tiny", "hashed/hashed/fixed"}:         "401c4609cf87a38bab20aa3b6e621ab22d3fb1bad750208a78973c38b1e8aa87",
	{"tiny", "hashed/hashed/hashed"}:        "401c4609cf87a38bab20aa3b6e621ab22d3fb1bad750208a78973c38b1e8aa87",
	{"tiny", "public/private/public"}:       "b9685a2dea424895033ab26d16803544a8eddd4d208e48530856c423a4dc122d",
	{"tiny", "public/public/fixed"}:         "93e6529e3f89b596678d5d520ec1da16fd296dcaf622dc469b6358bb5764e968",
}
