package prover

// This file is gnark v0.16.3's backend/groth16/bn254/setup.go (Setup,
// setupABC, sampleToxicWaste, bitReverse) and gnark-crypto v0.21.0's
// pedersen.Setup, Copyright 2020-2026 Consensys Software Inc., Apache
// License 2.0, with the scalar multiplications by the generators replaced:
//
//   - gnark-crypto's BatchScalarMultiplicationG1/G2 (double-and-add per
//     point) → batchMulG1/G2 (fixed-base window tables, fixedbase.go), the
//     same points ~8-12× faster (affine additions, one inversion per window);
//   - pedersen.Setup's one single-core variable-base multiplication per
//     committed wire, σ·Basis[j] → the fixed-base (σ·k_j)·G, since
//     Basis[j] = k_j·G is itself a multiple of the generator.
//
// Everything else (scalars, their order, infinity filtering, the key
// layout) is gnark's, line for line, so the keys are gnark keys with the
// same encoding, and gnark's prover and verifier use them unchanged. The
// keys' structure is compared with gnark's Setup's in
// TestGroth16SetupMatchesGnark; proofs verify in every Groth16 test.

import (
	"crypto/rand"
	"errors"
	"math"
	"math/big"
	"math/bits"
	"slices"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// setupGroth16 is gnark's groth16.Setup for a BN254 R1CS: an UNSAFE
// single-party setup whose toxic waste this process samples (crypto/rand)
// and drops when it returns.
func setupGroth16(r1cs *cs.R1CS) (*groth16bn254.ProvingKey, *groth16bn254.VerifyingKey, error) {
	pk, vk := new(groth16bn254.ProvingKey), new(groth16bn254.VerifyingKey)

	// get R1CS nb constraints, wires and public/private inputs
	nbWires := r1cs.NbInternalVariables + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()

	commitmentInfo := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	commitmentWires := commitmentInfo.CommitmentIndexes()
	privateCommitted := commitmentInfo.GetPrivateCommitted()
	nbPrivateCommittedWires := nbElements(privateCommitted)

	// a commitment is itself defined by a hint so the prover considers it private
	// but the verifier will need to inject the value itself so on the groth16
	// level it must be considered public
	nbPublicWires := r1cs.GetNbPublicVariables() + len(commitmentInfo)
	nbPrivateWires := r1cs.GetNbSecretVariables() + r1cs.NbInternalVariables - nbPrivateCommittedWires - len(commitmentInfo)

	// Setting group for fft
	domain := fft.NewDomain(uint64(r1cs.GetNbConstraints()))

	// samples toxic waste
	toxicWaste, err := sampleToxicWaste()
	if err != nil {
		return nil, nil, err
	}

	// Setup coeffs to compute pk.G1.A, pk.G1.B, pk.G1.K
	A, B, C := setupABC(r1cs, domain, toxicWaste)

	_, _, g1, g2 := curve.Generators()

	// ---------------------------------------------------------------------------------------------
	// G1 scalars

	// the G1 scalars are ordered (arbitrary) as follows:
	//
	// [[α], [β], [δ], [A(i)], [B(i)], [pk.K(i)], [Z(i)], [vk.K(i)]]
	// len(A) == len(B) == nbWires
	// len(pk.K) == nbPrivateWires
	// len(vk.K) == nbPublicWires
	// len(Z) == domain.Cardinality

	// compute scalars for pkK, vkK and ckK
	pkK := make([]fr.Element, nbPrivateWires)
	vkK := make([]fr.Element, nbPublicWires)
	ckK := make([][]fr.Element, len(commitmentInfo))
	for i := range commitmentInfo {
		ckK[i] = make([]fr.Element, 0, len(privateCommitted[i]))
	}

	var t0, t1 fr.Element

	computeK := func(i int, coeff *fr.Element) {
		t1.Mul(&A[i], &toxicWaste.beta)
		t0.Mul(&B[i], &toxicWaste.alpha)
		t1.Add(&t1, &t0).
			Add(&t1, &C[i]).
			Mul(&t1, coeff)
	}
	vI := 0 // number of public wires seen so far
	committedIterator := newMergeIterator(privateCommitted)
	nbPrivateCommittedSeen := 0 // = ∑ᵢ cI[i]
	nbCommitmentsSeen := 0

	for i := range A {
		commitmentIndex := committedIterator.IndexIfNext(i) // the index of the commitment that commits to the wire i. -1 if i is not committed
		isCommitment, isPublic := false, i < r1cs.GetNbPublicVariables()
		if !isPublic {
			if nbCommitmentsSeen < len(commitmentWires) && commitmentWires[nbCommitmentsSeen] == i {
				isCommitment = true
				nbCommitmentsSeen++
			}
		}

		if isPublic || isCommitment || commitmentIndex != -1 {
			computeK(i, &toxicWaste.gammaInv)

			if isPublic || isCommitment {
				vkK[vI] = t1
				vI++
			} else { // committed and private
				ckK[commitmentIndex] = append(ckK[commitmentIndex], t1)
				nbPrivateCommittedSeen++
			}
		} else {
			computeK(i, &toxicWaste.deltaInv)
			pkK[i-vI-nbPrivateCommittedSeen] = t1 // vI = nbPublicSeen + nbCommitmentsSeen
		}
	}

	// Z part of the proving key (scalars)
	Z := make([]fr.Element, domain.Cardinality)
	one := fr.One()
	var zdt fr.Element

	zdt.Exp(toxicWaste.t, new(big.Int).SetUint64(domain.Cardinality)).
		Sub(&zdt, &one).
		Mul(&zdt, &toxicWaste.deltaInv) // sets Zdt to Zdt/delta

	for i := 0; i < int(domain.Cardinality); i++ {
		Z[i] = zdt
		zdt.Mul(&zdt, &toxicWaste.t)
	}

	// mark points at infinity and filter them
	pk.InfinityA = make([]bool, len(A))
	pk.InfinityB = make([]bool, len(B))

	n := 0
	for i, e := range A {
		if e.IsZero() {
			pk.InfinityA[i] = true
			continue
		}
		A[n] = A[i]
		n++
	}
	A = A[:n]
	pk.NbInfinityA = uint64(nbWires - n)
	n = 0
	for i, e := range B {
		if e.IsZero() {
			pk.InfinityB[i] = true
			continue
		}
		B[n] = B[i]
		n++
	}
	B = B[:n]
	pk.NbInfinityB = uint64(nbWires - n)

	// Pedersen commitment keys (gnark-crypto's pedersen.Setup, once per
	// commitment): an independent σᵢ per commitment, as gnark's one call of
	// pedersen.Setup per commitment samples (one σ for two commitments
	// would let a prover move terms between them), and the scalars σᵢ·ckKᵢ
	// of the bases' σᵢ-multiples, multiplied in the same batch.
	sigmas := make([]fr.Element, len(ckK))
	for i := range sigmas {
		if sigmas[i], err = samplePedersenSigma(); err != nil {
			return nil, nil, err
		}
	}
	nbCommitted := nbElements64(ckK)

	// compute our batch scalar multiplication with g1 elements
	g1Scalars := make([]fr.Element, 0, 3+len(A)+len(B)+int(domain.Cardinality)+len(vkK)+len(pkK)+2*nbCommitted)
	g1Scalars = append(g1Scalars, toxicWaste.alpha, toxicWaste.beta, toxicWaste.delta)
	g1Scalars = append(g1Scalars, A...)
	g1Scalars = append(g1Scalars, B...)
	g1Scalars = append(g1Scalars, Z...)
	g1Scalars = append(g1Scalars, vkK...)
	g1Scalars = append(g1Scalars, pkK...)
	for i := range ckK {
		g1Scalars = append(g1Scalars, ckK[i]...)
	}
	for i := range ckK {
		for j := range ckK[i] {
			var s fr.Element
			g1Scalars = append(g1Scalars, *s.Mul(&ckK[i][j], &sigmas[i]))
		}
	}
	g1PointsAff := batchMulG1(&g1, g1Scalars)

	// sets pk: [α]₁, [β]₁, [δ]₁
	pk.G1.Alpha = g1PointsAff[0]
	pk.G1.Beta = g1PointsAff[1]
	pk.G1.Delta = g1PointsAff[2]

	offset := 3
	pk.G1.A = g1PointsAff[offset : offset+len(A)]
	offset += len(A)

	pk.G1.B = g1PointsAff[offset : offset+len(B)]
	offset += len(B)

	bitReverse(g1PointsAff[offset : offset+int(domain.Cardinality)])
	sizeZ := int(domain.Cardinality) - 1 // deg(H)=deg(A*B-C/X^n-1)=(n-1)+(n-1)-n=n-2
	pk.G1.Z = g1PointsAff[offset : offset+sizeZ]

	offset += int(domain.Cardinality)

	vk.G1.K = g1PointsAff[offset : offset+nbPublicWires]
	offset += nbPublicWires

	pk.G1.K = g1PointsAff[offset : offset+nbPrivateWires]
	offset += nbPrivateWires

	// ---------------------------------------------------------------------------------------------
	// Commitment setup

	commitmentBases := make([][]curve.G1Affine, len(commitmentInfo))
	for i := range commitmentBases {
		size := len(ckK[i])
		commitmentBases[i] = g1PointsAff[offset : offset+size]
		offset += size
	}
	commitmentBasesSigma := make([][]curve.G1Affine, len(commitmentInfo))
	for i := range commitmentBasesSigma {
		size := len(ckK[i])
		commitmentBasesSigma[i] = g1PointsAff[offset : offset+size : offset+size]
		offset += size
	}
	if offset != len(g1PointsAff) {
		return nil, nil, errors.New("setup: didn't consume all G1 points")
	}

	cG2, err := curve.RandomOnG2()
	if err != nil {
		return nil, nil, err
	}
	if len(commitmentBases) > 0 {
		pk.CommitmentKeys = make([]pedersen.ProvingKey, len(commitmentBases))
		vk.CommitmentKeys = make([]pedersen.VerifyingKey, len(commitmentBases))
	}
	for i := range commitmentBases {
		// pedersen.Setup(commitmentBases[i:i+1], pedersen.WithG2Point(cG2))
		var comVKey pedersen.VerifyingKey
		comVKey.G = cG2
		sigmaNeg := new(big.Int).Neg(sigmas[i].BigInt(new(big.Int)))
		comVKey.GSigmaNeg.ScalarMultiplication(&comVKey.G, sigmaNeg)
		pk.CommitmentKeys[i] = pedersen.ProvingKey{Basis: commitmentBases[i], BasisExpSigma: commitmentBasesSigma[i]}
		vk.CommitmentKeys[i] = comVKey
	}

	vk.PublicAndCommitmentCommitted = commitmentInfo.GetPublicAndCommitmentCommitted(commitmentWires, r1cs.GetNbPublicVariables())

	// ---------------------------------------------------------------------------------------------
	// G2 scalars

	// the G2 scalars are ordered as follow:
	//
	// [[B(i)], [β], [δ], [γ]]
	// len(B) == nbWires

	// compute our batch scalar multiplication with g2 elements
	g2Scalars := append(B, toxicWaste.beta, toxicWaste.delta, toxicWaste.gamma)

	g2PointsAff := batchMulG2(&g2, g2Scalars)

	pk.G2.B = g2PointsAff[:len(B)]

	// sets pk: [β]₂, [δ]₂
	pk.G2.Beta = g2PointsAff[len(B)+0]
	pk.G2.Delta = g2PointsAff[len(B)+1]

	// sets vk: [δ]₂, [γ]₂
	vk.G2.Delta = g2PointsAff[len(B)+1]
	vk.G2.Gamma = g2PointsAff[len(B)+2]

	// ---------------------------------------------------------------------------------------------
	// Pairing: vk.e
	vk.G1.Alpha = pk.G1.Alpha
	vk.G2.Beta = pk.G2.Beta

	// unused, here for compatibility purposes
	vk.G1.Beta = pk.G1.Beta
	vk.G1.Delta = pk.G1.Delta

	if err := vk.Precompute(); err != nil {
		return nil, nil, err
	}

	// set domain
	pk.Domain = *domain

	return pk, vk, nil
}

// samplePedersenSigma is pedersen.Setup's σ: uniform in [1, r-1].
func samplePedersenSigma() (fr.Element, error) {
	var modMinusOne big.Int
	modMinusOne.Sub(fr.Modulus(), big.NewInt(1))
	sigma, err := rand.Int(rand.Reader, &modMinusOne)
	if err != nil {
		return fr.Element{}, err
	}
	sigma.Add(sigma, big.NewInt(1))
	var s fr.Element
	s.SetBigInt(sigma)
	return s, nil
}

func setupABC(r1cs *cs.R1CS, domain *fft.Domain, toxicWaste toxicWaste) (A []fr.Element, B []fr.Element, C []fr.Element) {

	nbWires := r1cs.NbInternalVariables + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()

	A = make([]fr.Element, nbWires)
	B = make([]fr.Element, nbWires)
	C = make([]fr.Element, nbWires)

	one := fr.One()

	// first we compute [t-w^i] and its inverse
	var w fr.Element
	w.Set(&domain.Generator)
	wi := fr.One()
	t := make([]fr.Element, r1cs.GetNbConstraints()+1)
	for i := 0; i < len(t); i++ {
		t[i].Sub(&toxicWaste.t, &wi)
		wi.Mul(&wi, &w)
	}
	tInv := fr.BatchInvert(t)

	// evaluation of the i-th lagrange polynomial at t
	var L fr.Element

	// L = 1/n*(t^n-1)/(t-1), Li+1 = w*Li*(t-w^i)/(t-w^(i+1))

	// Setting L0
	L.Exp(toxicWaste.t, new(big.Int).SetUint64(uint64(domain.Cardinality))).
		Sub(&L, &one)
	L.Mul(&L, &tInv[0]).
		Mul(&L, &domain.CardinalityInv)

	accumulate := func(res *fr.Element, t constraint.Term, value *fr.Element) {
		cID := t.CoeffID()
		switch cID {
		case constraint.CoeffIdZero:
			return
		case constraint.CoeffIdOne:
			res.Add(res, value)
		case constraint.CoeffIdMinusOne:
			res.Sub(res, value)
		case constraint.CoeffIdTwo:
			var buffer fr.Element
			buffer.Double(value)
			res.Add(res, &buffer)
		default:
			var buffer fr.Element
			buffer.Mul(&r1cs.Coefficients[cID], value)
			res.Add(res, &buffer)
		}
	}

	// each constraint is in the form
	// L * R == O
	// L, R and O being linear expressions
	// for each term appearing in the linear expression,
	// we compute term.Coefficient * L, and cumulate it in
	// A, B or C at the index of the variable

	j := 0
	it := r1cs.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		for _, t := range c.L {
			accumulate(&A[t.WireID()], t, &L)
		}
		for _, t := range c.R {
			accumulate(&B[t.WireID()], t, &L)
		}
		for _, t := range c.O {
			accumulate(&C[t.WireID()], t, &L)
		}

		// Li+1 = w*Li*(t-w^i)/(t-w^(i+1))
		L.Mul(&L, &w)
		L.Mul(&L, &t[j])
		L.Mul(&L, &tInv[j+1])

		j++
	}

	return

}

// toxicWaste toxic waste
type toxicWaste struct {

	// Montgomery form of params
	t, alpha, beta, gamma, delta fr.Element
	gammaInv, deltaInv           fr.Element
}

func sampleToxicWaste() (toxicWaste, error) {

	res := toxicWaste{}

	for res.t.IsZero() {
		if _, err := res.t.SetRandom(); err != nil {
			return res, err
		}
	}
	for res.alpha.IsZero() {
		if _, err := res.alpha.SetRandom(); err != nil {
			return res, err
		}
	}
	for res.beta.IsZero() {
		if _, err := res.beta.SetRandom(); err != nil {
			return res, err
		}
	}
	for res.gamma.IsZero() {
		if _, err := res.gamma.SetRandom(); err != nil {
			return res, err
		}
	}
	for res.delta.IsZero() {
		if _, err := res.delta.SetRandom(); err != nil {
			return res, err
		}
	}

	res.gammaInv.Inverse(&res.gamma)
	res.deltaInv.Inverse(&res.delta)

	return res, nil
}

// bitReverse permutation as in fft.BitReverse , but with []curve.G1Affine
func bitReverse(a []curve.G1Affine) {
	n := uint(len(a))
	nn := uint(bits.UintSize - bits.TrailingZeros(n))

	for i := uint(0); i < n; i++ {
		irev := bits.Reverse(i) >> nn
		if irev > i {
			a[i], a[irev] = a[irev], a[i]
		}
	}
}

func nbElements(s [][]int) int {
	n := 0
	for _, e := range s {
		n += len(e)
	}
	return n
}

func nbElements64(s [][]fr.Element) int {
	n := 0
	for _, e := range s {
		n += len(e)
	}
	return n
}

// mergeIterator is gnark's internal.MergeIterator: it walks the merge of
// sorted slices.
type mergeIterator struct {
	slices     [][]int
	leastIndex int
}

func newMergeIterator(s [][]int) *mergeIterator {
	res := &mergeIterator{slices: slices.Clone(s)}
	res.findLeast()
	return res
}

func (i *mergeIterator) findLeast() {
	value := math.MaxInt
	i.leastIndex = -1
	for j := range i.slices {
		if len(i.slices[j]) == 0 {
			continue
		}
		if v := i.slices[j][0]; v < value {
			value = v
			i.leastIndex = j
		}
	}
}

// IndexIfNext returns the index of the slice the next value comes from and
// advances, if the next value is value; otherwise -1.
func (i *mergeIterator) IndexIfNext(value int) int {
	if i.leastIndex == -1 || i.slices[i.leastIndex][0] != value {
		return -1
	}
	index := i.leastIndex
	i.slices[index] = i.slices[index][1:]
	i.findLeast()
	return index
}
