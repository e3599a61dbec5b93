package verifier_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// partsFixture proves ops.ExampleMultiIO (inputs a, b reals and mask bool;
// outputs y1, y2) under vis.
func partsFixture(t *testing.T, vis quant.Visibility) *fixture {
	t.Helper()
	fm, err := ops.ExampleMultiIO(8)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	var samples [][]float64
	for range 4 {
		x := make([]float64, 24)
		for i := range 16 {
			x[i] = rng.Float64()*2 - 1
		}
		for i := 16; i < 24; i++ {
			x[i] = float64(rng.IntN(2))
		}
		samples = append(samples, x)
	}
	s, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := prover.Compile(m, nil, prover.WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	if c.Header.Input == nil || len(c.Header.Input.Parts) != 3 || len(c.Header.Output.Parts) != 2 {
		t.Fatalf("circuit header input %+v output %+v, want 3 and 2 parts", c.Header.Input, c.Header.Output)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	xq, err := m.QuantizeInput(samples[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	salts, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil, prover.WithSalts(salts))
	if err != nil {
		t.Fatal(err)
	}
	b, err := verifier.NewBundle(m, c, keys.VK, keys.VKHeader, p, tr)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{m: m, c: c, keys: keys, bundle: b, proof: p, tr: tr, salts: salts}
}

func reparse(t *testing.T, b *verifier.Bundle) *verifier.Bundle {
	t.Helper()
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := verifier.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Bundles of a model with several inputs and outputs verify under every
// visibility, against a key file or its digest; a bundle whose declared
// parts are not the pinned key's is rejected, whatever it declares, and
// the values are read by the pinned parts.
func TestPartsBundles(t *testing.T) {
	for _, v := range []string{quant.VisibilityPublic, quant.VisibilityHashed, quant.VisibilityPrivate} {
		vis := quant.Visibility{Input: v, Output: v, Weights: quant.VisibilityFixed}
		f := partsFixture(t, vis)
		key := f.pin(t)
		digest, err := verifier.PinDigest(key.VKDigest)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []*verifier.Anchor{key, digest} {
			res, err := verifier.Verify(reparse(t, f.bundle), a)
			if err != nil {
				t.Fatalf("%s, %s: %v", v, a.Kind, err)
			}
			if len(res.Output.Parts) != 2 || res.Output.Parts[0].Name != "y1" {
				t.Fatalf("%s: result output %+v", v, res.Output)
			}
		}
		in, _ := f.bundle.Tensor(verifier.TensorInput)
		if len(in.Parts) != 3 {
			t.Fatalf("%s: bundle input parts %+v", v, in.Parts)
		}
		for name, mutate := range map[string]func(b *verifier.Bundle){
			// a and b swapped: same sizes, same total, other order.
			"parts reordered": func(b *verifier.Bundle) {
				t, _ := b.Tensor(verifier.TensorInput)
				t.Parts[0], t.Parts[1] = t.Parts[1], t.Parts[0]
			},
			"mask widened to int8": func(b *verifier.Bundle) {
				t, _ := b.Tensor(verifier.TensorInput)
				t.Parts[2].Lo, t.Parts[2].Hi = quant.Int8Min, quant.Int8Max
			},
			"output frac": func(b *verifier.Bundle) {
				t, _ := b.Tensor(verifier.TensorOutput)
				t.Parts[1].Frac++
			},
			// y1 [2, 3] and y2 [2, 4] declared as [2, 4] and [2, 3].
			"output split moved": func(b *verifier.Bundle) {
				t, _ := b.Tensor(verifier.TensorOutput)
				t.Parts[0].Shape, t.Parts[1].Shape = t.Parts[1].Shape, t.Parts[0].Shape
			},
		} {
			for _, a := range []*verifier.Anchor{key, digest} {
				b := reparse(t, f.bundle)
				mutate(b)
				_, err := verifier.Verify(b, a)
				if !errors.Is(err, verifier.ErrKeyMismatch) {
					t.Errorf("%s, %s, %s: %v, want ErrKeyMismatch", v, name, a.Kind, err)
				}
			}
		}
		// Declaring no parts at all: a parts encoding needs them.
		b := reparse(t, f.bundle)
		t0, _ := b.Tensor(verifier.TensorInput)
		t0.Parts = nil
		data, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Parse(data); !errors.Is(err, verifier.ErrBundle) {
			t.Errorf("%s: a parts tensor without parts parsed: %v", v, err)
		}
		if v == quant.VisibilityPrivate {
			continue
		}
		// Another (in-range) value: the proof fails.
		b = reparse(t, f.bundle)
		t1, _ := b.Tensor(verifier.TensorOutput)
		t1.Values[0] ^= 1
		if _, err := verifier.Verify(b, key); !errors.Is(err, verifier.ErrRejected) {
			t.Errorf("%s: a changed output value: %v", v, err)
		}
		// A mask value of 2 (the pinned part is [0, 1]): a clear error.
		b = reparse(t, f.bundle)
		t2, _ := b.Tensor(verifier.TensorInput)
		t2.Values[16] = 2
		if _, err := verifier.Verify(b, key); !errors.Is(err, verifier.ErrBundle) {
			t.Errorf("%s: a mask value of 2: %v", v, err)
		}
	}
}

// A legacy (one int8 tensor) encoding for a key whose layout has parts is
// refused, and so are parts for a key without them.
func TestPartsAgainstLegacyLayout(t *testing.T) {
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}
	f := partsFixture(t, vis)
	b := reparse(t, f.bundle)
	in, _ := b.Tensor(verifier.TensorInput)
	in.Encoding, in.Parts = verifier.EncodingHashedInt8, nil
	if _, err := verifier.Verify(b, f.pin(t)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Errorf("legacy encoding against a parts key: %v", err)
	}

	g := newFixtureVis(t, 3, prover.BackendGroth16, vis)
	b = reparse(t, g.bundle)
	in, _ = b.Tensor(verifier.TensorInput)
	in.Encoding = verifier.EncodingHashedParts
	in.Parts = []verifier.PartSpec{{Name: "input", Shape: slices.Clone(in.Shape), Lo: quant.Int8Min, Hi: quant.Int8Max, Frac: in.Frac}}
	in.Shape, in.Frac = []int{quant.ShapeSize(in.Shape)}, 0
	if _, err := verifier.Verify(b, g.pin(t)); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Errorf("parts against a legacy key: %v", err)
	}
}

// A one-input graph whose output is not rank 2 (ops.ExampleGraph: [16])
// keeps the legacy encodings, and its bundle carries the shape the key's
// layout records (rows of the last axis: [1, 16]).
func TestGraphBundleShape(t *testing.T) {
	fm, err := ops.ExampleGraph(2)
	if err != nil {
		t.Fatal(err)
	}
	var cal [][]float64
	for k := range 4 {
		x := make([]float64, 16)
		for i := range x {
			x[i] = float64((i*7+k*3)%11)/5 - 1
		}
		cal = append(cal, x)
	}
	s, err := quant.Calibrate(fm, cal)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := prover.Compile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	xq, err := m.QuantizeInput(cal[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := verifier.NewBundle(m, c, keys.VK, keys.VKHeader, p, tr)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := b.Tensor(verifier.TensorOutput)
	if !slices.Equal(out.Shape, []int{1, 16}) || out.Encoding != verifier.EncodingHashedInt8 || out.Parts != nil {
		t.Fatalf("output tensor %+v", out)
	}
	a, err := verifier.PinKey(verifier.AnchorVKFile, "vk.key", keys.VK, keys.VKHeader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(reparse(t, b), a); err != nil {
		t.Fatal(err)
	}
}
