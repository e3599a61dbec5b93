package contracts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// An offline verifier pinned to a registry entry it chose: the registered
// key's digest is the anchor, so a forgery is rejected under the honest
// host's entry. Under the forger's own entry (same commitment, its own key)
// it passes: the entry, that is the registrant, is what a verifier chooses
// to trust, never a commitment. Auditor attestations narrow that choice.
func TestRegistryAnchor(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const n = 3
	real := newGroth16Fixture(t, ctx, newMultiCS(t, n), n)
	var commitment fr.Element
	commitment.SetBigInt(real.inputs[n-1])
	forged, forgedVK := forgedBundle(t, commitment, []int64{1, 2, 3, 4}, []int64{42, -7})
	forged.Visibility = quant.DefaultVisibility

	host, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	honest, err := DeployModel(ctx, host, real.comp, ModelRegistration{Commitment: common.BigToHash(real.inputs[n-1]), Backend: BackendGroth16, PublicInputs: n, VKDigest: real.digest}, nil)
	if err != nil {
		t.Fatal(err)
	}
	forgedDigest, err := VKDigest(forgedVK, forged.Layout())
	if err != nil {
		t.Fatal(err)
	}
	forgedComp, err := Compile(ctx, mustSolidity(t, forgedVK), "Verifier")
	if err != nil {
		t.Fatal(err)
	}
	squat, err := DeployModel(ctx, host, forgedComp, ModelRegistration{Commitment: common.BigToHash(real.inputs[n-1]), Backend: BackendGroth16, PublicInputs: n, VKDigest: forgedDigest}, &honest.Registry)
	if err != nil {
		t.Fatal(err)
	}

	a, err := host.RegistryAnchor(ctx, honest.Registry, honest.ModelID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != AnchorRegistry || a.VKDigest != FormatVKDigest(real.digest) || a.Commitment != forged.ModelCommitment {
		t.Fatalf("anchor %+v", a)
	}
	if _, err := verifier.Verify(forged, a); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("forgery under the honest entry: %v, want ErrKeyMismatch", err)
	}
	sa, err := host.RegistryAnchor(ctx, honest.Registry, squat.ModelID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(forged, sa); err != nil {
		t.Fatalf("forgery under the forger's own entry: %v (the anchor is the entry chosen)", err)
	}
	// Requiring an auditor who attested only the honest entry.
	if _, err := host.Attest(ctx, honest.Registry, honest.ModelID, real.digest); err != nil {
		t.Fatal(err)
	}
	auditor := []common.Address{host.From()}
	if _, err := host.RegistryAnchor(ctx, honest.Registry, honest.ModelID, auditor); err != nil {
		t.Fatalf("attested entry: %v", err)
	}
	if _, err := host.RegistryAnchor(ctx, honest.Registry, squat.ModelID, auditor); !errors.Is(err, verifier.ErrUnpinned) {
		t.Fatalf("unattested entry: %v, want ErrUnpinned", err)
	}
	// A bundle of another model under the honest entry.
	other := *forged
	other.ModelCommitment = "poseidon2:0x" + "00000000000000000000000000000000000000000000000000000000000000aa"
	if _, err := verifier.Verify(&other, sa); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("another commitment: %v, want ErrKeyMismatch", err)
	}
}

func mustSolidity(t *testing.T, vk any) []byte {
	t.Helper()
	src, err := ExportSolidity(vk.(prover.VerifyingKey))
	if err != nil {
		t.Fatal(err)
	}
	return src
}
