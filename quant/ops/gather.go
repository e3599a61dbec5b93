package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// MaxGatherTable bounds V·D, the entries of a gather's table: the gadget
// holds them in one lookup table of that many entries. Larger tables (a
// GPT-2 vocabulary) quantize to gather_packed (gather_packed.go), whose
// table holds a row chunk of up to 31 values per entry.
const MaxGatherTable = 1 << 22

// Gather is an embedding lookup: ids (an index input, any shape S, each
// within [0, V)) select rows of a constant float table [V, D]; the output
// is S + [D] (ONNX Gather on axis 0 of a constant, torch nn.Embedding).
//
// Pack selects the integer op: 0 (the default) is gather while V·D ≤
// MaxGatherTable and gather_packed with PackFor(D) values per entry
// beyond; 1 is gather always; 2 … MaxGatherPack is gather_packed with that
// many values per entry.
type Gather struct {
	Table *quant.Param `json:"-"`
	Pack  int          `json:"pack,omitempty"`
}

// QGather is Gather in integers: the table quantized per tensor
// (symmetric, at the output's fraction), so the output values are exactly
// table rows: no requantization.
type QGather struct {
	V     int    `json:"v"`
	D     int    `json:"d"`
	Table []int8 `json:"table"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "gather", ID: 60,
		New:      func() quant.Op { return &QGather{} },
		NewFloat: func() quant.FloatOp { return NewGather(nil) },
		Doc:      "table[ids] (embedding: Gather on a constant [V, D], ids an index input): one lookup per output value in a V·D-entry table",
	})
}

// NewGather returns a Gather of table [V, D].
func NewGather(table *quant.FloatTensor) *Gather {
	return &Gather{Table: &quant.Param{Name: "table", T: table}}
}

func (g *Gather) Kind() string           { return "gather" }
func (g *Gather) Params() []*quant.Param { return []*quant.Param{g.Table} }

// IndexInput: the ids are an index value.
func (*Gather) IndexInput(i int) bool  { return i == 0 }
func (*QGather) IndexInput(i int) bool { return i == 0 }

func checkTable(v, d int) error {
	if v < 1 || d < 1 || v > quant.MaxIndex+1 || d > quant.MaxDim || v*d > MaxGatherTable {
		return fmt.Errorf("%w: gather table [%d, %d]: at most %d entries in all (larger tables quantize to gather_packed)", quant.ErrShape, v, d, MaxGatherTable)
	}
	return nil
}

func (g *Gather) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	t := g.Table.T
	if t == nil || len(t.Shape) != 2 {
		return nil, fmt.Errorf("%w: gather table %v, want [V, D]", quant.ErrShape, shapeOf(t))
	}
	if c := g.pack(); c == 0 {
		if err := checkTable(t.Shape[0], t.Shape[1]); err != nil {
			return nil, err
		}
	} else if err := checkPackedTable(t.Shape[0], t.Shape[1], c); err != nil {
		return nil, err
	}
	if len(in[0])+1 > quant.MaxRank {
		return nil, fmt.Errorf("%w: ids of rank %d: the output would exceed rank %d", quant.ErrShape, len(in[0]), quant.MaxRank)
	}
	return [][]int{append(slices.Clone(in[0]), t.Shape[1])}, nil
}

func (g *Gather) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	v, d := g.Table.T.Shape[0], g.Table.T.Shape[1]
	ids := in[0].Data
	y := make([]float64, 0, len(ids)*d)
	for i, f := range ids {
		if f != math.Trunc(f) || f < 0 || f >= float64(v) {
			return nil, fmt.Errorf("%w: gather id %d = %v is not an integer in [0, %d)", quant.ErrRange, i, f, v)
		}
		id := int(f)
		y = append(y, g.Table.T.Data[id*d:(id+1)*d]...)
	}
	return []*quant.FloatTensor{{Shape: append(slices.Clone(in[0].Shape), d), Data: y}}, nil
}

// OutFracs: the table's own scale (per-tensor symmetric), whichever rows
// the calibration samples selected, so every row is representable.
func (g *Gather) OutFracs(_ []int, _ []float64) []int {
	mx := 0.0
	for _, x := range g.Table.T.Data {
		mx = math.Max(mx, math.Abs(x))
	}
	return []int{quant.FracFor(mx)}
}

func (g *Gather) Quantize(in, out []quant.Value) (quant.Op, error) {
	v, d := g.Table.T.Shape[0], g.Table.T.Shape[1]
	if in[0].DType != quant.DTypeIndex || in[0].Lo < 0 || in[0].Hi >= int64(v) {
		return nil, fmt.Errorf("%w: gather ids must be an index input within [0, %d) (declare the input \"dtype\": \"index\", \"hi\": %d)", quant.ErrValidation, v, v-1)
	}
	t := make([]int8, len(g.Table.T.Data))
	for i, x := range g.Table.T.Data {
		t[i] = int8(quant.QuantizeValue(x, out[0].Frac))
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	if c := g.pack(); c > 0 {
		return &QGatherPacked{QGather: QGather{V: v, D: d, Table: t}, C: c}, nil
	}
	return &QGather{V: v, D: d, Table: t}, nil
}

// pack returns the values per entry of the integer op: 0 for gather.
func (g *Gather) pack() int {
	switch {
	case g.Pack == 1:
		return 0
	case g.Pack > 1 || g.Pack < 0:
		return g.Pack
	}
	if t := g.Table.T; t != nil && len(t.Shape) == 2 && t.Shape[0]*t.Shape[1] > MaxGatherTable {
		return max(2, PackFor(t.Shape[1]))
	}
	return 0
}

func (q *QGather) Kind() string { return "gather" }

func (q *QGather) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if err := checkTable(q.V, q.D); err != nil {
		return err
	}
	return q.check(in, out)
}

// check is Check but the table's size limit.
func (q *QGather) check(in, out []quant.Value) error {
	if len(q.Table) != q.V*q.D {
		return fmt.Errorf("%w: gather table has %d entries, want %d·%d", quant.ErrValidation, len(q.Table), q.V, q.D)
	}
	ids, y := in[0], out[0]
	if ids.DType != quant.DTypeIndex || ids.Lo < 0 || ids.Hi >= int64(q.V) {
		return fmt.Errorf("%w: gather ids must be an index value within [0, %d), not %q [%d, %d]", quant.ErrValidation, q.V, ids.DType, ids.Lo, ids.Hi)
	}
	if y.DType != quant.DTypeInt8 || !slices.Equal(y.Shape, append(slices.Clone(ids.Shape), q.D)) {
		return fmt.Errorf("%w: gather maps ids %v to %v, want int8 %v", quant.ErrShape, ids.Shape, y.Shape, append(slices.Clone(ids.Shape), q.D))
	}
	if y.Lo != quant.Int8Min || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: gather output bounds [%d, %d], want int8", quant.ErrRange, y.Lo, y.Hi)
	}
	return nil
}

func (q *QGather) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	ids := in[0].Data
	y := make([]int64, 0, len(ids)*q.D)
	for i, id := range ids {
		if id < 0 || id >= int64(q.V) {
			return nil, fmt.Errorf("%w: gather id %d = %d is not in [0, %d)", quant.ErrRange, i, id, q.V)
		}
		for _, w := range q.Table[int(id)*q.D : (int(id)+1)*q.D] {
			y = append(y, int64(w))
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QGather) Encode(e *quant.Encoder) error {
	e.Int(int64(q.V))
	e.Int(int64(q.D))
	return nil
}

func (q *QGather) EncodeWeights(e *quant.Encoder) error {
	return quant.EncodeWeightSpecs(e, q.Weights())
}

// Weights lists the table (int8, [V][D] row-major).
func (q *QGather) Weights() []quant.WeightSpec {
	w := make([]int64, len(q.Table))
	for i, v := range q.Table {
		w[i] = int64(v)
	}
	return []quant.WeightSpec{{Kind: quant.WeightInt8, Values: w}}
}

// Gather's cost, measured with gnark v0.16.3 on tables of 4096 and 16384
// entries with 1024 and 4096 lookups (circuits/graph TestGatherCost): a
// logderivlookup table costs about 1 R1CS / 5 PLONK constraints per entry
// and 2 / 8 per lookup (under PLONK the index id·D + j is a gate too).
const (
	gatherEntryR1CS, gatherQueryR1CS = 1, 2
	gatherEntrySCS, gatherQuerySCS   = 5, 8
)

func (q *QGather) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	e := q.V * q.D
	return quant.Cost{R1CS: gatherEntryR1CS*e + gatherQueryR1CS*n, SCS: gatherEntrySCS*e + gatherQuerySCS*n, Params: e}
}
