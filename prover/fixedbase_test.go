package prover

import (
	"math/big"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// fixedBaseScalars are random scalars and the edge cases of the signed
// recoding: 0, 1, -1, and 2^k ± 1 around every window boundary.
func fixedBaseScalars(t *testing.T, nRandom int) []fr.Element {
	var s []fr.Element
	var e fr.Element
	s = append(s, fr.Element{}, fr.One())
	e.SetOne()
	e.Neg(&e)
	s = append(s, e)
	for k := 0; k < fr.Bits; k++ {
		p := new(big.Int).Lsh(big.NewInt(1), uint(k))
		for _, d := range []int64{-1, 0, 1} {
			e.SetBigInt(new(big.Int).Add(p, big.NewInt(d)))
			s = append(s, e)
			e.Neg(&e)
			s = append(s, e)
		}
	}
	for range nRandom {
		if _, err := e.SetRandom(); err != nil {
			t.Fatal(err)
		}
		s = append(s, e)
	}
	return s
}

func TestFixedBaseMatchesGnarkCrypto(t *testing.T) {
	_, _, g1, g2 := curve.Generators()
	scalars := fixedBaseScalars(t, 3000)
	// Window widths from small (few scalars) to the largest.
	want1, want2 := curve.BatchScalarMultiplicationG1(&g1, scalars), curve.BatchScalarMultiplicationG2(&g2, scalars)
	// Every window width, on all scalars.
	for c := 2; c <= 16; c++ {
		got1 := batchMulG1Window(&g1, scalars, c)
		for i := range want1 {
			if !got1[i].Equal(&want1[i]) {
				t.Fatalf("c=%d: G1 point %d differs from gnark-crypto's", c, i)
			}
		}
		if c%3 != 1 {
			continue // G2 at fewer widths: slower
		}
		got2 := batchMulG2Window(&g2, scalars, c)
		for i := range want2 {
			if !got2[i].Equal(&want2[i]) {
				t.Fatalf("c=%d: G2 point %d differs from gnark-crypto's", c, i)
			}
		}
	}
	// The chosen width, from one scalar to many (one partial block).
	for _, n := range []int{0, 1, 7, 100, len(scalars)} {
		got1, want1 := batchMulG1(&g1, scalars[:n]), curve.BatchScalarMultiplicationG1(&g1, scalars[:n])
		for i := range want1 {
			if !got1[i].Equal(&want1[i]) {
				t.Fatalf("n=%d: G1 point %d differs from gnark-crypto's", n, i)
			}
		}
		got2, want2 := batchMulG2(&g2, scalars[:n]), curve.BatchScalarMultiplicationG2(&g2, scalars[:n])
		for i := range want2 {
			if !got2[i].Equal(&want2[i]) {
				t.Fatalf("n=%d: G2 point %d differs from gnark-crypto's", n, i)
			}
		}
	}
}

func TestFixedBaseWindows(t *testing.T) {
	// Every window width recodes every scalar exactly.
	scalars := fixedBaseScalars(t, 50)
	for c := 2; c <= 16; c++ {
		digits := make([]int32, windowChunks(c))
		for _, s := range scalars {
			b := s.Bits()
			signedDigits(&b, c, digits)
			sum := new(big.Int)
			for j := len(digits) - 1; j >= 0; j-- {
				d := digits[j]
				if d > 1<<(c-1) || d <= -(1<<(c-1)) {
					t.Fatalf("c=%d: digit %d out of range", c, d)
				}
				sum.Lsh(sum, uint(c)).Add(sum, big.NewInt(int64(d)))
			}
			if want := s.BigInt(new(big.Int)); sum.Cmp(want) != 0 {
				t.Fatalf("c=%d: digits of %s sum to %s", c, want, sum)
			}
		}
	}
}

func BenchmarkBatchMulG1(b *testing.B) {
	_, _, g1, _ := curve.Generators()
	scalars := make([]fr.Element, 1<<16)
	for i := range scalars {
		scalars[i].SetRandom()
	}
	b.Run("zkinfer", func(b *testing.B) {
		for range b.N {
			batchMulG1(&g1, scalars)
		}
	})
	b.Run("gnark-crypto", func(b *testing.B) {
		for range b.N {
			curve.BatchScalarMultiplicationG1(&g1, scalars)
		}
	})
}

func BenchmarkBatchMulG2(b *testing.B) {
	_, _, _, g2 := curve.Generators()
	scalars := make([]fr.Element, 1<<14)
	for i := range scalars {
		scalars[i].SetRandom()
	}
	b.Run("zkinfer", func(b *testing.B) {
		for range b.N {
			batchMulG2(&g2, scalars)
		}
	})
	b.Run("gnark-crypto", func(b *testing.B) {
		for range b.N {
			curve.BatchScalarMultiplicationG2(&g2, scalars)
		}
	})
}

// TestG1AccumulateSpecialCases drives the affine accumulation through the
// cases honest scalars (almost) never reach: adding a point to itself
// (doubling), to its negation (cancelling to infinity), and adding again
// after infinity. Tables are crafted: every window holds G, 2G, 3G.
func TestG1AccumulateSpecialCases(t *testing.T) {
	_, _, g1, _ := curve.Generators()
	mul := func(k int64) curve.G1Affine {
		var p curve.G1Affine
		p.ScalarMultiplication(&g1, big.NewInt(k))
		return p
	}
	entries := []curve.G1Affine{mul(1), mul(2), mul(3)}
	tables := [][]curve.G1Affine{entries, entries, entries}
	for _, tc := range []struct {
		digits []int32
		want   int64
	}{
		{[]int32{1, 1, 0}, 2},  // G + G: doubling
		{[]int32{2, 2, 1}, 5},  // 2G + 2G, then + G
		{[]int32{1, -1, 0}, 0}, // G − G: infinity
		{[]int32{1, -1, 3}, 3}, // infinity, then 3G
		{[]int32{-2, 2, -1}, -1},
		{[]int32{3, -3, -3}, -3},
		{[]int32{0, 0, 0}, 0},
		{[]int32{1, 2, 3}, 6}, // no special case
	} {
		acc := make([]curve.G1Affine, 2)
		// Two points per block, so that batches mix special and plain additions.
		digits := append(append([]int32{}, tc.digits...), 1, 2, 3)
		g1Accumulate(tables, digits, acc)
		want := mul(tc.want)
		if tc.want == 0 {
			want = curve.G1Affine{}
		}
		if !acc[0].Equal(&want) {
			t.Errorf("digits %v: got %s, want [%d]G", tc.digits, acc[0].String(), tc.want)
		}
		if six := mul(6); !acc[1].Equal(&six) {
			t.Errorf("digits %v: the block's other point is wrong", tc.digits)
		}
	}
}

// TestG2AccumulateSpecialCases is TestG1AccumulateSpecialCases in G2.
func TestG2AccumulateSpecialCases(t *testing.T) {
	_, _, _, g2 := curve.Generators()
	mul := func(k int64) curve.G2Affine {
		var p curve.G2Affine
		p.ScalarMultiplication(&g2, big.NewInt(k))
		return p
	}
	entries := []curve.G2Affine{mul(1), mul(2), mul(3)}
	tables := [][]curve.G2Affine{entries, entries, entries}
	for _, tc := range []struct {
		digits []int32
		want   int64
	}{
		{[]int32{1, 1, 0}, 2},
		{[]int32{2, 2, 1}, 5},
		{[]int32{1, -1, 0}, 0},
		{[]int32{1, -1, 3}, 3},
		{[]int32{-2, 2, -1}, -1},
		{[]int32{1, 2, 3}, 6},
	} {
		acc := make([]curve.G2Affine, 2)
		digits := append(append([]int32{}, tc.digits...), 1, 2, 3)
		g2Accumulate(tables, digits, acc)
		want := mul(tc.want)
		if tc.want == 0 {
			want = curve.G2Affine{}
		}
		if !acc[0].Equal(&want) {
			t.Errorf("digits %v: got %s, want [%d]G", tc.digits, acc[0].String(), tc.want)
		}
		if six := mul(6); !acc[1].Equal(&six) {
			t.Errorf("digits %v: the block's other point is wrong", tc.digits)
		}
	}
}
