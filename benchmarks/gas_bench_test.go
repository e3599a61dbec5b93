package benchmarks

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// BenchmarkVerifyGas measures on-chain Groth16 verification on the embedded
// chain: the demo block with std/rangecheck (one BSB22 commitment, today's
// circuit) against bit-decomposition range checks (no commitment), and toy
// circuits that isolate the cost of a public input and of a commitment.
// Gas is deterministic; run with -benchtime 1x.
func BenchmarkVerifyGas(b *testing.B) {
	demo := ffn(64, 256, 4)
	b.Run("demo-rangecheck", func(b *testing.B) { gasOfFFN(b, demo) })
	b.Run("demo-tobinary", func(b *testing.B) { gasOfFFN(b, demo, fixedpoint.WithBitDecomposition()) })
	for _, n := range []int{1, 2, 18} {
		for _, commit := range []bool{false, true} {
			name := "toy-nocommit-"
			if commit {
				name = "toy-commit-"
			}
			b.Run(name+strconv.Itoa(n), func(b *testing.B) { gasOfToy(b, n, commit) })
		}
	}
}

type toyCircuit struct {
	X      frontend.Variable
	Y      []frontend.Variable `gnark:",public"`
	commit bool
}

func (c *toyCircuit) Define(api frontend.API) error {
	sq := api.Mul(c.X, c.X)
	for i := range c.Y {
		api.AssertIsEqual(api.Add(sq, i), c.Y[i])
	}
	if c.commit {
		rangecheck.New(api).Check(c.X, 8)
	}
	return nil
}

func gasOfToy(b *testing.B, n int, commit bool) {
	circuit := &toyCircuit{Y: make([]frontend.Variable, n), commit: commit}
	a := &toyCircuit{X: 7, Y: make([]frontend.Variable, n)}
	for i := range a.Y {
		a.Y[i] = 49 + i
	}
	measure(b, circuit, a)
}

func gasOfFFN(b *testing.B, cfg quant.Config, opts ...fixedpoint.Option) {
	m, tr := quantizedTrace(b, cfg)
	a, err := graph.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := graph.New(m, quant.DefaultVisibility, opts...)
	if err != nil {
		b.Fatal(err)
	}
	measure(b, c, a)
}

// measure compiles, sets up and proves circuit with assignment, deploys the
// generated verifier on the embedded chain and reports its verify gas.
func measure(b *testing.B, circuit, assignment frontend.Circuit) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	t0 := time.Now()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(t0)
	t0 = time.Now()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(t0)
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		b.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		b.Fatal(err)
	}
	prove := time.Since(t0)
	var src bytes.Buffer
	if err := contracts.ExportVerifier(vk, &src); err != nil {
		b.Fatal(err)
	}
	comp, err := contracts.Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		b.Fatal(err)
	}
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		b.Fatal(err)
	}
	defer chain.Close()
	addr, deployGas, err := chain.Deploy(ctx, comp)
	if err != nil {
		b.Fatal(err)
	}
	inputs := pub.Vector().(fr.Vector)
	ok, gas, err := chain.VerifyGroth16(ctx, comp, addr, proof, inputs)
	if err != nil || !ok {
		b.Fatalf("verify on chain: ok=%v err=%v", ok, err)
	}
	reg, err := chain.DeployRegistry(ctx)
	if err != nil {
		b.Fatal(err)
	}
	digest, err := contracts.VKDigest(vk, prover.Layout{})
	if err != nil {
		b.Fatal(err)
	}
	id, _, err := chain.RegisterModel(ctx, reg.ContractAddress, contracts.ModelRegistration{Commitment: inputs[len(inputs)-1].Bytes(), Verifier: addr, Backend: contracts.BackendGroth16, PublicInputs: len(inputs), VKDigest: digest})
	if err != nil {
		b.Fatal(err)
	}
	proofBytes, ins, err := contracts.Groth16Calldata(proof, inputs)
	if err != nil {
		b.Fatal(err)
	}
	_, rcpt, err := chain.VerifyInference(ctx, reg.ContractAddress, id, proofBytes, ins)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
	b.ReportMetric(float64(len(inputs)), "public-inputs")
	b.ReportMetric(float64(len(proof.(*groth16bn254.Proof).Commitments)), "commitments")
	b.ReportMetric(float64(len(proofBytes)), "proof-bytes")
	b.ReportMetric(float64(gas), "verify-gas")
	b.ReportMetric(float64(rcpt.GasUsed), "registry-verify-gas")
	b.ReportMetric(float64(deployGas), "deploy-gas")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.ReportMetric(setup.Seconds(), "setup-s")
	b.ReportMetric(prove.Seconds(), "prove-s")
}
