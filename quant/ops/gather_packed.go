package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// Packed-row embedding tables (issue 15: GPT-2's wte is 50257 × 768 =
// 38.6 M values, beyond gather's one-value-per-entry table).
const (
	// MaxGatherPack bounds C, the int8 values per table entry: C bytes of
	// value + 128 fill 8·C ≤ 248 bits, below the BN254 scalar field
	// (254 bits), so the packing is injective.
	MaxGatherPack = 31
	// MaxPackedGatherTable bounds the entries V·⌈D/C⌉ of the lookup table
	// (GPT-2-small's wte: 50257 · 25 = 1.26 M), checked before the integer
	// table or the circuit's table is allocated.
	MaxPackedGatherTable = 1 << 22
	// MaxPackedGatherValues bounds V·D, the int8 values held (64 MiB).
	MaxPackedGatherValues = 1 << 26
)

// QGatherPacked is gather (QGather: the same integer semantics, output
// exactly the table rows, the same weights and their encoding) with the
// table held in the circuit as V·K entries, K = ⌈D/C⌉: entry id·K + k packs
// row id's values k·C … min(D, (k+1)·C) − 1 as Σ_i (value_i + 128)·256^i.
// One lookup per token and chunk; the gadget unpacks each looked-up entry
// into range-checked bytes.
type QGatherPacked struct {
	QGather
	C int `json:"c"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "gather_packed", ID: 79,
		New:      func() quant.Op { return &QGatherPacked{} },
		NewFloat: func() quant.FloatOp { return NewGatherPacked(nil, 0) },
		Doc:      "table[ids] with C ≤ 31 int8 values packed per table entry (embeddings of large vocabularies: ONNX Gather or nn.Embedding beyond 2^22 values): one lookup per token per row chunk of C values, each unpacked into C range-checked bytes",
	})
}

// GatherPacked is the float Gather that always quantizes to gather_packed,
// C values per entry (0: PackFor(D)); graph specs name it "gather_packed"
// with the attribute "c". Gather itself packs tables beyond MaxGatherTable.
type GatherPacked struct {
	C int `json:"c,omitempty"`
	g *Gather
}

// NewGatherPacked returns a GatherPacked of table [V, D], c values per entry.
func NewGatherPacked(table *quant.FloatTensor, c int) *GatherPacked {
	return &GatherPacked{C: c, g: NewGather(table)}
}

func (p *GatherPacked) Kind() string           { return "gather_packed" }
func (p *GatherPacked) Params() []*quant.Param { return p.g.Params() }
func (*GatherPacked) IndexInput(i int) bool    { return i == 0 }

// sync sets the wrapped Gather's Pack from C.
func (p *GatherPacked) sync() (*Gather, error) {
	if p.C < 0 || p.C == 1 || p.C > MaxGatherPack {
		return nil, fmt.Errorf("%w: gather_packed of %d values per entry, want 2..%d (0: the fewest entries)", quant.ErrValidation, p.C, MaxGatherPack)
	}
	p.g.Pack = p.C
	if t := p.g.Table.T; p.C == 0 && t != nil && len(t.Shape) == 2 {
		p.g.Pack = max(2, PackFor(t.Shape[1]))
	}
	if p.g.Pack == 0 {
		return nil, fmt.Errorf("%w: gather_packed table %v, want [V, D]", quant.ErrShape, shapeOf(p.g.Table.T))
	}
	return p.g, nil
}

func (p *GatherPacked) OutShapes(in [][]int) ([][]int, error) {
	g, err := p.sync()
	if err != nil {
		return nil, err
	}
	return g.OutShapes(in)
}

func (p *GatherPacked) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	return p.g.Eval(in)
}

func (p *GatherPacked) OutFracs(a []int, b []float64) []int { return p.g.OutFracs(a, b) }

func (p *GatherPacked) Quantize(in, out []quant.Value) (quant.Op, error) {
	g, err := p.sync()
	if err != nil {
		return nil, err
	}
	return g.Quantize(in, out)
}

// PackFor returns the values per entry for rows of d ≥ 2 values: the fewest
// chunks K = ⌈d/31⌉ (table entries and lookups both scale with K; the
// d byte range checks per token do not depend on C), spread evenly
// (C = ⌈d/K⌉).
func PackFor(d int) int {
	if d < 1 {
		return 1
	}
	k := (d + MaxGatherPack - 1) / MaxGatherPack
	return (d + k - 1) / k
}

// Chunks returns K = ⌈D/C⌉, the table entries per row.
func (q *QGatherPacked) Chunks() int { return (q.D + q.C - 1) / q.C }

func checkPackedTable(v, d, c int) error {
	if c < 2 || c > MaxGatherPack {
		return fmt.Errorf("%w: gather_packed of %d values per entry, want 2..%d", quant.ErrValidation, c, MaxGatherPack)
	}
	if v < 1 || d < 1 || v > quant.MaxIndex+1 || d > quant.MaxDim {
		return fmt.Errorf("%w: gather table [%d, %d]: want 1..%d rows of 1..%d values", quant.ErrShape, v, d, quant.MaxIndex+1, quant.MaxDim)
	}
	if k := (d + c - 1) / c; v*d > MaxPackedGatherValues || v*k > MaxPackedGatherTable {
		return fmt.Errorf("%w: gather table [%d, %d] packed %d per entry: %d values in %d entries, at most %d values in %d entries", quant.ErrShape, v, d, c, v*d, v*k, MaxPackedGatherValues, MaxPackedGatherTable)
	}
	return nil
}

func (q *QGatherPacked) Kind() string { return "gather_packed" }

func (q *QGatherPacked) Check(in, out []quant.Value) error {
	if err := checkPackedTable(q.V, q.D, q.C); err != nil {
		return err
	}
	return q.QGather.check(in, out)
}

// Encode: V, D, C (the table is the weights, encoded as gather's).
func (q *QGatherPacked) Encode(e *quant.Encoder) error {
	e.Int(int64(q.V))
	e.Int(int64(q.D))
	e.Int(int64(q.C))
	return nil
}

// Gather_packed's cost, fitted with gnark v0.16.3 on tables of 512 and
// 1024 rows of 40 packed 10 and 20 per entry with 64 and 128 ids
// (circuits/ops TestGatherPackedCost): per table entry 1 R1CS / 5 PLONK
// constraints (fixed weights; under witness weights the packing adds C
// PLONK gates per entry), per lookup 3 / 8, per output value one 8-bit
// range check (R1CS: counted at RefRangeBase, declared to the estimate by
// the gadget's Checks, which re-prices it at the circuit's base; 2.2
// measured) and 7.6 PLONK gates with its share of the recomposition.
const (
	packedEntryR1CS, packedEntrySCS = 1, 5
	packedQueryR1CS, packedQuerySCS = 3, 8
	packedValueSCS                  = 7.6
)

func (q *QGatherPacked) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	k := q.Chunks()
	lookups := n / q.D * k
	e := q.V * k
	return quant.Cost{
		R1CS:   packedEntryR1CS*e + packedQueryR1CS*lookups + n*RefRangeCheck(8),
		SCS:    packedEntrySCS*e + packedQuerySCS*lookups + int(packedValueSCS*float64(n)),
		Params: q.V * q.D,
	}
}
