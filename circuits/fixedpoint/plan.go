package fixedpoint

import (
	"fmt"
	"sort"
	"strings"
)

// MaxTableBits bounds the size of a clamp table: 2^MaxTableBits entries.
const MaxTableBits = 16

// R1CS costs of the two ways to clamp, measured on BN254 with gnark v0.16.3
// (TestClampCosts keeps them honest): a lookup costs two constraints (the
// challenge times the looked-up value, and an inverse), a table entry one
// (multiplicity over the inverse) plus a small fixed overhead; the selector
// path costs 2 boolean checks, 2 products and 2 range checks of bits, about 8.
const (
	lookupCost      = 2
	tableEntryCost  = 1
	selectClampCost = 8
)

// Site counts clamps of a circuit: Count values saturated into [Lo, Hi],
// each with |v − Lo| < 2^Bits and |Hi − v| < 2^Bits (the bits argument of
// Clamp, or the qBits of Requantize). Shift is the shift of a Requantize
// site (the width of its remainder's range check), 0 for a Clamp.
type Site struct {
	Lo, Hi int64
	Bits   int
	Shift  uint
	Count  int
}

type bounds struct{ lo, hi int64 }

// Plan says which clamp tables a circuit builds: for a range [lo, hi], a
// table of 2^k entries indexed by v + 2^(k-1) serves every site whose values
// lie in [-2^(k-1), 2^(k-1)). The plan is a pure function of the sites, so a
// circuit compiles to the same constraint system every time.
//
// A plan also estimates the base of the circuit's range checks (Base) from
// its remainders alone; the Gadget's checker chooses the base itself, from
// every check, when the circuit is complete, so Base is only the plan's
// estimate (for breakdowns and cost models).
type Plan struct {
	k    map[bounds]int
	base int
}

// NewPlan chooses, for each range [lo, hi] among sites, the table size that
// saves the most R1CS constraints over the selector path, or no table when
// none pays for itself.
func NewPlan(sites []Site) *Plan {
	groups := make(map[bounds][]Site)
	for _, s := range sites {
		if s.Count > 0 && s.Lo <= s.Hi {
			b := bounds{s.Lo, s.Hi}
			groups[b] = append(groups[b], s)
		}
	}
	p := &Plan{k: make(map[bounds]int)}
	for b, ss := range groups {
		best, bestK := 0, 0
		for k := 2; k <= MaxTableBits; k++ {
			gain := -tableEntryCost << k
			for _, s := range ss {
				if fits(b.lo, b.hi, s.Bits, k) {
					gain += s.Count * (selectClampCost - lookupCost)
				}
			}
			if gain > best {
				best, bestK = gain, k
			}
		}
		if bestK > 0 {
			p.k[b] = bestK
		}
	}
	p.base = remainderBase(sites)
	return p
}

// remainderBase returns the range-check base that minimizes the limbs of the
// padded remainders plus the range-check table, 0 when no site has a
// remainder (gnark then chooses).
func remainderBase(sites []Site) int {
	best, bestBase := 0, 0
	for base := minBase; base <= maxBase; base++ {
		cost := 1 << base
		for _, s := range sites {
			cost += s.Count * int((s.Shift+uint(base)-1)/uint(base))
		}
		if bestBase == 0 || cost < best {
			best, bestBase = cost, base
		}
	}
	for _, s := range sites {
		if s.Shift > 0 && s.Count > 0 {
			return bestBase
		}
	}
	return 0
}

// The bases gnark's range checker considers.
const (
	minBase = 2
	maxBase = 17
)

// Base returns the range-check base the plan estimates from its remainder
// sites, 0 when it has none. The Gadget's checker chooses its own base.
func (p *Plan) Base() int {
	if p == nil {
		return 0
	}
	return p.base
}

// TableBits returns k for the table of [lo, hi], 0 when the plan has none.
func (p *Plan) TableBits(lo, hi int64) int {
	if p == nil {
		return 0
	}
	return p.k[bounds{lo, hi}]
}

// String lists the tables, e.g. "[-128,127]:2^12 [0,127]:2^11".
func (p *Plan) String() string {
	if p == nil || len(p.k) == 0 {
		return fmt.Sprintf("no clamp tables, range-check base %d", p.Base())
	}
	keys := make([]bounds, 0, len(p.k))
	for b := range p.k {
		keys = append(keys, b)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].lo != keys[j].lo {
			return keys[i].lo < keys[j].lo
		}
		return keys[i].hi < keys[j].hi
	})
	parts := make([]string, len(keys))
	for i, b := range keys {
		parts[i] = fmt.Sprintf("[%d,%d]:2^%d", b.lo, b.hi, p.k[b])
	}
	return strings.Join(parts, " ") + fmt.Sprintf(", range-check base %d", p.base)
}

// fits reports whether every v with |v − lo| < 2^bits and |hi − v| < 2^bits,
// i.e. v ∈ [hi − 2^bits + 1, lo + 2^bits − 1], lies in the domain
// [-2^(k-1), 2^(k-1)) of a table of 2^k entries.
func fits(lo, hi int64, bits, k int) bool {
	if bits >= 62 || k < 1 || k > MaxTableBits {
		return false
	}
	half := int64(1) << (k - 1)
	return hi-(int64(1)<<bits)+1 >= -half && lo+(int64(1)<<bits)-1 < half
}

// ClampTable returns the 2^k entries clamp(i − 2^(k-1), lo, hi).
func ClampTable(lo, hi int64, k int) []int64 {
	half := int64(1) << (k - 1)
	t := make([]int64, 2*half)
	for i := range t {
		t[i] = min(max(int64(i)-half, lo), hi)
	}
	return t
}

// SelectExtraR1CS is what a clamp costs over a table lookup when no table
// serves it (the selector path), in R1CS constraints.
const SelectExtraR1CS = selectClampCost - lookupCost

// Tabled reports whether the plan serves the clamps of s with a table.
func (p *Plan) Tabled(s Site) bool {
	k := p.TableBits(s.Lo, s.Hi)
	return k > 0 && fits(s.Lo, s.Hi, s.Bits, k)
}

// TableEntries is the number of clamp-table entries the plan builds.
func (p *Plan) TableEntries() int {
	if p == nil {
		return 0
	}
	n := 0
	for _, k := range p.k {
		n += 1 << k
	}
	return n
}

// NbTables is the number of clamp tables the plan builds.
func (p *Plan) NbTables() int {
	if p == nil {
		return 0
	}
	return len(p.k)
}
