// Package aggregate proves the shard proofs of a sharded model with one
// Groth16 proof (issue 16, part 2): an outer BN254 circuit verifies every
// shard's BN254 Groth16 proof with gnark's std/recursion/groth16 (pairing and
// scalars emulated, sw_bn254), checks the hash chain between the shards and
// recomputes the shards commitment, so the chain checks one proof whose
// public inputs are (input hash of the first shard, output hash of the last,
// shards commitment). The curve path and its measured cost are in
// benchmarks/results/aggregation.md.
//
// # What the outer circuit checks
//
// For k shards with ranges r_0..r_{k-1} of an n-block model, each shard's
// proof carrying the public inputs (in_i, out_i, model_i) in that order (a
// shard's circuit with hashed or private boundaries, fixed or hashed
// weights: modelio.IO's Input, Output, Model):
//
//   - proof i verifies under verifying key i, a constant of the outer
//     circuit (so the outer verifying key pins the shard keys, as the keys
//     manifest does), with the proof points subgroup-checked;
//   - Input = in_0, out_i = in_{i+1}, Output = out_{k-1};
//   - ShardsCommitment = quant.ShardsCommitment(n, ranges, model_0..model_{k-1}),
//     Poseidon2 in the circuit (modelio.Hash), n and the ranges constants.
//
// A layer graph cut into node ranges (Sharding, version
// quant.GraphShardsVersion) is aggregated the same way: its shards have the
// same three public inputs (a cut set of several tensors or index values is
// one parts-chain hash), n counts nodes, and ShardsCommitment is
// quant.GraphShardsCommitment(model, n, ranges, model_0..model_{k-1}), the
// whole model's commitment a constant like the ranges. The zero Sharding is
// version 1, and Check, NewCircuit, CircuitID and Setup are its
// CheckSharding, NewShardingCircuit, ShardingCircuitID and SetupSharding.
//
// Check does the same in Go (inner proofs verified natively) and Statement
// returns the outer public inputs: the aggregator runs it first and never
// builds a witness the circuit would reject.
//
// # Inner proofs must be proven for recursion
//
// A Groth16 proof with a BSB22 commitment derives the commitment challenge
// with a hash to field. zkinfer's shard proofs use Keccak
// (solidity.WithProverTargetSolidityVerifier) so the EVM can check them;
// the recursive verifier recomputes the challenge with MiMC over BN254
// (recursion.NewShort). Proofs to be aggregated must therefore be proven with
// ProverOptions (and verified natively with VerifierOptions): zkinfer prove
// --shards M --aggregatable (prover.WithAggregatable) does, with the same
// keys; an EVM sharded bundle is re-proven that way, it cannot be aggregated
// as is.
//
// # Keys and proving
//
// Setup compiles the outer circuit for a set of shard keys and runs its
// single-party dev setup, or loads the keys an earlier Setup cached under
// CircuitID (a digest of the shard keys, ranges, block count, circuit version
// and gnark version); Outer.Prove checks the shards (Check), proves with
// Keccak hash to field so gnark's Solidity verifier checks the outer proof,
// and verifies it. zkinfer aggregate drives both (cmd/zkinfer), and
// verifier.AggregatedBundle carries the result.
//
// # Tests
//
// go test runs only compile-free checks (Check, Statement and the witness
// assembly against quant.ShardsCommitment and real tiny inner proofs, and the
// in-circuit shards commitment on gnark's test engine). Compiling and solving
// the outer circuit (millions of constraints, minutes, GiBs) runs only with
// ZKINFER_AGG=1, which CI does not set: TestRecursive (the circuit's own
// rejections) and TestRealShards (real tiny gpt2 shards proven for
// aggregation). ZKINFER_AGG=prove adds the outer setup, prove and on-chain
// gas (half an hour and ~10 GiB at 3 shards on two cores).
package aggregate

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bn254"
	"github.com/consensys/gnark/std/commitments/pedersen"
	"github.com/consensys/gnark/std/math/emulated"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// NbInnerPublic is the number of public inputs of an aggregated shard
// proof: input hash, output hash, model commitment.
const NbInnerPublic = 3

// ErrRejected is wrapped by every error that says the shards do not
// aggregate (a proof rejected, the chain broken, a commitment mismatch).
var ErrRejected = errors.New("aggregate: rejected")

var field = ecc.BN254.ScalarField()

// ProverOptions are the options a shard proof to be aggregated is proven
// with: the BSB22 hash to field the recursive verifier recomputes.
// It is prover.AggregatableProverOptions, which zkinfer prove
// --aggregatable (prover.WithAggregatable) uses.
func ProverOptions() backend.ProverOption {
	return prover.AggregatableProverOptions()
}

// VerifierOptions verify such a proof natively.
func VerifierOptions() backend.VerifierOption {
	return prover.AggregatableVerifierOptions()
}

// Shard is one inner proof: blocks Range.From..Range.To-1, its verifying
// key, proof and public inputs (input hash, output hash, model commitment).
type Shard struct {
	Range  quant.ShardRange
	VK     groth16.VerifyingKey
	Proof  groth16.Proof
	Public []fr.Element
}

// Statement is the outer proof's public statement.
type Statement struct {
	Input, Output, ShardsCommitment fr.Element
}

// PublicInputs returns the statement in the order of the outer circuit's
// public inputs (Circuit: Input, Output, ShardsCommitment).
func (s Statement) PublicInputs() []fr.Element {
	return []fr.Element{s.Input, s.Output, s.ShardsCommitment}
}

// Sharding says which shards commitment the outer circuit recomputes: the
// zero value for a gpt2 model cut into blocks (quant.ShardsCommitment,
// version 1), or Version quant.GraphShardsVersion for a layer graph cut
// into node ranges (quant.GraphShardsCommitment), which also hashes Model,
// the whole model's commitment (a constant of the outer circuit, as the
// shard keys are).
type Sharding struct {
	Version int
	Model   fr.Element
}

// Validate checks the version.
func (s Sharding) Validate() error {
	switch s.Version {
	case 0, quant.ShardsVersion:
		if !s.Model.IsZero() {
			return fmt.Errorf("aggregate: a version-1 (gpt2 blocks) sharding names no model commitment")
		}
		return nil
	case quant.GraphShardsVersion:
		return nil
	}
	return fmt.Errorf("aggregate: %w: shards version %d (this build aggregates 1 and %d)", quant.ErrUnsupportedVersion, s.Version, quant.GraphShardsVersion)
}

// graph reports whether s is a graph cut sharding.
func (s Sharding) graph() bool { return s.Version == quant.GraphShardsVersion }

// unit is what the sharding's ranges count, for messages.
func (s Sharding) unit() string {
	if s.graph() {
		return "nodes"
	}
	return "blocks"
}

// Check verifies natively what the outer circuit verifies for an n-block
// model: every proof under its key (VerifierOptions), the ranges covering
// 0..n in order, the hash chain and the shards commitment. It returns the
// statement the aggregated proof will have.
func Check(n int, shards []Shard) (Statement, error) {
	return CheckSharding(Sharding{}, n, shards)
}

// CheckSharding is Check for a sharding of either version: n counts the
// model's blocks (version 1) or nodes (graph cut sharding), and the
// statement's shards commitment is quant.ShardsCommitmentOf.
func CheckSharding(sh Sharding, n int, shards []Shard) (Statement, error) {
	if err := sh.Validate(); err != nil {
		return Statement{}, err
	}
	if len(shards) == 0 {
		return Statement{}, fmt.Errorf("aggregate: no shards")
	}
	ranges := make([]quant.ShardRange, len(shards))
	commitments := make([]fr.Element, len(shards))
	next := 0
	for i, s := range shards {
		if s.Range.From != next || s.Range.To <= s.Range.From || s.Range.To > n {
			return Statement{}, fmt.Errorf("%w: shard %d covers %s %d:%d, want %d:… within %d", ErrRejected, i, sh.unit(), s.Range.From, s.Range.To, next, n)
		}
		next = s.Range.To
		if len(s.Public) != NbInnerPublic {
			return Statement{}, fmt.Errorf("%w: shard %d has %d public inputs, want %d (input hash, output hash, commitment)", ErrRejected, i, len(s.Public), NbInnerPublic)
		}
		if s.VK == nil || s.Proof == nil {
			return Statement{}, fmt.Errorf("aggregate: shard %d: missing key or proof", i)
		}
		if s.VK.CurveID() != ecc.BN254 {
			return Statement{}, fmt.Errorf("aggregate: shard %d: key on %s, want BN254", i, s.VK.CurveID())
		}
		if n, err := nbPublic(s.VK); err != nil || n != NbInnerPublic {
			return Statement{}, fmt.Errorf("%w: shard %d's key takes %d public inputs, want %d (%v)", ErrRejected, i, n, NbInnerPublic, err)
		}
		w, err := publicWitness(s.Public)
		if err != nil {
			return Statement{}, err
		}
		if err := groth16.Verify(s.Proof, s.VK, w, VerifierOptions()); err != nil {
			return Statement{}, fmt.Errorf("%w: shard %d: proof rejected: %v", ErrRejected, i, err)
		}
		if i > 0 && !shards[i-1].Public[1].Equal(&s.Public[0]) {
			return Statement{}, fmt.Errorf("%w: shard hash chain broken between shards %d and %d", ErrRejected, i-1, i)
		}
		ranges[i], commitments[i] = s.Range, s.Public[2]
	}
	if next != n {
		return Statement{}, fmt.Errorf("%w: shards end at %s %d of %d", ErrRejected, strings.TrimSuffix(sh.unit(), "s"), next, n)
	}
	c, err := quant.ShardsCommitmentOf(max(sh.Version, quant.ShardsVersion), sh.Model, n, ranges, commitments)
	if err != nil {
		return Statement{}, err
	}
	return Statement{Input: shards[0].Public[0], Output: shards[len(shards)-1].Public[1], ShardsCommitment: c}, nil
}

// nbPublic is the number of public inputs a BN254 Groth16 key takes: its
// K points less the one wire and the BSB22 commitments.
func nbPublic(vk groth16.VerifyingKey) (int, error) {
	k, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return 0, fmt.Errorf("aggregate: verifying key is %T, want a BN254 Groth16 key", vk)
	}
	return len(k.G1.K) - 1 - len(k.PublicAndCommitmentCommitted), nil
}

func publicWitness(pub []fr.Element) (witness.Witness, error) {
	w, err := witness.New(field)
	if err != nil {
		return nil, err
	}
	ch := make(chan any, len(pub))
	for _, x := range pub {
		ch <- x
	}
	close(ch)
	if err := w.Fill(len(pub), 0, ch); err != nil {
		return nil, err
	}
	return w, nil
}

// Proof and Witness are the in-circuit forms of an inner proof and its
// public inputs.
type (
	Proof         = stdgroth16.Proof[sw_bn254.G1Affine, sw_bn254.G2Affine]
	Witness       = stdgroth16.Witness[sw_bn254.ScalarField]
	VerifyingKey  = stdgroth16.VerifyingKey[sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl]
	emulatedField = emulated.Field[sw_bn254.ScalarField]
)

// Circuit is the outer circuit for the shards of an n-block model. Build the
// circuit to compile with NewCircuit and its assignment with Assign: both
// carry the same constants (n, the ranges, the verifying keys).
type Circuit struct {
	Input            frontend.Variable `gnark:",public"`
	Output           frontend.Variable `gnark:",public"`
	ShardsCommitment frontend.Variable `gnark:",public"`

	Proofs  []Proof
	Publics []Witness

	sharding Sharding           `gnark:"-"`
	n        int                `gnark:"-"`
	ranges   []quant.ShardRange `gnark:"-"`
	vks      []VerifyingKey     `gnark:"-"`
}

// NewCircuit returns the outer circuit (to compile) for shards with these
// ranges of an n-block model, proven under these verifying keys (one per
// shard; shards sharing a key pass it again).
func NewCircuit(n int, ranges []quant.ShardRange, vks []groth16.VerifyingKey) (*Circuit, error) {
	return NewShardingCircuit(Sharding{}, n, ranges, vks)
}

// NewShardingCircuit is NewCircuit for a sharding of either version (n
// counts blocks or nodes).
func NewShardingCircuit(sh Sharding, n int, ranges []quant.ShardRange, vks []groth16.VerifyingKey) (*Circuit, error) {
	if err := sh.Validate(); err != nil {
		return nil, err
	}
	if len(ranges) == 0 || len(ranges) != len(vks) {
		return nil, fmt.Errorf("aggregate: %d ranges and %d keys", len(ranges), len(vks))
	}
	c := &Circuit{sharding: sh, n: n, ranges: append([]quant.ShardRange(nil), ranges...)}
	for i, vk := range vks {
		if n, err := nbPublic(vk); err != nil || n != NbInnerPublic {
			return nil, fmt.Errorf("aggregate: shard %d's key takes %d public inputs, want %d (%v)", i, n, NbInnerPublic, err)
		}
		cvk, err := stdgroth16.ValueOfVerifyingKeyFixed[sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl](vk)
		if err != nil {
			return nil, fmt.Errorf("aggregate: shard %d's key: %w", i, err)
		}
		if len(cvk.CommitmentKeys) > 1 {
			return nil, fmt.Errorf("aggregate: shard %d's key has %d commitments, the recursive verifier takes at most one", i, len(cvk.CommitmentKeys))
		}
		c.vks = append(c.vks, cvk)
		c.Proofs = append(c.Proofs, placeholderProof(len(cvk.CommitmentKeys)))
		c.Publics = append(c.Publics, Witness{Public: make([]emulated.Element[sw_bn254.ScalarField], NbInnerPublic)})
	}
	return c, nil
}

// placeholderProof is stdgroth16.PlaceholderProof without the constraint
// system: only the number of commitments shapes it.
func placeholderProof(nbCommitments int) Proof {
	var p Proof
	p.Commitments = make([]pedersen.Commitment[sw_bn254.G1Affine], nbCommitments)
	return p
}

// Assign checks the shards (Check) and returns the assignment of c for
// them and the statement.
func (c *Circuit) Assign(shards []Shard) (*Circuit, Statement, error) {
	st, err := CheckSharding(c.sharding, c.n, shards)
	if err != nil {
		return nil, Statement{}, err
	}
	a, err := c.assign(shards, st)
	return a, st, err
}

// assign builds the assignment without checking: the ZKINFER_AGG tests use
// it to show the circuit itself rejects what Check would.
func (c *Circuit) assign(shards []Shard, st Statement) (*Circuit, error) {
	if len(shards) != len(c.vks) {
		return nil, fmt.Errorf("aggregate: %d shards for a circuit of %d", len(shards), len(c.vks))
	}
	a := &Circuit{sharding: c.sharding, n: c.n, ranges: c.ranges, vks: c.vks,
		Input: st.Input, Output: st.Output, ShardsCommitment: st.ShardsCommitment}
	for i, s := range shards {
		if s.Range != c.ranges[i] {
			return nil, fmt.Errorf("aggregate: shard %d covers %d:%d, the circuit %d:%d", i, s.Range.From, s.Range.To, c.ranges[i].From, c.ranges[i].To)
		}
		p, err := stdgroth16.ValueOfProof[sw_bn254.G1Affine, sw_bn254.G2Affine](s.Proof)
		if err != nil {
			return nil, fmt.Errorf("aggregate: shard %d: %w", i, err)
		}
		w := Witness{}
		for _, x := range s.Public {
			w.Public = append(w.Public, sw_bn254.NewScalar(x))
		}
		a.Proofs = append(a.Proofs, p)
		a.Publics = append(a.Publics, w)
	}
	return a, nil
}

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	if len(c.vks) == 0 || len(c.Proofs) != len(c.vks) || len(c.Publics) != len(c.vks) {
		return fmt.Errorf("aggregate: circuit not built by NewCircuit")
	}
	v, err := stdgroth16.NewVerifier[sw_bn254.ScalarField, sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl](api)
	if err != nil {
		return err
	}
	f, err := emulated.NewField[sw_bn254.ScalarField](api)
	if err != nil {
		return err
	}
	k := len(c.vks)
	pub := make([][NbInnerPublic]frontend.Variable, k)
	for i := range k {
		if len(c.Publics[i].Public) != NbInnerPublic {
			return fmt.Errorf("aggregate: shard %d has %d public inputs", i, len(c.Publics[i].Public))
		}
		if err := v.AssertProof(c.vks[i], c.Proofs[i], c.Publics[i], stdgroth16.WithSubgroupCheck()); err != nil {
			return fmt.Errorf("aggregate: shard %d: %w", i, err)
		}
		for j := range NbInnerPublic {
			pub[i][j] = native(api, f, &c.Publics[i].Public[j])
		}
	}
	api.AssertIsEqual(pub[0][0], c.Input)
	for i := 1; i < k; i++ {
		api.AssertIsEqual(pub[i-1][1], pub[i][0])
	}
	api.AssertIsEqual(pub[k-1][1], c.Output)
	commitments := make([]frontend.Variable, k)
	for i := range k {
		commitments[i] = pub[i][2]
	}
	sc, err := shardsCommitmentOf(api, c.sharding, c.n, c.ranges, commitments)
	if err != nil {
		return err
	}
	api.AssertIsEqual(sc, c.ShardsCommitment)
	return nil
}

// native is the emulated BN254 scalar e as a native BN254 variable: the
// same field, so its canonical bits (below r) recompose to the same value.
func native(api frontend.API, f *emulatedField, e *emulated.Element[sw_bn254.ScalarField]) frontend.Variable {
	return api.FromBinary(f.ToBitsCanonical(e)...)
}

// shardsDomain is "zkinfer.shards" as a big-endian integer, the first
// element of quant.ShardsCommitment's encoding (tests tie the two).
var shardsDomain = new(big.Int).SetBytes([]byte("zkinfer.shards"))

// shardsCommitmentOf is quant.ShardsCommitmentOf in the circuit:
// shardsCommitment for version 1, graphShardsCommitment for a graph cut
// sharding.
func shardsCommitmentOf(api frontend.API, sh Sharding, n int, ranges []quant.ShardRange, commitments []frontend.Variable) (frontend.Variable, error) {
	if sh.graph() {
		return graphShardsCommitment(api, sh.Model, n, ranges, commitments)
	}
	return shardsCommitment(api, n, ranges, commitments)
}

// graphShardsCommitment is quant.GraphShardsCommitment in the circuit:
// Poseidon2 of the domain, the version (2), the whole model's commitment,
// n, k, then per shard its first and end node (constants, as the model's
// commitment) and its commitment.
func graphShardsCommitment(api frontend.API, model fr.Element, n int, ranges []quant.ShardRange, commitments []frontend.Variable) (frontend.Variable, error) {
	if len(ranges) != len(commitments) || len(ranges) == 0 {
		return nil, fmt.Errorf("aggregate: %d ranges and %d commitments", len(ranges), len(commitments))
	}
	elems := []frontend.Variable{shardsDomain, quant.GraphShardsVersion, model.BigInt(new(big.Int)), n, len(ranges)}
	for i, r := range ranges {
		elems = append(elems, r.From, r.To, commitments[i])
	}
	return modelio.Hash(api, elems)
}

// shardsCommitment is quant.ShardsCommitment in the circuit: Poseidon2 of
// the domain, the version, n, k, then per shard its first and end block
// (constants) and its commitment.
func shardsCommitment(api frontend.API, n int, ranges []quant.ShardRange, commitments []frontend.Variable) (frontend.Variable, error) {
	if len(ranges) != len(commitments) {
		return nil, fmt.Errorf("aggregate: %d ranges and %d commitments", len(ranges), len(commitments))
	}
	elems := []frontend.Variable{shardsDomain, quant.ShardsVersion, n, len(ranges)}
	for i, r := range ranges {
		elems = append(elems, r.From, r.To, commitments[i])
	}
	return modelio.Hash(api, elems)
}
