package contracts

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// Two BSB22 commitments on chain.
//
// gnark v0.16.3's Solidity template (backend/groth16/bn254/solidity.go,
// Apache-2.0) derives every commitment's challenge (Keccak of the commitment
// point and its committed public wires, mod r) and adds every commitment to
// the public-input MSM, but its proof-of-knowledge check pairs only the first
// commitment with the first key: e(C₀, Gσ₀⁻)·e(PoK, G) = 1. gnark's Go
// verifier (verify.go, pedersen.BatchVerifyMultiVk) instead checks the one
// folded PoK the prover sends against all commitments:
//
//	ρ = fr.Hash(c₀ ‖ c₁, "G16-BSB22")          (expand_message_xmd, SHA-256, 48 bytes, mod r)
//	e(C₀, Gσ₀⁻) · e(ρ·C₁, Gσ₁⁻) · e(PoK, G) = 1
//
// where cᵢ is commitment i's challenge (32-byte big-endian). With the template
// as is, a contract for a two-commitment key rejects honest proofs (the
// folded PoK does not satisfy the one-commitment equation) and never checks
// the second commitment's PoK.
//
// multiCommitSolidity post-processes the template's output instead of forking
// the template: it adds the second key's Gσ⁻ constants and a function
// verifyCommitmentsPok that computes ρ on chain and runs the three-pair check,
// and it replaces the two one-commitment checks (verifyProof and
// verifyCompressedProof) with calls to it. Everything else — the challenge
// hashing, the MSM, the final pairing — is gnark's text, unchanged; each
// replaced block must occur exactly once, so a different gnark template
// fails here loudly rather than producing a half-patched contract. Keys with
// zero or one commitment never reach this code: their Verifier.sol is
// gnark's, byte for byte.
//
// Limits (refused with an error): more than two commitments (the template's
// MSM adds the commitment points with one ECADD call, which sums two points);
// commitment keys with different G (gnark's Go verifier refuses those too);
// a commitment that commits to another commitment's wire (the template reads
// it from past the public inputs), except the one case zkinfer needs: the
// second commitment committing to the first's wire alone, whose copy is
// replaced by the first challenge. zkinfer's committed-weights keys have two
// commitments, no committed public wires and a shared G; the second (the
// lookups') commits to the first's (the weights') wire when lookups query
// weights: always since the weights' range checks query them
// (circuits/graph, bindCommittedWeights).
func multiCommitSolidity(src []byte, vk *groth16bn254.VerifyingKey) ([]byte, error) {
	k := len(vk.CommitmentKeys)
	if k != 2 || len(vk.PublicAndCommitmentCommitted) != 2 {
		return nil, fmt.Errorf("%d commitments: the on-chain verifier supports at most two", k)
	}
	if vk.CommitmentKeys[1].G != vk.CommitmentKeys[0].G {
		return nil, errors.New("the commitment keys have different G (gnark's verifier refuses these too)")
	}
	nbPublic := len(vk.G1.K) - 1 - k
	// The second commitment may commit to the first's wire (wire
	// nbPublic+1) and nothing else: the lookup commitment of a circuit whose
	// lookups query weights (the weights' own range checks, embedding
	// tables) commits the weights' commitment wire in their place.
	chained := len(vk.PublicAndCommitmentCommitted[0]) == 0 && slices.Equal(vk.PublicAndCommitmentCommitted[1], []int{nbPublic + 1})
	for i, s := range vk.PublicAndCommitmentCommitted {
		for _, j := range s {
			if (j < 1 || j > nbPublic) && !chained {
				return nil, fmt.Errorf("commitment %d commits to wire %d, not a public input (1..%d) nor, alone, the first commitment's wire", i, j, nbPublic)
			}
		}
	}
	out := string(src)
	replaceN := func(what, old, new string, want int) error {
		if n := strings.Count(out, old); n != want {
			return fmt.Errorf("gnark's template changed: %s found %d times, want %d", what, n, want)
		}
		out = strings.ReplaceAll(out, old, new)
		return nil
	}
	replace := func(what, old, new string) error { return replaceN(what, old, new, 1) }

	if chained {
		// gnark's template copies a commitment's committed wires from the
		// public inputs (input[j-1]), which for the first commitment's
		// wire reads past them. The value is the first commitment's
		// challenge, computed just before (publicCommitments[0]): gnark's
		// Go verifier appends the challenges to the public witness and
		// reads it there. Once in verifyProof, once in verifyCompressedProof.
		old := fmt.Sprintf("calldatacopy(add(publicAndCommitmentCommittedOffset, 0), add(input, %d), 32)", 32*nbPublic)
		const new = "mstore(publicAndCommitmentCommittedOffset, mload(publicCommitments)) // zkinfer: the first commitment's challenge"
		if err := replaceN("the second commitment's committed-wire copy", old, new, 2); err != nil {
			return nil, err
		}
	}

	// verifyProof: the PoK sits after the two commitments in the proof bytes.
	const uncompressedOld = `        // Verify pedersen commitments
        bool success;
        assembly ("memory-safe") {
            let f := mload(0x40)

            calldatacopy(f, add(proof.offset, 0x100), 0x40) // Copy first commitment
            mstore(add(f, 0x40), PEDERSEN_GSIGMANEG_X_1)
            mstore(add(f, 0x60), PEDERSEN_GSIGMANEG_X_0)
            mstore(add(f, 0x80), PEDERSEN_GSIGMANEG_Y_1)
            mstore(add(f, 0xa0), PEDERSEN_GSIGMANEG_Y_0)
            calldatacopy(add(f, 0xc0), add(proof.offset, 0x180), 0x40) // Copy PoK
            mstore(add(f, 0x100), PEDERSEN_G_X_1)
            mstore(add(f, 0x120), PEDERSEN_G_X_0)
            mstore(add(f, 0x140), PEDERSEN_G_Y_1)
            mstore(add(f, 0x160), PEDERSEN_G_Y_0)

            success := staticcall(gas(), PRECOMPILE_VERIFY, f, 0x180, f, 0x20)
            success := and(success, mload(f))
        }
        if (!success) {
            revert CommitmentInvalid();
        }
`
	const uncompressedNew = `        // Verify pedersen commitments: the folded proof of knowledge of both
        // (zkinfer: replaces gnark's first-commitment-only check).
        bool success;
        {
            uint256 Px;
            uint256 Py;
            assembly ("memory-safe") {
                Px := calldataload(add(proof.offset, 0x180))
                Py := calldataload(add(proof.offset, 0x1a0))
            }
            success = verifyCommitmentsPok(commitments, publicCommitments, Px, Py);
        }
        if (!success) {
            revert CommitmentInvalid();
        }
`
	if err := replace("verifyProof's commitment check", uncompressedOld, uncompressedNew); err != nil {
		return nil, err
	}

	const compressedOld = `            // Commitments
            pairings[ 0] = commitments[0];
            pairings[ 1] = commitments[1];
            pairings[ 2] = PEDERSEN_GSIGMANEG_X_1;
            pairings[ 3] = PEDERSEN_GSIGMANEG_X_0;
            pairings[ 4] = PEDERSEN_GSIGMANEG_Y_1;
            pairings[ 5] = PEDERSEN_GSIGMANEG_Y_0;
            pairings[ 6] = Px;
            pairings[ 7] = Py;
            pairings[ 8] = PEDERSEN_G_X_1;
            pairings[ 9] = PEDERSEN_G_X_0;
            pairings[10] = PEDERSEN_G_Y_1;
            pairings[11] = PEDERSEN_G_Y_0;

            // Verify pedersen commitments
            bool success;
            assembly ("memory-safe") {
                let f := mload(0x40)

                success := staticcall(gas(), PRECOMPILE_VERIFY, pairings, 0x180, f, 0x20)
                success := and(success, mload(f))
            }
            if (!success) {
                revert CommitmentInvalid();
            }
`
	const compressedNew = `            // Verify pedersen commitments: the folded proof of knowledge of both
            // (zkinfer: replaces gnark's first-commitment-only check).
            if (!verifyCommitmentsPok(commitments, publicCommitments, Px, Py)) {
                revert CommitmentInvalid();
            }
`
	if err := replace("verifyCompressedProof's commitment check", compressedOld, compressedNew); err != nil {
		return nil, err
	}

	// The second key's Gσ⁻, after the first key's constants.
	const anchor = "    uint256 constant PEDERSEN_GSIGMANEG_Y_1 = "
	i := strings.Index(out, anchor)
	if i < 0 || strings.Count(out, anchor) != 1 {
		return nil, errors.New("gnark's template changed: no single PEDERSEN_GSIGMANEG_Y_1 constant")
	}
	eol := strings.IndexByte(out[i:], '\n')
	if eol < 0 {
		return nil, errors.New("gnark's template changed: truncated constants")
	}
	at := i + eol + 1
	s1 := vk.CommitmentKeys[1].GSigmaNeg
	consts := fmt.Sprintf(`
    // Pedersen GSigmaNeg of the second commitment key (zkinfer).
    uint256 constant PEDERSEN_1_GSIGMANEG_X_0 = %s;
    uint256 constant PEDERSEN_1_GSIGMANEG_X_1 = %s;
    uint256 constant PEDERSEN_1_GSIGMANEG_Y_0 = %s;
    uint256 constant PEDERSEN_1_GSIGMANEG_Y_1 = %s;
`, fpDec(s1.X.A0), fpDec(s1.X.A1), fpDec(s1.Y.A0), fpDec(s1.Y.A1))
	out = out[:at] + consts + out[at:]

	// verifyCommitmentsPok goes before the contract's closing brace.
	end := strings.LastIndex(out, "}")
	if end < 0 {
		return nil, errors.New("gnark's template changed: no closing brace")
	}
	out = out[:end] + pokFunction + out[end:]
	if !bytes.HasPrefix([]byte(out), src[:min(len(src), 64)]) {
		return nil, errors.New("internal error: header changed")
	}
	return []byte(out), nil
}

func fpDec(x fp.Element) string {
	var b big.Int
	x.BigInt(&b)
	return b.String()
}

// pokFunction is zkinfer's addition to gnark's contract: gnark's Go
// verifier's batch check of the Pedersen proofs of knowledge
// (pedersen.BatchVerifyMultiVk with the folding challenge of verify.go),
// for two commitments.
const pokFunction = `
    /// zkinfer: the folded proof-of-knowledge check of gnark's Go verifier
    /// (verify.go, pedersen.BatchVerifyMultiVk) for two commitments:
    /// rho = fr.Hash(c0 || c1, "G16-BSB22") (RFC 9380 expand_message_xmd with
    /// SHA-256, 48 bytes, big-endian mod R) and
    /// e(C0, GSigmaNeg0) * e(rho*C1, GSigmaNeg1) * e(PoK, G) == 1.
    /// @param commitments the two commitment points (x0, y0, x1, y1).
    /// @param publicCommitments the commitments' challenges c0, c1.
    /// @return success whether the check holds (false on any invalid point).
    function verifyCommitmentsPok(
        uint256[4] memory commitments,
        uint256[2] memory publicCommitments,
        uint256 Px,
        uint256 Py
    ) internal view returns (bool success) {
        // DST_prime = "G16-BSB22" || I2OSP(9, 1)
        bytes memory dstPrime = hex"4731362d4253423232" hex"09";
        bytes32 b0 = sha256(abi.encodePacked(
            bytes32(0), bytes32(0), // Z_pad, the 64-byte SHA-256 block
            publicCommitments[0], publicCommitments[1],
            uint16(48), uint8(0), dstPrime
        ));
        bytes32 b1 = sha256(abi.encodePacked(b0, uint8(1), dstPrime));
        bytes32 b2 = sha256(abi.encodePacked(b0 ^ b1, uint8(2), dstPrime));
        // The 48 uniform bytes b1 || b2[0:16] as a big-endian integer mod R.
        uint256 rho = addmod(mulmod(uint256(b1), 1 << 128, R), uint256(b2) >> 128, R);

        uint256[18] memory pairings;
        pairings[ 0] = commitments[0];
        pairings[ 1] = commitments[1];
        pairings[ 2] = PEDERSEN_GSIGMANEG_X_1;
        pairings[ 3] = PEDERSEN_GSIGMANEG_X_0;
        pairings[ 4] = PEDERSEN_GSIGMANEG_Y_1;
        pairings[ 5] = PEDERSEN_GSIGMANEG_Y_0;
        pairings[ 8] = PEDERSEN_1_GSIGMANEG_X_1;
        pairings[ 9] = PEDERSEN_1_GSIGMANEG_X_0;
        pairings[10] = PEDERSEN_1_GSIGMANEG_Y_1;
        pairings[11] = PEDERSEN_1_GSIGMANEG_Y_0;
        pairings[12] = Px;
        pairings[13] = Py;
        pairings[14] = PEDERSEN_G_X_1;
        pairings[15] = PEDERSEN_G_X_0;
        pairings[16] = PEDERSEN_G_Y_1;
        pairings[17] = PEDERSEN_G_Y_0;
        uint256[3] memory mulIn;
        mulIn[0] = commitments[2];
        mulIn[1] = commitments[3];
        mulIn[2] = rho;
        assembly ("memory-safe") {
            // pairings[6..7] = rho * C1
            success := staticcall(gas(), PRECOMPILE_MUL, mulIn, 0x60, add(pairings, 0xc0), 0x40)
            let f := mload(0x40)
            success := and(success, staticcall(gas(), PRECOMPILE_VERIFY, pairings, 0x240, f, 0x20))
            success := and(success, mload(f))
        }
    }
`
