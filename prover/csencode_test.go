package prover

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
)

// TestStreamedSystemSameBytes: streamedSystem writes gnark's encoding of
// the system byte for byte (R1CS and SCS; a lookup circuit and a small gpt2
// block with the log checker's batch inversions and commitments), reports
// its length, and the bytes decode to a system that encodes the same again.
func TestStreamedSystemSameBytes(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 1,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	m := graphtest.Quantized(t, quant.RandomModel(cfg, 3), quant.RandomSamples(cfg, 4, 3))
	for _, backend := range Backends {
		lookup, err := frontend.Compile(ecc.BN254.ScalarField(), builderOf(backend), &lookupTestCircuit{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compile(m, nil, WithBackend(backend))
		if err != nil {
			t.Fatal(err)
		}
		for name, ccs := range map[string]constraint.ConstraintSystem{"lookup": lookup, "gpt2": c.CS} {
			if _, _, _, ok, err := (streamedSystem{ccs}).split(); !ok || err != nil {
				t.Fatalf("%s %s: gnark's encoding does not have the layout streamedSystem streams (%v)", backend, name, err)
			}
			var want, got bytes.Buffer
			nWant, err := ccs.WriteTo(&want)
			if err != nil {
				t.Fatal(err)
			}
			nGot, err := streamedSystem{ccs}.WriteTo(&got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) || nGot != nWant || nGot != int64(got.Len()) {
				t.Fatalf("%s %s: streamed %d bytes (reported %d), gnark %d (reported %d), equal %v",
					backend, name, got.Len(), nGot, want.Len(), nWant, bytes.Equal(got.Bytes(), want.Bytes()))
			}
			if name == "gpt2" {
				d, err := digestOf(streamedSystem{ccs})
				if err != nil || d != c.Header.CircuitDigest {
					t.Fatalf("%s: digest %s, header %s (%v)", backend, d, c.Header.CircuitDigest, err)
				}
				hasBatch := false
				for _, bp := range ccs.(*cs.R1CS).Blueprints {
					switch bp.(type) {
					case *constraint.BlueprintBatchInverse[constraint.U32], *constraint.BlueprintBatchInverse[constraint.U64]:
						hasBatch = true
					}
				}
				if backend == BackendGroth16 && !hasBatch {
					t.Errorf("%s: the gpt2 system has no batch inversion", backend)
				}
			}
			back, err := newCS(backend)
			if err != nil {
				t.Fatal(err)
			}
			if err := Decode(back, got.Bytes()); err != nil {
				t.Fatalf("%s %s: %v", backend, name, err)
			}
			var again bytes.Buffer
			if _, err := (streamedSystem{back}).WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), want.Bytes()) {
				t.Fatalf("%s %s: decoded system encodes differently (%v)", backend, name, err)
			}
		}
	}
}

func TestUvarintLen(t *testing.T) {
	var b [binary.MaxVarintLen64]byte
	for _, v := range []uint32{0, 1, 1<<7 - 1, 1 << 7, 1<<14 - 1, 1 << 14, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28, 1<<32 - 1} {
		if got, want := uvarintLen(v), binary.PutUvarint(b[:], uint64(v)); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", v, got, want)
		}
	}
}
