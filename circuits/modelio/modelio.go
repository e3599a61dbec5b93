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
	// X is the unpacked input, one int8 per variable.
	X [][]frontend.Variable
	// InputSalt and OutputSalt hold the salt of a private input or output,
	// and are empty otherwise (gnark rejects unconstrained inputs).
	InputSalt  []frontend.Variable
	OutputSalt []frontend.Variable

	vis    quant.Visibility
	commit fr.Element
	bound  bool
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
	if v.Input == quant.VisibilityPrivate {
		f.Input = hexOf(s.Input)
	}
	if v.Output == quant.VisibilityPrivate {
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
	outSize := quant.ShapeSize(m.OutputShape())
	if err := v.Validate(); err != nil {
		return IO{}, err
	}
	nw, err := NbPublicWeights(m, v.Weights)
	if err != nil {
		return IO{}, err
	}
	io := IO{
		Input:      make([]frontend.Variable, NbPublic(seq*d, v.Input)),
		Output:     make([]frontend.Variable, NbPublic(outSize, v.Output)),
		Weights:    make([]frontend.Variable, nw),
		X:          make([][]frontend.Variable, seq),
		InputSalt:  make([]frontend.Variable, saltLen(v.Input)),
		OutputSalt: make([]frontend.Variable, saltLen(v.Output)),
		vis:        v,
	}
	// With witness weights the commitment must not be a constant: the
	// circuit would depend on the weights.
	if v.Weights == quant.VisibilityFixed {
		if io.commit, err = quant.Commit(m); err != nil {
			return IO{}, err
		}
	}
	for i := range io.X {
		io.X[i] = make([]frontend.Variable, d)
	}
	return io, nil
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
	if err := v.Validate(); err != nil {
		return IO{}, err
	}
	commit, err := quant.Commit(m)
	if err != nil {
		return IO{}, err
	}
	in, err := Public(quant.Flatten(tr.X), v.Input, salts.Input)
	if err != nil {
		return IO{}, fmt.Errorf("input: %w", err)
	}
	out, err := Public(quant.Flatten(tr.Y), v.Output, salts.Output)
	if err != nil {
		return IO{}, fmt.Errorf("output: %w", err)
	}
	io := IO{Input: vars(in), Output: vars(out), Weights: []frontend.Variable{}, Model: commit, InputSalt: []frontend.Variable{}, OutputSalt: []frontend.Variable{}}
	if v.Weights == quant.VisibilityPublic {
		w, err := WeightElements(m)
		if err != nil {
			return IO{}, err
		}
		io.Weights = vars(w)
	}
	if v.Input == quant.VisibilityPrivate {
		io.InputSalt = []frontend.Variable{salts.Input}
	}
	if v.Output == quant.VisibilityPrivate {
		io.OutputSalt = []frontend.Variable{salts.Output}
	}
	for _, row := range tr.X {
		io.X = append(io.X, vars(row))
	}
	return io, nil
}

// Bind range-checks every x to int8, so the packing has one unpacking and the
// circuit accepts exactly the inputs the reference accepts, and checks that
// the public Input and Output expose X and y (int8 values: clamp outputs) as
// their visibility says.
func (io *IO) Bind(api frontend.API, fp *fixedpoint.Gadget, y [][]frontend.Variable) error {
	var xs, ys []frontend.Variable
	for _, row := range io.X {
		for _, v := range row {
			fp.AssertInt8(v)
		}
		xs = append(xs, row...)
	}
	for _, row := range y {
		ys = append(ys, row...)
	}
	if err := io.vis.Validate(); err != nil {
		return fmt.Errorf("modelio: %w (allocate the IO with modelio.New)", err)
	}
	if io.vis.Weights == quant.VisibilityFixed {
		api.AssertIsEqual(io.Model, io.commit)
	} else if !io.bound {
		return fmt.Errorf("modelio: %s weights without BindModel", io.vis.Weights)
	}
	if err := expose(api, io.vis.Input, io.Input, io.InputSalt, xs); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if err := expose(api, io.vis.Output, io.Output, io.OutputSalt, ys); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
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
