package prover

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"golang.org/x/crypto/sha3"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/quant"
)

// Committed weights (quant.VisibilityCommitted): what is bound, and how.
//
// The circuit (circuits/graph, committed.go) commits the weight wires with
// Groth16's own BSB22 commitment, first of its commitments, and asserts the
// public model commitment equal to that commitment's wire. The verifier
// (gnark's, Go or Solidity) computes the wire as Keccak256(D) mod r from the
// proof's point D (uncompressed X ‖ Y, the Solidity hash-to-field), and the
// pairing check ties D to the wires the constraints use: D = Σ w_j·B_j +
// μ·B_μ, with B the proving key's commitment basis for that commitment and
// μ gnark's mask wire. Prove sets μ = 0, so the public model commitment of
// an honest proof is
//
//	ModelCommitment = Keccak256(Σ_j w_j·B_j) mod r   (WeightsPoint, CommittedModel)
//
// with w_j the model's parameters in circuit order (graph.WeightValues). A
// verifier that compares the proven model commitment with the one it
// obtained itself (a registry entry, an anchor, --model-commitment) accepts
// only proofs whose D hashes to it; by Keccak's collision resistance D is
// the registered point, and since the Pedersen commitment over B is binding
// (B and B_μ have no known discrete-log relation: they are the setup's
// [(β·u_j + α·v_j + w_j)/γ]₁ for distinct, linearly independent wire
// columns), the only opening a prover can know is the registered weights
// with μ = 0. A prover who keeps a nonzero μ, or other weights, gets another
// point, another model commitment.
//
// The basis comes from the proving key: the model commitment is specific
// to one setup (one key pair), and a model registered under committed
// weights must be registered again after a new setup. WeightsBasis, in the
// key headers and so in the verifying-key digest's layout, records which
// commitment it is, how many weights it has and the SHA-256 of the basis
// points (WriteWeightsBasis), so an auditor holding the basis file and the
// published model recomputes the model commitment without the proving key.
//
// Where committed weights are not (yet) available, and why:
//
// PLONK. gnark v0.16.3's PLONK does support several BSB22 commitments (one
// commitment polynomial π₂ per Commit call, committed by KZG over the
// Lagrange SRS), and the binding would hold without any proof of knowledge:
// a deterministic commitment W = Σ w_i·[L_{row_i}(τ)]₁ matched by Keccak
// pins π₂ (KZG is binding for polynomials) and the qcp gates pin the weight
// wires to π₂ at their rows. But its prover (backend/plonk/bn254/prove.go,
// bsb22Hint) sets π₂ at two rows (the commitment's own constraint and the
// last one) with fr.Element.SetRandom inside an unexported method, and it
// installs that hint after the caller's solver options, so no option
// reaches it: the commitment is a fresh random point in every proof and
// names nothing a registry could store. Binding the weights publicly under
// PLONK takes a fork of gnark's PLONK prover (zero those two evaluations
// for the weights' commitment only; the lookups' keeps its blinding) and
// the auditor's basis [L_{row_i}(τ)]₁ from the SRS. Compile refuses
// committed weights with plonk, saying so.
//
// Aggregation. The recursive verifier (prover/aggregate) takes keys with at
// most one commitment; committed-weights keys have two (the weights', the
// lookups'), and aggregate refuses them by that count.
//
// GPU. Prove refuses the GPU prover under committed weights: zeroing the
// mask goes through solver options that ICICLE's prover would have to pass
// on, and its handling of two commitments is untested (no GPU here).
//
// Legacy gpt2 models (walked as their layer graph) take committed weights
// in their legacy witness layout (graph.WeightValues lists it); legacy ffn
// models do not (import them as layer graphs).
//
// Sharding (refused for gpt2 block shards and layer-graph cut shards
// alike, in compileShards): a manifest's shards commitment is built at
// compile time from the shards' Poseidon2 commitments. Under committed
// weights each shard's model commitment would be its own Keccak(D_shard)
// over its own key's basis, known only after setup, and so would the
// shards commitment (quant.ShardsCommitment of those values): the
// manifest would have to be completed by setup. ModelCommitmentOf already
// computes one shard's from its circuit, proving key and sub-model. With
// the recursive aggregation refusing two-commitment keys too, sharded
// committed weights are a follow-up.

// WeightsBasis names the commitment basis of a committed-weights key.
type WeightsBasis struct {
	// Commitment is the index of the weights' commitment among the
	// proof's commitments.
	Commitment int `json:"commitment"`
	// Weights is the number of committed parameters.
	Weights int `json:"weights"`
	// Digest is "sha256:" and the hex SHA-256 of the basis file
	// (WriteWeightsBasis) of the weights' basis points.
	Digest string `json:"digest"`
}

// CommittedPrefix starts the text form of a committed-weights model
// commitment: Keccak256 of the commitment point, reduced mod r.
const CommittedPrefix = "bsb22-keccak:"

// FormatCommitted writes a committed-weights model commitment.
func FormatCommitted(c fr.Element) string {
	b := c.Bytes()
	return fmt.Sprintf("%s0x%x", CommittedPrefix, b[:])
}

// CommittedModel is the public model commitment of the weights' point D:
// Keccak256(X ‖ Y) mod r, as gnark's Solidity-target verifier hashes a
// commitment without public committed values.
func CommittedModel(d curve.G1Affine) fr.Element {
	h := sha3.NewLegacyKeccak256()
	h.Write(d.Marshal())
	var e fr.Element
	e.SetBytes(h.Sum(nil))
	return e
}

// weightsCommitment finds the weights' commitment of a committed-weights
// R1CS: the first commitment, over exactly the last n secret inputs (the
// weights, which the circuit allocates last) and gnark's mask wire.
func weightsCommitment(cs constraint.ConstraintSystem) (k, n int, err error) {
	info, ok := cs.GetCommitments().(constraint.Groth16Commitments)
	if !ok || len(info) == 0 {
		return 0, 0, fmt.Errorf("committed weights: the circuit has no Groth16 commitment")
	}
	c := info[0]
	nbPub, nbSec := cs.GetNbPublicVariables(), cs.GetNbSecretVariables()
	n = len(c.PrivateCommitted) - 1
	if len(c.PublicAndCommitmentCommitted) != 0 || n < 1 {
		return 0, 0, fmt.Errorf("committed weights: the first commitment is not the weights' (%d public or commitment wires, %d private)", len(c.PublicAndCommitmentCommitted), len(c.PrivateCommitted))
	}
	for j, id := range c.PrivateCommitted[:n] {
		if id != nbPub+nbSec-n+j {
			return 0, 0, fmt.Errorf("committed weights: committed wire %d is %d, not the secret input %d", j, id, nbPub+nbSec-n+j)
		}
	}
	if c.PrivateCommitted[n] < nbPub+nbSec {
		return 0, 0, fmt.Errorf("committed weights: the first commitment has no mask wire")
	}
	return 0, n, nil
}

// weightsBasis returns the basis points of the weights (without the mask's).
func weightsBasis(cs constraint.ConstraintSystem, pk ProvingKey) (int, []curve.G1Affine, error) {
	gpk, ok := pk.(*groth16bn254.ProvingKey)
	if !ok {
		return 0, nil, fmt.Errorf("committed weights: %w: a %s proving key (Groth16 only)", ErrBackendMismatch, BackendOf(pk))
	}
	k, n, err := weightsCommitment(cs)
	if err != nil {
		return 0, nil, err
	}
	if k >= len(gpk.CommitmentKeys) || len(gpk.CommitmentKeys[k].Basis) != n+1 {
		return 0, nil, fmt.Errorf("committed weights: %w: the proving key's commitment basis does not fit the circuit", ErrCircuitMismatch)
	}
	return k, gpk.CommitmentKeys[k].Basis[:n], nil
}

// checkBasis refuses a basis with the point at infinity or a repeated point:
// a weight wire with a zero basis point would not be bound at all, two with
// one point could be swapped. It cannot happen for a circuit whose weights
// all enter constraints in independent ways (every weight is range-checked
// and multiplied); the check makes it a setup error rather than an
// assumption.
func checkBasis(b []curve.G1Affine) error {
	seen := make(map[[curve.SizeOfG1AffineCompressed]byte]int, len(b))
	for j := range b {
		if b[j].IsInfinity() {
			return fmt.Errorf("the basis point of committed value %d is zero: that value would not be bound", j)
		}
		c := b[j].Bytes()
		if i, ok := seen[c]; ok {
			return fmt.Errorf("committed values %d and %d share a basis point: they would not be bound apart", i, j)
		}
		seen[c] = j
	}
	return nil
}

// WeightsBasisOf returns the WeightsBasis of a committed-weights key pair:
// which commitment, how many weights, the digest of the basis file.
func WeightsBasisOf(cs constraint.ConstraintSystem, pk ProvingKey) (*WeightsBasis, error) {
	k, b, err := weightsBasis(cs, pk)
	if err != nil {
		return nil, err
	}
	if err := checkBasis(b); err != nil {
		return nil, fmt.Errorf("committed weights: %w", err)
	}
	h := sha256.New()
	if err := writeBasis(h, b); err != nil {
		return nil, err
	}
	return &WeightsBasis{Commitment: k, Weights: len(b), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

const basisMagic = "zkinfer.weights-basis.v1\n"

// writeBasis writes the basis file: basisMagic, the count (uint64 big
// endian), and each point compressed (32 bytes, gnark-crypto's encoding).
func writeBasis(w io.Writer, b []curve.G1Affine) error {
	return writeBasisMagic(w, basisMagic, b)
}

// writeBasisMagic is writeBasis with another magic line (ioBasisMagic).
func writeBasisMagic(w io.Writer, magic string, b []curve.G1Affine) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(magic)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	bw.Write(n[:])
	for j := range b {
		c := b[j].Bytes()
		bw.Write(c[:])
	}
	return bw.Flush()
}

// WriteWeightsBasis writes the weights' basis points of a committed-weights
// key pair to path (atomically): what an auditor needs, with the published
// model, to recompute its model commitment (ReadWeightsBasis,
// CommittedCommitment). Its SHA-256 is the header's WeightsBasis.Digest.
func WriteWeightsBasis(path string, cs constraint.ConstraintSystem, pk ProvingKey) error {
	_, b, err := weightsBasis(cs, pk)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if err := writeBasis(&sb, b); err != nil {
		return err
	}
	return quant.WriteFile(path, []byte(sb.String()), 0o644)
}

// ReadWeightsBasis reads a basis file and checks it against want (the
// pinned key header's WeightsBasis): its digest and count.
func ReadWeightsBasis(path string, want *WeightsBasis) ([]curve.G1Affine, error) {
	if want == nil {
		return nil, fmt.Errorf("%s: the key is not a committed-weights key (no weights basis in its header)", path)
	}
	// The header is input too: a count that would overflow the size below
	// (or allocate without bound) is refused before any allocation.
	if want.Weights < 1 || want.Weights > maxBasisWeights || want.Commitment != 0 {
		return nil, fmt.Errorf("%s: %w: the key header's weights basis (%d weights, commitment %d) is malformed (at most %d weights, commitment 0)", path, ErrCorrupted, want.Weights, want.Commitment, maxBasisWeights)
	}
	return readBasisFile(path, basisMagic, want.Weights, want.Digest)
}

// readBasisFile reads a basis file of n points with the given magic line
// and checks its digest (the pinned header's) before decoding.
func readBasisFile(path, magic string, n int, digest string) ([]curve.G1Affine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := int64(len(magic)) + 8 + int64(n)*curve.SizeOfG1AffineCompressed
	if st.Size() != size {
		return nil, fmt.Errorf("%s: %d bytes, a basis of %d points has %d", path, st.Size(), n, size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if d := "sha256:" + hex.EncodeToString(sum[:]); d != digest {
		return nil, fmt.Errorf("%s: %w: digest %s, the pinned key's basis is %s", path, ErrCircuitMismatch, d, digest)
	}
	if string(data[:len(magic)]) != magic || binary.BigEndian.Uint64(data[len(magic):]) != uint64(n) {
		return nil, fmt.Errorf("%s: not a %s basis file of %d points", path, strings.TrimSpace(magic), n)
	}
	b := make([]curve.G1Affine, n)
	off := len(magic) + 8
	for j := range b {
		if _, err := b[j].SetBytes(data[off : off+curve.SizeOfG1AffineCompressed]); err != nil {
			return nil, fmt.Errorf("%s: point %d: %w", path, j, err)
		}
		off += curve.SizeOfG1AffineCompressed
	}
	if err := checkBasis(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// maxBasisWeights bounds a weights basis read from a file: 2^30 points
// (32 GiB), far beyond any circuit gnark can compile.
const maxBasisWeights = 1 << 30

// WeightsPoint is Σ w_j·B_j: the commitment point of m's parameters
// (graph.WeightValues, as field elements: negative values mod r) over the
// weights' basis b.
func WeightsPoint(m *quant.Model, b []curve.G1Affine) (curve.G1Affine, error) {
	var d curve.G1Affine
	w, err := graph.WeightValues(m)
	if err != nil {
		return d, err
	}
	if len(w) != len(b) {
		return d, fmt.Errorf("committed weights: %w: the model has %d parameters, the basis %d points", ErrCircuitMismatch, len(w), len(b))
	}
	s := make([]fr.Element, len(w))
	for j, v := range w {
		s[j].SetInt64(v)
	}
	if _, err := d.MultiExp(b, s, ecc.MultiExpConfig{}); err != nil {
		return d, err
	}
	return d, nil
}

// CommittedCommitment is the model commitment of m under committed weights
// with basis b: FormatCommitted(CommittedModel(WeightsPoint(m, b))).
func CommittedCommitment(m *quant.Model, b []curve.G1Affine) (string, error) {
	d, err := WeightsPoint(m, b)
	if err != nil {
		return "", err
	}
	return FormatCommitted(CommittedModel(d)), nil
}

// CommittedCommitmentFor is the model commitment of m under the
// committed-weights key whose header is h, with the basis file at
// basisPath (ReadWeightsBasis checks it against h): what a registrant
// registers. m must have the key's architecture (CheckModel): the
// commitment binds the flat list of parameters, and the key's circuit says
// what they mean, so a model of another architecture with as many
// parameters would get a commitment that proofs of a different model
// (its numbers in the key's architecture) prove.
func CommittedCommitmentFor(h Header, m *quant.Model, basisPath string) (string, error) {
	if h.IO().Weights != quant.VisibilityCommitted {
		return "", fmt.Errorf("committed weights: the key's weights are %s, not %s", h.IO().Weights, quant.VisibilityCommitted)
	}
	if err := CheckModel(h, m); err != nil {
		return "", fmt.Errorf("committed weights: %w", err)
	}
	b, err := ReadWeightsBasis(basisPath, h.WeightsBasis)
	if err != nil {
		return "", err
	}
	return CommittedCommitment(m, b)
}

// committedModel returns the model commitment of m under the proving key
// pk of circuit cs, and the weights' point.
func committedModel(cs constraint.ConstraintSystem, pk ProvingKey, m *quant.Model) (fr.Element, curve.G1Affine, int, error) {
	k, b, err := weightsBasis(cs, pk)
	if err != nil {
		return fr.Element{}, curve.G1Affine{}, 0, err
	}
	d, err := WeightsPoint(m, b)
	if err != nil {
		return fr.Element{}, curve.G1Affine{}, 0, err
	}
	return CommittedModel(d), d, k, nil
}

// ModelCommitmentOf returns the model commitment a proof of m with the
// circuit c and the proving key pk proves: quant.CommitString for fixed,
// hashed or public weights, the committed-weights one (CommittedCommitment
// with the key's basis) for committed weights.
func ModelCommitmentOf(c *Circuit, pk ProvingKey, m *quant.Model) (string, error) {
	if c.Header.IO().Weights != quant.VisibilityCommitted {
		return quant.CommitString(m)
	}
	e, _, _, err := committedModel(c.CS, pk, m)
	if err != nil {
		return "", err
	}
	return FormatCommitted(e), nil
}

// zeroMask is the prover's hints.Randomize: gnark's commitment masks are
// zero, so the weights' point is exactly Σ w_j·B_j (the lookup commitment
// keeps the circuit's own blinding wire).
func zeroMask(_ *big.Int, _ []*big.Int, out []*big.Int) error {
	for _, o := range out {
		o.SetUint64(0)
	}
	return nil
}

// randomizeHintID is the id of gnark's commitment-mask hint
// (internal/hints.Randomize, registered by the solver).
func randomizeHintID() (solver.HintID, error) {
	for _, h := range solver.GetRegisteredHints() {
		if strings.HasSuffix(solver.GetHintName(h), "/internal/hints.Randomize") {
			return solver.GetHintID(h), nil
		}
	}
	return 0, errors.New("committed weights: gnark's commitment mask hint (hints.Randomize) is not registered: unsupported gnark version")
}

// proveCommitted sets the public model commitment of a committed-weights
// assignment (the prover's own computation from the key's basis: the
// solver then checks it against the commitment wire) and returns the solver
// options that zero gnark's commitment masks.
func proveCommitted(c *Circuit, pk ProvingKey, m *quant.Model, assignment frontend.Circuit) ([]solver.Option, error) {
	a, ok := assignment.(*graph.Circuit)
	if !ok {
		return nil, fmt.Errorf("%s weights: a %T assignment (layer-graph models only)", quant.VisibilityCommitted, assignment)
	}
	e, _, _, err := committedModel(c.CS, pk, m)
	if err != nil {
		return nil, err
	}
	a.IO.Model = e
	id, err := randomizeHintID()
	if err != nil {
		return nil, err
	}
	return []solver.Option{solver.OverrideHint(id, zeroMask)}, nil
}

// BasisPath is the weights basis file beside a verifying key: vk.key →
// vk.basis.
func BasisPath(vkPath string) string {
	d := DigestPath(vkPath)
	return d[:len(d)-len(".digest")] + ".basis"
}
