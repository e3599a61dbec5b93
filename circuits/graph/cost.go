package graph

import (
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func init() { quant.SetCircuitOverhead(overhead) }

// overhead is the circuit-wide part of quant.Model.EstimateCost, what
// depends on the whole circuit rather than on one node:
//
//   - the range checker. The ops' estimates count each of their planned
//     range checks (remainders of requantizations, the range sites of
//     divisions and alignments) as if the checker's base were refBase, and
//     quant.PartsCost counts the input's checks at a flat rate; the circuit
//     uses the plan's base (or gnark's choice when the plan fixes none),
//     which for small circuits is far from refBase (a 3-bit base for a
//     GlobalAveragePool: an 8-bit input check costs 5 constraints) and for
//     large ones far above it (a 12-bit base: a 24-bit remainder costs 3
//     instead of 6). The overhead replaces those counts by gnark's own
//     (std/rangecheck: limbs, the top limb's shifted copy, the
//     recomposition, the 2^base-entry table);
//   - the clamps no clamp table serves (selector path: two boolean checks,
//     two products and two range checks each, instead of one lookup);
//   - the clamp tables' entries;
//   - each lookup table's fixed cost (clamp tables, and one per distinct
//     function table of the gadgets that declare them, gadget.Tabler).
func overhead(m *quant.Model, v quant.Visibility) quant.Cost {
	if m.Graph == nil {
		return quant.Cost{}
	}
	sites, err := Sites(m.Graph, v.Weights != quant.VisibilityFixed)
	if err != nil {
		return quant.Cost{}
	}
	plan := fixedpoint.NewPlan(sites)
	var checks []rangeCheck
	var c quant.Cost
	// The PLONK estimate keeps the ops' flat per-check rates (measured at
	// 64×64): only the R1CS count is corrected for the base.
	for _, s := range sites {
		if s.Count <= 0 {
			continue
		}
		if s.Shift > 0 {
			// Requantize pads a remainder to a multiple of the base; a range
			// site is checked as is.
			checks = append(checks, rangeCheck{bits: int(s.Shift), count: s.Count, padded: s.Lo <= s.Hi})
			c.R1CS -= refCheckR1CS(int(s.Shift), s.Count, s.Lo <= s.Hi)
		}
		if s.Lo <= s.Hi && !plan.Tabled(s) {
			// selector path instead of the lookup the op counted
			checks = append(checks, rangeCheck{bits: s.Bits, count: 2 * s.Count})
			c.R1CS += (selectR1CS - lookupR1CS) * s.Count
			c.SCS += 2 * fixedpoint.SelectExtraR1CS * s.Count
		}
	}
	for _, n := range m.Graph.Nodes {
		gd, err := gadget.Lookup(n.Op.Kind())
		if err != nil {
			continue
		}
		if ck, ok := gd.(gadget.Checker); ok {
			for _, s := range ck.Checks(n.Op, m.Graph.ValuesOf(n.In), m.Graph.ValuesOf(n.Out)) {
				checks = append(checks, rangeCheck{bits: int(s.Shift), count: s.Count})
				c.R1CS -= refCheckR1CS(int(s.Shift), s.Count, false)
			}
		}
	}
	in := m.InputParts()
	bits, counts := quant.InputChecks(in)
	for i := range bits {
		checks = append(checks, rangeCheck{bits: bits[i], count: counts[i]})
	}
	c.R1CS -= quant.InputCheckCost(in).R1CS
	c.R1CS += rangeCheckR1CS(plan.Base(), checks) + plan.TableEntries()
	c.SCS += 2 * plan.TableEntries()
	// Each lookup table (clamp tables, and one per distinct function
	// table the ops share through gadget.Ctx.Table) has a fixed cost.
	tables := plan.NbTables()
	seen := map[[32]byte]bool{}
	for _, n := range m.Graph.Nodes {
		gd, err := gadget.Lookup(n.Op.Kind())
		if err != nil {
			continue
		}
		if tb, ok := gd.(gadget.Tabler); ok {
			for _, e := range tb.Tables(n.Op) {
				if k := gadget.TableKey(e); !seen[k] {
					seen[k] = true
					tables++
				}
			}
		}
	}
	c.R1CS += tableR1CS * tables
	c.SCS += tableSCS * tables
	return c
}

// tableR1CS and tableSCS are the fixed cost of one log-derivative lookup
// table (std/lookup/logderivlookup, besides one constraint per entry and
// two per query), measured with gnark v0.16.3 on BN254: 256 entries and 64
// queries cost 716 R1CS constraints, 16 entries and one query 350.
const tableR1CS, tableSCS = 332, 440

// refBase is the range-check base the ops' estimates assume for their
// planned checks (ops.RefRangeBase).
const refBase = ops.RefRangeBase

// R1CS costs of a clamp by a table lookup, and of the selector path without
// its two range checks (two boolean checks, two products).
const (
	lookupR1CS = 2
	selectR1CS = 4
)

// rangeCheck is count checks of bits bits; padded ones (a requantization's
// remainder) are widened to a multiple of the base by the circuit.
type rangeCheck struct {
	bits, count int
	padded      bool
}

// limbs is the number of table queries one check makes at base b, as
// gnark's std/rangecheck decomposes it: ceil(bits/b) limbs, plus the top
// limb shifted when bits is not a multiple of b.
func (r rangeCheck) limbs(b int) int {
	bits := r.bits
	if r.padded && bits%b != 0 {
		bits += b - bits%b
	}
	n := (bits + b - 1) / b
	if n*b > bits {
		n++
	}
	return n
}

// r1cs is the R1CS constraints of the checks at base b without the table:
// per limb an inverse, per check the recomposition (0- and 1-bit checks are
// one plain constraint).
func (r rangeCheck) r1cs(b int) int {
	if r.bits <= 1 {
		return r.count
	}
	return r.count * (r.limbs(b) + 1)
}

// refCheckR1CS is what the ops' estimates count for count checks of bits.
func refCheckR1CS(bits, count int, padded bool) int {
	return rangeCheck{bits: bits, count: count, padded: padded}.r1cs(refBase)
}

// rangeCheckR1CS is the R1CS cost of the checks with the range checker's
// table (2^b entries and the final check) at base b; gnark's choice (the
// cheapest) when b is 0.
func rangeCheckR1CS(b int, checks []rangeCheck) int {
	total := func(b int) int {
		c, table := 0, false
		for _, r := range checks {
			if r.count > 0 && r.bits > 1 {
				table = true
			}
			c += r.r1cs(b)
		}
		if table {
			c += 1<<b + 1
		}
		return c
	}
	if b > 0 {
		return total(b)
	}
	best := total(2)
	for b := 3; b < 18; b++ {
		best = min(best, total(b))
	}
	return best
}
