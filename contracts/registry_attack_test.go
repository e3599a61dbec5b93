package contracts

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/zkinfer/zkinfer/prover"
)

// attackSource holds the attackers' contracts of issue 13, compiled with the
// pinned solc in the tests.
const attackSource = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Accepts every call: the registry's Groth16 path reads a successful call as
/// an accepted proof.
contract AcceptAll {
    fallback() external {}
}

/// gnark's PLONK interface, answering true to everything.
contract PlonkYes {
    function Verify(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}

/// Rejects every proof; anyone can remove it, which EIP-6780 allows only in
/// the transaction that created it.
contract Honest {
    function kill() external {
        selfdestruct(payable(msg.sender));
    }

    fallback() external {
        revert("rejected");
    }
}

/// Deploys whatever runtime code its factory holds: one CREATE2 address, new
/// code each time the old code is gone.
contract Metamorphic {
    constructor() {
        bytes memory code = Factory(msg.sender).nextCode();
        assembly {
            return(add(code, 0x20), mload(code))
        }
    }
}

contract Factory {
    bytes public nextCode;

    function target() public view returns (address) {
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), bytes32(0), keccak256(type(Metamorphic).creationCode)));
        return address(uint160(uint256(h)));
    }

    /// In one transaction: deploy honest code at target(), register it
    /// (registerCall is the registry calldata), and remove it again.
    function deployRegisterRemove(address registry, bytes calldata registerCall) external {
        nextCode = type(Honest).runtimeCode;
        address v = address(new Metamorphic{salt: 0}());
        (bool ok, bytes memory ret) = registry.call(registerCall);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        Honest(v).kill();
    }

    /// Puts code that accepts everything where the honest code was.
    function redeployAcceptAll() external {
        nextCode = type(AcceptAll).runtimeCode;
        new Metamorphic{salt: 0}();
    }
}
`

// attackContracts compiles attackSource once per call.
func attackContracts(t *testing.T, ctx context.Context, names ...string) map[string]*Compiled {
	t.Helper()
	out := make(map[string]*Compiled, len(names))
	for _, name := range names {
		comp, err := Compile(ctx, []byte(attackSource), name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = comp
	}
	return out
}

// withAccount returns a view of c that signs with a fresh account, funded
// from c's. Never Close it: it shares c's backend.
func withAccount(t *testing.T, ctx context.Context, c *Chain) *Chain {
	t.Helper()
	key := mustKey(t)
	to := crypto.PubkeyToAddress(key.PublicKey)
	c.mu.Lock()
	defer c.mu.Unlock()
	nonce, err := c.client.PendingNonceAt(ctx, c.from)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := c.client.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := types.SignNewTx(c.key, types.LatestSignerForChainID(c.chainID), &types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2))),
		Gas: 21_000, To: &to, Value: new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.client.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if c.sim != nil {
		c.sim.Commit()
	}
	if _, err := c.waitReceipt(ctx, tx.Hash()); err != nil {
		t.Fatal(err)
	}
	return &Chain{sim: c.sim, client: c.client, key: key, from: to, chainID: c.chainID, name: c.name}
}

// transactABI packs method of comp's ABI and sends it to addr from c.
func transactABI(t *testing.T, ctx context.Context, c *Chain, comp *Compiled, addr common.Address, method string, args ...any) (*types.Receipt, error) {
	t.Helper()
	parsed, err := abi.JSON(strings.NewReader(comp.ABI))
	if err != nil {
		t.Fatal(err)
	}
	data, err := parsed.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	return c.transact(ctx, method, addr, data)
}

func wantRevertName(t *testing.T, err error, name string) {
	t.Helper()
	if got := RevertName(err); got != name {
		t.Fatalf("got error %v (custom error %q), want a revert with %s", err, got, name)
	}
}

func TestRegistryAttacks(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	chain, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	testRegistryAttacks(t, ctx, chain)
}

// testRegistryAttacks plays the attacks of issue 13 (trust anchors) against
// the registry on chain. Each subtest names the attack; on the v1 registry
// (before code-hash pinning, key digests, attestations and retired ids) each
// of them succeeds.
func testRegistryAttacks(t *testing.T, ctx context.Context, owner *Chain) {
	const n = 3
	a := newGroth16Fixture(t, ctx, newMultiCS(t, n), n)
	fakes := attackContracts(t, ctx, "AcceptAll", "PlonkYes", "Factory")
	auditor := withAccount(t, ctx, owner)
	attacker := withAccount(t, ctx, owner)

	verifier, err := owner.DeployReceipt(ctx, a.comp)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := owner.DeployRegistry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	registry := reg.ContractAddress
	commitment := common.BigToHash(a.inputs[n-1])
	idA, rcpt, err := owner.RegisterModel(ctx, registry, ModelRegistration{
		Commitment: commitment, Verifier: verifier.ContractAddress, Backend: BackendGroth16, PublicInputs: n, VKDigest: a.digest,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Anything with the victim's commitment as last input passes the
	// registry's commitment check; a fake verifier accepts it.
	garbage := []byte{0xde, 0xad}

	t.Run("vk digest and code hash recorded and emitted", func(t *testing.T) {
		var ev *struct{ codeHash, vkDigest common.Hash }
		for _, l := range rcpt.Logs {
			if e, err := registryBinding.UnpackModelRegisteredEvent(l); err == nil {
				ev = &struct{ codeHash, vkDigest common.Hash }{e.CodeHash, e.VkDigest}
			}
		}
		code, err := owner.client.CodeAt(ctx, verifier.ContractAddress, nil)
		if err != nil {
			t.Fatal(err)
		}
		codeHash := crypto.Keccak256Hash(code)
		if ev == nil || ev.vkDigest != a.digest || ev.codeHash != codeHash {
			t.Fatalf("ModelRegistered carries %+v, want vk digest %x and code hash %x", ev, a.digest, codeHash)
		}
		m, err := owner.Model(ctx, registry, idA)
		if err != nil {
			t.Fatal(err)
		}
		if m.CodeHash != codeHash || m.VkDigest != a.digest {
			t.Fatalf("model: code hash %x, vk digest %x; want %x, %x", m.CodeHash, m.VkDigest, codeHash, a.digest)
		}
		s, err := prover.VerifyingKeyDigest(a.vk, prover.Layout{})
		if err != nil || FormatVKDigest(a.digest) != s {
			t.Fatalf("VKDigest = %x, want prover.VerifyingKeyDigest %s (%v)", a.digest, s, err)
		}
		ev2, _, err := owner.VerifyInference(ctx, registry, idA, a.proof, a.inputs)
		if err != nil || ev2.VkDigest != a.digest {
			t.Fatalf("InferenceVerified: %+v, %v; want vk digest %x", ev2, err, a.digest)
		}
	})

	t.Run("squatting a commitment with a fake verifier", func(t *testing.T) {
		if registryBinding.GetABI().Events["InferenceVerified"].Inputs[2].Indexed {
			t.Fatal("InferenceVerified's commitment is an indexed topic: relying parties are invited to filter on it")
		}
		gas, err := auditorAttests(ctx, auditor, registry, idA, a.digest)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("attest gas %d", gas)
		for _, fake := range []struct {
			name    string
			backend Backend
		}{{"AcceptAll", BackendGroth16}, {"PlonkYes", BackendPlonk}} {
			t.Run(fake.name, func(t *testing.T) {
				addr, _, err := attacker.Deploy(ctx, fakes[fake.name])
				if err != nil {
					t.Fatal(err)
				}
				// Registration is permissionless: the squat itself succeeds,
				// and so does a "verification" without a proof.
				idX, _, err := attacker.RegisterModel(ctx, registry, ModelRegistration{
					Commitment: commitment, Verifier: addr, Backend: fake.backend, PublicInputs: n, VKDigest: a.digest,
				})
				if err != nil {
					t.Fatal(err)
				}
				evX, rcptX, err := attacker.VerifyInference(ctx, registry, idX, garbage, a.inputs)
				if err != nil {
					t.Fatalf("the fake verifier should accept anything: %v", err)
				}
				if evX.Commitment != commitment {
					t.Fatalf("fake event for commitment %x", evX.Commitment)
				}
				// A relying party keyed on the model id of the registrant it
				// trusts never sees the squatter's event.
				trusted := ModelID(owner.From(), commitment, verifier.ContractAddress)
				if trusted != idA || evX.ModelId == trusted {
					t.Fatalf("trusted id %x, honest id %x, squatter's id %x", trusted, idA, evX.ModelId)
				}
				evs, err := owner.InferenceEvents(ctx, registry, trusted, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					if ev.Raw.TxHash == rcptX.TxHash || ev.ModelId != trusted {
						t.Fatalf("the squatter's event is among the trusted model's: %+v", ev)
					}
				}
				// A relying contract that trusts the auditor: the squatter's
				// model has no attestation; the honest one does.
				_, _, err = attacker.VerifyInferenceAttested(ctx, registry, idX, garbage, a.inputs, []common.Address{auditor.From()})
				wantRevertName(t, err, "NotAttested")
				if _, _, err := attacker.VerifyInferenceAttested(ctx, registry, idA, a.proof, a.inputs, []common.Address{auditor.From()}); err != nil {
					t.Fatalf("attested honest model: %v", err)
				}
				// Attesting oneself proves nothing to a party that does not
				// trust the attacker, and the attestation is for the digest
				// the attacker claimed, which is not the fake's key.
				if ok, err := owner.IsAttested(ctx, registry, idX, auditor.From()); err != nil || ok {
					t.Fatalf("isAttested(squatter, auditor) = %v, %v", ok, err)
				}
			})
		}
	})

	t.Run("attestations", func(t *testing.T) {
		_, plain, err := owner.VerifyInference(ctx, registry, idA, a.proof, a.inputs)
		if err != nil {
			t.Fatal(err)
		}
		_, attested, err := owner.VerifyInferenceAttested(ctx, registry, idA, a.proof, a.inputs, []common.Address{auditor.From()})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("verifyInference gas %d, verifyInferenceAttested with 1 auditor %d", plain.GasUsed, attested.GasUsed)
		_, _, err = owner.VerifyInferenceAttested(ctx, registry, idA, a.proof, a.inputs, nil)
		wantRevertName(t, err, "NoAuditors")
		// An auditor attests the key it checked, never another.
		_, err = attacker.Attest(ctx, registry, idA, common.Hash{1})
		wantRevertName(t, err, "VkDigestMismatch")
		other := attacker.From()
		_, _, err = owner.VerifyInferenceAttested(ctx, registry, idA, a.proof, a.inputs, []common.Address{auditor.From(), other})
		wantRevertName(t, err, "NotAttested")
		if _, err := auditor.RevokeAttestation(ctx, registry, idA); err != nil {
			t.Fatal(err)
		}
		if ok, err := owner.IsAttested(ctx, registry, idA, auditor.From()); err != nil || ok {
			t.Fatalf("isAttested after revocation = %v, %v", ok, err)
		}
		_, _, err = owner.VerifyInferenceAttested(ctx, registry, idA, a.proof, a.inputs, []common.Address{auditor.From()})
		wantRevertName(t, err, "NotAttested")
		_, err = auditor.Attest(ctx, registry, common.Hash{7}, a.digest)
		wantRevertName(t, err, "UnknownModel")
	})

	t.Run("replay names the submitter", func(t *testing.T) {
		// Anyone can resubmit a valid proof; the event names whoever did.
		ev, _, err := attacker.VerifyInference(ctx, registry, idA, a.proof, a.inputs)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Caller != attacker.From() {
			t.Fatalf("caller %s, want the replayer %s", ev.Caller, attacker.From())
		}
	})

	t.Run("deregistered id cannot be taken back", func(t *testing.T) {
		sold := ModelRegistration{
			Commitment: common.Hash{0x50, 0x1d}, Verifier: verifier.ContractAddress, Backend: BackendGroth16, PublicInputs: n, VKDigest: a.digest, MetadataURI: "ipfs://sold",
		}
		id, _, err := owner.RegisterModel(ctx, registry, sold)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auditorAttests(ctx, auditor, registry, id, a.digest); err != nil {
			t.Fatal(err)
		}
		buyer := attacker
		if _, err := owner.TransferModelOwnership(ctx, registry, id, buyer.From()); err != nil {
			t.Fatal(err)
		}
		if _, err := buyer.DeregisterModel(ctx, registry, id); err != nil {
			t.Fatal(err)
		}
		if ok, err := owner.IsAttested(ctx, registry, id, auditor.From()); err != nil || ok {
			t.Fatalf("isAttested of a deregistered model = %v, %v", ok, err)
		}
		// The previous owner re-registers the same (commitment, verifier):
		// the id is its own again by construction, but retired for good, so
		// neither the registration nor its old attestations come back.
		_, _, err = owner.RegisterModel(ctx, registry, sold)
		wantRevertName(t, err, "ModelRetired")
		_, err = owner.Model(ctx, registry, id)
		wantRevertName(t, err, "ModelRetired")
		_, _, err = owner.VerifyInferenceAttested(ctx, registry, id, a.proof, a.inputs, []common.Address{auditor.From()})
		wantRevertName(t, err, "ModelRetired")
		_, _, err = owner.VerifyInference(ctx, registry, id, a.proof, a.inputs)
		wantRevertName(t, err, "ModelRetired")
	})

	t.Run("verifier code swapped after registration", func(t *testing.T) {
		// A metamorphic verifier: honest code when registered (and
		// audited), removed in the same transaction, then code that accepts
		// everything at the same address.
		factory, target := newMetamorphicFactory(t, ctx, attacker, fakes["Factory"])
		registerCall, err := registryBinding.TryPackRegister(commitment, target, uint8(BackendGroth16), n, a.digest, "")
		if err != nil {
			t.Fatal(err)
		}
		rcpt, err := transactABI(t, ctx, attacker, fakes["Factory"], factory, "deployRegisterRemove", registry, registerCall)
		if err != nil {
			t.Fatal(err)
		}
		id := ModelID(factory, commitment, target)
		var registered common.Hash
		for _, l := range rcpt.Logs {
			if ev, err := registryBinding.UnpackModelRegisteredEvent(l); err == nil && ev.ModelId == id {
				registered = ev.CodeHash
			}
		}
		if registered == (common.Hash{}) {
			t.Fatal("no ModelRegistered event for the metamorphic verifier")
		}
		if code, err := attacker.client.CodeAt(ctx, target, nil); err != nil || len(code) != 0 {
			t.Fatalf("the honest code is still there (%d bytes, %v): EIP-6780 semantics changed?", len(code), err)
		}
		_, _, err = attacker.VerifyInference(ctx, registry, id, garbage, a.inputs)
		wantRevertName(t, err, "VerifierCodeChanged")

		if _, err := transactABI(t, ctx, attacker, fakes["Factory"], factory, "redeployAcceptAll"); err != nil {
			t.Fatal(err)
		}
		code, err := attacker.client.CodeAt(ctx, target, nil)
		if err != nil || len(code) == 0 {
			t.Fatalf("no code at the metamorphic address after redeploying: %v", err)
		}
		if crypto.Keccak256Hash(code) == registered {
			t.Fatal("the redeployed code has the registered hash")
		}
		_, _, err = attacker.VerifyInference(ctx, registry, id, garbage, a.inputs)
		wantRevertName(t, err, "VerifierCodeChanged")
		var rerr *RevertError
		if !errors.As(err, &rerr) || !bytes.Contains(rerr.Data, registered.Bytes()) {
			t.Fatalf("revert %v does not name the registered code hash %x", err, registered)
		}
	})

	t.Run("shard verifier code swapped after registration", func(t *testing.T) {
		// The same metamorphic attack on one shard of a sharded model: shard
		// 0 is the honest verifier with a real proof, shard 1's verifier is
		// registered with honest code that is then removed and replaced by
		// code that accepts everything.
		factory, target := newMetamorphicFactory(t, ctx, attacker, fakes["Factory"])
		const meta = 1
		shards := []ShardSpec{
			{Verifier: verifier.ContractAddress, Backend: uint8(BackendGroth16), PublicInputs: n, Commitment: commitment, VkDigest: a.digest},
			{Verifier: target, Backend: uint8(BackendGroth16), PublicInputs: n, Commitment: common.Hash{0x5a}, VkDigest: a.digest},
		}
		shardsCommitment := common.Hash{0x5c}
		registerCall, err := registryBinding.TryPackRegisterSharded(shardsCommitment, shards, "")
		if err != nil {
			t.Fatal(err)
		}
		rcpt, err := transactABI(t, ctx, attacker, fakes["Factory"], factory, "deployRegisterRemove", registry, registerCall)
		if err != nil {
			t.Fatal(err)
		}
		id := ShardedModelID(factory, shardsCommitment, []common.Address{verifier.ContractAddress, target})
		var registered common.Hash
		for _, l := range rcpt.Logs {
			if ev, err := registryBinding.UnpackShardedModelRegisteredEvent(l); err == nil && ev.ModelId == id && len(ev.CodeHashes) == 2 {
				registered = ev.CodeHashes[meta]
			}
		}
		if registered == (common.Hash{}) {
			t.Fatal("no ShardedModelRegistered event for the metamorphic shard verifier")
		}
		if code, err := attacker.client.CodeAt(ctx, target, nil); err != nil || len(code) != 0 {
			t.Fatalf("the honest code is still there (%d bytes, %v): EIP-6780 semantics changed?", len(code), err)
		}
		// Shard 0's real proof, and shard 1 inputs that chain on to it and
		// end in shard 1's registered commitment: every check before the
		// code hash passes, and shard 0's verifier accepts.
		proofs := [][]byte{a.proof, garbage}
		inputs := [][]*big.Int{a.inputs, {a.inputs[n-2], big.NewInt(0), new(big.Int).SetBytes(shards[meta].Commitment[:])}}
		wantShard := func(err error) {
			t.Helper()
			wantRevertName(t, err, "ShardVerifierCodeChanged")
			if !strings.Contains(err.Error(), "shard=1,") {
				t.Fatalf("revert %v does not name shard %d", err, meta)
			}
			var rerr *RevertError
			if !errors.As(err, &rerr) || !bytes.Contains(rerr.Data, registered.Bytes()) {
				t.Fatalf("revert %v does not name the registered code hash %x", err, registered)
			}
		}
		_, _, err = attacker.VerifyShardedInference(ctx, registry, id, proofs, inputs)
		wantShard(err)

		if _, err := transactABI(t, ctx, attacker, fakes["Factory"], factory, "redeployAcceptAll"); err != nil {
			t.Fatal(err)
		}
		code, err := attacker.client.CodeAt(ctx, target, nil)
		if err != nil || len(code) == 0 {
			t.Fatalf("no code at the metamorphic address after redeploying: %v", err)
		}
		if crypto.Keccak256Hash(code) == registered {
			t.Fatal("the redeployed code has the registered hash")
		}
		// The accept-all code would take any proof of shard 1.
		ok, err := attacker.call(ctx, "accept-all", target, nil)
		if err != nil || len(ok) != 0 {
			t.Fatalf("accept-all call: %x, %v", ok, err)
		}
		_, _, err = attacker.VerifyShardedInference(ctx, registry, id, proofs, inputs)
		wantShard(err)
	})
}

func auditorAttests(ctx context.Context, auditor *Chain, registry common.Address, id, digest common.Hash) (uint64, error) {
	rcpt, err := auditor.Attest(ctx, registry, id, digest)
	if err != nil {
		return 0, err
	}
	ok, err := auditor.IsAttested(ctx, registry, id, auditor.From())
	if err == nil && !ok {
		err = errors.New("isAttested is false right after attest")
	}
	return rcpt.GasUsed, err
}

// newMetamorphicFactory deploys a Factory (attackContracts) and returns it,
// and the address where it will create the metamorphic verifier.
func newMetamorphicFactory(t *testing.T, ctx context.Context, attacker *Chain, comp *Compiled) (common.Address, common.Address) {
	t.Helper()
	factory, _, err := attacker.Deploy(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := abi.JSON(strings.NewReader(comp.ABI))
	if err != nil {
		t.Fatal(err)
	}
	out, err := attacker.call(ctx, "target", factory, parsed.Methods["target"].ID)
	if err != nil {
		t.Fatal(err)
	}
	return factory, common.BytesToAddress(out)
}
