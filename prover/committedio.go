package prover

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/quant"
)

// Committed input and output (quant.VisibilityCommitted as the input or
// output visibility; Groth16 only; EZKL's "polycommit" for I/O).
//
// What is bound. Under committed input the circuit (circuits/modelio,
// exposeCommitted) commits the input wires X, the same int8 values hashed
// visibility packs, in row-major order, with one Groth16 BSB22 commitment
// of their own (one frontend.Committer.Commit call), and asserts the
// side's one public input equal to that commitment's wire. Committed
// output copies the output values to witness wires Y of their own (one
// equality each: gnark commits wires sorted by id, and the circuit's
// output wires are neither contiguous nor in value order) and commits Y
// the same way. One commitment per side, not one for both: each side's
// public input is then a function of that side's values alone, so a
// client that knows its input checks a proof is about it before it knows
// the output, and a committed side combines with a hashed, public or
// private other side without a layout of its own. A second commitment
// costs the proof one G1 point and the verifier one pairing term.
//
// The proof carries a point D = Σ_j v_j·B_j + μ·B_μ over the proving key's
// commitment basis for that commitment (B_j = [(β·u_j(τ) + α·v_j(τ) +
// w_j(τ))/γ]₁, one point per committed wire, B_μ that of gnark's mask
// wire μ) with a proof of knowledge that D is in the span of the basis,
// and the pairing check ties D to the wires the constraints use. The
// verifier (gnark's, Go or Solidity) takes the commitment wire as
// Keccak256(D) mod r. Prove sets μ = 0 (zeroMask overrides gnark's
// hints.Randomize), so an honest proof's public input is
//
//	Keccak256(Σ_j v_j·B_j) mod r   (IOPoint, CommittedValues)
//
// which a verifier holding the values (the bundle's, or the user's own
// input) recomputes from the basis of the key it pinned: the basis file
// setup writes beside the verifying key (vk.input.basis, vk.output.basis),
// whose SHA-256, count and commitment index are in the key header
// (InputBasis, OutputBasis) and so in the verifying-key digest's layout.
// The verifier never uses a basis or a commitment the prover sends: a
// bundle's IOBasis is only believed where the digest the verifier pinned
// covers it, and the public input itself is always recomputed.
//
// Soundness. A verifier accepts only a proof whose D hashes to the value
// it recomputed; by Keccak's collision resistance D = Σ v_j·B_j. The
// Pedersen commitment over the key's basis is binding: the basis points
// (and B_μ) come from distinct, linearly independent wire columns of the
// setup, with no discrete-log relation anyone knows (toxic waste
// destroyed), so the only opening a prover can know is the verifier's
// values with μ = 0; checkBasis refuses a zero or repeated point. The
// values are range-checked to int8 as under hashed visibility (the input
// by Bind's range checks, the output by the ops that produce it and Y = y),
// so the opening is over int8 values only: no field element outside
// [-128, 127] can stand for a value. A prover who keeps μ ≠ 0 (its own
// hint, or gnark's random mask) gets D + μ·B_μ, whose hash matches no
// value list the verifier holds: its proof is rejected, it gains nothing.
// The input and lookup commitments are distinct BSB22 commitments with
// distinct bases, and the lookups' keeps a blinding wire of its own
// (circuits/graph, blindLookups), since zeroing μ zeroes every mask.
//
// Not hiding. With μ = 0 and no salt, the public input is a deterministic
// function of the values, like unsalted hashed visibility: anyone who can
// enumerate the possible inputs (a small input space, a guessable prompt)
// finds them by recomputing. Private visibility stays Poseidon2 with a
// salt for values that must stay secret.
//
// Where it is refused, and why: PLONK (its prover blinds every BSB22
// commitment with randomness it does not expose: "PLONK" in committed.go);
// sharding and aggregation (a shard's boundary is a Poseidon2 chain hash
// the next shard's input must equal, and the recursive verifier takes keys
// with at most one commitment); the GPU prover (the mask override would
// have to reach ICICLE's prover; untested); per-part visibilities and
// models whose input or output is several parts (one commitment over one
// int8 tensor per side). On chain one committed side works (two BSB22
// commitments with the lookups', contracts/multicommit.go); two, or one
// with committed weights, are refused (contracts.CheckOnChain). Committed
// weights combine off chain: their commitment stays first, then the
// input's, then the output's.

// IOBasis names the commitment basis of a committed input or output.
type IOBasis struct {
	// Commitment is the index of the side's commitment among the proof's
	// commitments.
	Commitment int `json:"commitment"`
	// Values is the number of committed values.
	Values int `json:"values"`
	// Digest is "sha256:" and the hex SHA-256 of the basis file
	// (WriteIOBasis).
	Digest string `json:"digest"`
}

// Sides of a committed input or output.
const (
	SideInput  = "input"
	SideOutput = "output"
)

const ioBasisMagic = "zkinfer.io-basis.v1\n"

// ioCommitment finds the commitment of a committed side of circuit cs with
// visibility v: its index (the weights' first under committed weights,
// then the input's, then the output's) and its committed wires, which must
// be n consecutive secret inputs (X or Y, in value order) and the mask.
func ioCommitment(cs constraint.ConstraintSystem, v quant.Visibility, side string) (int, int, error) {
	cin, cout := v.CommittedIO()
	k := 0
	if v.Weights == quant.VisibilityCommitted {
		k++
	}
	switch {
	case side == SideInput && cin:
	case side == SideOutput && cout:
		if cin {
			k++
		}
	default:
		return 0, 0, fmt.Errorf("committed %s: the circuit's %s is not committed", side, side)
	}
	info, ok := cs.GetCommitments().(constraint.Groth16Commitments)
	if !ok || k >= len(info) {
		return 0, 0, fmt.Errorf("committed %s: the circuit has no Groth16 commitment %d", side, k)
	}
	c := info[k]
	nbPub, nbSec := cs.GetNbPublicVariables(), cs.GetNbSecretVariables()
	n := len(c.PrivateCommitted) - 1
	if len(c.PublicAndCommitmentCommitted) != 0 || n < 1 {
		return 0, 0, fmt.Errorf("committed %s: commitment %d is not the %s's (%d public or commitment wires, %d private)", side, k, side, len(c.PublicAndCommitmentCommitted), len(c.PrivateCommitted))
	}
	first := c.PrivateCommitted[0]
	if first < nbPub || first+n > nbPub+nbSec {
		return 0, 0, fmt.Errorf("committed %s: commitment %d is not over secret inputs", side, k)
	}
	for j, id := range c.PrivateCommitted[:n] {
		if id != first+j {
			return 0, 0, fmt.Errorf("committed %s: committed wire %d is %d, not the secret input %d", side, j, id, first+j)
		}
	}
	if c.PrivateCommitted[n] < nbPub+nbSec {
		return 0, 0, fmt.Errorf("committed %s: commitment %d has no mask wire", side, k)
	}
	return k, n, nil
}

// ioBasis returns the basis points of a committed side's values (without
// the mask's) and its commitment index.
func ioBasis(cs constraint.ConstraintSystem, v quant.Visibility, pk ProvingKey, side string) (int, []curve.G1Affine, error) {
	gpk, ok := pk.(*groth16bn254.ProvingKey)
	if !ok {
		return 0, nil, fmt.Errorf("committed %s: %w: a %s proving key (Groth16 only)", side, ErrBackendMismatch, BackendOf(pk))
	}
	k, n, err := ioCommitment(cs, v, side)
	if err != nil {
		return 0, nil, err
	}
	if k >= len(gpk.CommitmentKeys) || len(gpk.CommitmentKeys[k].Basis) != n+1 {
		return 0, nil, fmt.Errorf("committed %s: %w: the proving key's commitment basis does not fit the circuit", side, ErrCircuitMismatch)
	}
	return k, gpk.CommitmentKeys[k].Basis[:n], nil
}

// IOBasisOf returns the IOBasis of a committed side (SideInput,
// SideOutput) of a key pair: which commitment, how many values, the
// digest of the basis file.
func IOBasisOf(cs constraint.ConstraintSystem, v quant.Visibility, pk ProvingKey, side string) (*IOBasis, error) {
	k, b, err := ioBasis(cs, v, pk, side)
	if err != nil {
		return nil, err
	}
	if err := checkBasis(b); err != nil {
		return nil, fmt.Errorf("committed %s: %w", side, err)
	}
	h := sha256.New()
	if err := writeBasisMagic(h, ioBasisMagic, b); err != nil {
		return nil, err
	}
	return &IOBasis{Commitment: k, Values: len(b), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// WriteIOBasis writes the basis points of a committed side of a key pair
// to path (atomically): what a verifier needs, beside the verifying key,
// to recompute the side's public input from its values. Its SHA-256 is the
// header's IOBasis.Digest.
func WriteIOBasis(path string, cs constraint.ConstraintSystem, v quant.Visibility, pk ProvingKey, side string) error {
	_, b, err := ioBasis(cs, v, pk, side)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if err := writeBasisMagic(&sb, ioBasisMagic, b); err != nil {
		return err
	}
	return quant.WriteFile(path, []byte(sb.String()), 0o644)
}

// ReadIOBasis reads an I/O basis file and checks it against want (the
// pinned key's InputBasis or OutputBasis): digest and count.
func ReadIOBasis(path string, want *IOBasis) ([]curve.G1Affine, error) {
	if want == nil {
		return nil, fmt.Errorf("%s: the pinned key has no committed input or output basis for it", path)
	}
	if want.Values < 1 || want.Values > maxBasisWeights || want.Commitment < 0 || want.Commitment > 2 {
		return nil, fmt.Errorf("%s: %w: the key header's I/O basis (%d values, commitment %d) is malformed", path, ErrCorrupted, want.Values, want.Commitment)
	}
	return readBasisFile(path, ioBasisMagic, want.Values, want.Digest)
}

// InputBasisPath and OutputBasisPath are the basis files of a committed
// input (output) beside a verifying key: vk.key → vk.input.basis.
func InputBasisPath(vkPath string) string  { return ioBasisPath(vkPath, SideInput) }
func OutputBasisPath(vkPath string) string { return ioBasisPath(vkPath, SideOutput) }

func ioBasisPath(vkPath, side string) string {
	d := DigestPath(vkPath)
	return d[:len(d)-len(".digest")] + "." + side + ".basis"
}

// IOPoint is Σ v_j·B_j: the commitment point of int8 values over a
// committed side's basis b.
func IOPoint(values []int64, b []curve.G1Affine) (curve.G1Affine, error) {
	var d curve.G1Affine
	if len(values) != len(b) {
		return d, fmt.Errorf("committed values: %w: %d values, the basis has %d points", ErrCircuitMismatch, len(values), len(b))
	}
	s := make([]fr.Element, len(values))
	for j, v := range values {
		if v < quant.Int8Min || v > quant.Int8Max {
			return d, fmt.Errorf("committed values: %w: value %d = %d is not int8", quant.ErrRange, j, v)
		}
		s[j].SetInt64(v)
	}
	if _, err := d.MultiExp(b, s, ecc.MultiExpConfig{}); err != nil {
		return d, err
	}
	return d, nil
}

// CommittedValues is the public input of a committed side with values over
// basis b: Keccak256(IOPoint(values, b)) mod r.
func CommittedValues(values []int64, b []curve.G1Affine) (fr.Element, error) {
	d, err := IOPoint(values, b)
	if err != nil {
		return fr.Element{}, err
	}
	return CommittedModel(d), nil
}

// flatValues is one int8 tensor's values, parts flattened.
func flatValues(parts [][]int64) []int64 {
	var out []int64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// proveCommittedIO sets the public input of each committed side of the
// assignment (the prover's own computation over the proving key's basis:
// the solver checks it against the commitment wire) and returns the solver
// options that zero gnark's commitment masks.
func proveCommittedIO(c *Circuit, pk ProvingKey, tr *quant.Trace, assignment frontend.Circuit) ([]solver.Option, error) {
	a, ok := assignment.(*graph.Circuit)
	if !ok {
		return nil, fmt.Errorf("committed input or output: a %T assignment", assignment)
	}
	v := c.Header.IO()
	cin, cout := v.CommittedIO()
	for _, s := range []struct {
		side   string
		on     bool
		values [][]int64
		pub    []frontend.Variable
	}{{SideInput, cin, tr.InputParts(), a.IO.Input}, {SideOutput, cout, tr.OutputParts(), a.IO.Output}} {
		if !s.on {
			continue
		}
		_, b, err := ioBasis(c.CS, v, pk, s.side)
		if err != nil {
			return nil, err
		}
		e, err := CommittedValues(flatValues(s.values), b)
		if err != nil {
			return nil, fmt.Errorf("committed %s: %w", s.side, err)
		}
		if len(s.pub) != 1 {
			return nil, fmt.Errorf("committed %s: %d public inputs, want 1", s.side, len(s.pub))
		}
		s.pub[0] = e
	}
	id, err := randomizeHintID()
	if err != nil {
		return nil, err
	}
	return []solver.Option{solver.OverrideHint(id, zeroMask)}, nil
}
