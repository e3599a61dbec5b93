// Package fixedpoint constrains zkinfer's fixed-point primitives.
//
// # Requantization
//
// For an accumulator acc (any linear expression), a constant multiplier m and
// shift s, Requantize returns out = clamp(floor((acc·m + 2^(s-1)) / 2^s), lo, hi),
// the relation quant.Requantize computes. The quotient q comes from a hint and is
// pinned by
//
//	r = acc·m + 2^(s-1) − q·2^s,  0 ≤ r < 2^s        (range check of r)
//
// together with the clamp's range checks, which bound q to an interval far
// smaller than the field, so q is the unique floor quotient.
//
// # Clamp
//
// Clamp(v, lo, hi) takes two hinted selector bits cL (v < lo) and cH (v > hi)
// and checks, with a = v − lo and b = hi − v,
//
//	cL, cH ∈ {0, 1}
//	a − cL·(2a + 1) ∈ [0, 2^bits)      (cL = 1 ⇒ a < 0, cL = 0 ⇒ a ≥ 0)
//	b − cH·(2b + 1) ∈ [0, 2^bits)      (cH = 1 ⇒ b < 0, cH = 0 ⇒ b ≥ 0)
//	out = v − cL·a + cH·b
//
// Both selectors are thereby determined by v, and out is lo, hi or v. In R1CS
// the products cL·a and cH·b are the only multiplications: 4 constraints plus
// two range checks per clamped value.
//
// # Clamp without selector products
//
// Under WithLogChecker the selector path checks, with B = bits rounded up
// to whole limbs of the checker's base (B ≥ bits, so every honest a and b
// fits),
//
//	cL, cH ∈ {0, 1}
//	a + cL·2^B ∈ [0, 2^B)      (cL = 0 ⇒ a ∈ [0, 2^B), cL = 1 ⇒ a ∈ [−2^B, 0))
//	b + cH·2^B ∈ [0, 2^B)      (likewise for b)
//	out = v − (cL + cH)·v + cL·lo + cH·hi
//
// The checks are linear in the selectors and exact on B bits (a wider
// check would let cL = 1 pass with a ≥ 0); they make a and b integers
// below 2^B in size, so v is, and determine both selectors (cL = cH = 1
// would need v < lo and v > hi). out is v, lo or hi as the selectors say,
// at one product: (cL + cH)·v. 5 constraints instead of 6 (2 booleans,
// 1 product, 2 queries when B is one limb).
//
// # Clamp tables
//
// With a Plan (WithPlan), a circuit-wide log-derivative table of 2^k entries
// T[i] = clamp(i − 2^(k-1), lo, hi) serves every Clamp (and Requantize) into
// [lo, hi] whose bits bound puts every honest v in [-2^(k-1), 2^(k-1)):
//
//	out = T[v + 2^(k-1)]                            (one lookup)
//
// The lookup proves v + 2^(k-1) is one of the indices 0..2^k−1 and out its
// entry, so out = clamp(v, lo, hi) and, for Requantize, the quotient q is an
// integer in the table's domain: with the remainder check this pins q to the
// floor quotient (the bound on q replaces the clamp's range checks). A
// lookup costs 2 R1CS constraints and an entry about 1, against about 8 for
// the selectors and their range checks; sites whose bound does not fit keep
// the selector path. NewPlan chooses each table's size from the circuit's
// sites (Site: range, bits bound, count) to save the most constraints, and
// builds none where a table does not pay; the plan is a function of the
// model alone, so a circuit always compiles to the same constraint system.
//
// A plan also estimates the base b of the range checker: under gnark's
// std/rangecheck (the default) the gadget fixes that base and pads each
// remainder check to whole limbs: r·2^e ∈ [0, 2^(s+e)) with s+e a multiple
// of b. As q is bounded, p·2^e − q·2^(s+e) ∈ [0, 2^(s+e)) holds over the
// integers and forces r = p − q·2^s ∈ [0, 2^s); gnark would otherwise add a
// query for the partial last limb. A Requantize with a table thus costs 2
// (lookup) + ceil(s/b) (limbs) + 1 (recomposition) constraints.
//
// # Range checks: WithLogChecker
//
// WithLogChecker sends every range check to the package's own
// log-derivative argument over the table [0, 2^b) (logChecker in
// rangecheck.go, which gives its soundness argument), written here because
// gnark's asserts the recomposition of every checked value from hinted
// limbs (one R1CS constraint per value: 107,840 of the 720,249 constraints
// of a d-64, 64-token gpt2 block); here the lowest limb is the linear
// expression v − Σ_{k≥1} l_k·2^(k·b) and costs nothing, and b is chosen when
// the circuit is complete, from all its checks, to minimize queries plus
// table. It pads the remainders of Requantize, RequantizeVar and DivFloor
// (whose quotient is range-checked) to whole limbs of that base, by the
// argument above. A Requantize with a table then costs 2 + ceil(s/b). The
// gpt2 circuit uses it; it is an option because it changes the constraint
// system of every circuit that takes it.
//
// # Widened checks
//
// Some range checks only need their value non-negative and bounded far
// below the field, not an exact width: a clamp selector's tests (the
// selectors are pinned for any bound), DivFloor's quotient (with the
// remainder's checks it leaves one solution for any bound ≪ the field),
// the gaps of norm.Rsqrt. CheckBound (checkBound inside the package) rounds
// such a check up to whole limbs of WithLogChecker's base, chosen at commit
// (gnark's checker checks exactly: the graph and ffn circuits, their keys
// and quant/ops' estimates are unchanged), so that it costs
// ceil(bits/b) queries instead of one more for a partial last limb; the
// bound grows by at most b − 1 bits, which every caller's argument allows.
// In the 64-token d-64 gpt2 block: −8,320 (the softmax quotients, 13 bits
// under base 15) and −576 (LayerNorm square roots).
//
// # Packed tables
//
// NewPackedTable is a function table whose lookups cost one R1CS
// constraint (the inverse of x − key) instead of logderivlookup's two (the
// random combination of index and value, then the inverse): the key
// idx + 2^100·val is a linear expression. Its own log-derivative argument
// (its own challenge from the circuit's commitment; its keys never meet
// another table's) proves each key is a table key, which pins idx and val
// only once the caller has made val an integer: the table is for callers
// whose other constraints do (attention.Softmax, whose package doc gives the
// argument for its exp table).
//
// WithBitDecomposition ignores the plan: that path uses neither lookups nor
// commitments.
package fixedpoint
