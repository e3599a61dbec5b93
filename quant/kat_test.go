package quant_test

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"

	"github.com/zkinfer/zkinfer/quant"
)

// Known answers, for other implementations of the commitment scheme: a
// change here breaks every recorded commitment and needs a new
// CommitmentVersion.
func TestPoseidon2KnownAnswers(t *testing.T) {
	one, two := fr.NewElement(1), fr.NewElement(2)
	h, err := quant.HashPacked([]int64{-128, 0, 127}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		got  fr.Element
		want string
	}{
		"empty":              {quant.Poseidon2(nil), "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000000"},
		"[1, 2]":             {quant.Poseidon2([]fr.Element{one, two}), "poseidon2:0x09d2e656ec5144af0711a5528a3af6ebc908d9050b3455edf3b5d0218820875c"},
		"packed[-128,0,127]": {h, "poseidon2:0x29d6677d3b4a1733cef43bbebe483be617730966e6dbf3c05507250b0424d42d"},
	} {
		if got := quant.FormatCommitment(c.got); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}

// quant.Poseidon2 is gnark-crypto's Poseidon2 Merkle–Damgård hasher fed
// 32-byte big-endian elements.
func TestPoseidon2IsGnarkCryptoHasher(t *testing.T) {
	for n := range 5 {
		elems := make([]fr.Element, n)
		hasher := poseidon2.NewMerkleDamgardHasher()
		for i := range elems {
			elems[i].MustSetRandom()
			b := elems[i].Bytes()
			hasher.Write(b[:])
		}
		var want fr.Element
		want.SetBytes(hasher.Sum(nil))
		if got := quant.Poseidon2(elems); got != want {
			t.Fatalf("%d elements: %s, gnark-crypto %s", n, quant.FormatCommitment(got), quant.FormatCommitment(want))
		}
	}
}
