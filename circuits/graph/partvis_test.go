package graph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

// mixedVisibility is v with each side's parts given by the command-line
// form (quant.ParseIOVisibility).
func mixedVisibility(t testing.TB, in, out string) quant.Visibility {
	t.Helper()
	v := quant.Visibility{Weights: quant.VisibilityFixed}
	var err error
	if v.Input, v.InputParts, err = quant.ParseIOVisibility("input", in, quant.VisibilityHashed); err != nil {
		t.Fatal(err)
	}
	if v.Output, v.OutputParts, err = quant.ParseIOVisibility("output", out, quant.VisibilityHashed); err != nil {
		t.Fatal(err)
	}
	return v
}

// Inputs and outputs of different visibilities prove bit-exactly (the
// reference trace's values solve the circuit); a wrong value in any output
// or input part is rejected whatever that part's visibility; the public
// inputs are the groups of modelio's "Parts of different visibilities".
func TestMixedVisibilities(t *testing.T) {
	m, sample := multiIOModel(t) // a, b, mask → y1, y2
	salts, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in, out string
		nIn     int // public inputs of the input side
		nOut    int
	}{
		// a public (8 int8: 1 element), b hashed (1), mask private (1).
		{"a=public,b=hashed,mask=private", "y1=public,y2=private", 3, 2},
		// a and b private together (1), mask public (1).
		{"mask=public,private", "y1=hashed,y2=public", 2, 2},
		// a hashed alone (a one-int8 group: HashPacked), b and mask public.
		{"a=hashed,public", "y1=private,hashed", 3, 2},
	} {
		vis := mixedVisibility(t, c.in, c.out)
		circ, err := graph.New(m, vis)
		if err != nil {
			t.Fatalf("%s / %s: %v", c.in, c.out, err)
		}
		if len(circ.IO.Input) != c.nIn || len(circ.IO.Output) != c.nOut {
			t.Fatalf("%s / %s: %d and %d public inputs, want %d and %d", c.in, c.out, len(circ.IO.Input), len(circ.IO.Output), c.nIn, c.nOut)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		for k := range 3 {
			xq, err := m.QuantizeInput(sample(rng))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := m.Forward(xq)
			if err != nil {
				t.Fatal(err)
			}
			a, err := graph.Assignment(m, tr, vis, salts)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(circ, a, field); err != nil {
				t.Fatalf("%s / %s sample %d: %v", c.in, c.out, k, err)
			}
			refuseWrongOutputs(t, circ, m, tr, vis, salts, k, c.in+" / "+c.out)
			// The witness input differs from the exposed one, in each part.
			for i, p := range m.InputParts() {
				if a, err = graph.Assignment(m, tr, vis, salts); err != nil {
					t.Fatal(err)
				}
				a.IO.X[i][k] = p.Lo + (tr.Inputs[i][k]-p.Lo+1)%(p.Hi-p.Lo+1)
				if test.IsSolved(circ, a, field) == nil {
					t.Fatalf("%s / %s sample %d: a wrong input %s was accepted", c.in, c.out, k, p.Name)
				}
			}
		}
	}
}

// Naming every part alike is the one-visibility circuit, constraint for
// constraint: per-part visibility changes nothing for those who do not use
// it.
func TestUniformPartsAreUnchanged(t *testing.T) {
	m, _ := multiIOModel(t)
	for _, c := range []struct{ in, out, plainIn, plainOut string }{
		{"a=public,b=public,mask=public", "y1=private,y2=private", quant.VisibilityPublic, quant.VisibilityPrivate},
		{"mask=hashed", "y2=hashed", quant.VisibilityHashed, quant.VisibilityHashed},
	} {
		named := mixedVisibility(t, c.in, c.out)
		plain := quant.Visibility{Input: c.plainIn, Output: c.plainOut, Weights: quant.VisibilityFixed}
		r, err := named.Resolve(m.InputParts(), m.OutputParts())
		if err != nil || r != plain {
			t.Fatalf("%s / %s resolves to %+v, %v; want %+v", c.in, c.out, r, err, plain)
		}
		a, err := graph.New(m, named)
		if err != nil {
			t.Fatal(err)
		}
		b, err := graph.New(m, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.IO.Input) != len(b.IO.Input) || len(a.IO.Output) != len(b.IO.Output) || a.IO.Visibility() != b.IO.Visibility() {
			t.Fatalf("%s / %s: IO %d/%d, want %d/%d", c.in, c.out, len(a.IO.Input), len(a.IO.Output), len(b.IO.Input), len(b.IO.Output))
		}
	}
	// An unknown part name is an error naming the model's parts.
	if _, err := graph.New(m, mixedVisibility(t, "ids=public", "hashed")); err == nil {
		t.Fatal("an unknown input part was accepted")
	}
}
