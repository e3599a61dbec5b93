package quant_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"

	"github.com/zkinfer/zkinfer/quant"
)

// Known answers, for other implementations of the commitment scheme: a
// change here breaks every recorded commitment and needs a new
// CommitmentVersion.
func TestPoseidon2KnownAnswers(t *testing.T) {
	one, two, seven := fr.NewElement(1), fr.NewElement(2), fr.NewElement(7)
	hash := func(v []int64, salt *fr.Element) fr.Element {
		h, err := quant.HashPacked(v, salt)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tag, err := quant.TensorTag(3, true)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := quant.Commit(katModel())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		got  fr.Element
		want string
	}{
		"empty":                       {quant.Poseidon2(nil), "poseidon2:0x0000000000000000000000000000000000000000000000000000000000000000"},
		"[1, 2]":                      {quant.Poseidon2([]fr.Element{one, two}), "poseidon2:0x09d2e656ec5144af0711a5528a3af6ebc908d9050b3455edf3b5d0218820875c"},
		"tag(3, salted)":              {tag, "poseidon2:0x00000000000000000000007a6b696e6665722e696e7438010000000000000003"},
		"packed[]":                    {hash(nil, nil), "poseidon2:0x2ccb6beeb7b22907a3b4e93a6f4e60ebc61f9c5509da133948ba3c437ead8a34"},
		"packed[-128,0,127]":          {hash([]int64{-128, 0, 127}, nil), "poseidon2:0x2b5078f00085c1453b0f95947ea86de30d28575637ca2940d775f4718685cae8"},
		"packed[-128,0,127,-128]":     {hash([]int64{-128, 0, 127, -128}, nil), "poseidon2:0x2758c2447197eef8eb847630363c86084304bf871712c3c28ce3a517fd5efe6e"},
		"salt 7, packed[-128,0,127]":  {hash([]int64{-128, 0, 127}, &seven), "poseidon2:0x035253805e63a7d8808e6a44e31a3eabbc7207c17aae0b4a8905767863a9f875"},
		"commitment of katModel (v2)": {commit, "poseidon2:0x23d95827e61aff67dd77f4272c55b1a0dd30559cc46cbf7a9ffca4c7009e385f"},
	} {
		if got := quant.FormatCommitment(c.got); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}

// katModel is a hand-written ffn model (d_model 2, d_hidden 3, one token).
func katModel() *quant.Model {
	return &quant.Model{
		Version: quant.ModelVersion,
		Config:  quant.Config{Architecture: quant.ArchitectureFFN, DModel: 2, DHidden: 3, SeqLen: 1, Activation: quant.ActivationReLU},
		Scales:  quant.Scales{StreamFrac: 4, HiddenFrac: 3},
		FC:      quant.Dense{In: 2, Out: 3, W: []int8{1, -2, 3, -128, 127, 0}, B: []int64{5, -6, 7}, Mult: []int64{100, 200, 300}, Shift: 9, Lo: 0, Hi: 127},
		Proj:    quant.Dense{In: 3, Out: 2, W: []int8{-1, 2, -3, 4, -5, 6}, B: []int64{-8, 9}, Mult: []int64{400, 500}, Shift: 10, Lo: -128, Hi: 127},
	}
}

// The encoding of katModel, element by element, as Commit's doc comment
// specifies it (version 2): the header with the input and output fractions,
// then hidden_frac and the two dense layers, nothing of gpt2.
func TestEncodeKnownAnswer(t *testing.T) {
	packed := func(w ...int64) *big.Int {
		p, err := quant.PackInt8(w)
		if err != nil || len(p) != 1 {
			t.Fatal(p, err)
		}
		return p[0]
	}
	domain := new(big.Int).SetBytes([]byte("zkinfer.model"))
	want := []any{domain, 2, 1, 2, 3, 1, 1, 4, 4, 3,
		2, 3, 9, 0, 127, 6, packed(1, -2, 3, -128, 127, 0), 3, 5, -6, 7, 3, 100, 200, 300,
		3, 2, 10, -128, 127, 6, packed(-1, 2, -3, 4, -5, 6), 2, -8, 9, 2, 400, 500}
	got, isWeight, err := quant.EncodeLayout(katModel())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d elements, want %d", len(got), len(want))
	}
	weights := map[int]bool{16: true, 18: true, 19: true, 20: true, 22: true, 23: true, 24: true, 31: true, 33: true, 34: true, 36: true, 37: true}
	for i, w := range want {
		var e fr.Element
		switch w := w.(type) {
		case int:
			e.SetInt64(int64(w))
		case *big.Int:
			e.SetBigInt(w)
		}
		if got[i] != e {
			t.Errorf("element %d = %s, want %s", i, got[i].String(), e.String())
		}
		if isWeight[i] != weights[i] {
			t.Errorf("element %d: weight %v, want %v", i, isWeight[i], weights[i])
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
