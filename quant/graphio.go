package quant

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// IOPart is one input or output tensor of a model as its circuit exposes
// it: a graph input or output, or the [seq_len, d_model] tensor of an ffn
// or gpt2 model. Values are int8 at Frac (DTypeInt8; booleans are int8
// within [0, 1]) or integers (DTypeIndex), within [Lo, Hi].
type IOPart struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	DType string `json:"dtype,omitempty"`
	Lo    int64  `json:"lo"`
	Hi    int64  `json:"hi"`
	Frac  int    `json:"frac"`
}

// Size is the number of values of p.
func (p IOPart) Size() int { return ShapeSize(p.Shape) }

// IsBool reports whether p is a boolean (or mask) part: int8 within [0, 1] at frac 0.
func (p IOPart) IsBool() bool { return p.DType == DTypeInt8 && p.Lo == 0 && p.Hi == 1 && p.Frac == 0 }

// Check validates p as checkValue does a graph value.
func (p IOPart) Check() error {
	if err := CheckShape(p.Shape); err != nil {
		return fmt.Errorf("part %q: %w", p.Name, err)
	}
	if err := checkValue(Value{Shape: p.Shape, DType: p.DType, Frac: p.Frac, Lo: p.Lo, Hi: p.Hi}); err != nil {
		return fmt.Errorf("part %q: %w", p.Name, err)
	}
	return nil
}

// SingleInt8 reports whether parts is one int8 part: every model before
// graphs with several inputs, exposed exactly as before (PackInt8,
// HashPacked), with no part list in its layout.
func SingleInt8(parts []IOPart) bool { return len(parts) == 1 && parts[0].DType == DTypeInt8 }

// PartsSize is the number of values of all parts together.
func PartsSize(parts []IOPart) int {
	n := 0
	for _, p := range parts {
		n += p.Size()
	}
	return n
}

func partOf(v Value) IOPart {
	return IOPart{Name: v.Name, Shape: slices.Clone(v.Shape), DType: v.DType, Lo: v.Lo, Hi: v.Hi, Frac: v.Frac}
}

// InputParts lists the model's inputs: the graph inputs, or one int8 part
// [seq_len, d_model] for ffn and gpt2.
func (m *Model) InputParts() []IOPart {
	if m.Graph != nil {
		out := make([]IOPart, len(m.Graph.Inputs))
		for i, id := range m.Graph.Inputs {
			out[i] = partOf(m.Graph.Values[id])
		}
		return out
	}
	return []IOPart{{Name: "input", Shape: []int{m.Config.SeqLen, m.Config.DModel}, Lo: Int8Min, Hi: Int8Max, Frac: m.InputFrac()}}
}

// OutputParts lists the model's outputs, as InputParts its inputs.
func (m *Model) OutputParts() []IOPart {
	if m.Graph != nil {
		out := make([]IOPart, len(m.Graph.Outputs))
		for i, id := range m.Graph.Outputs {
			out[i] = partOf(m.Graph.Values[id])
		}
		return out
	}
	return []IOPart{{Name: "output", Shape: []int{m.Config.SeqLen, m.Config.DModel}, Lo: Int8Min, Hi: Int8Max, Frac: m.OutputFrac()}}
}

// SplitParts cuts flat (all parts' values one after the other) into one
// slice per part.
func SplitParts(parts []IOPart, flat []int64) ([][]int64, error) {
	if n := PartsSize(parts); len(flat) != n {
		return nil, fmt.Errorf("%w: %d values, the parts %s take %d", ErrShape, len(flat), partNames(parts), n)
	}
	out := make([][]int64, len(parts))
	off := 0
	for i, p := range parts {
		out[i] = flat[off : off+p.Size()]
		off += p.Size()
	}
	return out, nil
}

func partNames(parts []IOPart) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %v", p.Name, p.Shape)
	}
	return s
}

// CheckParts checks values (one slice per part) against the parts: sizes
// and bounds.
func CheckParts(parts []IOPart, values [][]int64) error {
	if len(values) != len(parts) {
		return fmt.Errorf("%w: %d tensors for %d parts", ErrShape, len(values), len(parts))
	}
	for i, p := range parts {
		if len(values[i]) != p.Size() {
			return fmt.Errorf("%w: %s has %d values, want %v = %d", ErrShape, p.Name, len(values[i]), p.Shape, p.Size())
		}
		for j, v := range values[i] {
			if v < p.Lo || v > p.Hi {
				return fmt.Errorf("%w: %s value %d = %d is not within [%d, %d]", ErrRange, p.Name, j, v, p.Lo, p.Hi)
			}
		}
	}
	return nil
}

// Uint24PerElement is how many index values PackUint24 puts in one field
// element: 10·24 = 240 bits stay below the ~254-bit modulus.
const Uint24PerElement = 10

// PackUint24 packs values in [0, 2^24) into field elements: element k is
// Σ_i v[10k+i]·2^(24i), i < 10 (little-endian 24-bit limbs). Public index
// tensors (token ids) are exposed this way; every value is range-checked in
// the circuit, so the packing has one unpacking.
func PackUint24(values []int64) ([]*big.Int, error) {
	out := make([]*big.Int, 0, (len(values)+Uint24PerElement-1)/Uint24PerElement)
	for start := 0; start < len(values); start += Uint24PerElement {
		end := min(start+Uint24PerElement, len(values))
		e := new(big.Int)
		for i := end - 1; i >= start; i-- {
			v := values[i]
			if v < 0 || v > MaxIndex {
				return nil, fmt.Errorf("%w: value %d = %d is not within [0, %d]", ErrRange, i, v, MaxIndex)
			}
			e.Lsh(e, 24)
			e.Add(e, big.NewInt(v))
		}
		out = append(out, e)
	}
	return out, nil
}

// Domains of the part hashes; see IndexTag and IOTag.
var (
	indexDomain = new(big.Int).SetBytes([]byte("zkinfer.index24"))
	ioDomain    = new(big.Int).SetBytes([]byte("zkinfer.io"))
)

// IndexTag is the first element HashIndex hashes for n index values:
// D·2^64 + n, D = "zkinfer.index24" read as a big-endian integer: the
// integer of the 23 bytes "zkinfer.index24" ‖ n (8 bytes, big-endian).
//
// Every domain starts with 'z' (0x7a), so a tag of b bytes is an integer of
// exactly 8b − 1 bits: IndexTag has 183 bits, TensorTag ("zkinfer.int8" ‖
// s ‖ n, 21 bytes) 167, IOTag ("zkinfer.io" ‖ s ‖ k, 19 bytes) 151, and the
// first elements of model ("zkinfer.model", 13 bytes) and shards
// ("zkinfer.shards", 14 bytes) encodings 103 and 111. Distinct lengths,
// all below the field's 254 bits: no tag of one kind equals one of another,
// and within a kind distinct (s, n) give distinct tags.
func IndexTag(n int) (fr.Element, error) {
	if n < 0 {
		return fr.Element{}, fmt.Errorf("%w: tensor of %d values", ErrShape, n)
	}
	t := new(big.Int).Lsh(indexDomain, 64)
	t.Or(t, new(big.Int).SetUint64(uint64(n)))
	var e fr.Element
	e.SetBigInt(t)
	return e, nil
}

// IOTag is the first element HashParts hashes for k parts: D·2^72 +
// s·2^64 + k, D = "zkinfer.io" read as a big-endian integer, s = 1 when a
// salt follows: the integer of the 19 bytes "zkinfer.io" ‖ s ‖ k (8 bytes,
// big-endian). See IndexTag for why tags of different kinds never collide.
func IOTag(k int, salted bool) (fr.Element, error) {
	if k < 1 {
		return fr.Element{}, fmt.Errorf("%w: %d parts", ErrShape, k)
	}
	t := new(big.Int).Lsh(ioDomain, 8)
	if salted {
		t.SetBit(t, 0, 1)
	}
	t.Lsh(t, 64)
	t.Or(t, new(big.Int).SetUint64(uint64(k)))
	var e fr.Element
	e.SetBigInt(t)
	return e, nil
}

// HashIndex is the unsalted hash of an index tensor: Poseidon2 of
// IndexTag(n), then PackUint24 of the values.
func HashIndex(values []int64) (fr.Element, error) {
	tag, err := IndexTag(len(values))
	if err != nil {
		return fr.Element{}, err
	}
	packed, err := PackUint24(values)
	if err != nil {
		return fr.Element{}, err
	}
	return Poseidon2(append([]fr.Element{tag}, bigElems(packed)...)), nil
}

func bigElems(v []*big.Int) []fr.Element {
	out := make([]fr.Element, len(v))
	for i, x := range v {
		out[i].SetBigInt(x)
	}
	return out
}

// PartHash is the unsalted hash of one part's values: HashPacked(values,
// nil) for int8, HashIndex for index.
func PartHash(p IOPart, values []int64) (fr.Element, error) {
	if p.DType == DTypeIndex {
		return HashIndex(values)
	}
	return HashPacked(values, nil)
}

// HashParts is the commitment of a model's inputs (or outputs) under
// hashed (salt nil) and private visibility:
//
//   - one int8 part: HashPacked(values, salt), as for every model before
//     several inputs, so their commitments do not move;
//   - otherwise: Poseidon2 of IOTag(k, salt != nil), the salt (private
//     only), then h₁, …, h_k, h_i = PartHash of part i (unsalted).
//
// The tags bind the number of parts and each part's length (the parts'
// shapes and dtypes are the circuit's, which the verifying key pins).
func HashParts(parts []IOPart, values [][]int64, salt *fr.Element) (fr.Element, error) {
	if err := CheckParts(parts, values); err != nil {
		return fr.Element{}, err
	}
	if SingleInt8(parts) {
		return HashPacked(values[0], salt)
	}
	tag, err := IOTag(len(parts), salt != nil)
	if err != nil {
		return fr.Element{}, err
	}
	elems := []fr.Element{tag}
	if salt != nil {
		elems = append(elems, *salt)
	}
	for i, p := range parts {
		h, err := PartHash(p, values[i])
		if err != nil {
			return fr.Element{}, fmt.Errorf("%s: %w", p.Name, err)
		}
		elems = append(elems, h)
	}
	return Poseidon2(elems), nil
}

// PackParts is the public encoding of the parts: each part packed in turn,
// int8 parts by PackInt8 (31 per element), index parts by PackUint24 (10
// per element). For one int8 part it is PackInt8 of its values.
func PackParts(parts []IOPart, values [][]int64) ([]*big.Int, error) {
	if err := CheckParts(parts, values); err != nil {
		return nil, err
	}
	var out []*big.Int
	for i, p := range parts {
		var (
			els []*big.Int
			err error
		)
		if p.DType == DTypeIndex {
			els, err = PackUint24(values[i])
		} else {
			els, err = PackInt8(values[i])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, els...)
	}
	return out, nil
}

// NbPackedParts is the number of field elements PackParts writes.
func NbPackedParts(parts []IOPart) int {
	n := 0
	for _, p := range parts {
		per := PackedPerElement
		if p.DType == DTypeIndex {
			per = Uint24PerElement
		}
		n += (p.Size() + per - 1) / per
	}
	return n
}

// PartsCost estimates exposing parts under visibility v (inputs also pay
// their range checks: one per int8 value, two per index or narrowed value).
func PartsCost(parts []IOPart, v string, input bool) Cost {
	if SingleInt8(parts) && parts[0].Lo == Int8Min && parts[0].Hi == Int8Max {
		return IOCost(parts[0].Size(), v, input)
	}
	var c Cost
	n := PartsSize(parts)
	if v != VisibilityPublic {
		// Each part's hash costs one permutation per packed element (its
		// tag's compression is a constant); several parts add one
		// permutation each for the outer hash.
		perms := 0
		if !SingleInt8(parts) {
			perms = len(parts)
		}
		for _, p := range parts {
			per := PackedPerElement
			if p.DType == DTypeIndex {
				per = Uint24PerElement
			}
			perms += (p.Size() + per - 1) / per
		}
		c.R1CS, c.SCS = hashPermR1CS*perms, hashPermSCS*perms
	} else {
		c.SCS = n
	}
	if input {
		r := InputCheckCost(parts)
		c.R1CS += r.R1CS
		c.SCS += r.SCS
	}
	return c
}

// InputCheckCost is the part of PartsCost that range-checks the input
// values (a flat per-value figure and the range checker's table); the
// circuit-wide overhead (SetCircuitOverhead) replaces it with the exact
// cost at the circuit's range-check base, see InputChecks.
func InputCheckCost(parts []IOPart) Cost {
	if SingleInt8(parts) && parts[0].Lo == Int8Min && parts[0].Hi == Int8Max {
		n := parts[0].Size()
		return Cost{R1CS: int(rangeCheckR1CS*float64(n)) + rangeTableR1CS, SCS: rangeCheckSCS*n + rangeTableSCS}
	}
	var c Cost
	for _, p := range parts {
		checks := p.Size()
		if p.DType == DTypeIndex || p.Lo != Int8Min || p.Hi != Int8Max {
			checks = 2 * p.Size()
		}
		c.R1CS += int(rangeCheckR1CS * float64(checks))
		c.SCS += rangeCheckSCS * checks
	}
	c.R1CS += rangeTableR1CS
	c.SCS += rangeTableSCS
	return c
}

// InputChecks lists the range checks (their widths in bits, with how many
// of each) that binding the input parts makes (circuits/modelio Bind): one
// of 8 bits per int8 value, two of bits(hi − lo) per index or narrowed
// value, a boolean constraint (a 1-bit check) per boolean.
func InputChecks(parts []IOPart) (bits, counts []int) {
	for _, p := range parts {
		n := p.Size()
		plain := p.DType != DTypeIndex && p.Lo == Int8Min && p.Hi == Int8Max
		if plain || SingleInt8(parts) {
			bits, counts = append(bits, 8), append(counts, n)
		}
		if plain {
			continue
		}
		if p.Lo == 0 && p.Hi == 1 {
			bits, counts = append(bits, 1), append(counts, n)
			continue
		}
		bits, counts = append(bits, big.NewInt(p.Hi-p.Lo).BitLen()), append(counts, 2*n)
	}
	return bits, counts
}
