package verifier_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// The outer circuit of prover/aggregate takes a 30-minute setup, so these
// tests make the outer proof with a stand-in: a real Groth16 proof (Keccak
// hash to field, as the aggregator proves) of a tiny circuit with the outer
// circuit's three public inputs (input hash, output hash, shards
// commitment). VerifyAggregated's checks do not depend on which circuit the
// pinned key is for; that the real outer circuit enforces the shards'
// proofs, chain and commitment is prover/aggregate's TestRecursive and the
// ZKINFER_AGG pipeline test (cmd/zkinfer).
type standIn struct {
	In, Out, SC frontend.Variable `gnark:",public"`
	X           frontend.Variable
}

func (c *standIn) Define(api frontend.API) error {
	api.AssertIsEqual(c.X, api.Add(c.In, c.Out, c.SC))
	return nil
}

type outerKeys struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  groth16.VerifyingKey
}

func newOuterKeys(t *testing.T) *outerKeys {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &standIn{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &outerKeys{ccs, pk, vk}
}

// prove proves the stand-in for statement st.
func (o *outerKeys) prove(t *testing.T, st [3]fr.Element) groth16.Proof {
	t.Helper()
	var x fr.Element
	x.Add(&st[0], &st[1]).Add(&x, &st[2])
	w, err := frontend.NewWitness(&standIn{In: st[0], Out: st[1], SC: st[2], X: x}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(o.ccs, o.pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	return proof
}

// proveAggregatable proves every shard of sm on x for aggregation.
func (sm *shardedModel) proveAggregatable(t *testing.T, x [][]int64) *verifier.ShardedBundle {
	t.Helper()
	sb := sm.header(t)
	sb.ProofHash = prover.ProofHashMiMC
	for i := range sm.subs {
		tr, err := sm.subs[i].Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		salts, err := modelio.RandomSalts()
		if err != nil {
			t.Fatal(err)
		}
		k := sm.keys[i]
		proof, err := prover.Prove(sm.cs[i], k.PK, k.PKHeader, sm.subs[i], tr, nil, prover.WithSalts(salts), prover.WithAggregatable())
		if err != nil {
			t.Fatal(err)
		}
		if err := prover.Verify(k.VK, proof.Proof, proof.Public); err == nil {
			t.Fatal("a proof for aggregation verified with the EVM's hash to field")
		}
		b, err := verifier.NewBundle(sm.subs[i], sm.cs[i], k.VK, k.VKHeader, proof, tr)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := verifier.NewShard(b, i, len(sm.subs), sm.ranges[i])
		if err != nil {
			t.Fatal(err)
		}
		sb.Shards = append(sb.Shards, sh)
		x = tr.Y
	}
	return sb
}

// statementOf is the outer statement of a sharded bundle with hashed
// input and output: what the aggregator proves.
func statementOf(t *testing.T, sb *verifier.ShardedBundle) [3]fr.Element {
	t.Helper()
	var st [3]fr.Element
	var err error
	if st[0], err = quant.HashPacked(sb.Shards[0].Bundle.PublicInputs[0].Values, nil); err != nil {
		t.Fatal(err)
	}
	if st[1], err = quant.HashPacked(sb.Shards[len(sb.Shards)-1].Bundle.PublicInputs[1].Values, nil); err != nil {
		t.Fatal(err)
	}
	c := strings.TrimPrefix(sb.ShardsCommitment, quant.CommitmentPrefix)
	if _, err := st[2].SetString(c); err != nil {
		t.Fatal(err)
	}
	return st
}

type aggFixture struct {
	sm    *shardedModel
	keys  *prover.KeysManifest
	outer *outerKeys
	sb    *verifier.ShardedBundle
	ab    *verifier.AggregatedBundle
}

var (
	aggMu     sync.Mutex
	aggShared *aggFixture
)

// newAggFixture is built once per test binary: tests clone what they alter.
func newAggFixture(t *testing.T) *aggFixture {
	t.Helper()
	aggMu.Lock()
	defer aggMu.Unlock()
	if aggShared == nil {
		aggShared = buildAggFixture(t)
	}
	return aggShared
}

func buildAggFixture(t *testing.T) *aggFixture {
	t.Helper()
	sm := newShardedModel(t, 11, quant.DefaultVisibility)
	f := &aggFixture{sm: sm, keys: sm.manifest(t), outer: newOuterKeys(t)}
	f.sb = sm.proveAggregatable(t, sm.input(t, 3))
	if _, err := verifier.VerifySharded(f.sb, f.keys, "test"); err != nil {
		t.Fatalf("the aggregatable sharded bundle does not verify: %v", err)
	}
	st := statementOf(t, f.sb)
	ab, err := verifier.NewAggregated(f.sb, f.keys, "sha256:"+strings.Repeat("ab", 32), f.outer.vk, prover.SetupDevUnsafe, "", f.outer.prove(t, st), st, false)
	if err != nil {
		t.Fatal(err)
	}
	f.ab = reparseAgg(t, ab)
	return f
}

// reparseAgg round-trips an aggregated bundle through its encoding.
func reparseAgg(t *testing.T, ab *verifier.AggregatedBundle) *verifier.AggregatedBundle {
	t.Helper()
	data, err := ab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := verifier.ParseAggregated(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data[:min(len(data), 2000)])
	}
	return out
}

func TestAggregatedVerify(t *testing.T) {
	f := newAggFixture(t)
	res, err := verifier.VerifyAggregated(f.ab, f.outer.vk, f.keys.ShardsCommitment, nil, "", f.ab.Sharded)
	if err != nil {
		t.Fatal(err)
	}
	if res.Shards != nil {
		t.Error("without a keys manifest the shards were reported checked")
	}
	res, err = verifier.VerifyAggregated(f.ab, f.outer.vk, f.keys.ShardsCommitment, f.keys, "keys", f.ab.Sharded)
	if err != nil {
		t.Fatal(err)
	}
	if res.Shards == nil || len(res.Shards.Shards) != 3 || !res.Shards.Pinned || res.ShardsCommitment != f.keys.ShardsCommitment {
		t.Fatalf("both levels: %+v", res)
	}
	// Detached: the shard bundles named by digest, given separately.
	st := statementOf(t, f.sb)
	det, err := verifier.NewAggregated(f.sb, f.keys, f.ab.OuterCircuit, f.outer.vk, prover.SetupDevUnsafe, "", f.outer.prove(t, st), st, true)
	if err != nil {
		t.Fatal(err)
	}
	det = reparseAgg(t, det)
	if det.Sharded != nil {
		t.Fatal("detached bundle carries the sharded bundle")
	}
	for i := range det.Shards {
		if det.Shards[i] != f.ab.Shards[i] {
			t.Errorf("shard %d named %+v detached, %+v inline", i, det.Shards[i], f.ab.Shards[i])
		}
	}
	if res, err := verifier.VerifyAggregated(det, f.outer.vk, "", f.keys, "keys", clone(t, f.sb)); err != nil || res.Shards == nil {
		t.Fatalf("detached with the sharded bundle given: %v", err)
	}
}

func TestAggregatedRejects(t *testing.T) {
	f := newAggFixture(t)
	foreign := newOuterKeys(t)
	var e fr.Element
	e.SetUint64(12345)
	otherSC := quant.FormatCommitment(e)
	otherKeys := *f.keys
	otherKeys.ShardsCommitment = otherSC
	evm := f.sm.prove(t, f.sm.input(t, 3)) // Keccak shard proofs
	anotherInput := f.sm.proveAggregatable(t, f.sm.input(t, 4))

	type args struct {
		ab         *verifier.AggregatedBundle
		vk         prover.VerifyingKey
		commitment string
		keys       *prover.KeysManifest
		sb         *verifier.ShardedBundle
	}
	for _, c := range []struct {
		name   string
		mutate func(*args)
		want   error
		msg    string
	}{
		{"foreign outer key", func(a *args) { a.vk = foreign.vk }, verifier.ErrOuterKey, "names outer key"},
		{"proof under a foreign key, relabelled", func(a *args) {
			st := statementOf(t, f.sb)
			p := reparseAgg(t, mustAggregate(t, f, foreign, st))
			p.OuterVKDigest = a.ab.OuterVKDigest
			a.ab = p
		}, verifier.ErrRejected, "aggregated proof"},
		{"no outer key", func(a *args) { a.vk = nil }, verifier.ErrUnpinned, ""},
		{"wrong shards commitment", func(a *args) {
			a.ab.ShardsCommitment = otherSC
			a.commitment, a.keys = "", nil
		}, verifier.ErrShardsCommitment, "third public input"},
		{"wrong shards commitment, public input too", func(a *args) {
			a.ab.ShardsCommitment = otherSC
			a.ab.PublicInputs[2] = "0x" + strings.TrimPrefix(a.ab.ShardsCommitment, quant.CommitmentPrefix+"0x")
			a.commitment = ""
		}, verifier.ErrRejected, ""},
		{"pinned key of other shards", func(a *args) { a.commitment = otherSC }, verifier.ErrShardsCommitment, "pinned outer key"},
		{"keys manifest of another model", func(a *args) { a.keys = &otherKeys }, verifier.ErrShardsCommitment, "keys manifest pins"},
		{"output changed", func(a *args) { a.ab.Output.Values[0] ^= 1 }, verifier.ErrRejected, "output"},
		{"outer proof of another statement", func(a *args) {
			st := statementOf(t, f.sb)
			st[0].SetUint64(5)
			a.ab.Proof = reparseAgg(t, mustAggregate(t, f, f.outer, st)).Proof
		}, verifier.ErrRejected, "aggregated proof"},
		{"shard bundles swapped", func(a *args) {
			a.sb.Shards[0].Bundle, a.sb.Shards[1].Bundle = a.sb.Shards[1].Bundle, a.sb.Shards[0].Bundle
		}, verifier.ErrShardBundle, "position 0 holds"},
		{"shards reordered", func(a *args) {
			a.sb.Shards[1], a.sb.Shards[2] = a.sb.Shards[2], a.sb.Shards[1]
		}, verifier.ErrShardBundle, "which the aggregated proof names at position 2"},
		{"shard dropped", func(a *args) { a.sb.Shards = a.sb.Shards[:2]; a.sb.NShards = 2 }, verifier.ErrShardBundle, ""},
		{"shard of another inference", func(a *args) { a.sb.Shards[1] = anotherInput.Shards[1] }, verifier.ErrShardBundle, "position 1 holds"},
		{"shards of another sharding", func(a *args) { a.sb.ShardsCommitment = otherSC }, verifier.ErrShardBundle, "sharded as"},
		{"shard proofs for the EVM", func(a *args) { a.sb = clone(t, evm) }, verifier.ErrShardBundle, "prove --aggregatable"},
		{"inner proof tampered", func(a *args) { a.sb.Shards[2].Bundle.Proof[40] ^= 1 }, verifier.ErrShardBundle, "position 2"},
		{"inner proof of another inference, digest renamed", func(a *args) {
			a.sb.Shards[2].Bundle.Proof = anotherInput.Shards[2].Bundle.Proof
			d, err := verifier.ShardBundleDigest(a.sb.Shards[2].Bundle)
			if err != nil {
				t.Fatal(err)
			}
			a.ab.Shards[2].BundleSHA256 = d
		}, verifier.ErrRejected, "shard level"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ab := reparseAgg(t, f.ab)
			a := &args{ab: ab, vk: f.outer.vk, commitment: f.keys.ShardsCommitment, keys: f.keys, sb: ab.Sharded}
			c.mutate(a)
			_, err := verifier.VerifyAggregated(a.ab, a.vk, a.commitment, a.keys, "keys", a.sb)
			if !errors.Is(err, c.want) || !strings.Contains(fmtErr(err), c.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, c.want, c.msg)
			}
		})
	}
}

func mustAggregate(t *testing.T, f *aggFixture, o *outerKeys, st [3]fr.Element) *verifier.AggregatedBundle {
	t.Helper()
	ab, err := verifier.NewAggregated(f.sb, f.keys, f.ab.OuterCircuit, o.vk, prover.SetupDevUnsafe, "", o.prove(t, st), st, false)
	if err != nil {
		t.Fatal(err)
	}
	return ab
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseAggregatedRejects(t *testing.T) {
	f := newAggFixture(t)
	data, err := f.ab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	good := string(data)
	zero := "0x" + strings.Repeat("0", 64)
	for name, c := range map[string]struct {
		data string
		want error
	}{
		"newer version":         {strings.Replace(good, "aggregated-bundle.v1", "aggregated-bundle.v2", 1), verifier.ErrUnsupportedVersion},
		"sharded bundle":        {`{"media_type": "` + verifier.ShardedMediaType + `"}`, verifier.ErrUnsupportedVersion},
		"unknown field":         {strings.Replace(good, `"n_layer"`, `"extra": 1, "n_layer"`, 1), verifier.ErrBundle},
		"duplicate field":       {strings.Replace(good, `"n_layer": 3,`, `"n_layer": 3, "n_layer": 3,`, 1), verifier.ErrBundle},
		"plonk":                 {strings.Replace(good, `"backend": "groth16"`, `"backend": "plonk"`, 1), verifier.ErrBundle},
		"too many shards":       {strings.Replace(good, `"n_shards": 3`, `"n_shards": 4`, 1), verifier.ErrBundle},
		"absurd shard count":    {strings.Replace(good, `"n_shards": 3`, `"n_shards": 1000000000`, 1), verifier.ErrBundle},
		"bad outer digest":      {strings.Replace(good, f.ab.OuterVKDigest, "sha256:xyz", 1), verifier.ErrBundle},
		"bad shard digest":      {strings.Replace(good, f.ab.Shards[1].BundleSHA256, "md5:00", 1), verifier.ErrBundle},
		"bad shards commitment": {strings.Replace(good, `"shards_commitment": "poseidon2:0x`, `"shards_commitment": "poseidon2:0xzz`, 1), verifier.ErrBundle},
		"carried bundle broken": {strings.Replace(good, verifier.ShardedMediaType, "application/x-other", 1), verifier.ErrUnsupportedVersion},
		"too large":             {good + strings.Repeat(" ", verifier.MaxBundleSize), verifier.ErrBundle},
	} {
		_, err := verifier.ParseAggregated([]byte(c.data))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Public inputs: exactly three field elements.
	ab := reparseAgg(t, f.ab)
	for _, pi := range [][]string{ab.PublicInputs[:2], append(ab.PublicInputs, zero), {zero, zero, "0x" + strings.Repeat("f", 64)}} {
		c := *ab
		c.PublicInputs = pi
		data, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.ParseAggregated(data); !errors.Is(err, verifier.ErrBundle) {
			t.Errorf("public inputs %v: %v, want ErrBundle", pi, err)
		}
	}
}

func FuzzParseAggregated(f *testing.F) {
	f.Add([]byte(`{"media_type": "` + verifier.AggregatedMediaType + `"}`))
	f.Add([]byte(`{"media_type": "` + verifier.AggregatedMediaType + `", "backend": "groth16", "curve": "bn254", "n_layer": 2, "n_shards": 2, "visibility": {"input": "hashed", "output": "hashed", "weights": "fixed"}, "shards": [{}, {}], "public_inputs": ["0x01", "0x02", "0x03"], "proof": "AAAA", "sharded_bundle": {"media_type": "` + verifier.ShardedMediaType + `"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ab, err := verifier.ParseAggregated(data)
		if err != nil {
			return
		}
		enc, err := ab.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.ParseAggregated(enc); err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v", err)
		}
	})
}
