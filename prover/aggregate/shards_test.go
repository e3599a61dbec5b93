package aggregate

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// TestRealShards takes the real shard circuits of a tiny 3-block gpt2
// (one block per shard, default visibility: hashed input and output, fixed
// weights), proves each shard for aggregation (ProverOptions), and checks
// that Check accepts them with the shards commitment quant.ShardsCommitment
// gives, that the EVM proof of the same shard (prover.Prove, Keccak) is
// rejected, and that the outer circuit built from the real keys is
// satisfied by the honest assignment. ZKINFER_AGG only: three shard setups
// and a 5 M-constraint compile.
func TestRealShards(t *testing.T) {
	if os.Getenv("ZKINFER_AGG") == "" {
		t.Skip("ZKINFER_AGG not set: shard setups and the recursive compile take minutes")
	}
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 3,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	fm := quant.RandomModel(cfg, 7)
	sc, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, 7))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, sc)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := quant.ShardRanges(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.QuantizeInput(quant.RandomSamples(cfg, 1, 8)[0])
	if err != nil {
		t.Fatal(err)
	}
	var (
		shards      []Shard
		commitments []fr.Element
	)
	for i, r := range rs {
		sub, err := m.Slice(r.From, r.To)
		if err != nil {
			t.Fatal(err)
		}
		c, err := prover.Compile(sub, nil, prover.WithVisibility(quant.ShardVisibility(quant.DefaultVisibility, i, len(rs))))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := prover.SetupDev(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := sub.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		s := provedShard(t, c, keys, sub, tr, r)
		commit, err := quant.Commit(sub)
		if err != nil {
			t.Fatal(err)
		}
		commitments = append(commitments, commit)
		if i == 0 {
			// The EVM proof of the same shard: Keccak hash to field.
			evm, err := prover.Prove(c, keys.PK, keys.PKHeader, sub, tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			bad := s
			bad.Proof = evm.Proof.(groth16.Proof)
			if _, err := Check(1, []Shard{{Range: quant.ShardRange{From: 0, To: 1}, VK: bad.VK, Proof: bad.Proof, Public: bad.Public}}); !errors.Is(err, ErrRejected) {
				t.Errorf("the EVM proof of shard 0: Check = %v, want ErrRejected", err)
			}
		}
		shards = append(shards, s)
		t.Logf("shard %d: %d constraints, %d public inputs", i, c.CS.GetNbConstraints(), len(s.Public))
		x = tr.Y
	}
	st, err := Check(3, shards)
	if err != nil {
		t.Fatal(err)
	}
	want, err := quant.ShardsCommitment(3, rs, commitments)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ShardsCommitment.Equal(&want) {
		t.Fatalf("statement's shards commitment %s, quant.ShardsCommitment of the sub-models %s", st.ShardsCommitment.String(), want.String())
	}
	oc, err := NewCircuit(3, rs, keys(shards))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, oc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outer: %d constraints, compile %v", ccs.GetNbConstraints(), time.Since(t0))
	a, _, err := oc.Assign(shards)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	if err := ccs.IsSolved(w); err != nil {
		t.Fatalf("real shards: %v", err)
	}
}

// provedShard proves the trace tr of sub on the shard circuit c with keys
// (aggregatable prover options): the Shard for range r.
func provedShard(t *testing.T, c *prover.Circuit, keys *prover.Keys, sub *quant.Model, tr *quant.Trace, r quant.ShardRange) Shard {
	t.Helper()
	a, err := circuits.Assignment(sub, tr, c.Header.IO(), modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := full.Public()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(c.CS, keys.PK.(groth16.ProvingKey), full, ProverOptions())
	if err != nil {
		t.Fatal(err)
	}
	vec := append([]fr.Element(nil), pub.Vector().(fr.Vector)...)
	return Shard{Range: r, VK: keys.VK.(groth16.VerifyingKey), Proof: proof, Public: vec}
}
