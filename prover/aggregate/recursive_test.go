package aggregate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/quant"
)

// TestRecursive compiles the outer circuit for ZKINFER_AGG_K (default 2)
// tiny shards and shows the circuit itself, not only Check, accepts the
// honest witness and rejects a tampered inner proof, a broken chain, and a
// wrong statement. ZKINFER_AGG=1 runs it (about 1.7 M constraints per shard:
// minutes and GiBs, so CI, which does not set it, skips it);
// ZKINFER_AGG=prove also runs the dev setup, proves and verifies the outer
// proof, and verifies it with gnark's Solidity verifier on the simulated
// chain, logging the gas.
func TestRecursive(t *testing.T) {
	mode := os.Getenv("ZKINFER_AGG")
	if mode == "" {
		t.Skip("ZKINFER_AGG not set: the recursive compile takes minutes and GiBs")
	}
	k := 2
	if s := os.Getenv("ZKINFER_AGG_K"); s != "" {
		var err error
		if k, err = strconv.Atoi(s); err != nil || k < 1 {
			t.Fatalf("ZKINFER_AGG_K=%q", s)
		}
	}
	f := newFixture(t)
	shards := make([]Shard, k)
	in := uint64(5)
	for i := range shards {
		x := uint64(3 + i)
		shards[i] = f.shard(t, quant.ShardRange{From: i, To: i + 1}, in, x, uint64(101+i))
		in += x
	}
	c, err := NewCircuit(k, ranges(shards), keys(shards))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("k=%d: %d constraints (%d per shard), %d public inputs, %d commitments, compile %v, %s",
		k, ccs.GetNbConstraints(), ccs.GetNbConstraints()/k, ccs.GetNbPublicVariables()-1,
		len(ccs.GetCommitments().(constraint.Groth16Commitments)), time.Since(t0), heap())
	a, st, err := c.Assign(shards)
	if err != nil {
		t.Fatal(err)
	}
	solve := func(a *Circuit) error {
		w, err := frontend.NewWitness(a, field)
		if err != nil {
			return err
		}
		return ccs.IsSolved(w)
	}
	t0 = time.Now()
	if err := solve(a); err != nil {
		t.Fatalf("honest witness: %v", err)
	}
	t.Logf("solve %v", time.Since(t0))

	// The circuit rejects by itself what Check rejects: assign skips Check.
	bad := func(name string, mutate func([]Shard, *Statement)) {
		s := append([]Shard(nil), shards...)
		for i := range s {
			s[i].Public = append([]fr.Element(nil), s[i].Public...)
		}
		st2 := st
		mutate(s, &st2)
		a, err := c.assign(s, st2)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := solve(a); err == nil {
			t.Errorf("%s: the outer circuit accepted it", name)
		}
	}
	bad("tampered proof of the last shard", func(s []Shard, _ *Statement) {
		p := *s[k-1].Proof.(*groth16bn254.Proof)
		p.Krs.Add(&p.Krs, &p.Ar)
		s[k-1].Proof = &p
	})
	bad("proof of the EVM kind (Keccak hash to field)", func(s []Shard, _ *Statement) {
		s[0] = f.shard(t, s[0].Range, 5, 3, 101, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	})
	if k > 1 {
		bad("chain broken (valid proof, other input)", func(s []Shard, _ *Statement) {
			s[1] = f.shard(t, s[1].Range, 1000, 4, 102)
		})
	}
	bad("wrong shards commitment", func(_ []Shard, st *Statement) { st.ShardsCommitment.SetUint64(7) })
	bad("wrong output", func(_ []Shard, st *Statement) { st.Output.SetUint64(7) })
	bad("public input of a shard changed", func(s []Shard, _ *Statement) { s[0].Public[2].SetUint64(999) })
	if mode != "prove" {
		return
	}

	runtime.GC()
	t0 = time.Now()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("setup %v, %s", time.Since(t0), heap())
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prove %v, %s", time.Since(t0), heap())
	if err := groth16.Verify(proof, vk, pub, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16)); err != nil {
		t.Fatal(err)
	}
	pk = nil
	runtime.GC()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var src bytes.Buffer
	if err := contracts.ExportVerifier(vk, &src); err != nil {
		t.Fatal(err)
	}
	comp, err := contracts.Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		t.Fatal(err)
	}
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	addr, deployGas, err := chain.Deploy(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	inputs := pub.Vector().(fr.Vector)
	ok, gas, err := chain.VerifyGroth16(ctx, comp, addr, proof, inputs)
	if err != nil || !ok {
		t.Fatalf("verify on chain: ok=%v err=%v", ok, err)
	}
	t.Logf("on chain: verifyProof %d gas (k=%d shards, %d public inputs), verifier deploy %d gas", gas, k, len(inputs), deployGas)
	wrong := append(fr.Vector(nil), inputs...)
	wrong[2].SetUint64(7)
	if ok, _, err := chain.VerifyGroth16(ctx, comp, addr, proof, wrong); ok && err == nil {
		t.Error("the verifier contract accepted a wrong shards commitment")
	}
}

func heap() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return fmt.Sprintf("heap %.2f GiB, %.2f GiB from the OS", float64(m.HeapAlloc)/(1<<30), float64(m.Sys)/(1<<30))
}
