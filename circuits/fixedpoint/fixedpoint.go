package fixedpoint

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/zkinfer/zkinfer/quant"
)

func init() {
	solver.RegisterHint(GetHints()...)
}

// GetHints lists the hints this package uses, for provers that register hints explicitly.
func GetHints() []solver.Hint {
	return []solver.Hint{DivPow2Hint, ClampSelectHint, DivFloorHint, LimbsHint, RangeCountHint, DivBySubHint, PackedLookupHint, PackedCountHint}
}

// Gadget constrains fixed-point operations; all values share one range checker.
type Gadget struct {
	api  frontend.API
	rc   checker
	plan *Plan
	// log is true when rc is the package's own checker (WithLogChecker).
	log bool
	// tables holds the clamp tables of the plan, built at first use.
	tables map[bounds]logderivlookup.Table
	// mapped holds the tables of RequantizeMapped, by key and range.
	mapped map[mappedKey]logderivlookup.Table
	checks int
}

// checker range-checks values: gnark's std/rangecheck (the default),
// logChecker (WithLogChecker) or bitChecker (WithBitDecomposition).
type checker interface {
	Check(v frontend.Variable, bits int)
	// checkPadded is Check for a value known to be a small integer, which
	// the checker may scale to whole limbs (see logChecker.checkPadded).
	checkPadded(v frontend.Variable, bits int)
	// checkWidened is Check for a value of which only 0 ≤ v and a bound far
	// below the field matter, which the checker may round up to whole limbs
	// (see logChecker.checkWidened).
	checkWidened(v frontend.Variable, bits int)
}

type mappedKey struct {
	b   bounds
	key string
}

// check range-checks v through the shared checker and counts it.
func (g *Gadget) check(v frontend.Variable, bits int) {
	g.checks++
	g.rc.Check(v, bits)
}

// checkRemainder range-checks the remainder r of a division,
// 0 ≤ r < 2^bits, where the quotient is bounded by another constraint (the
// clamp of Requantize, the range check of DivFloor's quotient), so that r is
// a small integer and the checker may pad it to whole limbs.
//
// Under gnark's checker only Requantize pads, to the plan's base (the
// constraint systems of circuits without WithLogChecker are unchanged).
func (g *Gadget) checkRemainder(r frontend.Variable, bits int) {
	g.checks++
	if g.log {
		g.rc.checkPadded(r, bits)
		return
	}
	if b := g.plan.Base(); b > 0 && bits%b != 0 {
		e := b - bits%b
		r = g.api.Mul(r, new(big.Int).Lsh(big.NewInt(1), uint(e)))
		bits += e
	}
	g.rc.Check(r, bits)
}

// checkBound range-checks v, 0 ≤ v < 2^bits, where only v ≥ 0 and a bound
// far below the field matter: under WithLogChecker the check is widened to
// whole limbs of the checker's base (logChecker.checkWidened); gnark's
// checker and bit decomposition check exactly bits.
func (g *Gadget) checkBound(v frontend.Variable, bits int) {
	g.checks++
	g.rc.checkWidened(v, bits)
}

// CheckBound constrains 0 ≤ v < 2^b for some b with bits ≤ b < bits + 16,
// b chosen by the range checker: under WithLogChecker bits rounded up to
// whole limbs of its base, which saves the query of a partial limb; under
// the other checkers b = bits (their constraint systems are unchanged). For
// checks that only need v non-negative and bounded far below the field,
// such as the gaps of a hinted square root.
func (g *Gadget) CheckBound(v frontend.Variable, bits int) {
	g.checkBound(v, bits)
}

// RangeChecks returns the number of range checks the gadget has made so far.
func (g *Gadget) RangeChecks() int { return g.checks }

// Option configures a Gadget.
type Option func(*config)

type config struct {
	bits bool
	log  bool
	plan *Plan
}

// WithPlan makes the gadget clamp through the plan's lookup tables (see
// Plan): Requantize and Clamp sites whose bound fits a table of their
// [lo, hi] cost one lookup instead of two selectors, two products and two
// range checks. Ignored together with WithBitDecomposition, which must not
// use lookups.
func WithPlan(p *Plan) Option { return func(c *config) { c.plan = p } }

// WithBitDecomposition makes range checks decompose values into bits
// (api.ToBinary) instead of using std/rangecheck. It costs more constraints
// but adds no commitment to the proof, which makes on-chain verification
// cheaper under Groth16 (no BSB22 commitment to check); see
// benchmarks/results/gas.md for the trade-off.
func WithBitDecomposition() Option { return func(c *config) { c.bits = true } }

// WithLogChecker makes range checks go to the package's own log-derivative
// checker (rangecheck.go) instead of gnark's std/rangecheck: one R1CS
// constraint less per checked value (no recomposition), the base chosen from
// every check of the circuit, and padded remainder checks in DivFloor and
// RequantizeVar too. It changes the constraint system (and so the keys) of
// a circuit, which is why it is an option: the gpt2 circuit uses it; the
// graph circuits and ffn keep gnark's checker, whose costs their estimates
// model. Ignored together with WithBitDecomposition.
func WithLogChecker() Option { return func(c *config) { c.log = true } }

// New returns a fixed-point gadget over api.
func New(api frontend.API, opts ...Option) *Gadget {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.bits {
		return &Gadget{api: api, rc: bitChecker{api}}
	}
	if cfg.log {
		return &Gadget{api: api, rc: newLogChecker(api), plan: cfg.plan, log: true}
	}
	var rcOpts []rangecheck.Option
	if b := cfg.plan.Base(); b > 0 {
		rcOpts = append(rcOpts, rangecheck.WithBaseLength(b))
	}
	return &Gadget{api: api, rc: gnarkChecker{rangecheck.New(api, rcOpts...)}, plan: cfg.plan}
}

// bitChecker range-checks by binary decomposition: ToBinary constrains v to
// equal the sum of n boolean-constrained bits, so v ∈ [0, 2^n).
type bitChecker struct{ api frontend.API }

func (b bitChecker) Check(v frontend.Variable, n int) { b.api.ToBinary(v, n) }

func (b bitChecker) checkPadded(v frontend.Variable, n int) { b.Check(v, n) }

func (b bitChecker) checkWidened(v frontend.Variable, n int) { b.Check(v, n) }

// gnarkChecker is gnark's std/rangecheck, which pads nothing itself (the
// Gadget pads Requantize's remainders to the plan's base, see
// checkRemainder) and widens nothing: the graph and ffn circuits that use
// it keep their constraint systems (the legacy ffn circuit's keys, and the
// cost estimates of quant/ops, assume them).
type gnarkChecker struct{ frontend.Rangechecker }

func (g gnarkChecker) checkPadded(v frontend.Variable, n int) { g.Check(v, n) }

func (g gnarkChecker) checkWidened(v frontend.Variable, n int) { g.Check(v, n) }

// Requantize returns clamp(floor((acc·mult + 2^(shift-1)) / 2^shift), lo, hi).
// qBits must bound the unclamped quotient: |q| + |lo| + |hi| < 2^qBits
// (see QuotientBits).
func (g *Gadget) Requantize(acc frontend.Variable, mult int64, shift uint, lo, hi int64, qBits int) frontend.Variable {
	return g.Clamp(g.quotient(acc, mult, shift), lo, hi, qBits)
}

// quotient returns q = floor((acc·mult + 2^(shift-1)) / 2^shift), pinned by
// the range check of its remainder; the caller must bound q (a clamp).
func (g *Gadget) quotient(acc frontend.Variable, mult int64, shift uint) frontend.Variable {
	api := g.api
	p := api.Add(api.Mul(acc, mult), quant.RoundingTerm(shift))
	q := p
	if shift > 0 {
		// Under the log checker the hint also returns the remainder's
		// value, a wire constrained by nothing that the checker's limb hint
		// reads instead of the remainder's long expression (compile memory,
		// benchmarks/NOTES.md 2026-12-01 "compile peak memory, part 2"):
		// the limbs are the prover's anyway, the queries use r itself.
		nOut := 1
		if g.log {
			nOut = 2
		}
		res, err := api.Compiler().NewHint(DivPow2Hint, nOut, p, shift)
		if err != nil {
			panic(err)
		}
		q = res[0]
		// Pins q: the remainder is in [0, 2^shift), and the clamp below
		// bounds q. The checker may check r·2^e on whole limbs instead: as
		// q is bounded, r·2^e is an integer multiple of 2^e, so
		// r·2^e ∈ [0, 2^(shift+e)) still gives r ∈ [0, 2^shift).
		r := api.Sub(p, api.Mul(q, new(big.Int).Lsh(big.NewInt(1), shift)))
		if g.log {
			g.checks++
			g.rc.(*logChecker).checkPaddedValue(r, res[1], int(shift))
		} else {
			g.checkRemainder(r, int(shift))
		}
	}
	return q
}

// RequantizeAdd returns clamp(floor((acc·mult + 2^(shift-1)) / 2^shift) + x,
// lo, hi): a requantization whose quotient q is not clamped on its own but
// added to x first (a linear layer fused with the residual add that reads
// it, ops.QLinearResidual), one clamp for both. x must be constrained to
// int8 by the caller, and bits must bound the sum's distance to either
// bound for every honest q (ResidualQuotientBits: |q| + 255 < 2^bits). The
// clamp bounds q + x, so q too (x is int8), and with it the remainder's
// range check pins q as in Requantize.
func (g *Gadget) RequantizeAdd(acc frontend.Variable, mult int64, shift uint, x frontend.Variable, lo, hi int64, bits int) frontend.Variable {
	return g.Clamp(g.api.Add(g.quotient(acc, mult, shift), x), lo, hi, bits)
}

// MappedTableBits returns k when RequantizeMapped would serve a site
// [lo, hi] with bound qBits by one lookup into a table of 2^k entries (the
// plan has a table for [lo, hi] that fits), 0 when it would not.
func (g *Gadget) MappedTableBits(lo, hi int64, qBits int) int {
	if k := g.plan.TableBits(lo, hi); k > 0 && fits(lo, hi, qBits, k) {
		return k
	}
	return 0
}

// RequantizeMapped returns f(Requantize(acc, mult, shift, lo, hi, qBits))
// for a function f of the clamped value given by values[v − lo], v ∈
// [lo, hi] (such as GELU on int8), in one lookup where MappedTableBits is
// k > 0: a table of 2^k entries T[i] = f(clamp(i − 2^(k-1), lo, hi)),
// built at its first use and shared by every call with the same key, lo
// and hi. The lookup is the clamp table's argument with f applied to its
// entries: it proves i = q + 2^(k-1) lies in the domain (which bounds q, so
// the remainder check pins it) and returns T[i]. It saves the clamp's own
// lookup (2 R1CS constraints a value) for 2^k table entries: the caller
// decides whether its count of values pays. Otherwise it is Requantize
// then fallback.Lookup(out − lo).
func (g *Gadget) RequantizeMapped(acc frontend.Variable, mult int64, shift uint, lo, hi int64, qBits int, key string, values []int64, fallback logderivlookup.Table) frontend.Variable {
	if int64(len(values)) != hi-lo+1 {
		panic(fmt.Sprintf("fixedpoint: %s: %d values for [%d, %d]", key, len(values), lo, hi))
	}
	k := g.MappedTableBits(lo, hi, qBits)
	if k == 0 {
		return fallback.Lookup(g.api.Sub(g.Requantize(acc, mult, shift, lo, hi, qBits), lo))[0]
	}
	q := g.quotient(acc, mult, shift)
	mk := mappedKey{bounds{lo, hi}, key}
	t, ok := g.mapped[mk]
	if !ok {
		entries := ClampTable(lo, hi, k)
		for i, v := range entries {
			entries[i] = values[v-lo]
		}
		t = NewTable(g.api, entries)
		if g.mapped == nil {
			g.mapped = make(map[mappedKey]logderivlookup.Table)
		}
		g.mapped[mk] = t
	}
	return t.Lookup(g.api.Add(q, int64(1)<<(k-1)))[0]
}

// Clamp saturates v into [lo, hi]. bits must bound the distance of v to
// either bound: |v − lo| < 2^bits and |hi − v| < 2^bits for every honest v.
func (g *Gadget) Clamp(v frontend.Variable, lo, hi int64, bits int) frontend.Variable {
	if k := g.plan.TableBits(lo, hi); k > 0 && fits(lo, hi, bits, k) {
		return g.table(lo, hi, k).Lookup(g.api.Add(v, int64(1)<<(k-1)))[0]
	}
	return g.clampSelect(v, lo, hi, bits)
}

// table returns the clamp table of [lo, hi] over 2^k entries, building it at
// its first use: entry i is clamp(i − 2^(k-1), lo, hi).
func (g *Gadget) table(lo, hi int64, k int) logderivlookup.Table {
	b := bounds{lo, hi}
	if t, ok := g.tables[b]; ok {
		return t
	}
	if g.tables == nil {
		g.tables = make(map[bounds]logderivlookup.Table)
	}
	t := NewTable(g.api, ClampTable(lo, hi, k))
	g.tables[b] = t
	return t
}

// Tables returns the ranges [lo, hi] whose clamp table the gadget has built
// so far, in increasing order.
func (g *Gadget) Tables() [][2]int64 {
	out := make([][2]int64, 0, len(g.tables))
	for b := range g.tables {
		out = append(out, [2]int64{b.lo, b.hi})
	}
	slices.SortFunc(out, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		return cmp.Compare(a[1], b[1])
	})
	return out
}

// clampSelect is Clamp with hinted selectors and range checks (see the package doc).
func (g *Gadget) clampSelect(v frontend.Variable, lo, hi int64, bits int) frontend.Variable {
	api := g.api
	sel, err := api.Compiler().NewHint(ClampSelectHint, 2, v, lo, hi)
	if err != nil {
		panic(err)
	}
	cL, cH := sel[0], sel[1]
	api.AssertIsBoolean(cL)
	api.AssertIsBoolean(cH)
	if lc, ok := g.rc.(*logChecker); ok {
		// Under WithLogChecker the sign tests are linear in the selectors
		// (package doc, "Clamp without selector products"): one product.
		g.checks += 2
		lc.checkSelected(api.Sub(v, lo), cL, bits)
		lc.checkSelected(api.Sub(hi, v), cH, bits)
		return api.Add(api.Sub(v, api.Mul(api.Add(cL, cH), v)), api.Mul(cL, lo), api.Mul(cH, hi))
	}
	a := api.Sub(v, lo)
	b := api.Sub(hi, v)
	cLa := api.Mul(cL, a)
	cHb := api.Mul(cH, b)
	// u = a − cL·(2a+1) and w = b − cH·(2b+1) are non-negative exactly when
	// the selectors tell the truth.
	// Bound checks (exact under gnark's checker and bit decomposition; a
	// wider bound would still pin the selectors and bound v).
	g.checkBound(api.Sub(a, api.Add(api.Mul(cLa, 2), cL)), bits)
	g.checkBound(api.Sub(b, api.Add(api.Mul(cHb, 2), cH)), bits)
	return api.Add(api.Sub(v, cLa), cHb)
}

// ClampLow returns max(v, lo). bits bounds |v − lo| < 2^bits.
func (g *Gadget) ClampLow(v frontend.Variable, lo int64, bits int) frontend.Variable {
	api := g.api
	sel, err := api.Compiler().NewHint(ClampSelectHint, 2, v, lo, v)
	if err != nil {
		panic(err)
	}
	cL := sel[0]
	api.AssertIsBoolean(cL)
	a := api.Sub(v, lo)
	cLa := api.Mul(cL, a)
	g.checkBound(api.Sub(a, api.Add(api.Mul(cLa, 2), cL)), bits)
	return api.Sub(v, cLa)
}

// residualBits bounds the distance of a + b ∈ [-256, 254] to either int8 bound.
const residualBits = 9

// ResidualAdd returns the saturating int8 sums clamp(a_i + b_i, -128, 127)
// of two int8 rows, as quant.ResidualAdd.
func (g *Gadget) ResidualAdd(a, b []frontend.Variable) []frontend.Variable {
	out := make([]frontend.Variable, len(a))
	for i := range a {
		out[i] = g.Clamp(g.api.Add(a[i], b[i]), quant.Int8Min, quant.Int8Max, residualBits)
	}
	return out
}

// ResidualSites returns the clamp sites of n saturating residual sums, for NewPlan.
func ResidualSites(n int) []Site {
	return []Site{{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: residualBits, Count: n}}
}

// Check constrains 0 ≤ v < 2^bits, through the circuit's shared range checker.
func (g *Gadget) Check(v frontend.Variable, bits int) {
	g.check(v, bits)
}

// AssertInt8 constrains v to [-128, 127].
func (g *Gadget) AssertInt8(v frontend.Variable) {
	g.check(g.api.Add(v, -quant.Int8Min), 8)
}

// DivFloor returns q = floor(num / den) for 0 ≤ num and 1 ≤ den < 2^denBits,
// with q < 2^qBits. The hinted quotient is pinned by r = num − q·den,
// 0 ≤ r < den (two range checks) and the range check of q, which together
// leave exactly one solution as long as 2^(qBits+denBits) is far below the field.
func (g *Gadget) DivFloor(num, den frontend.Variable, qBits, denBits int) frontend.Variable {
	api := g.api
	res, err := api.Compiler().NewHint(DivFloorHint, 1, num, den)
	if err != nil {
		panic(err)
	}
	q := res[0]
	// Only q's bound matters (with the remainder's checks it leaves one
	// solution): the check may be widened to whole limbs.
	g.checkBound(q, qBits)
	// With q range-checked, r is an integer below 2^(qBits+denBits) + num in
	// absolute value, far below the field: its two checks may be padded to
	// whole limbs (see checkRemainder).
	r := api.Sub(num, api.Mul(q, den))
	if g.log {
		g.checkRemainder(r, denBits)
		g.checkRemainder(api.Sub(den, 1, r), denBits)
	} else {
		g.check(r, denBits)
		g.check(api.Sub(den, 1, r), denBits)
	}
	return q
}

// ShiftRound returns q = floor((x + 2^(shift−1)) / 2^shift) for an integer
// 0 ≤ x far below the field, with q < 2^qBits: the hinted quotient is
// pinned by its remainder's check (0 ≤ x + 2^(shift−1) − q·2^shift <
// 2^shift, padded to whole limbs as Requantize's) and q's bound (widened
// under WithLogChecker), which together leave one solution as long as
// 2^(qBits+shift+16) is far below the field. It is Requantize without the
// clamp, for a caller that knows q's range (the reciprocal softmax's
// outputs, quant.SoftmaxRecipRow).
func (g *Gadget) ShiftRound(x frontend.Variable, shift uint, qBits int) frontend.Variable {
	q := g.quotient(x, 1, shift)
	g.checkBound(q, qBits)
	return q
}

// NewTable returns a log-derivative lookup table holding values at indices
// 0..len-1. Build one per function per circuit and share it.
func NewTable(api frontend.API, values []int64) logderivlookup.Table {
	t := logderivlookup.New(api)
	for _, v := range values {
		t.Insert(v)
	}
	return t
}

// NewLazyTable is NewTable built at its first lookup: a table no lookup
// uses costs nothing (gnark rejects a table without queries at solving
// time). For tables that RequantizeMapped may make unused.
func NewLazyTable(api frontend.API, values []int64) logderivlookup.Table {
	return &lazyTable{api: api, values: values}
}

type lazyTable struct {
	api    frontend.API
	values []int64
	extra  []frontend.Variable
	t      logderivlookup.Table
}

func (l *lazyTable) Insert(v frontend.Variable) int {
	if l.t != nil {
		return l.t.Insert(v)
	}
	l.extra = append(l.extra, v)
	return len(l.values) + len(l.extra) - 1
}

func (l *lazyTable) Lookup(inds ...frontend.Variable) []frontend.Variable {
	if l.t == nil {
		l.t = NewTable(l.api, l.values)
		for _, v := range l.extra {
			l.t.Insert(v)
		}
	}
	return l.t.Lookup(inds...)
}

// AssertPackedInt8 checks packed = quant.PackInt8(values) for values known to
// be int8 (range-checked or clamp outputs): the public encoding of tensors.
func AssertPackedInt8(api frontend.API, packed, values []frontend.Variable) error {
	want := PackInt8(api, values)
	if len(packed) != len(want) {
		return fmt.Errorf("fixedpoint: %d packed elements for %d values, want %d", len(packed), len(values), len(want))
	}
	for k := range packed {
		api.AssertIsEqual(packed[k], want[k])
	}
	return nil
}

// PackInt8 returns quant.PackInt8 of int8 values as linear expressions: under
// R1CS they cost no constraint until they are used.
func PackInt8(api frontend.API, values []frontend.Variable) []frontend.Variable {
	n := (len(values) + quant.PackedPerElement - 1) / quant.PackedPerElement
	out := make([]frontend.Variable, n)
	for k := range out {
		start, end := k*quant.PackedPerElement, min((k+1)*quant.PackedPerElement, len(values))
		terms := make([]frontend.Variable, 0, end-start+1)
		var offset big.Int
		for i := start; i < end; i++ {
			w := new(big.Int).Lsh(big.NewInt(1), uint(8*(i-start)))
			terms = append(terms, api.Mul(values[i], w))
			offset.Add(&offset, new(big.Int).Mul(w, big.NewInt(-quant.Int8Min)))
		}
		terms = append(terms, &offset)
		out[k] = api.Add(terms[0], terms[1], terms[2:]...)
	}
	return out
}

// QuotientBits returns the bits Requantize/Clamp need for an accumulator
// bounded by |acc| ≤ accBound, multiplied by mult and shifted by shift.
func QuotientBits(accBound, mult int64, shift uint) int {
	maxQ := new(big.Int).Mul(big.NewInt(accBound), big.NewInt(mult))
	maxQ.Add(maxQ, big.NewInt(quant.RoundingTerm(shift)))
	maxQ.Rsh(maxQ, shift)
	maxQ.Add(maxQ, big.NewInt(2-quant.Int8Min)) // distance to the farthest bound, and the -1 of a − cL·(2a+1)
	return maxQ.BitLen()
}

// ResidualQuotientBits returns the bits RequantizeAdd needs for an
// accumulator bounded by |acc| ≤ accBound, multiplied by mult and shifted
// by shift, plus an int8 x: with Q = floor((accBound·mult + 2^(shift-1)) /
// 2^shift), |q| ≤ Q, so q + x ∈ [−Q − 128, Q + 127] is within Q + 255 of
// either int8 bound; bitlen(Q + 258) covers that distance, and the −1 of
// the selector path's a − cL·(2a+1), as QuotientBits does for q alone
// (Q + 130). See ops.QLinearResidual for the bound on q.
func ResidualQuotientBits(accBound, mult int64, shift uint) int {
	maxQ := new(big.Int).Mul(big.NewInt(accBound), big.NewInt(mult))
	maxQ.Add(maxQ, big.NewInt(quant.RoundingTerm(shift)))
	maxQ.Rsh(maxQ, shift)
	maxQ.Add(maxQ, big.NewInt(2-2*quant.Int8Min))
	return maxQ.BitLen()
}

// DivPow2Hint returns floor(p / 2^s) for a signed p (inputs: p, s), using
// quant.DivPow2 so the circuit and the reference share one definition; with
// two outputs, the remainder p − q·2^s as well.
func DivPow2Hint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 2 || (len(outputs) != 1 && len(outputs) != 2) {
		return fmt.Errorf("DivPow2Hint: want 2 inputs and 1 or 2 outputs")
	}
	p, err := signed(field, inputs[0])
	if err != nil {
		return err
	}
	s := inputs[1].Uint64()
	if s > 62 {
		return fmt.Errorf("DivPow2Hint: shift %d too large", s)
	}
	q, r := quant.DivPow2(p, uint(s))
	outputs[0].Mod(big.NewInt(q), field)
	if len(outputs) == 2 {
		outputs[1].Mod(big.NewInt(r), field)
	}
	return nil
}

// DivFloorHint returns floor(num / den) for num ≥ 0, den ≥ 1 (inputs: num, den).
func DivFloorHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 2 || len(outputs) != 1 {
		return fmt.Errorf("DivFloorHint: want 2 inputs and 1 output")
	}
	if inputs[1].Sign() == 0 {
		return fmt.Errorf("DivFloorHint: division by zero")
	}
	outputs[0].Quo(inputs[0], inputs[1])
	return nil
}

// ClampSelectHint returns the selectors (v < lo, v > hi) for inputs v, lo, hi.
func ClampSelectHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 3 || len(outputs) != 2 {
		return fmt.Errorf("ClampSelectHint: want 3 inputs and 2 outputs")
	}
	var vals [3]int64
	for i := range vals {
		v, err := signed(field, inputs[i])
		if err != nil {
			return err
		}
		vals[i] = v
	}
	outputs[0].SetUint64(boolToUint(vals[0] < vals[1]))
	outputs[1].SetUint64(boolToUint(vals[0] > vals[2]))
	return nil
}

// signed reads a field element as a signed int64 (elements above p/2 are negative).
func signed(field, v *big.Int) (int64, error) {
	x := new(big.Int).Set(v)
	if x.Cmp(new(big.Int).Rsh(field, 1)) > 0 {
		x.Sub(x, field)
	}
	if !x.IsInt64() {
		return 0, fmt.Errorf("fixedpoint: value %s does not fit int64", x)
	}
	return x.Int64(), nil
}

func boolToUint(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
