package quant_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
)

// A tensor and the same tensor with −128s appended, or with its trailing
// −128s dropped, hash apart, salted or not: −128 packs to a zero byte, so
// only the length in the hash tells them apart. Lengths cover a partial last
// element and exact multiples of 31.
func TestHashPackedBindsLength(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	salt := fr.NewElement(12345)
	for _, n := range []int{0, 1, 3, 30, 31, 32, 61, 62, 93} {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(rng.IntN(256)) - 128
		}
		variants := [][]int64{v, append(v[:n:n], -128), append(v[:n:n], -128, -128)}
		if n > 0 {
			// v with its last value −128, and without it.
			w := append(v[:n-1:n-1], -128)
			variants = append(variants, w, w[:n-1])
		}
		for _, s := range []*fr.Element{nil, &salt} {
			seen := map[fr.Element]int{}
			for k, x := range variants {
				h, err := quant.HashPacked(x, s)
				if err != nil {
					t.Fatal(err)
				}
				if j, ok := seen[h]; ok && len(variants[j]) != len(x) {
					t.Errorf("n=%d salted=%v: %d and %d values hash alike", n, s != nil, len(variants[j]), len(x))
				}
				seen[h] = k
			}
		}
		plain, _ := quant.HashPacked(v, nil)
		salted, _ := quant.HashPacked(v, &salt)
		if plain == salted {
			t.Errorf("n=%d: salted and unsalted hashes alike", n)
		}
	}
}
