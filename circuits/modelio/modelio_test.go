package modelio_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

type hashCircuit struct {
	In  []frontend.Variable
	Out frontend.Variable `gnark:",public"`
}

func (c *hashCircuit) Define(api frontend.API) error {
	h, err := modelio.Hash(api, c.In)
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.Out, h)
	return nil
}

// quant.Poseidon2 (Go) and modelio.Hash (circuit) agree bit for bit on
// random field elements of several lengths, including none.
func TestHashMatchesGo(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5} {
		elems := make(fr.Vector, n)
		for i := range elems {
			elems[i].MustSetRandom()
		}
		want := quant.Poseidon2(elems)
		a := &hashCircuit{In: make([]frontend.Variable, n), Out: want}
		for i := range elems {
			a.In[i] = elems[i]
		}
		if err := test.IsSolved(&hashCircuit{In: make([]frontend.Variable, n)}, a, field); err != nil {
			t.Fatalf("%d elements: %v", n, err)
		}
		bad := want
		bad.Add(&bad, new(fr.Element).SetOne())
		a.Out = bad
		if test.IsSolved(&hashCircuit{In: make([]frontend.Variable, n)}, a, field) == nil {
			t.Fatalf("%d elements: a wrong hash was accepted", n)
		}
	}
}

func tinyModel(t testing.TB) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU}
	m, err := quant.Quantize(quant.RandomModel(cfg, 5), quant.Scales{StreamFrac: 4, HiddenFrac: 4})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every visibility accepts the reference trace, rejects a wrong output and,
// for private, a wrong salt; hashed and private have one public input each.
func TestVisibilities(t *testing.T) {
	m := tinyModel(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range []string{quant.VisibilityPublic, quant.VisibilityHashed, quant.VisibilityPrivate} {
		vis := quant.Visibility{Input: v, Output: v, Weights: quant.VisibilityFixed}
		circ, err := graph.New(m, vis)
		if err != nil {
			t.Fatal(err)
		}
		x := make([][]int64, 2)
		for i := range x {
			for range 4 {
				x[i] = append(x[i], int64(rng.IntN(256))-128)
			}
		}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		salts, err := modelio.RandomSalts()
		if err != nil {
			t.Fatal(err)
		}
		a, err := graph.Assignment(m, tr, vis, salts)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if v != quant.VisibilityPublic && (len(a.IO.Input) != 1 || len(a.IO.Output) != 1) {
			t.Fatalf("%s: %d+%d public inputs, want 1+1", v, len(a.IO.Input), len(a.IO.Output))
		}
		// The public hash is the one Go computes.
		if v == quant.VisibilityHashed {
			h, _ := quant.HashPacked(quant.Flatten(tr.Y), nil)
			if a.IO.Output[0].(*big.Int).Cmp(h.BigInt(new(big.Int))) != 0 {
				t.Fatal("hashed output differs from quant.HashPacked")
			}
		}
		tr.Y[0][0] ^= 1
		bad, _ := graph.Assignment(m, tr, vis, salts)
		tr.Y[0][0] ^= 1
		if test.IsSolved(circ, bad, field) == nil {
			t.Fatalf("%s: wrong output accepted", v)
		}
		// The output with a −128 appended packs alike; its hash (salted
		// under private) must not pass for the output's.
		if v != quant.VisibilityPublic {
			var salt *fr.Element
			if v == quant.VisibilityPrivate {
				salt = &salts.Output
			}
			h, _ := quant.HashPacked(append(quant.Flatten(tr.Y), -128), salt)
			longer, _ := graph.Assignment(m, tr, vis, salts)
			longer.IO.Output[0] = h.BigInt(new(big.Int))
			if test.IsSolved(circ, longer, field) == nil {
				t.Fatalf("%s: the hash of the output plus a −128 accepted", v)
			}
		}
		if v == quant.VisibilityPrivate {
			good, _ := graph.Assignment(m, tr, vis, salts)
			good.IO.OutputSalt[0] = 7
			if test.IsSolved(circ, good, field) == nil {
				t.Fatal("private: wrong salt accepted")
			}
		}
	}
}

// Hashed I/O against public I/O, in constraints (logged for the record).
func TestHashedCost(t *testing.T) {
	m := tinyModel(t)
	for _, v := range []string{quant.VisibilityPublic, quant.VisibilityHashed} {
		c, err := graph.New(m, quant.Visibility{Input: v, Output: v, Weights: quant.VisibilityFixed})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := frontend.Compile(field, r1cs.NewBuilder, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s I/O: %d constraints, %d public inputs", v, cs.GetNbConstraints(), cs.GetNbPublicVariables()-1)
	}
}

func TestBadVisibility(t *testing.T) {
	m := tinyModel(t)
	if _, err := graph.New(m, quant.Visibility{Input: "secret", Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}); err == nil {
		t.Fatal("unknown visibility accepted")
	}
	if _, err := graph.New(m, quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityPrivate}); err == nil {
		t.Fatal("private weights accepted (weights are fixed, hashed or public)")
	}
}

// hashPackedCircuit hashes len(Values) int8 values, salted when Salt holds
// one, with modelio.HashPacked.
type hashPackedCircuit struct {
	Values []frontend.Variable
	Salt   []frontend.Variable
	Out    frontend.Variable `gnark:",public"`
}

func (c *hashPackedCircuit) Define(api frontend.API) error {
	h, err := modelio.HashPacked(api, c.Values, c.Salt)
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.Out, h)
	return nil
}

func newHashPacked(n int, salted bool) *hashPackedCircuit {
	c := &hashPackedCircuit{Values: make([]frontend.Variable, n), Salt: []frontend.Variable{}}
	if salted {
		c.Salt = make([]frontend.Variable, 1)
	}
	return c
}

func assignHashPacked(values []int64, salt *fr.Element, out fr.Element) *hashPackedCircuit {
	a := &hashPackedCircuit{Values: make([]frontend.Variable, len(values)), Salt: []frontend.Variable{}, Out: out}
	for i, v := range values {
		a.Values[i] = v
	}
	if salt != nil {
		a.Salt = []frontend.Variable{*salt}
	}
	return a
}

// modelio.HashPacked (circuit) equals quant.HashPacked (Go) bit for bit on
// random int8 tensors of several lengths, multiples of 31 among them,
// salted and not; a witness whose public hash is that of the same values
// with a −128 appended, or with a trailing −128 dropped (the same packed
// elements, another length), does not solve.
func TestHashPackedMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 30, 31, 32, 62, 93, 100} {
		for _, salted := range []bool{false, true} {
			var salt *fr.Element
			if salted {
				salt = new(fr.Element)
				salt.MustSetRandom()
			}
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(rng.IntN(256)) - 128
			}
			if n > 0 {
				v[n-1] = -128
			}
			want, err := quant.HashPacked(v, salt)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(newHashPacked(n, salted), assignHashPacked(v, salt, want), field); err != nil {
				t.Fatalf("n=%d salted=%v: %v", n, salted, err)
			}
			claims := map[string][]int64{"one −128 more": append(v[:n:n], -128)}
			if n > 0 {
				claims["the trailing −128 dropped"] = v[:n-1]
			}
			for name, other := range claims {
				h, err := quant.HashPacked(other, salt)
				if err != nil {
					t.Fatal(err)
				}
				if test.IsSolved(newHashPacked(n, salted), assignHashPacked(v, salt, h), field) == nil {
					t.Errorf("n=%d salted=%v: the hash of %d values (%s) opened to %d", n, salted, len(other), name, n)
				}
			}
			if salted {
				plain, _ := quant.HashPacked(v, nil)
				if test.IsSolved(newHashPacked(n, true), assignHashPacked(v, salt, plain), field) == nil {
					t.Errorf("n=%d: the unsalted hash passed for a salted one", n)
				}
			}
		}
	}
}

// The length tag is a constant, so binding the length costs no constraint
// (R1CS or PLONK): HashPacked costs what hashing the salt and the packed
// values alone does.
func TestHashPackedTagIsFree(t *testing.T) {
	var r1csBuilder, scsBuilder frontend.NewBuilder = r1cs.NewBuilder, scs.NewBuilder
	for name, builder := range map[string]frontend.NewBuilder{"r1cs": r1csBuilder, "scs": scsBuilder} {
		for _, n := range []int{31, 100} {
			for _, salted := range []bool{false, true} {
				tagged, err := frontend.Compile(field, builder, newHashPacked(n, salted))
				if err != nil {
					t.Fatal(err)
				}
				plain := &untaggedCircuit{hashPackedCircuit: *newHashPacked(n, salted)}
				untagged, err := frontend.Compile(field, builder, plain)
				if err != nil {
					t.Fatal(err)
				}
				if tagged.GetNbConstraints() != untagged.GetNbConstraints() {
					t.Errorf("%s n=%d salted=%v: %d constraints with the tag, %d without", name, n, salted, tagged.GetNbConstraints(), untagged.GetNbConstraints())
				}
			}
		}
	}
}

// untaggedCircuit hashes the salt and packed values without the tag (the
// encoding before lengths were bound), for the cost comparison.
type untaggedCircuit struct{ hashPackedCircuit }

func (c *untaggedCircuit) Define(api frontend.API) error {
	h, err := modelio.Hash(api, append(append([]frontend.Variable{}, c.Salt...), fixedpoint.PackInt8(api, c.Values)...))
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.Out, h)
	return nil
}
