package harness

import (
	"fmt"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// Floor is the time of the bare multi-scalar multiplications and FFTs a
// Groth16 proof of the circuit needs (gnark v0.16 backend/groth16/bn254
// prove.go), on the proving key's own bases with random scalars, each run
// on its own with all cores, one after the other.
type Floor struct {
	// Sizes of the MSMs: G1 A (wires whose A point is not at infinity),
	// G1 B and G2 B (likewise for B), G1 K (private wires minus committed
	// ones), G1 Z (domain size − 1), and the Pedersen commitments
	// (committed wires, two MSMs each: commit and proof of knowledge).
	SizeA          int `json:"size_a"`
	SizeB          int `json:"size_b"`
	SizeK          int `json:"size_k"`
	SizeZ          int `json:"size_z"`
	SizeCommitment int `json:"size_commitment"`
	Domain         int `json:"domain"`

	MSMG1S float64 `json:"msm_g1_s"` // A + B + K + Z + commitments
	MSMG2S float64 `json:"msm_g2_s"` // B in G2
	// FFTS is computeH's 7 FFTs on the domain: 3 inverse, 3 on the coset,
	// 1 inverse on the coset.
	FFTS   float64 `json:"fft_s"`
	TotalS float64 `json:"total_s"`
}

// MeasureFloor times the floor for pk.
func MeasureFloor(pk *groth16bn254.ProvingKey) (*Floor, error) {
	f := &Floor{SizeA: len(pk.G1.A), SizeB: len(pk.G1.B), SizeK: len(pk.G1.K), SizeZ: int(pk.Domain.Cardinality) - 1, Domain: int(pk.Domain.Cardinality)}
	maxLen := max(f.SizeA, f.SizeB, f.SizeK, f.Domain)
	for _, ck := range pk.CommitmentKeys {
		f.SizeCommitment += len(ck.Basis)
		maxLen = max(maxLen, len(ck.Basis))
	}
	scalars := make(fr.Vector, maxLen)
	for i := range scalars {
		if _, err := scalars[i].SetRandom(); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	}
	var g1 bn254.G1Jac
	msm1 := func(points []bn254.G1Affine) error {
		if len(points) == 0 {
			return nil
		}
		_, err := g1.MultiExp(points, scalars[:len(points)], ecc.MultiExpConfig{})
		return err
	}
	t0 := time.Now()
	for _, pts := range [][]bn254.G1Affine{pk.G1.A, pk.G1.B, pk.G1.K, pk.G1.Z[:min(f.SizeZ, len(pk.G1.Z))]} {
		if err := msm1(pts); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	}
	for _, ck := range pk.CommitmentKeys {
		if err := msm1(ck.Basis); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		if err := msm1(ck.BasisExpSigma); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	}
	f.MSMG1S = time.Since(t0).Seconds()

	t0 = time.Now()
	if len(pk.G2.B) > 0 {
		var g2 bn254.G2Jac
		if _, err := g2.MultiExp(pk.G2.B, scalars[:len(pk.G2.B)], ecc.MultiExpConfig{}); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	}
	f.MSMG2S = time.Since(t0).Seconds()

	domain := fft.NewDomain(uint64(f.Domain))
	vecs := make([]fr.Vector, 3)
	for i := range vecs {
		vecs[i] = make(fr.Vector, f.Domain)
		copy(vecs[i], scalars[:f.Domain])
	}
	t0 = time.Now()
	for _, v := range vecs {
		domain.FFTInverse(v, fft.DIF)
	}
	for _, v := range vecs {
		domain.FFT(v, fft.DIT, fft.OnCoset())
	}
	domain.FFTInverse(vecs[0], fft.DIF, fft.OnCoset())
	f.FFTS = time.Since(t0).Seconds()
	f.TotalS = f.MSMG1S + f.MSMG2S + f.FFTS
	return f, nil
}
