package fixedpoint

import (
	"fmt"
	"math/big"
	"slices"
	"sort"

	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

// logChecker range-checks values by one log-derivative argument (Haböck,
// "Multivariate lookups based on logarithmic derivatives", 2022) over the
// table [0, 2^b), as gnark's std/rangecheck does, with two differences that
// save R1CS constraints:
//
//   - the lowest limb of a value is not a new wire but the linear expression
//     v − Σ_{k≥1} l_k·2^(k·b), so the recomposition costs nothing (gnark
//     hints every limb and asserts their sum: one constraint per value); a
//     value of at most b bits is queried as it is, without a hint;
//   - the base b is chosen when the circuit is complete (the deferred
//     commit), from every check the circuit made, to minimize the queries
//     plus the table; padded checks (checkPadded) are scaled to whole limbs
//     with that base.
//
// A check of n bits costs ceil(n/b) constraints (one inverse per limb), plus
// one for a partial last limb (its limb times 2^(b·ceil(n/b)−n) is queried
// too) unless the check is padded; the table costs one constraint per entry.
//
// Soundness. The queries q_i are linear expressions of the circuit's wires;
// the multiplicities m_j (how often j is queried) come from a hint, which
// counts the values LimbsHint returns for the queries (limb 0 and the
// shifted top limb are extra, unconstrained outputs for it), not the query
// expressions: nothing in the argument trusts the m_j, only the equation
// below relates them to the queries, so their source does not matter for
// soundness, and the queries (long expressions) need not all exist at once
// to be counted. Every wire of every query and every m_j is committed (std/multicommit: the
// circuit's one BSB22 commitment under Groth16, the commitment gate under
// PLONK), and the challenge x is derived from that commitment. The circuit
// asserts Σ_i 1/(x − q_i) = Σ_j m_j/(x − j). If some q_i is outside the
// table, the two sides are different rational functions of x (the pole at
// q_i has multiplicity count(q_i) ≢ 0 mod |F| on the left, none on the
// right, since fewer than |F| values are queried), and clearing denominators
// leaves a nonzero polynomial of degree < N + 2^b for N queries: they agree
// at a random x with probability below (N + 2^b)/|F| < 2^-220 for any
// circuit zkinfer compiles (N < 2^30). The argument runs once. Each limb in
// [0, 2^b) and v = Σ_k l_k·2^(k·b) (by construction) give v ∈ [0, 2^(b·n)); the
// query l_{n-1}·2^(b·n − bits) ∈ [0, 2^b) then bounds the top limb, so
// v ∈ [0, 2^bits), exactly gnark's argument.
type logChecker struct {
	api    frontend.API
	checks []pendingCheck
	closed bool
	// packer keeps the pending values and the queries packed until they
	// are used (compile memory).
	packer lePacker
	// plain (tests only) commits the query expressions themselves and packs
	// nothing, as the checker did before; the system must not change.
	plain bool
}

type pendingCheck struct {
	v      frontend.Variable
	bits   int
	padded bool
	// widened: the caller needs only 0 ≤ v < 2^bits' for some bits' ≥ bits
	// well below the field (see checkWidened); the check is then rounded up
	// to whole limbs.
	widened bool
	// sel, when set, is a selector bit c: the check is then of
	// v + c·2^B on B bits, B = bits widened to whole limbs (checkSelected).
	sel frontend.Variable
	// val, when set, holds v's value (checkPaddedValue).
	val frontend.Variable
}

func newLogChecker(api frontend.API) *logChecker {
	c := &logChecker{api: api}
	api.Compiler().Defer(c.commit)
	return c
}

// Check constrains 0 ≤ v < 2^bits.
func (c *logChecker) Check(v frontend.Variable, bits int) {
	c.add(v, bits, false, false)
}

// checkPadded is Check for a value the caller knows is a bounded integer
// (|v|·2^e far below the field for e < the base): the checker then checks
// v·2^e on bits+e bits, with bits+e a multiple of its base, instead of
// querying a partial last limb. See Requantize for why a remainder
// qualifies.
func (c *logChecker) checkPadded(v frontend.Variable, bits int) {
	c.add(v, bits, true, false)
}

// checkPaddedValue is checkPadded with val, a wire that holds v's value in
// an honest witness (a hint output): the limb hint reads val instead of v,
// a long expression, whose copy in the hint's inputs it saves. Nothing
// trusts val: the queries are built from v (the lowest limb is v less the
// hinted upper limbs), so a wrong val only gives wrong limbs, which the
// argument rejects as any wrong limb.
func (c *logChecker) checkPaddedValue(v, val frontend.Variable, bits int) {
	c.add(v, bits, true, false)
	if n := len(c.checks); n > 0 && c.checks[n-1].padded && bits > 1 {
		c.checks[n-1].val = val
	}
}

// checkWidened is Check for a value whose exact width nothing depends on:
// the caller needs v ≥ 0 and v bounded far below the field (a clamp
// selector's test, a hinted quotient whose remainder checks pin it, the
// gaps of a square root), so the checker checks v on whole limbs,
// 0 ≤ v < 2^(b·ceil(bits/b)), and saves the query of a partial last limb.
// A widened check is a plain range check of at most bits + b − 1 ≤ bits +
// 15 bits: every caller's argument holds for any bound that far below the
// field (each says why).
func (c *logChecker) checkWidened(v frontend.Variable, bits int) {
	c.add(v, bits, false, true)
}

// checkSelected constrains v + sel·2^B ∈ [0, 2^B), B = bits rounded up to
// whole limbs of the base: for sel ∈ {0, 1} (the caller asserts it) and v
// an integer with |v| < 2^bits, it holds exactly when sel = 1 ⇔ v < 0
// (sel = 0 gives v ∈ [0, 2^B), sel = 1 gives v ∈ [−2^B, 0)). The sign test
// of a clamp selector without a product (Gadget.clampSelect).
func (c *logChecker) checkSelected(v, sel frontend.Variable, bits int) {
	if c.closed {
		panic("fixedpoint: range check after the checker was committed")
	}
	c.checks = append(c.checks, pendingCheck{v: v, bits: max(bits, 1), widened: true, sel: sel})
}

func (c *logChecker) add(v frontend.Variable, bits int, padded, widened bool) {
	if c.closed {
		panic("fixedpoint: range check after the checker was committed")
	}
	switch {
	case bits <= 0:
		c.api.AssertIsEqual(v, 0)
	case bits == 1:
		c.api.AssertIsBoolean(v)
	default:
		c.checks = append(c.checks, pendingCheck{v: v, bits: bits, padded: padded, widened: widened})
		if !c.plain {
			c.checks[len(c.checks)-1].v = c.packer.pack(v)
		}
	}
}

// The bases the checker considers: a table of 2^minCheckBase to
// 2^maxCheckBase entries.
const (
	minCheckBase = 2
	maxCheckBase = 16
)

// queries returns the number of table queries (R1CS constraints) a check
// costs under base b.
func (p pendingCheck) queries(b int) int {
	n := (p.bits + b - 1) / b
	if p.bits%b != 0 && !p.padded && !p.widened {
		n++
	}
	return n
}

// chooseBase returns the base that minimizes queries plus table entries.
func chooseBase(checks []pendingCheck) int {
	best, bestBase := 0, 0
	for b := minCheckBase; b <= maxCheckBase; b++ {
		cost := 1 << b
		for _, ch := range checks {
			cost += ch.queries(b)
		}
		if bestBase == 0 || cost < best {
			best, bestBase = cost, b
		}
	}
	return bestBase
}

func (c *logChecker) commit(api frontend.API) error {
	if c.closed {
		return nil
	}
	c.closed = true
	if len(c.checks) == 0 {
		return nil
	}
	base := chooseBase(c.checks)
	small := smallWidths(c.checks, base)
	smallQueries := make(map[int][]frontend.Variable)
	// The multiplicities are counted from the values of the queries as
	// LimbsHint returns them (limb 0 and the shifted top limb as extra,
	// unconstrained outputs), not from the query expressions, so that the
	// queries, long linear expressions, are built one batch at a time in the
	// callback and dropped (compile memory, benchmarks/NOTES.md 2026-12-01
	// "compile peak memory, part 2"). The counts are the prover's anyway:
	// the log-derivative equation pins them (see the type's doc).
	var groups []queryGroup
	counted := []frontend.Variable{base}
	for i, ch := range c.checks {
		// The group holds the value: drop the pending expression.
		c.checks[i].v = nil
		v, bits := c.packer.unpack(ch.v), ch.bits
		if small[bits] && !ch.padded && !ch.widened {
			smallQueries[bits] = append(smallQueries[bits], v)
			continue
		}
		if ch.padded && bits%base != 0 {
			e := base - bits%base
			v = api.Mul(v, new(big.Int).Lsh(big.NewInt(1), uint(e)))
			if ch.val != nil {
				ch.val = api.Mul(ch.val, new(big.Int).Lsh(big.NewInt(1), uint(e)))
			}
			bits += e
		}
		if ch.widened {
			bits = (bits + base - 1) / base * base
		}
		if ch.sel != nil {
			v = api.Add(v, api.Mul(ch.sel, new(big.Int).Lsh(big.NewInt(1), uint(bits))))
		}
		n := (bits + base - 1) / base
		rem := n*base - bits
		hv := v
		if ch.val != nil {
			hv = ch.val
		}
		in := []frontend.Variable{base, n, hv}
		nOut := n
		if rem > 0 {
			in = append(in, rem)
			nOut++
		}
		out, err := api.Compiler().NewHint(LimbsHint, nOut, in...)
		if err != nil {
			return err
		}
		counted = append(counted, out...)
		groups = append(groups, queryGroup{v: c.packer.pack(v), upper: out[:n-1], rem: rem})
	}
	for _, w := range sortedKeys(smallQueries) {
		keys := make([]*big.Int, 1<<w)
		for j := range keys {
			keys[j] = big.NewInt(int64(j))
		}
		if err := keyArgument(api, keys, smallQueries[w]); err != nil {
			return err
		}
	}
	c.checks = nil
	if len(groups) == 0 {
		return nil
	}
	size := 1 << base
	mult, err := api.Compiler().NewHint(RangeCountHint, size, counted...)
	if err != nil {
		return err
	}
	total := len(counted) - 1
	counted = nil
	qs := &queryStream{api: api, groups: groups, base: base, unpack: c.packer.unpack}
	// The commitment is to the wires of the queries, not to the expressions:
	// committing their distinct wires (those of the values and of the upper
	// limbs) gives the same system, and lets the callback build each query
	// only when it inverts x − q.
	// Under PLONK the queries are short (single terms) and committed as
	// they are (a commitment there is to wires, some of which the queries
	// create): they are built here, all at once, as before.
	var committed []frontend.Variable
	_, plonk := api.(frontend.PlonkAPI)
	if c.plain || plonk {
		all := make([]frontend.Variable, total)
		qs.fill(all)
		committed = append(append(committed, all...), mult...)
		qs = &queryStream{prebuilt: all}
	} else {
		vs := make([]frontend.Variable, 0, len(groups))
		for _, g := range groups {
			vs = append(vs, g.v)
			vs = append(vs, g.upper...)
		}
		committed = append(distinctWires(api, vs), mult...)
	}
	multicommit.WithCommitment(api, func(api frontend.API, x frontend.Variable) error {
		left := invertShifted(api, x, total, qs.fill)
		right := make([]frontend.Variable, size)
		if papi, ok := api.(frontend.PlonkAPI); ok {
			// One gate per entry, as gnark's std/rangecheck: the hinted
			// quotient w_j satisfies w_j·(x − j) = m_j.
			in := append([]frontend.Variable{x}, mult...)
			w, err := api.Compiler().NewHint(DivBySubHint, size, in...)
			if err != nil {
				return err
			}
			for j := range right {
				papi.AddPlonkConstraint(w[j], x, mult[j], -j, 0, -1, 1, 0)
				right[j] = w[j]
			}
		} else {
			for j := range right {
				right[j] = api.DivUnchecked(mult[j], api.Sub(x, j))
			}
		}
		api.AssertIsEqual(sumAll(api, left), sumAll(api, right))
		return nil
	}, committed...)
	return nil
}

// queryGroup is one checked value v (packed, after padding, widening and
// selection) and its upper limbs l_1…l_{n−1}: its queries are, in order,
// the lowest limb v − Σ_{k≥1} l_k·2^(k·b), the upper limbs, and, when
// rem > 0, the top limb (v itself if n = 1) times 2^rem.
type queryGroup struct {
	v     frontend.Variable
	upper []frontend.Variable
	rem   int
}

// queryStream builds the groups' queries in order, a batch at a time, and
// drops each group's value once its queries are built (or hands out
// prebuilt queries).
type queryStream struct {
	api      frontend.API
	groups   []queryGroup
	base     int
	unpack   func(frontend.Variable) frontend.Variable
	pending  []frontend.Variable // built, not yet handed out
	prebuilt []frontend.Variable
}

func (s *queryStream) fill(dst []frontend.Variable) {
	if s.prebuilt != nil {
		n := copy(dst, s.prebuilt)
		s.prebuilt = s.prebuilt[n:]
		return
	}
	api := s.api
	for len(dst) > 0 {
		if len(s.pending) == 0 {
			g := &s.groups[0]
			v := s.unpack(g.v)
			top := v
			if len(g.upper) > 0 {
				low := v
				for k, l := range g.upper {
					low = api.Sub(low, api.Mul(l, new(big.Int).Lsh(big.NewInt(1), uint(s.base*(k+1)))))
				}
				s.pending = append(s.pending, low)
				s.pending = append(s.pending, g.upper...)
				top = g.upper[len(g.upper)-1]
			} else {
				s.pending = append(s.pending, v)
			}
			if g.rem > 0 {
				s.pending = append(s.pending, api.Mul(top, new(big.Int).Lsh(big.NewInt(1), uint(g.rem))))
			}
			*g = queryGroup{}
			s.groups = s.groups[1:]
		}
		n := copy(dst, s.pending)
		clear(s.pending[:n])
		s.pending = s.pending[n:]
		dst = dst[n:]
	}
}

// smallTableMin is how many checks of a width w below the base must
// share a table [0, 2^w) of their own beyond its 2^w entries to pay for
// its fixed cost (its sum and commitment): see smallWidths.
const smallTableMin = 8

// smallWidths returns the widths w < base of exact checks (neither padded
// nor widened) that are cheaper in a table [0, 2^w) of their own: such a
// check costs two queries under base (the value, then the value shifted by
// base − w bits) and one there, so n checks of width w save n − 2^w.
func smallWidths(checks []pendingCheck, base int) map[int]bool {
	count := make(map[int]int)
	for _, ch := range checks {
		if !ch.padded && !ch.widened && ch.bits < base {
			count[ch.bits]++
		}
	}
	out := make(map[int]bool)
	for w, n := range count {
		if n > 1<<w+smallTableMin {
			out[w] = true
		}
	}
	return out
}

// invertChunk is how many queries invertShifted inverts in one batch under
// R1CS.
const invertChunk = 4096

// invertShifted returns 1/(x − q) for the n queries q that fill hands out in
// order, in batches (frontend.BatchInverter: one hint and one constraint per
// query), building each batch's queries only when it is inverted. Under
// R1CS a query is a long linear expression (a requantization remainder
// carries its accumulator's terms): batches of invertChunk keep only one
// batch of them, and of x − q, at a time, where one batch of all of them
// doubled the compile's peak memory. Under PLONK (short expressions) it is
// one batch, as before. Around the batches that grow the system's CallData
// it collects garbage (growthCollector: the compile's peak memory).
func invertShifted(api frontend.API, x frontend.Variable, n int, fill func([]frontend.Variable)) []frontend.Variable {
	out := make([]frontend.Variable, n)
	bi, ok := api.(frontend.BatchInverter)
	chunk := n
	if _, plonk := api.(frontend.PlonkAPI); !plonk {
		chunk = invertChunk
	}
	var grow *growthCollector
	if chunk < n {
		grow = newGrowthCollector(api)
	}
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		fill(out[start:end])
		for i := start; i < end; i++ {
			out[i] = api.Sub(x, out[i])
		}
		if grow != nil && ok {
			// gnark's batch inversion appends about 2 words a term of each
			// x − q and its check inv·(x − q) = 1 as many again.
			words := 0
			for _, v := range out[start:end] {
				words += 4*terms(v) + 8
			}
			grow.before(words)
		}
		if !ok {
			for i := start; i < end; i++ {
				out[i] = api.Inverse(out[i])
			}
			continue
		}
		copy(out[start:end], bi.BatchInvert(out[start:end]))
		if grow != nil {
			grow.after()
		}
	}
	return out
}

// checkerCost is what the checker's queries and tables cost for checks, in
// R1CS constraints (the base chosen by chooseBase, the small tables of
// smallWidths), without the arguments' small fixed costs.
func checkerCost(checks []pendingCheck) int {
	base := chooseBase(checks)
	small := smallWidths(checks, base)
	cost := 0
	main := false
	for _, ch := range checks {
		if small[ch.bits] && !ch.padded && !ch.widened {
			cost++
			continue
		}
		main = true
		cost += ch.queries(base)
	}
	if main {
		cost += 1 << base
	}
	for w := range small {
		cost += 1 << w
	}
	return cost
}

func sortedKeys(m map[int][]frontend.Variable) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// distinctWires returns one variable per distinct wire (the constant wire
// excepted) of the R1CS linear expressions vs (packed or not), in increasing wire order, for
// a commitment: gnark's Commit commits to the sorted set of the wires of its
// arguments, so the commitment (and the constraint system) is the same as
// for vs, while the long expressions need not stay alive until the commit.
// Under PLONK (no linear expressions) vs is returned as it is. The
// expressions' coefficients must already be in the system (they are: vs are
// inputs of RangeCountHint), as reading them adds any that are not.
func distinctWires(api frontend.API, vs []frontend.Variable) []frontend.Variable {
	if _, ok := api.(frontend.PlonkAPI); ok {
		return vs
	}
	comp := api.Compiler()
	var seen []uint64 // bit set of wire IDs
	var ids []uint32
	add := func(vid uint32) {
		if vid == 0 {
			return
		}
		w := int(vid >> 6)
		if w >= len(seen) {
			seen = append(seen, make([]uint64, w+1-len(seen)+len(seen)/2)...)
		}
		if bit := uint64(1) << (vid & 63); seen[w]&bit == 0 {
			seen[w] |= bit
			ids = append(ids, vid)
		}
	}
	for _, v := range vs {
		if pv, ok := v.(packedLE); ok {
			for _, t := range pv {
				add(uint32(t))
			}
			continue
		}
		le, ok := comp.ToCanonicalVariable(v).(constraint.LinearExpression)
		if !ok {
			return vs
		}
		for _, t := range le {
			add(t.VID)
		}
	}
	slices.Sort(ids)
	out := make([]frontend.Variable, len(ids))
	for i, id := range ids {
		out[i] = comp.InternalVariable(id)
	}
	return out
}

func sumAll(api frontend.API, v []frontend.Variable) frontend.Variable {
	switch len(v) {
	case 0:
		return 0
	case 1:
		return v[0]
	}
	return api.Add(v[0], v[1], v[2:]...)
}

// LimbsHint returns the limbs 1..n−1 of v in base 2^b (inputs: b, n, v,
// and optionally s): the k-th output is floor(v / 2^(k·b)) mod 2^b. Limb 0
// is v less the others, a linear expression in the circuit. With n outputs,
// the last is limb 0 as well; with n + 1 (s given), the last two are limb 0
// and the top limb n−1 times 2^s: the values of the checker's queries, from
// which it counts the multiplicities. These extra outputs are constrained by
// nothing (the multiplicities are the prover's choice anyway).
func LimbsHint(field *big.Int, inputs, outputs []*big.Int) error {
	if (len(inputs) != 3 && len(inputs) != 4) || !inputs[0].IsUint64() || !inputs[1].IsUint64() {
		return fmt.Errorf("LimbsHint: want inputs b, n, v[, s]")
	}
	b, n := inputs[0].Uint64(), inputs[1].Uint64()
	want := n - 1
	if len(outputs) >= int(n) {
		want = n + uint64(len(inputs)-3)
	}
	if b == 0 || b > 64 || n < 1 || n > 1<<20 || uint64(len(outputs)) != want || want == 0 {
		return fmt.Errorf("LimbsHint: base %d, %d limbs, %d inputs, %d outputs", b, n, len(inputs), len(outputs))
	}
	var s uint64
	if len(inputs) == 4 {
		if !inputs[3].IsUint64() || inputs[3].Uint64() > 64 {
			return fmt.Errorf("LimbsHint: shift %v", inputs[3])
		}
		s = inputs[3].Uint64()
	}
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(b)), big.NewInt(1))
	limb := func(dst *big.Int, k uint64) {
		dst.Rsh(inputs[2], uint(b*k))
		dst.And(dst, mask)
	}
	for k := uint64(1); k < n; k++ {
		limb(outputs[k-1], k)
	}
	if want >= n {
		// Limb 0 as the circuit computes it: v − Σ_{k≥1} l_k·2^(k·b) (v
		// itself when v is outside [0, 2^(n·b)) — then no decomposition
		// fits and the table rejects the query).
		limb(outputs[n-1], 0)
		if inputs[2].BitLen() > int(n*b) {
			t := new(big.Int).Set(inputs[2])
			for k := uint64(1); k < n; k++ {
				t.Sub(t, new(big.Int).Lsh(outputs[k-1], uint(b*k)))
			}
			outputs[n-1].Mod(t, field)
		}
	}
	if want == n+1 {
		top := outputs[n-1]
		if n > 1 {
			top = outputs[n-2]
		}
		outputs[n].Lsh(top, uint(s))
		outputs[n].Mod(outputs[n], field)
	}
	return nil
}

// DivBySubHint returns m_j / (x − j) for j = 0…len(outputs)−1 (inputs: x,
// m_0, m_1, …).
func DivBySubHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs)+1 {
		return fmt.Errorf("DivBySubHint: want x and %d multiplicities", len(outputs))
	}
	for j := range outputs {
		d := new(big.Int).Sub(inputs[0], big.NewInt(int64(j)))
		d.Mod(d, field)
		if d.Sign() == 0 {
			return fmt.Errorf("DivBySubHint: challenge hits the table")
		}
		d.ModInverse(d, field)
		outputs[j].Mul(inputs[j+1], d)
		outputs[j].Mod(outputs[j], field)
	}
	return nil
}

// RangeCountHint returns, for each j < 2^b, how many of the queries equal j
// (inputs: b, queries...). Queries outside the table are not counted: the
// log-derivative equation then fails, which is the point.
func RangeCountHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 1 || !inputs[0].IsUint64() || inputs[0].Uint64() > 30 || len(outputs) != 1<<inputs[0].Uint64() {
		return fmt.Errorf("RangeCountHint: want inputs b, queries... and 2^b outputs")
	}
	counts := make([]uint64, len(outputs))
	for _, q := range inputs[1:] {
		if q.IsUint64() && q.Uint64() < uint64(len(counts)) {
			counts[q.Uint64()]++
		}
	}
	for j, n := range counts {
		outputs[j].SetUint64(n)
	}
	return nil
}
