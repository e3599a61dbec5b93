package verifier_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// Attacks on aggregated bundles by a prover who controls every byte of the
// aggregated bundle and of the shard bundles (attack4 review). Each case
// encodes the altered bundle, parses it back as a verifier would read it and
// verifies it on both levels (pinned outer key, keys manifest, shard
// bundles) and on the outer level only: a rejection at either step passes.
func TestAggregatedAttacks(t *testing.T) {
	f := newAggFixture(t)
	evm := f.sm.prove(t, f.sm.input(t, 3)) // Keccak shard proofs of the same input
	otherRun := f.sm.proveAggregatable(t, f.sm.input(t, 5))
	for _, c := range []struct {
		name   string
		mutate func(t *testing.T, ab *verifier.AggregatedBundle)
		// outerToo: the outer-only verification must reject as well (the
		// attack touches what the outer level alone can see).
		outerToo bool
	}{
		{"output shown as private with forged values", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Output.Encoding = verifier.EncodingSaltedInt8
			ab.Output.Commitment = ab.PublicInputs[1]
			for i := range ab.Output.Values {
				ab.Output.Values[i] = 7
			}
		}, true},
		{"input shown as private with forged values", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Input.Encoding = verifier.EncodingSaltedInt8
			ab.Input.Commitment = ab.PublicInputs[0]
		}, true},
		{"output shape does not fit its values", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Output.Shape = []int{1, 1}
		}, true},
		{"output fraction changed", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Output.Frac += 3
		}, false},
		{"output shape transposed", func(t *testing.T, ab *verifier.AggregatedBundle) {
			s := ab.Output.Shape
			ab.Output.Shape = []int{s[1], s[0]}
		}, false},
		{"output renamed", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Output.Name = "logits"
		}, false},
		{"hashed output carrying a commitment", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Output.Commitment = ab.PublicInputs[0]
		}, true},
		{"output encoded as parts", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Output.Encoding = verifier.EncodingHashedParts
		}, true},
		{"shard key digests swapped", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Shards[0].VKDigest, ab.Shards[1].VKDigest = ab.Shards[1].VKDigest, ab.Shards[0].VKDigest
		}, false},
		{"shard entries reordered with their digests", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Shards[1], ab.Shards[2] = ab.Shards[2], ab.Shards[1]
		}, false},
		{"shards reordered, entries permuted consistently", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Sharded.Shards[1], ab.Sharded.Shards[2] = ab.Sharded.Shards[2], ab.Sharded.Shards[1]
			ab.Shards[1], ab.Shards[2] = ab.Shards[2], ab.Shards[1]
		}, false},
		{"inline shard bundle replaced, digest updated", func(t *testing.T, ab *verifier.AggregatedBundle) {
			other := clone(t, otherRun)
			ab.Sharded.Shards[2] = other.Shards[2]
			d, err := verifier.ShardBundleDigest(other.Shards[2].Bundle)
			if err != nil {
				t.Fatal(err)
			}
			ab.Shards[2].BundleSHA256 = d
		}, false},
		{"all shards of another run, digests and output updated", func(t *testing.T, ab *verifier.AggregatedBundle) {
			other := clone(t, otherRun)
			ab.Sharded = other
			for i, sh := range other.Shards {
				d, err := verifier.ShardBundleDigest(sh.Bundle)
				if err != nil {
					t.Fatal(err)
				}
				ab.Shards[i].BundleSHA256 = d
			}
			ab.Output = other.Shards[len(other.Shards)-1].Bundle.PublicInputs[1]
		}, true},
		{"keccak shard proofs labelled mimc, digests updated", func(t *testing.T, ab *verifier.AggregatedBundle) {
			sb := clone(t, evm)
			sb.ProofHash = prover.ProofHashMiMC
			for i, sh := range sb.Shards {
				d, err := verifier.ShardBundleDigest(sh.Bundle)
				if err != nil {
					t.Fatal(err)
				}
				ab.Shards[i].BundleSHA256 = d
			}
			ab.Sharded = sb
		}, false},
		{"mimc shard proofs labelled keccak", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Sharded.ProofHash = prover.ProofHashKeccak
		}, false},
		{"model commitment of another model", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.ModelCommitment = ab.ShardsCommitment
		}, false},
		{"visibility relabelled", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Visibility.Output = "private"
		}, false},
		{"output visibility relabelled private, tensor hashed", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Visibility.Output = quant.VisibilityPrivate
		}, true},
		{"input visibility relabelled public", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.Visibility.Input = quant.VisibilityPublic
		}, true},
		{"block count relabelled", func(t *testing.T, ab *verifier.AggregatedBundle) {
			ab.NLayer = 4
			ab.Shards[2].To = 4
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ab := reparseAgg(t, f.ab)
			c.mutate(t, ab)
			data, err := ab.Encode()
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := verifier.ParseAggregated(data)
			if err != nil {
				if !errors.Is(err, verifier.ErrBundle) && !errors.Is(err, verifier.ErrRejected) {
					t.Fatalf("parse: %v, want ErrBundle or ErrRejected", err)
				}
				return
			}
			if _, err := verifier.VerifyAggregated(parsed, f.outer.vk, f.keys.ShardsCommitment, f.keys, "keys", parsed.Sharded); err == nil {
				t.Fatal("the altered aggregated bundle verified on both levels")
			} else if !errors.Is(err, verifier.ErrRejected) && !errors.Is(err, verifier.ErrBundle) {
				t.Fatalf("both levels: %v, want ErrRejected or ErrBundle", err)
			}
			if c.outerToo {
				if _, err := verifier.VerifyAggregated(parsed, f.outer.vk, "", nil, "", nil); err == nil {
					t.Fatal("the altered aggregated bundle verified on the outer level")
				}
			}
		})
	}
}

// TestAggregatedDetachedAttacks: a bundle aggregated with --detach and the
// sharded bundle of another run given with --sharded.
func TestAggregatedDetachedAttacks(t *testing.T) {
	f := newAggFixture(t)
	st := statementOf(t, f.sb)
	det, err := verifier.NewAggregated(f.sb, f.keys, f.ab.OuterCircuit, f.outer.vk, prover.SetupDevUnsafe, "", f.outer.prove(t, st), st, true)
	if err != nil {
		t.Fatal(err)
	}
	det = reparseAgg(t, det)
	other := f.sm.proveAggregatable(t, f.sm.input(t, 6))
	if _, err := verifier.VerifyAggregated(det, f.outer.vk, "", f.keys, "keys", other); !errors.Is(err, verifier.ErrShardBundle) {
		t.Fatalf("sharded bundle of another run: %v, want ErrShardBundle", err)
	}
	// Its own sharded bundle with shard 0 swapped for another run's and
	// the digest in the aggregated bundle updated: the outer proof's input
	// is no longer the shards'.
	sb := clone(t, f.sb)
	sb.Shards[0] = other.Shards[0]
	d, err := verifier.ShardBundleDigest(sb.Shards[0].Bundle)
	if err != nil {
		t.Fatal(err)
	}
	det.Shards[0].BundleSHA256 = d
	if _, err := verifier.VerifyAggregated(det, f.outer.vk, "", f.keys, "keys", sb); err == nil {
		t.Fatal("a detached bundle verified with a shard of another run")
	}
}

// TestParseAggregatedHostile: hostile JSON is a clear ErrBundle, no panic,
// bounded work.
func TestParseAggregatedHostile(t *testing.T) {
	f := newAggFixture(t)
	data, err := f.ab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	good := string(data)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for name, s := range map[string]string{
		"deep nesting in an unknown field": strings.Replace(good, `"n_layer"`, `"x": `+deep+`, "n_layer"`, 1),
		"deep nesting as a value":          strings.Replace(good, `"warning": "`, `"x": "`, 1),
		"huge shard array":                 strings.Replace(good, `"shards": [`, `"shards": [`+strings.Repeat(`{"index": 0},`, 200000), 1),
		"huge output values":               strings.Replace(good, `"values": [`, `"values": [`+strings.Repeat(`0,`, 2<<20), 1),
		"number out of range":              strings.Replace(good, `"n_layer": 3`, `"n_layer": 1e400`, 1),
		"negative index":                   strings.Replace(good, `"index": 0`, `"index": -1`, 1),
		"public input not canonical":       strings.Replace(good, f.ab.PublicInputs[0], "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001", 1),
		"public input upper case":          strings.Replace(good, f.ab.PublicInputs[0], strings.ToUpper(f.ab.PublicInputs[0]), 1),
		"duplicate key in the sharded":     strings.Replace(good, `"proof_hash": "mimc"`, `"proof_hash": "mimc", "proof_hash": "keccak"`, 1),
		"case-folded key":                  strings.Replace(good, `"proof": "`, `"Proof": "`, 1),
		"proof garbage":                    strings.Replace(good, `"proof": "`, `"proof": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 1),
		"proof not base64":                 strings.Replace(good, `"proof": "`, `"proof": "!!`, 1),
		"value out of int8":                strings.Replace(good, `"values": [`, `"values": [300,`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			ab, err := verifier.ParseAggregated([]byte(s))
			if err != nil {
				if !errors.Is(err, verifier.ErrBundle) && !errors.Is(err, verifier.ErrUnsupportedVersion) && !errors.Is(err, verifier.ErrRejected) {
					t.Fatalf("parse: %v, want ErrBundle", err)
				}
				return
			}
			if _, err := verifier.VerifyAggregated(ab, f.outer.vk, f.keys.ShardsCommitment, f.keys, "keys", ab.Sharded); err == nil && s != good {
				t.Fatal("a hostile bundle verified")
			}
		})
	}
}

// TestAggregatedOuterHeader: the bundle's outer_circuit and shards
// commitment are the prover's word; the pinned outer key's header decides.
func TestAggregatedOuterHeader(t *testing.T) {
	f := newAggFixture(t)
	h := prover.Header{CircuitDigest: f.ab.OuterCircuit, Commitment: f.ab.ShardsCommitment}
	if err := verifier.CheckOuterKeyHeader(f.ab, h); err != nil {
		t.Fatal(err)
	}
	ab := reparseAgg(t, f.ab)
	ab.OuterCircuit = "sha256:" + strings.Repeat("cd", 32) // relabelled: verify printed it as the pinned key's circuit
	if err := verifier.CheckOuterKeyHeader(ab, h); !errors.Is(err, verifier.ErrOuterKey) {
		t.Fatalf("relabelled outer circuit: %v, want ErrOuterKey", err)
	}
	ab = reparseAgg(t, f.ab)
	h.Commitment = f.keys.ModelCommitment
	if err := verifier.CheckOuterKeyHeader(ab, h); !errors.Is(err, verifier.ErrShardsCommitment) {
		t.Fatalf("header of other shards: %v, want ErrShardsCommitment", err)
	}
}
