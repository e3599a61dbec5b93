package verifier_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/verifier"
)

// Adversarial relabellings of a mixed bundle (the prover controls every
// byte): none verifies against the pinned key or its digest. Each is
// applied to the bundle's JSON, so the parser's canonicalisation is in
// the loop.
func TestMixedBundleRelabelled(t *testing.T) {
	vis := sideVisibility(t, "a=public,b=hashed,mask=private", "y1=public,y2=private")
	f := partsFixture(t, vis)
	key := f.pin(t)
	digest, err := verifier.PinDigest(key.VKDigest)
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.bundle.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	orig := compact.String()
	in, _ := f.bundle.Tensor(verifier.TensorInput)
	inParts := string(f.c.Header.Visibility.InputParts)
	r := fr.Modulus()
	c, _ := new(big.Int).SetString(strings.TrimPrefix(in.Commitment, "0x"), 16)
	nonCanonical := "0x" + new(big.Int).Add(c, r).Text(16)
	values := func(v []int64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = big.NewInt(x).String()
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	inValues := values(in.Values)
	a, b := f.tr.Inputs[0], f.tr.Inputs[1]
	for name, edit := range map[string]func(string) string{
		// The parts list in another order, a part listed twice, the list
		// saying all alike, mixed with no or an empty list.
		"parts reordered": func(s string) string {
			return strings.Replace(s, inParts, `[{"name":"b","visibility":"hashed"},{"name":"a","visibility":"public"},{"name":"mask","visibility":"private"}]`, 1)
		},
		"part twice": func(s string) string {
			return strings.Replace(s, inParts, `[{"name":"a","visibility":"public"},{"name":"a","visibility":"public"},{"name":"b","visibility":"hashed"},{"name":"mask","visibility":"private"}]`, 1)
		},
		"list all alike": func(s string) string {
			return strings.Replace(s, inParts, `[{"name":"a","visibility":"hashed"},{"name":"b","visibility":"hashed"},{"name":"mask","visibility":"hashed"}]`, 1)
		},
		"mask relabelled hashed": func(s string) string {
			return strings.Replace(s, inParts, `[{"name":"a","visibility":"public"},{"name":"b","visibility":"hashed"},{"name":"mask","visibility":"hashed"}]`, 1)
		},
		"names swapped": func(s string) string {
			return strings.Replace(s, inParts, `[{"name":"b","visibility":"public"},{"name":"a","visibility":"hashed"},{"name":"mask","visibility":"private"}]`, 1)
		},
		"empty list":   func(s string) string { return strings.Replace(s, `"input_parts":`+inParts, `"input_parts":[]`, 1) },
		"null list":    func(s string) string { return strings.Replace(s, `"input_parts":`+inParts, `"input_parts":null`, 1) },
		"list dropped": func(s string) string { return strings.Replace(s, `,"input_parts":`+inParts, ``, 1) },
		"unicode escape": func(s string) string {
			return strings.Replace(s, inParts, strings.Replace(inParts, `"a"`, `"\u0061\u200b"`, 1), 1)
		},
		// Values: a and b swapped (same lengths), the hashed part's values
		// dropped, the private part's carried, a non-canonical commitment.
		"a and b swapped": func(s string) string {
			return strings.Replace(s, inValues, values(slices.Concat(b, a)), 1)
		},
		"hashed values dropped": func(s string) string { return strings.Replace(s, inValues, values(a), 1) },
		"private values carried": func(s string) string {
			return strings.Replace(s, inValues, values(slices.Concat(a, b, f.tr.Inputs[2])), 1)
		},
		"commitment + r": func(s string) string { return strings.Replace(s, in.Commitment, nonCanonical, 1) },
	} {
		s := edit(orig)
		if s == orig {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		for _, anchor := range []*verifier.Anchor{key, digest} {
			bb, err := verifier.Parse([]byte(s))
			if err == nil {
				_, err = verifier.Verify(bb, anchor)
			}
			if !errors.Is(err, verifier.ErrBundle) && !errors.Is(err, verifier.ErrRejected) {
				t.Errorf("%s, %s: %v, want a rejection", name, anchor.Kind, err)
			} else {
				t.Logf("%s, %s: %v", name, anchor.Kind, err)
			}
		}
	}
}
