package quant

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

// CommitmentVersion is the version of the canonical model encoding that
// Commit hashes. It is the second element of the encoding, so a commitment
// of one version can never equal a commitment of another.
const CommitmentVersion = 2

// CommitmentPrefix starts the text form of a commitment (FormatCommitment).
const CommitmentPrefix = "poseidon2:"

// commitmentDomain is the first element of every model encoding: the ASCII
// bytes of "zkinfer.model" read as a big-endian integer. It separates model
// commitments from the input/output hashes, which start with data.
var commitmentDomain = new(big.Int).SetBytes([]byte("zkinfer.model"))

// Poseidon2 hashes field elements with gnark's Poseidon2 Merkle–Damgård
// construction over BN254: state₀ = 0, stateᵢ₊₁ = C(stateᵢ, eᵢ), result the
// last state, where C(l, r) = P(l, r)[1] + r and P is the width-2
// Poseidon2 permutation with 6 full and 50 partial rounds and gnark-crypto's
// default round constants (poseidon2.GetDefaultParameters). The circuit side
// is gnark's std/hash/poseidon2 (Hash in circuits/modelio); tests check that
// the two agree bit for bit.
func Poseidon2(elems []fr.Element) fr.Element {
	perm := poseidon2.NewDefaultPermutation()
	var state fr.Element
	for i := range elems {
		x := [2]fr.Element{state, elems[i]}
		// Width 2 never fails.
		_ = perm.Permutation(x[:])
		state.Add(&x[1], &elems[i])
	}
	return state
}

// tensorDomain is the high part of every TensorTag: the ASCII bytes of
// "zkinfer.int8" read as a big-endian integer.
var tensorDomain = new(big.Int).SetBytes([]byte("zkinfer.int8"))

// TensorTag is the first element HashPacked hashes for a tensor of n int8
// values: D·2^72 + s·2^64 + n, with D = "zkinfer.int8" read as a big-endian
// integer and s = 1 when a salt follows, 0 otherwise. It is the integer of
// the 21 bytes "zkinfer.int8" ‖ s ‖ n (8 bytes, big-endian), below 2^168,
// so distinct (n, s) give distinct field elements, and never a model or
// shards encoding's first element ("zkinfer.model" and "zkinfer.shards"
// are below 2^112).
func TensorTag(n int, salted bool) (fr.Element, error) {
	if n < 0 {
		return fr.Element{}, fmt.Errorf("%w: tensor of %d values", ErrShape, n)
	}
	t := new(big.Int).Lsh(tensorDomain, 8)
	if salted {
		t.SetBit(t, 0, 1)
	}
	t.Lsh(t, 64)
	t.Or(t, new(big.Int).SetUint64(uint64(n)))
	var e fr.Element
	e.SetBigInt(t)
	return e, nil
}

// HashPacked is the commitment of an int8 tensor of n values as the
// circuits expose it under hashed (salt nil) and private visibility, and
// the hash that chains shards: Poseidon2 (see Poseidon2) of
//
//	T, salt (private only), p₀, …, p_{k−1}
//
// where T = TensorTag(n, salt != nil) and p = PackInt8(values), k = ⌈n/31⌉.
// The packing encodes no length (−128 packs to a zero byte, so a tensor and
// the same tensor followed by −128s pack alike within the last element) and
// Poseidon2 has no length padding; T binds n, so two tensors of different
// lengths never hash alike, salted or not, and a salted hash never equals
// an unsalted one. In a circuit n is a constant, so T is too and the first
// compression, C(0, T), folds to a constant: the length costs no
// constraints (circuits/modelio.HashPacked).
func HashPacked(values []int64, salt *fr.Element) (fr.Element, error) {
	tag, err := TensorTag(len(values), salt != nil)
	if err != nil {
		return fr.Element{}, err
	}
	packed, err := PackInt8(values)
	if err != nil {
		return fr.Element{}, err
	}
	elems := make([]fr.Element, 0, len(packed)+2)
	elems = append(elems, tag)
	if salt != nil {
		elems = append(elems, *salt)
	}
	for _, p := range packed {
		var e fr.Element
		e.SetBigInt(p)
		elems = append(elems, e)
	}
	return Poseidon2(elems), nil
}

// Commit returns the model commitment: Poseidon2 (see Poseidon2) of the
// canonical encoding of m, a sequence of BN254 field elements.
//
// # Canonical encoding, version 2
//
// Every item is one field element. An integer v (signed) is encoded as
// v mod r, r the BN254 scalar field modulus, so −1 is r − 1. A list is its
// length followed by its items. An int8 list ("packed") is its length
// followed by PackInt8 of its values: element k is Σᵢ (v[31k+i] + 128)·256ⁱ
// for i < 31. A float is the integer of its IEEE-754 binary64 bits.
//
//	header:  D, 2 (CommitmentVersion), A, d_model, d_hidden, seq_len, act,
//	         input_frac, output_frac
//	         D = "zkinfer.model" as a big-endian integer; A = 1 ffn, 2 gpt2;
//	         act = 1 relu, 2 gelu (tanh form), 3 gelu_erf;
//	         input_frac, output_frac: the fixed-point fractions of the model
//	         input and output (Model.InputFrac, Model.OutputFrac), the
//	         scales a user quantizes the input and dequantizes the output by.
//	ffn:     hidden_frac, dense(c_fc), dense(c_proj)
//	         (stream_frac is input_frac and output_frac)
//	gpt2:    n_head, n_layer, float(layer_norm_epsilon), final_layer_norm (0|1),
//	         logit_frac, logit_bits, gelu_in_frac, gelu_out_frac,
//	         number of layers, then per layer: ln_1, q, k, v, attn, ln_2 fracs,
//	         number of blocks, then per block: ln(ln_1), dense(c_attn), logit.mult, logit.shift,
//	         attn_out.mult, attn_out.shift, dense(attn_c_proj), ln(ln_2),
//	         dense(c_fc), dense(mlp_c_proj);
//	         then 1, ln(ln_f) if the model has ln_f, else 0;
//	         then list(exp_table), list(gelu_table)
//	         (residual_frac is input_frac; ln_f_frac is output_frac with
//	         ln_f and 0 without; output_frac is residual_frac without ln_f)
//	dense:   in, out, shift, lo, hi, packed(weight), list(bias), list(mult)
//	         (weight row-major in×out, i.e. W[i·out + j])
//	ln:      d, mult, shift, k, eps, list(gamma), list(beta)
//
// The encoding holds every integer the forward pass reads and every scale
// that gives the input and output their meaning, so two models with the
// same commitment compute the same function on the same reals. Fields the
// architecture does not use are left out, and Validate refuses a model that
// sets them (an ffn model with gpt2 scales, n_head, …; a gpt2 model with
// stream_frac, c_fc, …) or whose derived fields disagree with what they
// derive from (n_layer, final_layer_norm, output_frac, ln_f_frac), so no
// field of a valid model varies under one commitment.
func Commit(m *Model) (fr.Element, error) {
	if err := m.Validate(); err != nil {
		return fr.Element{}, fmt.Errorf("commit: %w", err)
	}
	elems, err := Encode(m)
	if err != nil {
		return fr.Element{}, fmt.Errorf("commit: %w", err)
	}
	return commitCache.poseidon2(elems), nil
}

// commitCache remembers the Poseidon2 hashes of recent encodings, keyed by
// the SHA-256 of the encoded elements: compiling a circuit and assigning a
// witness each need the commitment, and for a GPT-2-small block hashing its
// 7 M weights (≈ 230 k permutations) takes seconds while the SHA-256 of the
// same 7 MB takes milliseconds. Equal keys mean equal element sequences, so
// a hit returns exactly what Poseidon2 would.
var commitCache = &poseidonCache{m: make(map[[sha256.Size]byte]fr.Element)}

type poseidonCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]fr.Element
}

// maxCachedCommitments bounds the cache; it is emptied when full.
const maxCachedCommitments = 64

func (c *poseidonCache) poseidon2(elems []fr.Element) fr.Element {
	h := sha256.New()
	for i := range elems {
		b := elems[i].Bytes()
		h.Write(b[:])
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = Poseidon2(elems)
	c.mu.Lock()
	if len(c.m) >= maxCachedCommitments {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v
}

// CommitString returns Commit(m) in text form (FormatCommitment).
func CommitString(m *Model) (string, error) {
	c, err := Commit(m)
	if err != nil {
		return "", err
	}
	return FormatCommitment(c), nil
}

// FormatCommitment writes a field element as "poseidon2:0x" followed by 64
// lowercase hex digits (big-endian).
func FormatCommitment(c fr.Element) string {
	b := c.Bytes()
	return fmt.Sprintf("%s0x%x", CommitmentPrefix, b[:])
}

// Encode returns the canonical encoding that Commit hashes (see Commit).
func Encode(m *Model) ([]fr.Element, error) {
	elems, _, err := EncodeLayout(m)
	return elems, err
}

// EncodeLayout returns Encode(m) and, for each element, whether it is
// derived from the weights: a packed weight element, a bias, a dense
// multiplier, a LayerNorm multiplier, γ or β. Every other element (header,
// shapes, list lengths, fracs, shifts, clamp bounds, LayerNorm k and ε, the
// attention requantizations, the tables) is architecture: fixed by the
// config and the calibrated formats. A circuit with hashed weights computes
// the weight elements from its witness, in this order, and takes the others
// as constants.
func EncodeLayout(m *Model) ([]fr.Element, []bool, error) {
	var e encoder
	elems, err := e.model(m)
	return elems, e.weight, err
}

// ArchitectureDigest is the SHA-256 of the architecture elements of m's
// encoding (EncodeLayout: everything but the weight elements) and of the
// layout itself. Models with the same architecture digest have the same
// circuit under hashed or public weights, so one setup serves them all.
func ArchitectureDigest(m *Model) (string, error) {
	if err := m.Validate(); err != nil {
		return "", fmt.Errorf("architecture digest: %w", err)
	}
	elems, isWeight, err := EncodeLayout(m)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for i, e := range elems {
		if isWeight[i] {
			h.Write([]byte{1})
			continue
		}
		b := e.Bytes()
		h.Write([]byte{0})
		h.Write(b[:])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func (e *encoder) model(m *Model) ([]fr.Element, error) {
	c := m.Config
	if c.Architecture == ArchitectureGraph {
		return e.graph(m.Graph)
	}
	e.big(commitmentDomain)
	e.int(CommitmentVersion)
	switch c.Architecture {
	case ArchitectureFFN:
		e.int(1)
	case ArchitectureGPT2:
		e.int(2)
	default:
		return nil, fmt.Errorf("%w: architecture %q", ErrValidation, c.Architecture)
	}
	e.int(int64(c.DModel))
	e.int(int64(c.DHidden))
	e.int(int64(c.SeqLen))
	switch c.Activation {
	case ActivationReLU:
		e.int(1)
	case ActivationGELU:
		e.int(2)
	case ActivationGELUErf:
		e.int(3)
	default:
		return nil, fmt.Errorf("%w: activation %q", ErrValidation, c.Activation)
	}
	e.int(int64(m.InputFrac()))
	e.int(int64(m.OutputFrac()))
	if c.Architecture == ArchitectureFFN {
		e.int(int64(m.Scales.HiddenFrac))
		if err := e.dense(&m.FC); err != nil {
			return nil, err
		}
		if err := e.dense(&m.Proj); err != nil {
			return nil, err
		}
		return e.out, nil
	}
	s := m.Scales.GPT2
	if s == nil {
		return nil, fmt.Errorf("%w: gpt2 model without gpt2 scales", ErrValidation)
	}
	e.int(int64(c.NHead))
	e.int(int64(c.NLayer))
	e.uint(math.Float64bits(c.LayerNormEpsilon))
	e.bool(c.FinalLayerNorm)
	f := s.Formats
	for _, v := range []int{f.LogitFrac, f.LogitBits, f.GELUInFrac, f.GELUOutFrac} {
		e.int(int64(v))
	}
	e.int(int64(len(s.Layers)))
	for _, l := range s.Layers {
		for _, v := range []int{l.LN1, l.Q, l.K, l.V, l.Attn, l.LN2} {
			e.int(int64(v))
		}
	}
	e.int(int64(len(m.Blocks)))
	for i := range m.Blocks {
		b := &m.Blocks[i]
		e.ln(&b.LN1)
		if err := e.dense(&b.QKV); err != nil {
			return nil, err
		}
		e.int(b.Logit.Mult)
		e.uint(uint64(b.Logit.Shift))
		e.int(b.AttnOut.Mult)
		e.uint(uint64(b.AttnOut.Shift))
		if err := e.dense(&b.AttnProj); err != nil {
			return nil, err
		}
		e.ln(&b.LN2)
		if err := e.dense(&b.FC); err != nil {
			return nil, err
		}
		if err := e.dense(&b.Proj); err != nil {
			return nil, err
		}
	}
	e.bool(m.LNF != nil)
	if m.LNF != nil {
		e.ln(m.LNF)
	}
	e.list(m.ExpTable)
	e.list(m.GELUTable)
	return e.out, nil
}

// encoder appends elements to out and records in weight whether each one is
// derived from the weights (inWeight when it was appended).
type encoder struct {
	out      []fr.Element
	weight   []bool
	inWeight bool
}

func (e *encoder) push(x fr.Element) {
	e.out = append(e.out, x)
	e.weight = append(e.weight, e.inWeight)
}

func (e *encoder) int(v int64) {
	var x fr.Element
	x.SetInt64(v)
	e.push(x)
}

func (e *encoder) uint(v uint64) {
	var x fr.Element
	x.SetUint64(v)
	e.push(x)
}

func (e *encoder) big(v *big.Int) {
	var x fr.Element
	x.SetBigInt(v)
	e.push(x)
}

func (e *encoder) bool(b bool) {
	if b {
		e.int(1)
	} else {
		e.int(0)
	}
}

func (e *encoder) list(v []int64) {
	e.int(int64(len(v)))
	for _, x := range v {
		e.int(x)
	}
}

// weightList is list with the items (not the length) marked as weights.
func (e *encoder) weightList(v []int64) {
	e.int(int64(len(v)))
	e.inWeight = true
	for _, x := range v {
		e.int(x)
	}
	e.inWeight = false
}

func (e *encoder) dense(d *Dense) error {
	e.int(int64(d.In))
	e.int(int64(d.Out))
	e.uint(uint64(d.Shift))
	e.int(d.Lo)
	e.int(d.Hi)
	w := make([]int64, len(d.W))
	for i, v := range d.W {
		w[i] = int64(v)
	}
	packed, err := PackInt8(w)
	if err != nil {
		return err
	}
	e.int(int64(len(w)))
	e.inWeight = true
	for _, p := range packed {
		e.big(p)
	}
	e.inWeight = false
	e.weightList(d.B)
	e.weightList(d.Mult)
	return nil
}

func (e *encoder) ln(l *LayerNorm) {
	e.int(int64(l.D))
	e.inWeight = true
	e.int(l.Mult)
	e.inWeight = false
	e.uint(uint64(l.Shift))
	e.uint(uint64(l.K))
	e.int(l.Eps)
	e.weightList(l.Gamma)
	e.weightList(l.Beta)
}

// Encoder builds a model encoding; ops of a layer graph write their
// elements with it (Op.Encode, Op.EncodeWeights).
type Encoder = encoder

// Int appends an integer (architecture).
func (e *encoder) Int(v int64) { e.int(v) }

// Ints appends a length-prefixed list of integers (architecture).
func (e *encoder) Ints(v []int64) { e.list(v) }

// Shape appends a rank and dims (architecture).
func (e *encoder) Shape(dims []int) {
	e.int(int64(len(dims)))
	for _, d := range dims {
		e.int(int64(d))
	}
}

// Weights appends a length-prefixed list of parameters, one element each,
// marked as weights (the length is architecture).
func (e *encoder) Weights(v []int64) { e.weightList(v) }

// Int8Weights appends a length-prefixed list of int8 parameters packed 31 to
// an element (PackInt8), marked as weights.
func (e *encoder) Int8Weights(v []int8) error {
	w := make([]int64, len(v))
	for i, x := range v {
		w[i] = int64(x)
	}
	packed, err := PackInt8(w)
	if err != nil {
		return err
	}
	e.int(int64(len(w)))
	e.inWeight = true
	for _, p := range packed {
		e.big(p)
	}
	e.inWeight = false
	return nil
}

// GraphCommitmentVersion is the version of a layer graph's encoding (v3 of
// the model commitment; ffn and gpt2 models keep CommitmentVersion).
const GraphCommitmentVersion = 3

// graph encodes a layer graph, architecture first, weights last:
//
//	domain, 3, 3 (graph), n_values, n_inputs, n_outputs, n_nodes,
//	per value: frac, lo, hi, rank, dims…; input ids; output ids;
//	per node: op id, n_in, ins…, n_out, outs…, Op.Encode;
//	per node: Op.EncodeWeights.
func (e *encoder) graph(g *Graph) ([]fr.Element, error) {
	e.big(commitmentDomain)
	e.int(GraphCommitmentVersion)
	e.int(3)
	e.int(int64(len(g.Values)))
	e.int(int64(len(g.Inputs)))
	e.int(int64(len(g.Outputs)))
	e.int(int64(len(g.Nodes)))
	for _, v := range g.Values {
		e.int(int64(v.Frac))
		e.int(v.Lo)
		e.int(v.Hi)
		e.Shape(v.Shape)
	}
	for _, id := range g.Inputs {
		e.int(int64(id))
	}
	for _, id := range g.Outputs {
		e.int(int64(id))
	}
	for i, n := range g.Nodes {
		info, ok := LookupOp(n.Op.Kind())
		if !ok {
			return nil, unknownOp(n.Op.Kind())
		}
		e.int(info.ID)
		e.list(intsToInt64(n.In))
		e.list(intsToInt64(n.Out))
		if err := n.Op.Encode(e); err != nil {
			return nil, fmt.Errorf("node %d (%s): %w", i, n.Name, err)
		}
	}
	for i, n := range g.Nodes {
		if err := n.Op.EncodeWeights(e); err != nil {
			return nil, fmt.Errorf("node %d (%s): %w", i, n.Name, err)
		}
	}
	return e.out, nil
}

func intsToInt64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// Name appends a short name (≤ 31 bytes) as one element: its bytes read as
// a big-endian integer (architecture).
func (e *encoder) Name(s string) error {
	if len(s) > 31 {
		return fmt.Errorf("%w: name %q longer than 31 bytes", ErrValidation, s)
	}
	e.big(new(big.Int).SetBytes([]byte(s)))
	return nil
}
