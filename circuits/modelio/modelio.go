// Package modelio is the public interface shared by every model circuit: the
// model input, the model output and the model commitment, in that order,
// input and output each exposed as its visibility
// (quant.Visibility) says:
//
//   - public: the values packed 31 int8 per field element (quant.PackInt8);
//   - hashed: one element, quant.HashPacked of the values (no salt);
//   - private: one element, quant.HashPacked with a secret salt.
//
// Hashed and private keep the number of public inputs at two whatever the
// model's size, which keeps the on-chain verifier cheap.
//
// # Tensor hashes bind their length
//
// quant.HashPacked of n values is Poseidon2 of the tag T (quant.TensorTag:
// "zkinfer.int8" ‖ salted ‖ n as a big-endian integer), then the salt under
// private, then the packed values. Packing alone would not bind n: −128
// packs to a zero byte, so a tensor and the same tensor followed by −128s
// fill the last element alike. HashPacked here computes the same hash; n is
// the circuit's tensor size, a constant, so T is a constant and Poseidon2's
// first compression C(0, T) folds to a constant: the binding costs no
// constraints. Shards chain through the same unsalted hash.
//
// # Several inputs or outputs, index values
//
// A model whose inputs (outputs) are not one int8 tensor (quant.IOPart:
// a graph with several inputs, or an index input such as token ids)
// exposes them part by part: public, each part packed in turn (int8 by
// quant.PackInt8, index values 10 per element by quant.PackUint24);
// hashed and private, quant.HashParts: Poseidon2 of quant.IOTag(k,
// salted), the salt, and each part's unsalted hash. X then holds one slice
// per part, and Bind takes the outputs one slice per part. Every input
// value is range-checked to its part's bounds exactly (int8: one check;
// index and narrowed int8: two, boolean: one booleanity constraint), so
// the packing has one unpacking and the circuit accepts exactly the inputs
// the reference accepts. One int8 part is exposed as it always was.
//
// # Parts of different visibilities
//
// Parts may each have their own visibility (quant.Visibility, "Per-part
// visibility"). When a side's parts are not all alike, its public inputs
// are, in this order:
//
//  1. the public parts, in part order, packed as above (quant.PackParts of
//     those parts);
//  2. if any part is hashed, one element: quant.HashParts of the hashed
//     parts, in part order, without salt;
//  3. if any part is private, one element: quant.HashParts of the private
//     parts, in part order, with the side's salt.
//
// quant.HashParts of a group of one int8 part is its quant.HashPacked, as
// for a whole side. The verifier knows the parts and each one's visibility
// from the pinned key's layout, so it packs the public parts' values and
// rehashes the hashed parts' values itself; of the private parts it sees
// only the group's commitment. A side whose parts are all alike is exposed
// exactly as before.
//
// Public packing has no such tag: its ⌈n/31⌉ public inputs do not tell n
// from n plus −128s within the last element, so a verifier of public values
// checks their count against the shape it trusts (the circuit's, from its
// anchor), not against the public inputs.
package modelio

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// IO holds a model circuit's public input and output and the unpacked input.
type IO struct {
	// Input is x (seq × d_model, row-major) as its visibility exposes it.
	Input []frontend.Variable `gnark:",public"`
	// Output is y exposed the same way.
	Output []frontend.Variable `gnark:",public"`
	// Weights are the weight elements of the model encoding
	// (quant.EncodeLayout) under public weights, and empty otherwise.
	Weights []frontend.Variable `gnark:",public"`
	// Model is the model commitment (quant.Commit). With fixed weights it
	// is a constant of the circuit, so the verifying key is bound to it and
	// a bundle cannot claim another model's commitment. With hashed or
	// public weights the circuit recomputes it from the witness weights
	// (BindModel), so one verifying key serves every weight set of the
	// architecture and the commitment says which one a proof is about.
	Model frontend.Variable `gnark:",public"`
	// X is the unpacked input, one value per variable: rows of the input
	// for one int8 input part, one slice per part otherwise.
	X [][]frontend.Variable
	// InputSalt and OutputSalt hold the salt of a private input or output,
	// and are empty otherwise (gnark rejects unconstrained inputs).
	InputSalt  []frontend.Variable
	OutputSalt []frontend.Variable
	// Y holds the output values under committed output (row-major, one
	// witness wire each, asserted equal to the circuit's output and
	// committed: see "Committed input and output"), and is empty
	// otherwise.
	Y []frontend.Variable

	vis      quant.Visibility
	commit   fr.Element
	bound    bool
	inParts  []quant.IOPart
	outParts []quant.IOPart
	// inVis and outVis are each part's visibility.
	inVis, outVis []string
}

// Salts are the secret salts of private inputs and outputs.
type Salts struct{ Input, Output fr.Element }

// RandomSalts returns fresh salts from crypto/rand.
func RandomSalts() (Salts, error) {
	var s Salts
	if _, err := s.Input.SetRandom(); err != nil {
		return s, fmt.Errorf("salt: %w", err)
	}
	if _, err := s.Output.SetRandom(); err != nil {
		return s, fmt.Errorf("salt: %w", err)
	}
	return s, nil
}

// saltsFile is the JSON a prover's host keeps to open private commitments.
type saltsFile struct {
	MediaType string `json:"media_type"`
	Input     string `json:"input,omitempty"`
	Output    string `json:"output,omitempty"`
}

// SaltsMediaType is the format of a salts file.
const SaltsMediaType = "application/vnd.zkinfer.salts.v1+json"

// WriteSalts writes the salts of v's private tensors to path atomically,
// readable by its owner only: with the values, they open the commitments.
func WriteSalts(path string, s Salts, v quant.Visibility) error {
	f := saltsFile{MediaType: SaltsMediaType}
	in, out := v.HasPrivate()
	if in {
		f.Input = hexOf(s.Input)
	}
	if out {
		f.Output = hexOf(s.Output)
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := quant.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("salts: %w", err)
	}
	return nil
}

func hexOf(e fr.Element) string {
	b := e.Bytes()
	return fmt.Sprintf("0x%x", b[:])
}

// NbPublic is the number of public inputs of n int8 values under visibility v.
func NbPublic(n int, v string) int {
	if v == quant.VisibilityPublic {
		return (n + quant.PackedPerElement - 1) / quant.PackedPerElement
	}
	return 1
}

// NbPublicParts is the number of public inputs of parts under visibility
// v: NbPublic for one int8 part.
func NbPublicParts(parts []quant.IOPart, v string) int {
	if quant.SingleInt8(parts) {
		return NbPublic(parts[0].Size(), v)
	}
	if v == quant.VisibilityPublic {
		return quant.NbPackedParts(parts)
	}
	return 1
}

// NbPublicSide is the number of public inputs of parts under per-part
// visibilities vis: NbPublicParts when they are alike, else the public
// parts' packed elements and one element per hashed or private group.
func NbPublicSide(parts []quant.IOPart, vis []string) int {
	if quant.Uniform(vis) {
		return NbPublicParts(parts, vis[0])
	}
	pub, hashed, private := quant.PartGroups(vis)
	n := quant.NbPackedParts(quant.Pick(parts, pub))
	if len(hashed) > 0 {
		n++
	}
	if len(private) > 0 {
		n++
	}
	return n
}

// saltLenSide is the number of salts of a side: one when any part is
// private.
func saltLenSide(vis []string) int {
	for _, v := range vis {
		if v == quant.VisibilityPrivate {
			return 1
		}
	}
	return 0
}

func saltLen(v string) int {
	if v == quant.VisibilityPrivate {
		return 1
	}
	return 0
}

// NbPublicWeights returns the number of public inputs m's weights take
// under weight visibility v: the weight elements of its encoding under
// public, none otherwise. Public weights above quant.MaxPublicWeights
// elements are an error.
func NbPublicWeights(m *quant.Model, v string) (int, error) {
	if v != quant.VisibilityPublic {
		return 0, nil
	}
	_, isWeight, err := quant.EncodeLayout(m)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, w := range isWeight {
		if w {
			n++
		}
	}
	if n > quant.MaxPublicWeights {
		return 0, fmt.Errorf("%w: public weights need %d public inputs, more than %d: use hashed weights (one public input, the commitment)", quant.ErrRange, n, quant.MaxPublicWeights)
	}
	return n, nil
}

// WeightElements returns the values of m's public weight inputs: the
// weight elements of quant.EncodeLayout, in order.
func WeightElements(m *quant.Model) ([]*big.Int, error) {
	elems, isWeight, err := quant.EncodeLayout(m)
	if err != nil {
		return nil, err
	}
	var out []*big.Int
	for i, w := range isWeight {
		if w {
			out = append(out, elems[i].BigInt(new(big.Int)))
		}
	}
	return out, nil
}

// New allocates the IO of model m.
func New(m *quant.Model, v quant.Visibility) (IO, error) {
	seq, d := quant.Rows(m.InputShape())
	inParts, outParts := m.InputParts(), m.OutputParts()
	v, inVis, outVis, err := resolve(m, v)
	if err != nil {
		return IO{}, err
	}
	nw, err := NbPublicWeights(m, v.Weights)
	if err != nil {
		return IO{}, err
	}
	nY, err := committedSides(v, inParts, outParts)
	if err != nil {
		return IO{}, err
	}
	io := IO{
		Y:          make([]frontend.Variable, nY),
		Input:      make([]frontend.Variable, NbPublicSide(inParts, inVis)),
		Output:     make([]frontend.Variable, NbPublicSide(outParts, outVis)),
		Weights:    make([]frontend.Variable, nw),
		X:          make([][]frontend.Variable, seq),
		InputSalt:  make([]frontend.Variable, saltLenSide(inVis)),
		OutputSalt: make([]frontend.Variable, saltLenSide(outVis)),
		vis:        v,
		inParts:    inParts,
		outParts:   outParts,
		inVis:      inVis,
		outVis:     outVis,
	}
	// With witness weights the commitment must not be a constant: the
	// circuit would depend on the weights.
	if v.Weights == quant.VisibilityFixed {
		if io.commit, err = quant.Commit(m); err != nil {
			return IO{}, err
		}
	}
	if !quant.SingleInt8(inParts) {
		io.X = make([][]frontend.Variable, len(inParts))
		for i, p := range inParts {
			io.X[i] = make([]frontend.Variable, p.Size())
		}
		return io, nil
	}
	for i := range io.X {
		io.X[i] = make([]frontend.Variable, d)
	}
	return io, nil
}

// resolve returns v in canonical form for m (quant.Visibility.Resolve) and
// each input and output part's visibility.
func resolve(m *quant.Model, v quant.Visibility) (quant.Visibility, []string, []string, error) {
	v, err := v.Resolve(m.InputParts(), m.OutputParts())
	if err != nil {
		return v, nil, nil, err
	}
	inVis, err := v.InputsOf(m.InputParts())
	if err != nil {
		return v, nil, nil, err
	}
	outVis, err := v.OutputsOf(m.OutputParts())
	return v, inVis, outVis, err
}

// PublicSide returns the public inputs of parts (values: one slice per
// part) under per-part visibilities vis, salt used by private parts only:
// PublicParts when they are alike, else the groups of "Parts of different
// visibilities".
func PublicSide(parts []quant.IOPart, values [][]int64, vis []string, salt fr.Element) ([]*big.Int, error) {
	if len(vis) != len(parts) {
		return nil, fmt.Errorf("%w: %d visibilities for %d parts", quant.ErrValidation, len(vis), len(parts))
	}
	if quant.Uniform(vis) && vis[0] == quant.VisibilityCommitted {
		// The commitment's Keccak wire: a function of the proving key's
		// basis, which the prover fills in (prover.Prove); zero here.
		if err := quant.CheckParts(parts, values); err != nil {
			return nil, err
		}
		return []*big.Int{new(big.Int)}, nil
	}
	if quant.Uniform(vis) {
		return PublicParts(parts, values, vis[0], salt)
	}
	if err := quant.CheckParts(parts, values); err != nil {
		return nil, err
	}
	pub, hashed, private := quant.PartGroups(vis)
	var out []*big.Int
	if len(pub) > 0 {
		els, err := quant.PackParts(quant.Pick(parts, pub), quant.Pick(values, pub))
		if err != nil {
			return nil, err
		}
		out = append(out, els...)
	}
	for _, g := range []struct {
		idx  []int
		salt *fr.Element
	}{{hashed, nil}, {private, &salt}} {
		if len(g.idx) == 0 {
			continue
		}
		h, err := quant.HashParts(quant.Pick(parts, g.idx), quant.Pick(values, g.idx), g.salt)
		if err != nil {
			return nil, err
		}
		out = append(out, h.BigInt(new(big.Int)))
	}
	return out, nil
}

// PublicParts returns the public inputs of parts (values: one slice per
// part) under visibility v: Public of the values for one int8 part,
// quant.PackParts (public) or quant.HashParts (hashed, private with salt)
// otherwise.
func PublicParts(parts []quant.IOPart, values [][]int64, v string, salt fr.Element) ([]*big.Int, error) {
	if quant.SingleInt8(parts) {
		if len(values) != 1 {
			return nil, fmt.Errorf("%w: %d tensors for one part", quant.ErrShape, len(values))
		}
		return Public(values[0], v, salt)
	}
	switch v {
	case quant.VisibilityPublic:
		return quant.PackParts(parts, values)
	case quant.VisibilityHashed, quant.VisibilityPrivate:
		var s *fr.Element
		if v == quant.VisibilityPrivate {
			s = &salt
		}
		h, err := quant.HashParts(parts, values, s)
		if err != nil {
			return nil, err
		}
		return []*big.Int{h.BigInt(new(big.Int))}, nil
	}
	return nil, fmt.Errorf("%w: visibility %q", quant.ErrValidation, v)
}

// Public returns the public inputs of the int8 values under visibility v,
// with salt used only for private: what the circuit's Input or Output is.
func Public(values []int64, v string, salt fr.Element) ([]*big.Int, error) {
	switch v {
	case quant.VisibilityPublic:
		return quant.PackInt8(values)
	case quant.VisibilityHashed, quant.VisibilityPrivate:
		var s *fr.Element
		if v == quant.VisibilityPrivate {
			s = &salt
		}
		h, err := quant.HashPacked(values, s)
		if err != nil {
			return nil, err
		}
		return []*big.Int{h.BigInt(new(big.Int))}, nil
	}
	return nil, fmt.Errorf("%w: visibility %q", quant.ErrValidation, v)
}

// Assign returns the IO witness of one trace of the reference. salts are
// read only for private input or output.
func Assign(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts Salts) (IO, error) {
	v, inVis, outVis, err := resolve(m, v)
	if err != nil {
		return IO{}, err
	}
	commit, err := quant.Commit(m)
	if err != nil {
		return IO{}, err
	}
	inParts, outParts := m.InputParts(), m.OutputParts()
	in, err := PublicSide(inParts, tr.InputParts(), inVis, salts.Input)
	if err != nil {
		return IO{}, fmt.Errorf("input: %w", err)
	}
	out, err := PublicSide(outParts, tr.OutputParts(), outVis, salts.Output)
	if err != nil {
		return IO{}, fmt.Errorf("output: %w", err)
	}
	io := IO{Input: vars(in), Output: vars(out), Weights: []frontend.Variable{}, Model: commit, InputSalt: []frontend.Variable{}, OutputSalt: []frontend.Variable{}, Y: []frontend.Variable{}}
	if _, out := v.CommittedIO(); out {
		for _, p := range tr.OutputParts() {
			io.Y = append(io.Y, vars(p)...)
		}
	}
	if v.Weights == quant.VisibilityPublic {
		w, err := WeightElements(m)
		if err != nil {
			return IO{}, err
		}
		io.Weights = vars(w)
	}
	if saltLenSide(inVis) == 1 {
		io.InputSalt = []frontend.Variable{salts.Input}
	}
	if saltLenSide(outVis) == 1 {
		io.OutputSalt = []frontend.Variable{salts.Output}
	}
	if !quant.SingleInt8(inParts) {
		for _, p := range tr.InputParts() {
			io.X = append(io.X, vars(p))
		}
		return io, nil
	}
	for _, row := range tr.X {
		io.X = append(io.X, vars(row))
	}
	return io, nil
}

// Bind range-checks every x to int8 (to its part's bounds), so the packing
// has one unpacking and the circuit accepts exactly the inputs the reference
// accepts, and checks that the public Input and Output expose X and y (int8
// values: clamp outputs; values constrained to their bounds by the ops that
// produce them) as their visibility says. y is the output as rows for one
// int8 output part, one slice per part otherwise.
func (io *IO) Bind(api frontend.API, fp *fixedpoint.Gadget, y [][]frontend.Variable) error {
	var xs, ys []frontend.Variable
	legacyIn := io.inParts == nil || quant.SingleInt8(io.inParts)
	legacyOut := io.outParts == nil || quant.SingleInt8(io.outParts)
	if legacyIn {
		for _, row := range io.X {
			for _, v := range row {
				fp.AssertInt8(v)
			}
			xs = append(xs, row...)
		}
		if io.inParts != nil {
			if p := io.inParts[0]; p.Lo != quant.Int8Min || p.Hi != quant.Int8Max {
				for _, v := range xs {
					assertWithin(api, fp, v, p.Lo, p.Hi)
				}
			}
		}
	} else {
		if len(io.X) != len(io.inParts) {
			return fmt.Errorf("modelio: %d input tensors for %d parts", len(io.X), len(io.inParts))
		}
		for i, p := range io.inParts {
			if len(io.X[i]) != p.Size() {
				return fmt.Errorf("modelio: input %s has %d variables, want %d", p.Name, len(io.X[i]), p.Size())
			}
			for _, v := range io.X[i] {
				if p.DType == quant.DTypeInt8 && p.Lo == quant.Int8Min && p.Hi == quant.Int8Max {
					fp.AssertInt8(v)
					continue
				}
				assertWithin(api, fp, v, p.Lo, p.Hi)
			}
		}
	}
	if legacyOut {
		for _, row := range y {
			ys = append(ys, row...)
		}
	} else if len(y) != len(io.outParts) {
		return fmt.Errorf("modelio: %d output tensors for %d parts", len(y), len(io.outParts))
	}
	if err := io.vis.Validate(); err != nil {
		return fmt.Errorf("modelio: %w (allocate the IO with modelio.New)", err)
	}
	if io.vis.Weights == quant.VisibilityFixed {
		api.AssertIsEqual(io.Model, io.commit)
	} else if !io.bound {
		return fmt.Errorf("modelio: %s weights without BindModel", io.vis.Weights)
	}
	var err error
	cin, cout := io.vis.CommittedIO()
	switch {
	case cin:
		err = exposeCommitted(api, io.Input, xs)
	case legacyIn:
		err = expose(api, io.vis.Input, io.Input, io.InputSalt, xs)
	case !quant.Uniform(io.inVis):
		err = exposeMixed(api, io.inVis, io.Input, io.InputSalt, io.inParts, io.X)
	default:
		err = exposeParts(api, io.vis.Input, io.Input, io.InputSalt, io.inParts, io.X)
	}
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	switch {
	case cout:
		if len(io.Y) != len(ys) {
			return fmt.Errorf("output: %d committed output wires for %d values", len(io.Y), len(ys))
		}
		for i := range ys {
			api.AssertIsEqual(io.Y[i], ys[i])
		}
		err = exposeCommitted(api, io.Output, io.Y)
	case legacyOut:
		err = expose(api, io.vis.Output, io.Output, io.OutputSalt, ys)
	case !quant.Uniform(io.outVis):
		err = exposeMixed(api, io.outVis, io.Output, io.OutputSalt, io.outParts, y)
	default:
		err = exposeParts(api, io.vis.Output, io.Output, io.OutputSalt, io.outParts, y)
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

// assertWithin constrains lo ≤ v ≤ hi: v ∈ {0, 1} for [0, 1], else
// v − lo and hi − v both within b = bits(hi − lo) bits; together (2^(b+1)
// far below the field) they leave exactly the integers of [lo, hi].
func assertWithin(api frontend.API, fp *fixedpoint.Gadget, v frontend.Variable, lo, hi int64) {
	if lo == 0 && hi == 1 {
		api.AssertIsBoolean(v)
		return
	}
	b := big.NewInt(hi - lo).BitLen()
	fp.Check(api.Sub(v, lo), b)
	fp.Check(api.Sub(hi, v), b)
}

// PackUint24 returns quant.PackUint24 of values known to lie in [0, 2^24)
// as linear expressions.
func PackUint24(api frontend.API, values []frontend.Variable) []frontend.Variable {
	per := quant.Uint24PerElement
	out := make([]frontend.Variable, (len(values)+per-1)/per)
	for k := range out {
		start, end := k*per, min((k+1)*per, len(values))
		acc := frontend.Variable(0)
		for i := end - 1; i >= start; i-- {
			acc = api.Add(api.Mul(acc, 1<<24), values[i])
		}
		out[k] = acc
	}
	return out
}

// exposeParts asserts pub is the parts' values packed (public) or
// quant.HashParts of them (hashed, and private with its salt).
func exposeParts(api frontend.API, v string, pub, salt []frontend.Variable, parts []quant.IOPart, values [][]frontend.Variable) error {
	if len(values) != len(parts) {
		return fmt.Errorf("%d tensors for %d parts", len(values), len(parts))
	}
	if v == quant.VisibilityPublic {
		var want []frontend.Variable
		for i, p := range parts {
			if p.DType == quant.DTypeIndex {
				want = append(want, PackUint24(api, values[i])...)
			} else {
				want = append(want, fixedpoint.PackInt8(api, values[i])...)
			}
		}
		if len(pub) != len(want) {
			return fmt.Errorf("%d public elements for %d packed", len(pub), len(want))
		}
		for k := range want {
			api.AssertIsEqual(pub[k], want[k])
		}
		return nil
	}
	if len(pub) != 1 || len(salt) != saltLen(v) {
		return fmt.Errorf("%d public elements and %d salts for %s values", len(pub), len(salt), v)
	}
	h, err := hashGroup(api, parts, values, salt)
	if err != nil {
		return err
	}
	api.AssertIsEqual(pub[0], h)
	return nil
}

// hashGroup is quant.HashParts in the circuit: HashPacked for one int8
// part, else Poseidon2 of quant.IOTag, the salt and each part's hash.
func hashGroup(api frontend.API, parts []quant.IOPart, values [][]frontend.Variable, salt []frontend.Variable) (frontend.Variable, error) {
	if quant.SingleInt8(parts) {
		return HashPacked(api, values[0], salt)
	}
	tag, err := quant.IOTag(len(parts), len(salt) == 1)
	if err != nil {
		return nil, err
	}
	elems := append([]frontend.Variable{tag}, salt...)
	for i, p := range parts {
		var h frontend.Variable
		if p.DType == quant.DTypeIndex {
			h, err = HashIndex(api, values[i])
		} else {
			h, err = HashPacked(api, values[i], nil)
		}
		if err != nil {
			return nil, err
		}
		elems = append(elems, h)
	}
	return Hash(api, elems)
}

// exposeMixed asserts pub is the public inputs of parts whose visibilities
// vis differ (see "Parts of different visibilities"): the public parts
// packed, then the hashed group's hash, then the private group's salted
// hash.
func exposeMixed(api frontend.API, vis []string, pub, salt []frontend.Variable, parts []quant.IOPart, values [][]frontend.Variable) error {
	if len(values) != len(parts) || len(vis) != len(parts) {
		return fmt.Errorf("%d tensors and %d visibilities for %d parts", len(values), len(vis), len(parts))
	}
	if len(pub) != NbPublicSide(parts, vis) || len(salt) != saltLenSide(vis) {
		return fmt.Errorf("%d public elements and %d salts for parts of visibilities %v", len(pub), len(salt), vis)
	}
	public, hashed, private := quant.PartGroups(vis)
	off := 0
	if len(public) > 0 {
		n := quant.NbPackedParts(quant.Pick(parts, public))
		if err := exposeParts(api, quant.VisibilityPublic, pub[off:off+n], nil, quant.Pick(parts, public), quant.Pick(values, public)); err != nil {
			return err
		}
		off += n
	}
	for _, g := range []struct {
		idx  []int
		salt []frontend.Variable
	}{{hashed, nil}, {private, salt}} {
		if len(g.idx) == 0 {
			continue
		}
		h, err := hashGroup(api, quant.Pick(parts, g.idx), quant.Pick(values, g.idx), g.salt)
		if err != nil {
			return err
		}
		api.AssertIsEqual(pub[off], h)
		off++
	}
	return nil
}

// HashIndex is quant.HashIndex in the circuit, for values range-checked to
// [0, 2^24).
func HashIndex(api frontend.API, values []frontend.Variable) (frontend.Variable, error) {
	tag, err := quant.IndexTag(len(values))
	if err != nil {
		return nil, err
	}
	return Hash(api, append([]frontend.Variable{tag}, PackUint24(api, values)...))
}

// Visibility returns the visibility the IO was allocated with.
func (io *IO) Visibility() quant.Visibility { return io.vis }

// BindModel asserts that the public commitment is h, the commitment the
// circuit recomputed from its witness weights (weights.Commit), and under
// public weights that the public Weights are elems, its weight elements.
func (io *IO) BindModel(api frontend.API, h frontend.Variable, elems []frontend.Variable) error {
	if io.vis.Weights == quant.VisibilityFixed {
		return fmt.Errorf("modelio: BindModel with fixed weights")
	}
	api.AssertIsEqual(io.Model, h)
	if io.vis.Weights == quant.VisibilityPublic {
		if len(io.Weights) != len(elems) {
			return fmt.Errorf("modelio: %d public weight inputs for %d weight elements", len(io.Weights), len(elems))
		}
		for k := range elems {
			api.AssertIsEqual(io.Weights[k], elems[k])
		}
	}
	io.bound = true
	return nil
}

// expose asserts pub is values packed (public) or their hash (hashed, and
// private with its salt).
func expose(api frontend.API, v string, pub, salt, values []frontend.Variable) error {
	if v == quant.VisibilityPublic {
		return fixedpoint.AssertPackedInt8(api, pub, values)
	}
	if len(pub) != 1 || len(salt) != saltLen(v) {
		return fmt.Errorf("%d public elements and %d salts for %s values", len(pub), len(salt), v)
	}
	h, err := HashPacked(api, values, salt)
	if err != nil {
		return err
	}
	api.AssertIsEqual(pub[0], h)
	return nil
}

// HashPacked is quant.HashPacked in the circuit: Poseidon2 of the tag of
// len(values) values (quant.TensorTag, a constant), the salt when salt holds
// one, and the values packed 31 to an element. The values must be
// range-checked to int8 by the caller, so that the packing is the one Go
// computes.
func HashPacked(api frontend.API, values, salt []frontend.Variable) (frontend.Variable, error) {
	if len(salt) > 1 {
		return nil, fmt.Errorf("modelio: %d salts, want at most one", len(salt))
	}
	tag, err := quant.TensorTag(len(values), len(salt) == 1)
	if err != nil {
		return nil, err
	}
	elems := append([]frontend.Variable{tag}, salt...)
	return Hash(api, append(elems, fixedpoint.PackInt8(api, values)...))
}

// Hash is quant.Poseidon2 in the circuit: gnark's Poseidon2 Merkle–Damgård
// hasher over BN254.
func Hash(api frontend.API, elems []frontend.Variable) (frontend.Variable, error) {
	h, err := poseidon2.New(api)
	if err != nil {
		return nil, err
	}
	h.Write(elems...)
	return h.Sum(), nil
}

func vars[T any](v []T) []frontend.Variable {
	out := make([]frontend.Variable, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// committedSides checks committed input and output (quant.VisibilityCommitted)
// against the model's parts, and returns the number of committed output
// wires (Y): the output's size under committed output, 0 otherwise.
func committedSides(v quant.Visibility, inParts, outParts []quant.IOPart) (int, error) {
	cin, cout := v.CommittedIO()
	if cin && !quant.SingleInt8(inParts) {
		return 0, fmt.Errorf("%w: %s input needs one int8 input tensor: the model's input is %d parts (several graph inputs or index values); use hashed", quant.ErrValidation, quant.VisibilityCommitted, len(inParts))
	}
	if !cout {
		return 0, nil
	}
	if !quant.SingleInt8(outParts) {
		return 0, fmt.Errorf("%w: %s output needs one int8 output tensor: the model's output is %d parts; use hashed", quant.ErrValidation, quant.VisibilityCommitted, len(outParts))
	}
	return outParts[0].Size(), nil
}

// exposeCommitted asserts pub (one element) is the wire of a proof-system
// commitment (frontend.Committer: Groth16's BSB22) to exactly values,
// which must be distinct secret input wires in allocation order (X, or Y):
// gnark sorts a commitment's wires by id, and the verifier's basis lists
// one point per value in value order (prover.IOBasisOf checks the
// commitment is over consecutive secret inputs). No hash is computed in
// the circuit: see "Committed input and output" in prover/committedio.go
// for what binds the values.
func exposeCommitted(api frontend.API, pub, values []frontend.Variable) error {
	if len(pub) != 1 {
		return fmt.Errorf("%d public elements for %s values", len(pub), quant.VisibilityCommitted)
	}
	if len(values) == 0 {
		return fmt.Errorf("%s: no values", quant.VisibilityCommitted)
	}
	committer, ok := api.(frontend.Committer)
	if !ok {
		return fmt.Errorf("%s values need a builder with commitments (Groth16)", quant.VisibilityCommitted)
	}
	h, err := committer.Commit(values...)
	if err != nil {
		return fmt.Errorf("committing the values: %w", err)
	}
	api.AssertIsEqual(pub[0], h)
	return nil
}
