package fixedpoint

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
)

// packCircuit packs and unpacks linear expressions of several shapes.
type packCircuit struct {
	X   []frontend.Variable
	bad []string
}

func (c *packCircuit) Define(api frontend.API) error {
	var p lePacker
	long := func(k int) frontend.Variable {
		terms := []frontend.Variable{int64(-7)}
		for i := 0; i < k; i++ {
			terms = append(terms, api.Mul(c.X[i%len(c.X)], int64(i*i-40)))
		}
		return api.Add(terms[0], terms[1], terms[2:]...)
	}
	big := new(big.Int).Lsh(big.NewInt(1), 200)
	cases := map[string]frontend.Variable{
		"constant":   3,
		"wire":       c.X[0],
		"short":      api.Add(c.X[0], c.X[1]),
		"long":       long(len(c.X)),
		"big coeffs": api.Sub(api.Mul(c.X[2], big), long(9)),
		"product":    api.Mul(c.X[0], c.X[1]),
	}
	for name, v := range cases {
		got := p.unpack(p.pack(v))
		if !reflect.DeepEqual(got, v) {
			c.bad = append(c.bad, name)
		}
	}
	return nil
}

// Packing gives back the expression term for term, under both builders
// (PLONK's single terms are kept as they are).
func TestPackedLERoundTrip(t *testing.T) {
	var rb, sb frontend.NewBuilder = r1cs.NewBuilder, scs.NewBuilder
	for name, b := range map[string]frontend.NewBuilder{"r1cs": rb, "scs": sb} {
		c := &packCircuit{X: make([]frontend.Variable, 12)}
		if _, err := frontend.Compile(bn254, b, c); err != nil {
			t.Fatal(err)
		}
		if len(c.bad) > 0 {
			t.Errorf("%s: %v changed by pack/unpack", name, c.bad)
		}
	}
}

// longCheckCircuit range-checks many long linear expressions (sums of all
// inputs, as requantization remainders are), more than one inversion batch.
type longCheckCircuit struct {
	X     []frontend.Variable
	plain bool
}

func (c *longCheckCircuit) Define(api frontend.API) error {
	rc := newLogChecker(api)
	rc.plain = c.plain
	for j := 0; j < 1500; j++ {
		terms := []frontend.Variable{int64(1 << 20)}
		for i, x := range c.X {
			terms = append(terms, api.Mul(x, int64((i*j)%7-3)))
		}
		rc.checkPadded(api.Add(terms[0], terms[1], terms[2:]...), 22)
		rc.Check(c.X[j%len(c.X)], 8)
	}
	return nil
}

// The packed checker and committing the queries' distinct wires build the
// same constraint system, byte for byte, as committing the expressions
// without packing; and it solves.
func TestLogCheckerPackingSameSystem(t *testing.T) {
	var enc [2][]byte
	for i, plain := range []bool{false, true} {
		ccs, err := frontend.Compile(bn254, r1cs.NewBuilder, &longCheckCircuit{X: make([]frontend.Variable, 20), plain: plain})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := ccs.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		enc[i] = buf.Bytes()
		if !plain {
			w := &longCheckCircuit{X: make([]frontend.Variable, 20)}
			for k := range w.X {
				w.X[k] = k * 11
			}
			wit, err := frontend.NewWitness(w, bn254)
			if err != nil {
				t.Fatal(err)
			}
			if err := ccs.IsSolved(wit); err != nil {
				t.Fatal(err)
			}
			w.X[3] = 256 // fails the 8-bit checks of X[3]
			wit, _ = frontend.NewWitness(w, bn254)
			if ccs.IsSolved(wit) == nil {
				t.Fatal("out-of-range value accepted")
			}
		}
	}
	if !bytes.Equal(enc[0], enc[1]) {
		t.Fatalf("packing changed the constraint system (%d vs %d bytes)", len(enc[0]), len(enc[1]))
	}
}
