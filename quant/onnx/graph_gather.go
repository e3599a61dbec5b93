package onnx

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Graph inputs of every kind, and embeddings (Gather of a constant table by
// an integer input): the layer-graph importer's side of graphs with several
// inputs and of token ids (quant.DTypeIndex).
//
//   - FLOAT, DOUBLE, FLOAT16 inputs are reals (quantized to int8);
//   - BOOL inputs are booleans (int8 within [0, 1]);
//   - INT64 and INT32 inputs are index values, supported as the ids of an
//     embedding only: every node reading one must be a Gather on axis 0 of
//     a constant [V, D] table, and the ids' range is [0, V − 1] (the
//     smallest V of those tables). ONNX's negative ids (counted from the
//     end) are not accepted: an input file must hold ids within the range.
//
// With several inputs an input file's sample holds every input's values,
// so it sizes no single dynamic axis: --seq-len must.

func init() { registerGraphMapper("Gather", mapGather) }

// inputs declares every graph input (those that are not initializers) and
// returns their names.
func (gi *graphImporter) inputs(g *onnxpb.GraphProto, opts Options) (map[string]bool, error) {
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = t
	}
	var inputs []*onnxpb.ValueInfoProto
	for _, vi := range g.GetInput() {
		if inits[vi.GetName()] == nil {
			inputs = append(inputs, vi)
		}
	}
	if len(inputs) == 0 || len(inputs) > quant.MaxGraphIO {
		return nil, fmt.Errorf("onnx: %w: the graph has %d inputs, want 1..%d", quant.ErrValidation, len(inputs), quant.MaxGraphIO)
	}
	if len(inputs) > 1 {
		opts.InputValues = 0
	}
	names := map[string]bool{}
	for _, vi := range inputs {
		if names[vi.GetName()] {
			return nil, fmt.Errorf("onnx: %w: input %q is declared twice", quant.ErrValidation, vi.GetName())
		}
		tt := vi.GetType().GetTensorType()
		if tt == nil {
			return nil, fmt.Errorf("onnx: %w: input %q is not a tensor", quant.ErrValidation, vi.GetName())
		}
		kind, err := gi.inputKind(vi, onnxpb.TensorProto_DataType(tt.GetElemType()), inits)
		if err != nil {
			return nil, err
		}
		if _, err := gi.input(vi, kind, opts); err != nil {
			return nil, err
		}
		names[vi.GetName()] = true
	}
	return names, nil
}

// inputKind maps an input's element type to its kind (dtype and bounds).
func (gi *graphImporter) inputKind(vi *onnxpb.ValueInfoProto, et onnxpb.TensorProto_DataType, inits map[string]*onnxpb.TensorProto) (quant.GraphInput, error) {
	name := vi.GetName()
	switch et {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16:
		return quant.GraphInput{}, nil
	case onnxpb.TensorProto_BOOL:
		return quant.GraphInput{DType: quant.InputBool}, nil
	case onnxpb.TensorProto_INT64, onnxpb.TensorProto_INT32:
	default:
		return quant.GraphInput{}, fmt.Errorf("onnx: %w: input %q has element type %s (supported: float, bool, and int64/int32 ids of an embedding)", quant.ErrValidation, name, et)
	}
	cs := gi.consumers[name]
	if len(cs) == 0 || gi.outputs[name] {
		return quant.GraphInput{}, fmt.Errorf("onnx: %w: integer input %q: integer inputs are supported as the ids of an embedding (Gather on a constant [V, D] table) only", quant.ErrValidation, name)
	}
	if k, ok, err := gi.indexInputKind(name, cs, inits); ok || err != nil {
		return k, err // OneHot, GatherElements, Equal with a constant (graph_index.go)
	}
	v := int64(-1)
	for _, i := range cs {
		n := gi.nodes[i]
		if n.GetOpType() == "Shape" && isDefaultDomain(n) {
			continue // folded from the static shape (nanoGPT's arange)
		}
		in := n.GetInput()
		var t *onnxpb.TensorProto
		if len(in) == 2 && in[1] == name {
			t = inits[in[0]]
		}
		if n.GetOpType() != "Gather" || !isDefaultDomain(n) || t == nil || attrInt(n, "axis", 0) != 0 || len(t.GetDims()) != 2 {
			return quant.GraphInput{}, fmt.Errorf("onnx: %w: integer input %q feeds node %d %q (op %s): integer inputs are supported as the ids of an embedding (Gather on axis 0 of a constant [V, D] table) only", quant.ErrValidation, name, i, n.GetName(), n.GetOpType())
		}
		rows := t.GetDims()[0]
		if rows < 2 || rows > quant.MaxIndex+1 {
			return quant.GraphInput{}, fmt.Errorf("onnx: %w: integer input %q indexes a table of %d rows (want 2..%d)", quant.ErrShape, name, rows, quant.MaxIndex+1)
		}
		if v < 0 || rows < v {
			v = rows
		}
	}
	if v < 0 {
		return quant.GraphInput{}, fmt.Errorf("onnx: %w: integer input %q is read by Shape only: integer inputs are supported as the ids of an embedding", quant.ErrValidation, name)
	}
	return quant.GraphInput{DType: quant.DTypeIndex, Lo: 0, Hi: v - 1}, nil
}

// mapGather: Gather(data, indices) on axis 0 with data a constant [V, D]
// table and indices an integer graph input → ops.Gather (an embedding).
// Gather of a constant by constant indices is folded before mapping.
func mapGather(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	if axis := attrInt(n, "axis", 0); axis != 0 {
		return gi.refuse("axis %d: an embedding gathers rows (axis 0) of a constant table", axis)
	}
	if name := input(n, 0); !gi.isConst(name) {
		return gi.refuse("the data %q is an activation: Gather is supported as an embedding, ids into a constant [V, D] table", name)
	}
	table, err := gi.constant(n, 0)
	if err != nil {
		return err
	}
	if len(table.Shape) != 2 {
		return gi.refuse("table of shape %v: an embedding table is [V, D]", table.Shape)
	}
	ids, _, err := gi.act(n, 1)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	return gi.node(n, "", ops.NewGather(table), []string{ids}, []string{out})
}
