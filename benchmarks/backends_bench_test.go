package benchmarks

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// demoModel is the demo's shape (d_model 64, d_hidden 256, 4 tokens) with
// random weights calibrated on random samples, and one input's trace.
func demoModel(b *testing.B) (*quant.Model, *quant.Trace) {
	b.Helper()
	return quantizedTrace(b, ffn(64, 256, 4))
}

// BenchmarkBackends compares Groth16 and PLONK on the demo model: the
// figures behind the default backend. Setup is the dev setup (PLONK's
// includes making the SRS); verify gas is a transaction on the simulated
// chain through the contract users call.
func BenchmarkBackends(b *testing.B) {
	for _, backend := range prover.Backends {
		b.Run("demo-"+backend, func(b *testing.B) {
			m, tr := demoModel(b)
			c, keys, setup := timedSetup(b, m, prover.WithBackend(backend))
			b.ResetTimer()
			var proof *prover.Proof
			var err error
			for i := 0; i < b.N; i++ {
				if proof, err = prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			t0 := time.Now()
			if err := prover.Verify(keys.VK, proof.Proof, proof.Public); err != nil {
				b.Fatal(err)
			}
			verify := time.Since(t0)
			var buf bytes.Buffer
			proof.Proof.WriteTo(&buf)
			gas, deploy := verifyGas(b, keys.VK, proof)
			b.ReportMetric(float64(c.Header.Constraints), "constraints")
			b.ReportMetric(setup.Seconds(), "setup-s")
			b.ReportMetric(float64(verify.Microseconds())/1e3, "verify-ms")
			b.ReportMetric(float64(buf.Len()), "proof-bytes")
			b.ReportMetric(float64(gas), "verify-gas")
			b.ReportMetric(float64(deploy), "deploy-gas")
		})
	}
}

// verifyGas deploys the verifier of vk on the simulated chain and returns
// the gas of one verifyProof transaction and of the deployment.
func verifyGas(b *testing.B, vk prover.VerifyingKey, p *prover.Proof) (verify, deploy uint64) {
	b.Helper()
	ctx := context.Background()
	var src bytes.Buffer
	var err error
	switch vk := vk.(type) {
	case *groth16bn254.VerifyingKey:
		err = contracts.ExportVerifier(vk, &src)
	case *plonkbn254.VerifyingKey:
		err = contracts.ExportPlonkVerifier(vk, &src)
	}
	if err != nil {
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
	addr, deploy, err := chain.Deploy(ctx, comp)
	if err != nil {
		b.Fatal(err)
	}
	inputs := p.Public.Vector().(fr.Vector)
	var ok bool
	switch proof := p.Proof.(type) {
	case *groth16bn254.Proof:
		ok, verify, err = chain.VerifyGroth16(ctx, comp, addr, proof, inputs)
	case *plonkbn254.Proof:
		ok, verify, err = chain.VerifyPLONK(ctx, comp, addr, proof, inputs)
	}
	if err != nil || !ok {
		b.Fatalf("on-chain verification: ok=%v err=%v", ok, err)
	}
	return verify, deploy
}

// BenchmarkCeremony times a Groth16 ceremony for the demo model, per step,
// with one contribution per phase (each further participant costs the same
// again) and the beacon seals.
func BenchmarkCeremony(b *testing.B) {
	m, _ := demoModel(b)
	c, err := prover.Compile(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	step := func(name string, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), name+"-s")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var (
			p1, p2 *prover.Contribution
			srs    *prover.MPCSRS
			keys   *prover.Keys
		)
		step("phase1-init", func() (err error) { p1, err = prover.NewPhase1(prover.CeremonyDomain(c)); return })
		step("phase1-contribute", func() (err error) { p1, err = prover.Contribute(p1, "bench"); return })
		step("phase1-verify-seal", func() (err error) {
			srs, err = prover.SealPhase1([]*prover.Contribution{p1}, []byte{1})
			return
		})
		step("phase2-init", func() (err error) { p2, err = prover.NewPhase2(c, srs); return })
		step("phase2-contribute", func() (err error) { p2, err = prover.Contribute(p2, "bench"); return })
		step("phase2-verify-extract", func() (err error) {
			keys, err = prover.ExtractKeys(c, srs, []*prover.Contribution{p2}, []byte{2})
			return
		})
		_ = keys
	}
	b.ReportMetric(float64(prover.CeremonyDomain(c)), "domain")
}
