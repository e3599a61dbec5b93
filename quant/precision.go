package quant

import (
	"fmt"
	"math"
	"math/bits"
)

// Requantization precision (settings' "requant_bits" and
// "norm_requant_bits"). A requantization floor((acc·mult + 2^(s−1)) / 2^s)
// costs its circuit a range check of the remainder, s bits: ceil(s/b)
// limbs of the range checker's base b (15 for a GPT-2 block of d 64 at 64
// tokens). By default the shift s is the largest at which the largest
// multiplier stays below MaxMultiplier (about 16 bits of multiplier
// precision), which gives dense layers 23–26-bit remainders and LayerNorm
// 44–45. A Precision caps s: the multipliers keep fewer bits (the integer
// semantics, the circuit and the files are the same; the files record the
// smaller multipliers and shifts).

// Bounds of the precision knobs.
const (
	// MinRequantMultBits is the fewest bits the largest multiplier of a
	// requantization keeps under a cap (a relative error of the largest
	// channel's scale ≤ 2^-MinRequantMultBits): a cap that would leave
	// fewer is not reached, the shift stays at the nearest that keeps them.
	MinRequantMultBits = 5
	// MinLNPrecision is the fewest bits a norm's reciprocal square root
	// keeps beyond the largest possible sqrt(V) (LNPrecision by default):
	// under a norm cap K = LNK(d) − (LNPrecision − precision) with the
	// precision at least this.
	MinLNPrecision = 4
)

// Precision bounds the shifts (so the remainders' widths) of a model's
// requantizations; the zero value is the default rule (the largest shift
// that keeps each multiplier below MaxMultiplier), bit for bit.
type Precision struct {
	// RequantBits, when positive, is the most bits the remainder of a
	// requantization may have (its shift): dense layers (linear, conv,
	// gpt2's projections), attention's logits and output, affine, mean and
	// average pool. 15 fits one limb of a 15-bit range check. A
	// requantization whose largest multiplier would keep fewer than
	// MinRequantMultBits bits at that shift keeps the nearest shift that
	// leaves it that many (the per-node report says so).
	RequantBits int `json:"requant_bits,omitempty"`
	// NormBits is RequantBits for LayerNorm and RMSNorm, whose shift also
	// carries the K bits of their reciprocal square root: the cap is met by
	// lowering K (down to MinLNPrecision bits of precision) and the
	// multiplier's bits in turn. 30 fits two limbs of 15 bits.
	NormBits int `json:"norm_requant_bits,omitempty"`
}

// CompactPrecision is the "compact" preset: dense requantizations in one
// 15-bit limb, norms in two.
var CompactPrecision = Precision{RequantBits: 15, NormBits: 30}

// IsDefault reports whether p is the default rule.
func (p Precision) IsDefault() bool { return p.RequantBits == 0 && p.NormBits == 0 }

// Validate checks the caps are 0 (default) or within 1..MaxShift.
func (p Precision) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"requant_bits", p.RequantBits}, {"norm_requant_bits", p.NormBits}} {
		if f.v < 0 || f.v > MaxShift {
			return fmt.Errorf("%w: %s = %d, want 1..%d (the most bits of a requantization remainder; 0 or absent: the default, about 16 bits of multiplier precision)", ErrRange, f.name, f.v, MaxShift)
		}
	}
	return nil
}

// String renders p for messages.
func (p Precision) String() string {
	if p.IsDefault() {
		return "default"
	}
	s := ""
	if p.RequantBits > 0 {
		s = fmt.Sprintf("requant_bits %d", p.RequantBits)
	}
	if p.NormBits > 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("norm_requant_bits %d", p.NormBits)
	}
	return s
}

// RequantNote records the shift one requantization got under a cap.
type RequantNote struct {
	// Node is the graph node (or gpt2 layer, "h.0.attn.c_attn") and Site
	// the requantization within it ("", "logits", "out").
	Node string `json:"node"`
	Site string `json:"site,omitempty"`
	// Cap is the requested bound (RequantBits or NormBits), Default the
	// shift the default rule gives and Shift the one chosen.
	Cap     int  `json:"cap"`
	Default uint `json:"default_shift"`
	Shift   uint `json:"shift"`
	// MultBits is the bit length of the largest multiplier at Shift.
	MultBits int `json:"mult_bits"`
	// K is a norm's reciprocal square root precision (0 for others).
	K uint `json:"k,omitempty"`
	// Exact: the multiplier is the requantization's only one and exact (a
	// power-of-two ratio), however few its bits.
	Exact bool `json:"exact,omitempty"`
}

// Reached reports whether the cap was met.
func (n RequantNote) Reached() bool { return int(n.Shift) <= n.Cap }

// Requantizer chooses requantization shifts under a Precision and records
// each choice (RequantNote) under the node it quantizes. The zero value is
// the default rule and records nothing.
type Requantizer struct {
	Precision
	node  string
	notes *[]RequantNote
}

// NewRequantizer returns a Requantizer for p that records its choices in
// notes (nil: not recorded).
func NewRequantizer(p Precision, notes *[]RequantNote) Requantizer {
	return Requantizer{Precision: p, notes: notes}
}

// Node returns r recording under the node name.
func (r Requantizer) Node(name string) Requantizer { r.node = name; return r }

func (r Requantizer) note(n RequantNote) {
	if r.notes != nil {
		n.Node = r.node
		*r.notes = append(*r.notes, n)
	}
}

// defaultShift is the default rule: the largest shift at which the
// multiplier of the largest ratio stays below MaxMultiplier.
func defaultShift(maxRatio float64) (uint, error) {
	shift := 0
	for shift < MaxShift && math.Round(math.Ldexp(maxRatio, shift+1)) < MaxMultiplier {
		shift++
	}
	if math.Round(math.Ldexp(maxRatio, shift)) >= MaxMultiplier {
		return 0, fmt.Errorf("%w: requantization multiplier %g too large for the chosen scales", ErrRange, maxRatio)
	}
	return uint(shift), nil
}

// multBits is the bit length of round(ratio·2^shift).
func multBits(ratio float64, shift uint) int {
	return bits.Len64(uint64(math.Round(math.Ldexp(ratio, int(shift)))))
}

// capped returns the shift for maxRatio under the cap c (0: none): the
// default shift s0 when it is at most c, else the smallest shift ≥ c
// (and ≤ s0) at which the largest multiplier keeps MinRequantMultBits bits
// or, when single (maxRatio is the requantization's only ratio), is exact
// (a power-of-two ratio loses nothing at any shift that keeps it ≥ 1).
func capped(maxRatio float64, c int, single bool) (s, s0 uint, err error) {
	s0, err = defaultShift(maxRatio)
	if err != nil || c <= 0 || int(s0) <= c {
		return s0, s0, err
	}
	s = uint(c)
	for s < s0 && multBits(maxRatio, s) < MinRequantMultBits && !(single && exact(maxRatio, s)) {
		s++
	}
	return s, s0, nil
}

// exact reports whether ratio·2^s is a positive integer.
func exact(ratio float64, s uint) bool {
	v := math.Ldexp(ratio, int(s))
	return v >= 1 && v == math.Round(v)
}

// Shift returns the shift of a requantization whose largest ratio
// (accumulator scale / output scale) is maxRatio, under RequantBits.
func (r Requantizer) Shift(site string, maxRatio float64) (uint, error) {
	return r.shift(site, maxRatio, false)
}

func (r Requantizer) shift(site string, maxRatio float64, single bool) (uint, error) {
	s, s0, err := capped(maxRatio, r.RequantBits, single)
	if err == nil && r.RequantBits > 0 {
		r.note(RequantNote{Site: site, Cap: r.RequantBits, Default: s0, Shift: s, MultBits: multBits(maxRatio, s), Exact: single && exact(maxRatio, s)})
	}
	return s, err
}

// Norm returns the reciprocal square root precision K and the shift of a
// norm over rows of d whose requantization ratio at K is ratioAt(K), under
// NormBits: by default K = LNK(d) and the default shift; when that shift
// exceeds the cap, K is lowered by half the excess (keeping at least
// MinLNPrecision bits of precision) and the multiplier's bits give the
// rest (keeping at least MinRequantMultBits).
func (r Requantizer) Norm(site string, d int, ratioAt func(k uint) float64) (k, shift uint, err error) {
	k = LNK(d)
	s0, err := defaultShift(ratioAt(k))
	if err != nil || r.NormBits <= 0 {
		return k, s0, err
	}
	if int(s0) > r.NormBits {
		k -= uint(min((int(s0)-r.NormBits+1)/2, LNPrecision-MinLNPrecision))
	}
	ratio := ratioAt(k)
	if shift, _, err = capped(ratio, r.NormBits, false); err != nil {
		return 0, 0, err
	}
	r.note(RequantNote{Site: site, Cap: r.NormBits, Default: s0, Shift: shift, MultBits: multBits(ratio, shift), K: k})
	return k, shift, nil
}

// Requant returns the multiplier and shift of a single-channel
// requantization by ratio (attention's logits and output) under RequantBits.
func (r Requantizer) Requant(site string, ratio float64) (Requant, error) {
	shift, err := r.shift(site, ratio, true)
	if err != nil {
		return Requant{}, err
	}
	return Requant{Mult: int64(math.Round(math.Ldexp(ratio, int(shift)))), Shift: shift}, nil
}

// QuantizeDense is quant.QuantizeDense under RequantBits.
func (r Requantizer) QuantizeDense(w, b []float64, in, out, inFrac, outFrac int, lo int64) (*Dense, error) {
	if len(w) != in*out || len(b) != out {
		return nil, fmt.Errorf("%w: dense layer %d×%d with %d weights and %d biases", ErrShape, in, out, len(w), len(b))
	}
	return r.quantizeDense(w, b, in, out, inFrac, fixed(outFrac), lo)
}

// LNKRange returns the K a norm over rows of d may have: LNK(d) (the
// default) down to the K of MinLNPrecision.
func LNKRange(d int) (lo, hi uint) {
	hi = LNK(d)
	return hi - (LNPrecision - MinLNPrecision), hi
}

// Capped returns the shift under RequantBits of a requantization whose
// default shift is s0 and whose largest multiplier at shift s is mult(s)
// (ok false where s is not usable): the rule of Shift for requantizations
// whose multiplier is not round(ratio·2^s) (average pool's).
func (r Requantizer) Capped(site string, s0 uint, mult func(s uint) (m int64, ok bool)) uint {
	c := r.RequantBits
	if c <= 0 || int(s0) <= c {
		return s0
	}
	s := uint(c)
	for ; s < s0; s++ {
		if m, ok := mult(s); ok && bits.Len64(uint64(m)) >= MinRequantMultBits {
			break
		}
	}
	m, _ := mult(s)
	r.note(RequantNote{Site: site, Cap: c, Default: s0, Shift: s, MultBits: bits.Len64(uint64(max(m, 0)))})
	return s
}

// Scratch returns r recording into a list of its own, for choices that may
// be discarded (an op that quantizes twice and keeps one); Keep records
// the kept one's notes in r.
func (r Requantizer) Scratch() Requantizer {
	if r.notes != nil {
		r.notes = new([]RequantNote)
	}
	return r
}

// Keep records the notes of s (from Scratch) in r.
func (r Requantizer) Keep(s Requantizer) {
	if r.notes != nil && s.notes != nil && s.notes != r.notes {
		*r.notes = append(*r.notes, *s.notes...)
	}
}
