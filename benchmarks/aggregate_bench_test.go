package benchmarks

// Curve paths for aggregating shard proofs (issue 16 part 2), measured by
// benchmarks only (CI's go test runs none of them). Each benchmark compiles
// an outer circuit that verifies k Groth16 proofs of a tiny inner circuit
// shaped like a zkinfer shard (three public inputs: input hash, output hash,
// model commitment, and one BSB22 commitment from a range check) and reports
// its constraints, per inner proof too. The prove benchmarks also run the dev
// setup, prove and verify the outer proof. Results and the decision:
// benchmarks/results/aggregation.md. Run one at a time, for peak RSS under
// /usr/bin/time -v:
//
//	go test -c -o /tmp/bench.test ./benchmarks
//	/usr/bin/time -v /tmp/bench.test -test.run '^$' -test.bench 'AggregateCompile/bn254-in-bn254/k=1$' -test.benchtime 1x

import (
	"fmt"
	"math/big"
	"runtime"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/algebra"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bn254"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bw6761"
	"github.com/consensys/gnark/std/algebra/native/sw_bls12377"
	"github.com/consensys/gnark/std/math/emulated"
	"github.com/consensys/gnark/std/rangecheck"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
)

// aggInner is a tiny shard-shaped inner circuit: In, Out, Model public (the
// order of a shard's public inputs with hashed input and output), X private
// and range-checked to 8 bits, which gives the proof one BSB22 commitment
// as the shards' lookups and range checks do.
type aggInner struct {
	In, Out, Model frontend.Variable `gnark:",public"`
	X              frontend.Variable
}

func (c *aggInner) Define(api frontend.API) error {
	rangecheck.New(api).Check(c.X, 8)
	api.AssertIsEqual(api.Add(c.In, c.X), c.Out)
	api.AssertIsDifferent(c.Model, 0)
	return nil
}

// aggInnerProof compiles aggInner over field, sets it up and proves it with
// the hash to field the recursive verifier over outer expects.
func aggInnerProof(b *testing.B, field, outer *big.Int) (constraint.ConstraintSystem, groth16.VerifyingKey, witness.Witness, groth16.Proof) {
	b.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &aggInner{})
	if err != nil {
		b.Fatal(err)
	}
	if n := len(ccs.GetCommitments().(constraint.Groth16Commitments)); n != 1 {
		b.Fatalf("inner circuit has %d commitments, want 1", n)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	w, err := frontend.NewWitness(&aggInner{In: 5, Out: 12, Model: 99, X: 7}, field)
	if err != nil {
		b.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w, stdgroth16.GetNativeProverOptions(outer, field))
	if err != nil {
		b.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		b.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub, stdgroth16.GetNativeVerifierOptions(outer, field)); err != nil {
		b.Fatal(err)
	}
	return ccs, vk, pub, proof
}

// aggOuter verifies len(Proofs) inner proofs under fixed verifying keys
// (circuit constants, as the prototype in prover/aggregate does).
type aggOuter[FR emulated.FieldParams, G1 algebra.G1ElementT, G2 algebra.G2ElementT, GT algebra.GtElementT] struct {
	Proofs    []stdgroth16.Proof[G1, G2]
	Witnesses []stdgroth16.Witness[FR]
	vk        stdgroth16.VerifyingKey[G1, G2, GT] `gnark:"-"`
	subgroup  bool                                `gnark:"-"`
}

func (c *aggOuter[FR, G1, G2, GT]) Define(api frontend.API) error {
	v, err := stdgroth16.NewVerifier[FR, G1, G2, GT](api)
	if err != nil {
		return err
	}
	var opts []stdgroth16.VerifierOption
	if c.subgroup {
		opts = append(opts, stdgroth16.WithSubgroupCheck())
	}
	for i := range c.Proofs {
		if err := v.AssertProof(c.vk, c.Proofs[i], c.Witnesses[i], opts...); err != nil {
			return fmt.Errorf("proof %d: %w", i, err)
		}
	}
	return nil
}

// aggPath is one curve path: inner proofs over Inner, outer circuit over Outer.
type aggPath[FR emulated.FieldParams, G1 algebra.G1ElementT, G2 algebra.G2ElementT, GT algebra.GtElementT] struct {
	Inner, Outer *big.Int
}

// circuits returns the outer circuit (placeholder) and its assignment for k
// copies of one inner proof.
func (p aggPath[FR, G1, G2, GT]) circuits(b *testing.B, k int, subgroup bool) (*aggOuter[FR, G1, G2, GT], *aggOuter[FR, G1, G2, GT]) {
	b.Helper()
	ccs, vk, pub, proof := aggInnerProof(b, p.Inner, p.Outer)
	cvk, err := stdgroth16.ValueOfVerifyingKeyFixed[G1, G2, GT](vk)
	if err != nil {
		b.Fatal(err)
	}
	cw, err := stdgroth16.ValueOfWitness[FR](pub)
	if err != nil {
		b.Fatal(err)
	}
	cp, err := stdgroth16.ValueOfProof[G1, G2](proof)
	if err != nil {
		b.Fatal(err)
	}
	placeholder := &aggOuter[FR, G1, G2, GT]{vk: cvk, subgroup: subgroup}
	assignment := &aggOuter[FR, G1, G2, GT]{vk: cvk, subgroup: subgroup}
	for range k {
		placeholder.Proofs = append(placeholder.Proofs, stdgroth16.PlaceholderProof[G1, G2](ccs))
		placeholder.Witnesses = append(placeholder.Witnesses, stdgroth16.PlaceholderWitness[FR](ccs))
		assignment.Proofs = append(assignment.Proofs, cp)
		assignment.Witnesses = append(assignment.Witnesses, cw)
	}
	return placeholder, assignment
}

// compile compiles the outer circuit for k inner proofs and reports its size.
func (p aggPath[FR, G1, G2, GT]) compile(b *testing.B, k int, subgroup bool) (constraint.ConstraintSystem, *aggOuter[FR, G1, G2, GT]) {
	b.Helper()
	placeholder, assignment := p.circuits(b, k, subgroup)
	runtime.GC()
	t0 := time.Now()
	ccs, err := frontend.Compile(p.Outer, r1cs.NewBuilder, placeholder)
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(t0)
	n := ccs.GetNbConstraints()
	b.ReportMetric(float64(n), "constraints")
	b.ReportMetric(float64(n)/float64(k), "constraints/proof")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.Logf("k=%d subgroup=%v: %d constraints (%d per inner proof), %d public, %d commitments, compile %v, heap %s",
		k, subgroup, n, n/k, ccs.GetNbPublicVariables(), len(ccs.GetCommitments().(constraint.Groth16Commitments)), compile, aggHeap())
	return ccs, assignment
}

// prove runs the dev setup, proves and verifies the outer circuit.
func (p aggPath[FR, G1, G2, GT]) prove(b *testing.B, k int) {
	b.Helper()
	ccs, assignment := p.compile(b, k, true)
	t0 := time.Now()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(t0)
	w, err := frontend.NewWitness(assignment, p.Outer)
	if err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		b.Fatal(err)
	}
	prove := time.Since(t0)
	pub, err := w.Public()
	if err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	if err := groth16.Verify(proof, vk, pub); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(setup.Seconds(), "setup-s")
	b.ReportMetric(prove.Seconds(), "prove-s")
	b.Logf("k=%d: setup %v, prove %v, verify %v, heap %s", k, setup, prove, time.Since(t0), aggHeap())
}

func aggHeap() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return fmt.Sprintf("%.2f GiB in use, %.2f GiB from the OS", float64(m.HeapAlloc)/(1<<30), float64(m.Sys)/(1<<30))
}

var (
	// BN254 proofs in a BN254 circuit, pairing and scalars emulated.
	aggBN254 = aggPath[sw_bn254.ScalarField, sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl]{
		Inner: ecc.BN254.ScalarField(), Outer: ecc.BN254.ScalarField()}
	// The 2-chain: BLS12-377 proofs in a BW6-761 circuit, native pairing.
	aggBLS12377 = aggPath[sw_bls12377.ScalarField, sw_bls12377.G1Affine, sw_bls12377.G2Affine, sw_bls12377.GT]{
		Inner: ecc.BLS12_377.ScalarField(), Outer: ecc.BW6_761.ScalarField()}
	// The 2-chain's last step: a BW6-761 proof in a BN254 circuit, emulated.
	aggBW6761 = aggPath[sw_bw6761.ScalarField, sw_bw6761.G1Affine, sw_bw6761.G2Affine, sw_bw6761.GTEl]{
		Inner: ecc.BW6_761.ScalarField(), Outer: ecc.BN254.ScalarField()}
)

// BenchmarkAggregateCompile reports the outer circuit's constraints for
// each path and k inner proofs (fixed verifying keys). "nosub" leaves out
// the in-circuit subgroup checks of the proof points, to show their cost.
func BenchmarkAggregateCompile(b *testing.B) {
	for _, k := range []int{1, 2} {
		b.Run(fmt.Sprintf("bn254-in-bn254/k=%d", k), func(b *testing.B) {
			for range b.N {
				aggBN254.compile(b, k, true)
			}
		})
	}
	b.Run("bn254-in-bn254-nosub/k=1", func(b *testing.B) {
		for range b.N {
			aggBN254.compile(b, 1, false)
		}
	})
	for _, k := range []int{1, 2} {
		b.Run(fmt.Sprintf("bls12377-in-bw6761/k=%d", k), func(b *testing.B) {
			for range b.N {
				aggBLS12377.compile(b, k, true)
			}
		})
	}
	b.Run("bw6761-in-bn254/k=1", func(b *testing.B) {
		for range b.N {
			aggBW6761.compile(b, 1, true)
		}
	})
}

// BenchmarkAggregateProve runs setup, prove and verify of the outer circuit.
func BenchmarkAggregateProve(b *testing.B) {
	b.Run("bn254-in-bn254/k=1", func(b *testing.B) {
		for range b.N {
			aggBN254.prove(b, 1)
		}
	})
	b.Run("bls12377-in-bw6761/k=1", func(b *testing.B) {
		for range b.N {
			aggBLS12377.prove(b, 1)
		}
	})
}

// aggShardLike is a shard-sized stand-in for the inner-curve question: N
// products and N 8-bit range checks (one BSB22 commitment), the mix of a
// shard circuit, over whichever field it is compiled for.
type aggShardLike struct {
	X []frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

func (c *aggShardLike) Define(api frontend.API) error {
	rc := rangecheck.New(api)
	acc := frontend.Variable(1)
	for _, x := range c.X {
		rc.Check(x, 8)
		acc = api.Mul(acc, api.Add(x, 1))
	}
	api.AssertIsEqual(acc, c.Y)
	return nil
}

// BenchmarkAggregateInnerCurve proves the same shard-like circuit on BN254
// (today's shards) and on BLS12-377 (the 2-chain's inner curve): what moving
// the shards to BLS12-377 costs the prover.
func BenchmarkAggregateInnerCurve(b *testing.B) {
	const n = 1 << 16
	for _, curve := range []ecc.ID{ecc.BN254, ecc.BLS12_377} {
		b.Run(curve.String(), func(b *testing.B) {
			for range b.N {
				f := curve.ScalarField()
				circuit := &aggShardLike{X: make([]frontend.Variable, n)}
				a := &aggShardLike{X: make([]frontend.Variable, n)}
				y := new(big.Int).SetInt64(1)
				for i := range a.X {
					a.X[i] = i % 256
					y.Mul(y, big.NewInt(int64(i%256+1)))
					y.Mod(y, f)
				}
				a.Y = y
				t0 := time.Now()
				ccs, err := frontend.Compile(f, r1cs.NewBuilder, circuit)
				if err != nil {
					b.Fatal(err)
				}
				compile := time.Since(t0)
				w, err := frontend.NewWitness(a, f)
				if err != nil {
					b.Fatal(err)
				}
				pub, _ := w.Public()
				setup, prove := setupProveVerify(b, ccs, w, pub)
				b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
				b.ReportMetric(setup.Seconds(), "setup-s")
				b.ReportMetric(prove.Seconds(), "prove-s")
				b.Logf("%s: %d constraints, compile %v, setup %v, prove %v, %s", curve, ccs.GetNbConstraints(), compile, setup, prove, aggHeap())
			}
		})
	}
}
