package onnx

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// Limits on what importing one graph may cost, checked before anything is
// allocated or computed from the file's claims. A graph is a program: a few
// hundred bytes of nodes can ask for terabytes of tensors or hours of
// multiply-adds, so besides bounding each tensor and each node, the importer
// keeps a running total per graph (see budget) and refuses the node that
// would cross it.
//
// Calibration: a GPT-2 small stack (12 blocks, d_model 768, 85 M weights)
// holds 85 M constant elements, and its import copies them once more (170 M
// under MaxGraphConstElements); at a sequence length S its evaluation
// computes about 0.65 M·S elements and 85 M·S multiply-adds, and checking the
// extracted model costs as many multiply-adds again. So it imports at
// S ≤ 12, bounded by MaxGraphMACs; the models of the repository's tests and
// torch exports (d_model ≤ 16) use less than a thousandth of each bound.
const (
	// MaxNodes bounds the number of nodes in the graph.
	MaxNodes = 1 << 16
	// MaxTensorElements bounds the element count of one constant tensor.
	MaxTensorElements = 1 << 28
	// MaxRank bounds the rank of a tensor.
	MaxRank = 8
	// MaxEvalElements bounds every tensor the evaluator creates.
	MaxEvalElements = 1 << 24
	// MaxMatMulWork bounds the multiply-adds of one MatMul.
	MaxMatMulWork = 1 << 30

	// MaxGraphElements bounds the elements of all the tensors computed while
	// importing one graph (folded constants, intermediate tensors, the
	// evaluator's input), together: 192 MiB as float64, the one place where
	// a small file could otherwise ask for arbitrary memory. It admits one
	// tensor of MaxEvalElements and half as much besides.
	MaxGraphElements = 3 << 23
	// MaxGraphConstElements bounds the elements of all the constant tensors
	// decoded from one graph (initializers, Constant nodes) and of the copies
	// the importer makes of them (transposed and scaled weights, the
	// extracted model's matrices), together: 2 GiB as float64. They are
	// bounded by the file's size too, but a byte of FLOAT16 or BOOL data
	// becomes 4 or 8 bytes of float64.
	MaxGraphConstElements = 1 << 28
	// MaxGraphMACs bounds the multiply-adds of one graph's import: its
	// MatMul and Gemm nodes, and the forward passes that check the model
	// extracted from it against it. About a second or two of one core.
	MaxGraphMACs = 1 << 31
	// MACsPerConstant raises MaxGraphMACs by this many multiply-adds per
	// constant element charged so far: work in proportion to the bytes of
	// weights the file really holds, as a real model's forward pass is
	// (one multiply-add per weight per token, twice with the check).
	MACsPerConstant = 1 << 11
)

// ErrBudget marks a graph whose import would cost more than the limits above.
var ErrBudget = fmt.Errorf("%w: over the import budget", quant.ErrValidation)

// budget is the running total of one graph's import; the zero value is a
// fresh budget. Every allocation and every multiply-add loop of the importer
// asks it first.
type budget struct {
	elems, consts, macs int64
}

// compute charges n elements of a tensor the graph computes.
func (b *budget) compute(n int) error {
	return charge(&b.elems, int64(n), MaxGraphElements, "elements would bring the tensors the graph computes to", "MaxGraphElements")
}

// constant charges n elements of a constant decoded from the file or copied from one.
func (b *budget) constant(n int) error {
	return charge(&b.consts, int64(n), MaxGraphConstElements, "elements would bring the graph's constants to", "MaxGraphConstElements")
}

// work charges n multiply-adds.
func (b *budget) work(n int64) error {
	return charge(&b.macs, n, MaxGraphMACs+MACsPerConstant*b.consts, "multiply-adds would bring the graph to", "MaxGraphMACs + MACsPerConstant × constants")
}

func charge(used *int64, n, limit int64, what, name string) error {
	if n < 0 || n > limit-*used {
		return fmt.Errorf("%w: %d %s %d, more than onnx.%s = %d", ErrBudget, n, what, *used+n, name, limit)
	}
	*used += n
	return nil
}
