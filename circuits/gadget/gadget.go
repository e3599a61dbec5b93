// Package gadget is the interface between a layer graph's ops (quant.Op)
// and the gadgets that constrain them: one Gadget per op kind, registered
// by package circuits/ops, and the circuit-wide resources they share (the
// fixed-point gadget with its clamp tables and range checker, and one
// lookup table per distinct function table).
package gadget

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
)

// Tensor is a value of the graph in the circuit: its format and its
// variables (row-major), each constrained to [Value.Lo, Value.Hi].
type Tensor struct {
	Value quant.Value
	V     []frontend.Variable
}

// Ctx is what a gadget builds with.
type Ctx struct {
	API frontend.API
	FP  *fixedpoint.Gadget
	// W holds the current node's parameters as range-checked witnesses,
	// one list per quant.WeightSpec of its op, under hashed or public
	// weights; nil under fixed weights (the op's constants are used).
	W [][]frontend.Variable
	// Products chooses how the products of two witness matrices are
	// constrained (circuits/matmul; Auto, the zero value, by default):
	// attention's QKᵀ and P·V, and a linear layer's in·W under WitnessRows.
	Products matmul.Mode
	// WitnessRows: under witness weights a linear layer constrains all its
	// rows at once, in·W as one product of two witness matrices
	// (linear.DenseWitnessRows, by Products), instead of one constraint per
	// product row by row (the legacy gpt2 circuit's choice; circuits/graph).
	WitnessRows bool
	// LegacyWeights: W is in the legacy layout (circuits/weights) and
	// range-checked by the caller: a layernorm's lists are γ, β (whole) and
	// [mult] (the legacy gpt2 circuit; circuits/graph).
	LegacyWeights bool

	tables map[[sha256.Size]byte]logderivlookup.Table
	packed map[[sha256.Size]byte]logderivlookup.Table
}

// NewCtx returns a context over api and fp.
func NewCtx(api frontend.API, fp *fixedpoint.Gadget) *Ctx {
	return &Ctx{API: api, FP: fp, tables: map[[sha256.Size]byte]logderivlookup.Table{}, packed: map[[sha256.Size]byte]logderivlookup.Table{}}
}

// PackedTable is Table for fixedpoint.NewPackedTable (one constraint a
// lookup; only for callers that pin the looked-up values themselves, as
// attention.Softmax does with its exp table), built once per circuit for
// each distinct list of entries.
func (c *Ctx) PackedTable(entries []int64) logderivlookup.Table {
	return c.memo(c.packed, entries, fixedpoint.NewPackedTable)
}

// Table returns the lookup table of entries, built once per circuit for
// each distinct list of entries (two nodes with the same function at the
// same scales share one table).
func (c *Ctx) Table(entries []int64) logderivlookup.Table {
	return c.memo(c.tables, entries, fixedpoint.NewTable)
}

// LazyTable returns the lookup table of entries as Table does, but one not
// built until its first lookup (fixedpoint.NewLazyTable) when it is new:
// a table that may end up unused (the fallback of a fused clamp and
// function, linear.DenseMapped) costs nothing then.
func (c *Ctx) LazyTable(entries []int64) logderivlookup.Table {
	return c.memo(c.tables, entries, fixedpoint.NewLazyTable)
}

// memo returns the table of entries in tables (by TableKey), built with
// build and kept there when new.
func (c *Ctx) memo(tables map[[sha256.Size]byte]logderivlookup.Table, entries []int64, build func(frontend.API, []int64) logderivlookup.Table) logderivlookup.Table {
	key := TableKey(entries)
	if t, ok := tables[key]; ok {
		return t
	}
	t := build(c.API, entries)
	tables[key] = t
	return t
}

// TableKey identifies a list of table entries: Ctx.Table builds one table
// per key.
func TableKey(entries []int64) [sha256.Size]byte {
	h := sha256.New()
	for _, v := range entries {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(v)))
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// Tabler is implemented by the gadgets that look values up in tables built
// with Ctx.Table (or a table of their own): Tables returns their entries,
// so that inspect's estimate counts each distinct table's fixed cost once
// (circuits/graph overhead).
type Tabler interface {
	Tables(op quant.Op) [][]int64
}

// Checker is implemented by the gadgets that make range checks they do not
// declare to the plan (Sites): Checks lists them as range sites (Lo > Hi,
// Shift the width, Count how many), for inspect's estimate only, which
// counts them at the circuit's range-check base.
type Checker interface {
	Checks(op quant.Op, in, out []quant.Value) []fixedpoint.Site
}

// WitnessWeights is implemented by the gadgets of quant.Weighted ops that
// can take their parameters as witnesses (Ctx.W): Define then must not read
// the op's parameter values, only its architecture, and Sites must not
// depend on the values either (the circuit is built once for every weight set).
type WitnessWeights interface {
	WitnessWeights()
}

// Gadget constrains one op kind exactly as its integer reference (Op.Forward).
type Gadget interface {
	// Define returns the output variables of op applied to in; every
	// output must be constrained to its value's bounds.
	Define(c *Ctx, op quant.Op, in []Tensor, out []quant.Value) ([][]frontend.Variable, error)
	// Sites lists the node's clamps for the circuit-wide plan
	// (fixedpoint.NewPlan), so tables are sized for the whole circuit.
	Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site
}

var registry struct {
	sync.RWMutex
	m map[string]Gadget
}

// Register adds the gadget of an op kind; a duplicate panics.
func Register(kind string, g Gadget) {
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[string]Gadget{}
	}
	if _, dup := registry.m[kind]; dup {
		panic("gadget: " + kind + " registered twice")
	}
	registry.m[kind] = g
}

// Lookup returns the gadget of kind.
func Lookup(kind string) (Gadget, error) {
	registry.RLock()
	defer registry.RUnlock()
	g, ok := registry.m[kind]
	if !ok {
		return nil, fmt.Errorf("gadget: no gadget for op %q (import github.com/zkinfer/zkinfer/circuits/ops)", kind)
	}
	return g, nil
}

// Kinds lists the registered kinds.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.m))
	for k := range registry.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
