package aggregate

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/quant"
)

// tinyShard is a shard-shaped inner circuit: public (input hash, output
// hash, model commitment) in a shard's order, one BSB22 commitment from a
// range check. Out = In + X with X < 256 stands in for the block.
type tinyShard struct {
	In, Out, Model frontend.Variable `gnark:",public"`
	X              frontend.Variable
}

func (c *tinyShard) Define(api frontend.API) error {
	rangecheck.New(api).Check(c.X, 8)
	api.AssertIsEqual(api.Add(c.In, c.X), c.Out)
	api.AssertIsDifferent(c.Model, 0)
	return nil
}

// fixture is a tiny inner circuit and its dev key pair.
type fixture struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  groth16.VerifyingKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &tinyShard{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ccs.GetCommitments().(constraint.Groth16Commitments)); n != 1 {
		t.Fatalf("tiny shard has %d commitments, want 1", n)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ccs, pk, vk}
}

// shard proves in + x = out with model commitment model for blocks r.
func (f *fixture) shard(t testing.TB, r quant.ShardRange, in, x, model uint64, opts ...backend.ProverOption) Shard {
	t.Helper()
	w, err := frontend.NewWitness(&tinyShard{In: in, Out: in + x, Model: model, X: x}, field)
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = []backend.ProverOption{ProverOptions()}
	}
	proof, err := groth16.Prove(f.ccs, f.pk, w, opts...)
	if err != nil {
		t.Fatal(err)
	}
	pub := make([]fr.Element, 3)
	pub[0].SetUint64(in)
	pub[1].SetUint64(in + x)
	pub[2].SetUint64(model)
	return Shard{Range: r, VK: f.vk, Proof: proof, Public: pub}
}

// chain returns three honest shards of a 4-block model: blocks 0:1, 1:3, 3:4.
func (f *fixture) chain(t testing.TB) []Shard {
	return []Shard{
		f.shard(t, quant.ShardRange{From: 0, To: 1}, 5, 7, 101),
		f.shard(t, quant.ShardRange{From: 1, To: 3}, 12, 3, 102),
		f.shard(t, quant.ShardRange{From: 3, To: 4}, 15, 1, 103),
	}
}

func ranges(shards []Shard) []quant.ShardRange {
	out := make([]quant.ShardRange, len(shards))
	for i, s := range shards {
		out[i] = s.Range
	}
	return out
}

func keys(shards []Shard) []groth16.VerifyingKey {
	out := make([]groth16.VerifyingKey, len(shards))
	for i, s := range shards {
		out[i] = s.VK
	}
	return out
}

func TestCheckStatement(t *testing.T) {
	f := newFixture(t)
	shards := f.chain(t)
	st, err := Check(4, shards)
	if err != nil {
		t.Fatal(err)
	}
	want, err := quant.ShardsCommitment(4, ranges(shards), []fr.Element{shards[0].Public[2], shards[1].Public[2], shards[2].Public[2]})
	if err != nil {
		t.Fatal(err)
	}
	if !st.ShardsCommitment.Equal(&want) {
		t.Errorf("shards commitment %s, want quant.ShardsCommitment %s", st.ShardsCommitment.String(), want.String())
	}
	if st.Input.Uint64() != 5 || st.Output.Uint64() != 16 {
		t.Errorf("statement input %s output %s, want 5 and 16", st.Input.String(), st.Output.String())
	}
}

func TestCheckRejects(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t) // same circuit, another key pair
	for _, tc := range []struct {
		name   string
		n      int
		mutate func([]Shard)
	}{
		{"proof of another shard", 4, func(s []Shard) { s[1].Proof = s[2].Proof }},
		{"tampered Ar", 4, func(s []Shard) {
			p := *s[1].Proof.(*groth16bn254.Proof)
			p.Ar.Add(&p.Ar, &p.Ar)
			s[1].Proof = &p
		}},
		{"tampered commitment", 4, func(s []Shard) {
			p := *s[0].Proof.(*groth16bn254.Proof)
			p.Commitments = append(p.Commitments[:0:0], p.Commitments...)
			p.Commitments[0].Add(&p.Commitments[0], &p.Krs)
			s[0].Proof = &p
		}},
		{"public input changed", 4, func(s []Shard) { s[2].Public[2].SetUint64(999) }},
		{"another key", 4, func(s []Shard) { s[1].VK = other.vk }},
		{"proof for the EVM (Keccak hash to field)", 4, func(s []Shard) {
			s[0] = f.shard(t, s[0].Range, 5, 7, 101, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
		}},
		{"chain broken", 4, func(s []Shard) { s[1] = f.shard(t, s[1].Range, 13, 2, 102) }},
		{"ranges out of order", 4, func(s []Shard) { s[1].Range, s[2].Range = s[2].Range, s[1].Range }},
		{"blocks missing", 5, func([]Shard) {}},
		{"too few public inputs", 4, func(s []Shard) { s[0].Public = s[0].Public[:2] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shards := f.chain(t)
			tc.mutate(shards)
			if _, err := Check(tc.n, shards); !errors.Is(err, ErrRejected) {
				t.Fatalf("Check = %v, want ErrRejected", err)
			}
			c, err := NewCircuit(tc.n, ranges(f.chain(t)), keys(f.chain(t)))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Assign(shards); err == nil {
				t.Fatal("Assign accepted shards Check rejects")
			}
		})
	}
}

// TestAssignPublicOrder: the assignment's public witness (what the outer
// proof's verifier takes) is Statement.PublicInputs in that order.
func TestAssignPublicOrder(t *testing.T) {
	f := newFixture(t)
	shards := f.chain(t)
	c, err := NewCircuit(4, ranges(shards), keys(shards))
	if err != nil {
		t.Fatal(err)
	}
	a, st, err := c.Assign(shards)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(a, field, frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	got := w.Vector().(fr.Vector)
	want := st.PublicInputs()
	if len(got) != len(want) {
		t.Fatalf("%d public inputs, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(&want[i]) {
			t.Errorf("public input %d = %s, want %s", i, got[i].String(), want[i].String())
		}
	}
	if len(a.Proofs) != 3 || len(a.Publics) != 3 || len(a.Publics[1].Public) != NbInnerPublic {
		t.Fatalf("assignment holds %d proofs and %d witnesses", len(a.Proofs), len(a.Publics))
	}
	if len(c.Proofs[0].Commitments) != 1 || len(a.Proofs[0].Commitments) != 1 {
		t.Fatalf("placeholder %d / assignment %d commitments, want 1", len(c.Proofs[0].Commitments), len(a.Proofs[0].Commitments))
	}
}

// shardsCommitmentCircuit exposes shardsCommitment alone, so gnark's test
// engine checks it against quant.ShardsCommitment without the verifier.
type shardsCommitmentCircuit struct {
	Commitments []frontend.Variable
	Want        frontend.Variable `gnark:",public"`
	n           int
	ranges      []quant.ShardRange
}

func (c *shardsCommitmentCircuit) Define(api frontend.API) error {
	h, err := shardsCommitment(api, c.n, c.ranges, c.Commitments)
	if err != nil {
		return err
	}
	api.AssertIsEqual(h, c.Want)
	return nil
}

func TestShardsCommitmentInCircuit(t *testing.T) {
	rs := []quant.ShardRange{{From: 0, To: 1}, {From: 1, To: 3}, {From: 3, To: 4}}
	cs := make([]fr.Element, 3)
	for i := range cs {
		cs[i].SetUint64(uint64(1000 + i))
		cs[i].Square(&cs[i]) // not small
	}
	want, err := quant.ShardsCommitment(4, rs, cs)
	if err != nil {
		t.Fatal(err)
	}
	circuit := &shardsCommitmentCircuit{Commitments: make([]frontend.Variable, 3), n: 4, ranges: rs}
	assign := func(w fr.Element) *shardsCommitmentCircuit {
		a := &shardsCommitmentCircuit{Want: w, n: 4, ranges: rs}
		for _, c := range cs {
			a.Commitments = append(a.Commitments, c)
		}
		return a
	}
	if err := test.IsSolved(circuit, assign(want), field); err != nil {
		t.Fatalf("in-circuit shards commitment differs from quant.ShardsCommitment: %v", err)
	}
	var wrong fr.Element
	wrong.Add(&want, &cs[0])
	if err := test.IsSolved(circuit, assign(wrong), field); err == nil {
		t.Fatal("a wrong shards commitment satisfied the circuit")
	}
	other := &shardsCommitmentCircuit{Commitments: make([]frontend.Variable, 3), n: 5, ranges: rs}
	if err := test.IsSolved(other, assign(want), field); err == nil {
		t.Fatal("the commitment of a 4-block sharding satisfied a 5-block circuit")
	}
}

// graphSharding is a graph cut sharding of a model committed as 4242².
func graphSharding() Sharding {
	var m fr.Element
	m.SetUint64(4242)
	m.Square(&m)
	return Sharding{Version: quant.GraphShardsVersion, Model: m}
}

// TestCheckStatementGraph: a graph cut sharding's statement carries
// quant.GraphShardsCommitment (which hashes the whole model's commitment),
// not the version-1 commitment of the same shards; the model matters.
func TestCheckStatementGraph(t *testing.T) {
	f := newFixture(t)
	shards := f.chain(t)
	sh := graphSharding()
	st, err := CheckSharding(sh, 4, shards)
	if err != nil {
		t.Fatal(err)
	}
	commits := []fr.Element{shards[0].Public[2], shards[1].Public[2], shards[2].Public[2]}
	want, err := quant.GraphShardsCommitment(sh.Model, 4, ranges(shards), commits)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ShardsCommitment.Equal(&want) {
		t.Errorf("v2 shards commitment %s, want quant.GraphShardsCommitment %s", st.ShardsCommitment.String(), want.String())
	}
	v1, err := Check(4, shards)
	if err != nil {
		t.Fatal(err)
	}
	if v1.ShardsCommitment.Equal(&st.ShardsCommitment) || !v1.Input.Equal(&st.Input) || !v1.Output.Equal(&st.Output) {
		t.Error("v1 and v2 statements: same commitment, or different input/output")
	}
	if same, err := CheckSharding(Sharding{Version: quant.ShardsVersion}, 4, shards); err != nil || same != v1 {
		t.Errorf("explicit version 1: %v, %v", same, err)
	}
	other := sh
	other.Model.SetUint64(7)
	if o, err := CheckSharding(other, 4, shards); err != nil || o.ShardsCommitment.Equal(&st.ShardsCommitment) {
		t.Errorf("another model: %v, same commitment", err)
	}
	for _, bad := range []Sharding{{Version: 3}, {Version: quant.ShardsVersion, Model: sh.Model}} {
		if _, err := CheckSharding(bad, 4, shards); err == nil {
			t.Errorf("sharding %+v accepted", bad)
		}
		if _, err := NewShardingCircuit(bad, 4, ranges(shards), keys(shards)); err == nil {
			t.Errorf("circuit of sharding %+v built", bad)
		}
	}
	// The outer circuit of a graph sharding assigns the v2 statement.
	c, err := NewShardingCircuit(sh, 4, ranges(shards), keys(shards))
	if err != nil {
		t.Fatal(err)
	}
	a, ast, err := c.Assign(shards)
	if err != nil {
		t.Fatal(err)
	}
	if ast != st || a.sharding != sh {
		t.Fatalf("assigned statement %v, want %v", ast, st)
	}
}

// graphCommitmentCircuit exposes shardsCommitmentOf alone.
type graphCommitmentCircuit struct {
	Commitments []frontend.Variable
	Want        frontend.Variable `gnark:",public"`
	sh          Sharding
	n           int
	ranges      []quant.ShardRange
}

func (c *graphCommitmentCircuit) Define(api frontend.API) error {
	h, err := shardsCommitmentOf(api, c.sh, c.n, c.ranges, c.Commitments)
	if err != nil {
		return err
	}
	api.AssertIsEqual(h, c.Want)
	return nil
}

// TestGraphShardsCommitmentInCircuit: the outer circuit's v2 commitment is
// quant.GraphShardsCommitment, and binds the model, the node count and the
// version.
func TestGraphShardsCommitmentInCircuit(t *testing.T) {
	rs := []quant.ShardRange{{From: 0, To: 1}, {From: 1, To: 3}, {From: 3, To: 4}}
	cs := make([]fr.Element, 3)
	for i := range cs {
		cs[i].SetUint64(uint64(2000 + i))
		cs[i].Square(&cs[i])
	}
	sh := graphSharding()
	want, err := quant.GraphShardsCommitment(sh.Model, 4, rs, cs)
	if err != nil {
		t.Fatal(err)
	}
	circuit := func(sh Sharding, n int) *graphCommitmentCircuit {
		return &graphCommitmentCircuit{Commitments: make([]frontend.Variable, 3), sh: sh, n: n, ranges: rs}
	}
	assign := func(w fr.Element) *graphCommitmentCircuit {
		a := &graphCommitmentCircuit{Want: w, sh: sh, n: 4, ranges: rs}
		for _, c := range cs {
			a.Commitments = append(a.Commitments, c)
		}
		return a
	}
	if err := test.IsSolved(circuit(sh, 4), assign(want), field); err != nil {
		t.Fatalf("in-circuit v2 shards commitment differs from quant.GraphShardsCommitment: %v", err)
	}
	other := sh
	other.Model.SetUint64(1)
	for name, c := range map[string]*graphCommitmentCircuit{
		"another model":      circuit(other, 4),
		"another node count": circuit(sh, 5),
		"version 1":          circuit(Sharding{}, 4),
	} {
		if err := test.IsSolved(c, assign(want), field); err == nil {
			t.Errorf("%s: the commitment satisfied the circuit", name)
		}
	}
}
