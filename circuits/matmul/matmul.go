package matmul

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

func init() {
	solver.RegisterHint(GetHints()...)
}

// GetHints lists the hints of this package.
func GetHints() []solver.Hint { return []solver.Hint{ProductHint} }

// Mode chooses how Mul constrains a product.
type Mode int

const (
	// Auto takes the cheaper of Direct and Checked by Estimate.
	Auto Mode = iota
	// Direct costs one constraint per scalar product.
	Direct
	// Checked hints C and pins it by the randomized check of the package doc.
	Checked
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Direct:
		return "direct"
	case Checked:
		return "checked"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Option configures Mul.
type Option func(*config)

type config struct {
	mode Mode
	cols []int
}

// WithMode chooses the way (Auto by default).
func WithMode(m Mode) Option { return func(c *config) { c.mode = m } }

// WithCols keeps only the first cols[i] entries of row i of C (a causal mask:
// cols[i] = i+1); entries after them are neither computed nor checked.
func WithCols(cols []int) Option { return func(c *config) { c.cols = cols } }

// MatMulChecked returns C = A·B for witness matrices A (n×k, rows of A may be
// shorter: missing entries are zero) and B (k×m), through the randomized
// check: Mul with WithMode(Checked).
func MatMulChecked(api frontend.API, a, b [][]frontend.Variable) [][]frontend.Variable {
	return Mul(api, a, b, WithMode(Checked))
}

// Mul returns C = A·B for A given as n rows (row i holds a_i0…a_i(len−1); the
// entries after it are zero) and B as k rows of m values. Row i of C has
// cols[i] entries (WithCols), m by default.
func Mul(api frontend.API, a, b [][]frontend.Variable, opts ...Option) [][]frontend.Variable {
	cfg := config{mode: Auto}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := newShape(a, b, cfg.cols)
	if err != nil {
		panic(fmt.Sprintf("matmul: %v", err))
	}
	mode := cfg.mode
	if mode == Auto {
		mode = Direct
		direct, checked := s.estimate()
		if _, ok := api.Compiler().(frontend.Committer); ok && checked < direct {
			mode = Checked
		}
	}
	if mode == Checked {
		return mulChecked(api, s, a, b)
	}
	return mulDirect(api, s, a, b)
}

// shape is the extent of a product: row i of A has rowLen[i] entries, row i
// of C cols[i]; B is used up to k rows and m columns.
type shape struct {
	rowLen, cols []int
	k, m         int
}

func newShape(a, b [][]frontend.Variable, cols []int) (shape, error) {
	n := len(a)
	if cols == nil {
		cols = make([]int, n)
		for i := range cols {
			if len(b) > 0 {
				cols[i] = len(b[0])
			}
		}
	}
	if len(cols) != n {
		return shape{}, fmt.Errorf("%d column counts for %d rows", len(cols), n)
	}
	s := shape{rowLen: make([]int, n), cols: cols}
	for i := range a {
		s.rowLen[i] = len(a[i])
		s.k = max(s.k, len(a[i]))
		s.m = max(s.m, cols[i])
		if cols[i] < 0 {
			return shape{}, fmt.Errorf("row %d: %d columns", i, cols[i])
		}
	}
	if s.k > len(b) {
		return shape{}, fmt.Errorf("a row of A has %d entries, B has %d rows", s.k, len(b))
	}
	for e := 0; e < s.k; e++ {
		if len(b[e]) < s.m {
			return shape{}, fmt.Errorf("row %d of B has %d entries, want %d", e, len(b[e]), s.m)
		}
	}
	return s, nil
}

// Estimate returns the R1CS constraints of Direct and Checked for the
// product of rows of A of lengths rowLen by B, keeping cols[i] entries of row
// i of C. Checked's count includes the powers of x as if no other product
// shared them (an upper bound); both ignore the products by constants, which
// are free.
func Estimate(rowLen, cols []int) (direct, checked int) {
	s := shape{rowLen: rowLen, cols: cols}
	for i := range rowLen {
		s.k = max(s.k, rowLen[i])
		s.m = max(s.m, cols[i])
	}
	return s.estimate()
}

func (s shape) estimate() (direct, checked int) {
	if s.m == 0 || s.k == 0 {
		return 0, 0
	}
	// The challenge's callback (1) and its powers x^2…x^(m−1), then the
	// u_e (b_e0·x^0 is free).
	checked = 1 + max(s.m-2, 0) + s.k*(s.m-1)
	for i, l := range s.rowLen {
		if s.cols[i] == 0 {
			continue
		}
		direct += l * s.cols[i]
		// Left side (c_i0·x^0 is free), right side, the assertion.
		checked += s.cols[i] - 1 + l + 1
	}
	return direct, checked
}

func mulDirect(api frontend.API, s shape, a, b [][]frontend.Variable) [][]frontend.Variable {
	c := make([][]frontend.Variable, len(a))
	for i := range a {
		c[i] = make([]frontend.Variable, s.cols[i])
		for j := range c[i] {
			terms := make([]frontend.Variable, len(a[i]))
			for e := range a[i] {
				terms[e] = api.Mul(a[i][e], b[e][j])
			}
			c[i][j] = sum(api, terms)
		}
	}
	return c
}

// mulChecked hints C and registers the product with the circuit's collector,
// whose callback checks it once the challenge exists.
func mulChecked(api frontend.API, s shape, a, b [][]frontend.Variable) [][]frontend.Variable {
	n := len(a)
	// Inputs: n, k, m, the row lengths, the column counts, A's rows, B's
	// k×m block row by row.
	in := make([]frontend.Variable, 0, 3+2*n+s.k*s.m)
	in = append(in, n, s.k, s.m)
	for i := range a {
		in = append(in, s.rowLen[i])
	}
	for i := range a {
		in = append(in, s.cols[i])
	}
	nbOut := 0
	for i := range a {
		in = append(in, a[i]...)
		nbOut += s.cols[i]
	}
	for e := 0; e < s.k; e++ {
		in = append(in, b[e][:s.m]...)
	}
	c := make([][]frontend.Variable, n)
	if nbOut == 0 {
		for i := range c {
			c[i] = []frontend.Variable{}
		}
		return c
	}
	out, err := api.Compiler().NewHint(ProductHint, nbOut, in...)
	if err != nil {
		panic(err)
	}
	for i := range c {
		c[i], out = out[:s.cols[i]], out[s.cols[i]:]
	}
	// The check runs after Define: keep copies, in case the caller reuses
	// its rows.
	pa, pb := make([][]frontend.Variable, n), make([][]frontend.Variable, s.k)
	for i := range a {
		pa[i] = slices.Clone(a[i])
	}
	for e := range pb {
		pb[e] = slices.Clone(b[e][:s.m])
	}
	collectorOf(api).add(product{s: s, a: pa, b: pb, c: slices.Clone(c)})
	return c
}

// product is one Checked product awaiting the challenge.
type product struct {
	s       shape
	a, b, c [][]frontend.Variable
}

// collector gathers the circuit's Checked products and commits to all their
// entries at once, like std/rangecheck and std/lookup gather theirs.
type collector struct {
	products []product
	closed   bool
}

// kvStore is the key-value store of gnark's builders (gnark's
// internal/kvstore.Store), where per-circuit singletons live.
type kvStore interface {
	SetKeyValue(key, value any)
	GetKeyValue(key any) any
}

type collectorKey struct{}

func collectorOf(api frontend.API) *collector {
	kv, ok := api.Compiler().(kvStore)
	if !ok {
		panic("matmul: builder has no key-value store")
	}
	if v := kv.GetKeyValue(collectorKey{}); v != nil {
		return v.(*collector)
	}
	col := &collector{}
	kv.SetKeyValue(collectorKey{}, col)
	api.Compiler().Defer(col.commit)
	return col
}

func (col *collector) add(p product) {
	if col.closed {
		panic("matmul: Checked product after the commitment")
	}
	col.products = append(col.products, p)
}

// commit runs after Define: it commits to every entry of every A, B and C
// and schedules the checks.
func (col *collector) commit(api frontend.API) error {
	col.closed = true
	var vars []frontend.Variable
	for _, p := range col.products {
		for i := range p.a {
			vars = append(vars, p.a[i]...)
			vars = append(vars, p.c[i]...)
		}
		for _, row := range p.b {
			vars = append(vars, row...)
		}
	}
	multicommit.WithCommitment(api, col.check, vars...)
	return nil
}

// check constrains every product with the challenge x (package doc).
func (col *collector) check(api frontend.API, x frontend.Variable) error {
	m := 0
	for _, p := range col.products {
		m = max(m, p.s.m)
	}
	pow := make([]frontend.Variable, max(m, 2))
	pow[0], pow[1] = 1, x
	for j := 2; j < m; j++ {
		pow[j] = api.Mul(pow[j-1], x)
	}
	for _, p := range col.products {
		checkProduct(api, pow, p)
	}
	return nil
}

// checkProduct asserts Σ_{j<cols_i} c_ij·x^j = Σ_e a_ie·u_e^(i) for every
// row i, u_e^(i) = Σ_{j<cols_i} b_ej·x^j.
func checkProduct(api frontend.API, pow []frontend.Variable, p product) {
	s := p.s
	// w[e][j] = b_ej·x^j; u[e] the running prefix sums over j.
	w := make([][]frontend.Variable, s.k)
	for e := range w {
		w[e] = make([]frontend.Variable, s.m)
		for j := range w[e] {
			w[e][j] = api.Mul(p.b[e][j], pow[j])
		}
	}
	u := make([]frontend.Variable, s.k)
	have := 0 // u holds the prefix sums over the first have columns
	for e := range u {
		u[e] = 0
	}
	// Rows in order of their column counts, so the prefix sums only grow.
	for _, i := range byCols(s.cols) {
		cols := s.cols[i]
		if cols == 0 {
			continue
		}
		for ; have < cols; have++ {
			for e := range u {
				u[e] = api.Add(u[e], w[e][have])
			}
		}
		lhs := make([]frontend.Variable, cols)
		for j := range lhs {
			lhs[j] = api.Mul(p.c[i][j], pow[j])
		}
		rhs := make([]frontend.Variable, len(p.a[i]))
		for e := range rhs {
			rhs[e] = api.Mul(p.a[i][e], u[e])
		}
		if len(rhs) == 0 {
			rhs = []frontend.Variable{0}
		}
		api.AssertIsEqual(sum(api, lhs), sum(api, rhs))
	}
}

// byCols returns the row indices sorted by increasing column count (stable).
func byCols(cols []int) []int {
	idx := make([]int, len(cols))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(cols[x], cols[y]) })
	return idx
}

func sum(api frontend.API, terms []frontend.Variable) frontend.Variable {
	switch len(terms) {
	case 0:
		return 0
	case 1:
		return terms[0]
	}
	return api.Add(terms[0], terms[1], terms[2:]...)
}

// ProductHint returns the entries of C = A·B row by row (inputs: n, k, m,
// the n row lengths of A, the n column counts of C, A's rows, then B's k×m
// block row by row), in the field.
func ProductHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 3 {
		return fmt.Errorf("ProductHint: want n, k, m")
	}
	n, k, m := int(inputs[0].Int64()), int(inputs[1].Int64()), int(inputs[2].Int64())
	if n < 0 || k < 0 || m < 0 || len(inputs) < 3+2*n {
		return fmt.Errorf("ProductHint: bad shape %d×%d×%d", n, k, m)
	}
	rowLen, cols := inputs[3:3+n], inputs[3+n:3+2*n]
	rest := inputs[3+2*n:]
	a := make([][]*big.Int, n)
	nbOut := 0
	for i := range a {
		l, c := int(rowLen[i].Int64()), int(cols[i].Int64())
		if l < 0 || l > k || c < 0 || c > m || len(rest) < l {
			return fmt.Errorf("ProductHint: bad row %d", i)
		}
		a[i], rest = rest[:l], rest[l:]
		nbOut += c
	}
	if len(rest) != k*m || len(outputs) != nbOut {
		return fmt.Errorf("ProductHint: %d inputs of B and %d outputs, want %d and %d", len(rest), len(outputs), k*m, nbOut)
	}
	var t big.Int
	o := 0
	for i := range a {
		for j := 0; j < int(cols[i].Int64()); j++ {
			acc := outputs[o]
			acc.SetUint64(0)
			for e, ae := range a[i] {
				acc.Add(acc, t.Mul(ae, rest[e*m+j]))
			}
			acc.Mod(acc, field)
			o++
		}
	}
	return nil
}
