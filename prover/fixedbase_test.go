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
