// Package onnx imports ONNX graphs, as torch.onnx.export writes them, into
// zkinfer's float models.
//
// # ffn blocks
//
// A graph made only of MatMul, Gemm, Add, Relu, Constant and Identity is
// turned into a small expression tree of linear layers, activations and
// residual adds (constants folded) and matched against the ffn block
// y = x + W2·relu(W1·x + b1) + b2, each linear layer written as MatMul (+ Add
// of a bias) or as Gemm (any alpha, beta, transB; transA = 0; bias [n], [1, n]
// or a broadcast scalar), the residual Add in either operand order. A graph
// that does not match is rejected with the node where matching failed.
//
// # GPT-2 stacks
//
// A graph with other ops is read as a stack of GPT-2 blocks when a small
// float evaluator runs all of them (see evalOps: the decomposed LayerNorm,
// both GELU forms, Split/Reshape/Transpose attention, the Shape/Gather/
// Unsqueeze/Concat arithmetic, Slice/Cast/Where masks). The weights are picked
// by structure: MatMul nodes by a constant [in, out] with the Add of their
// bias, or Gemm nodes (transformers' Conv1D exports as addmm on a [-1, in]
// view), in graph order (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj per
// block), and LayerNorm scales and shifts (LayerNormalization, or the Mul and
// Add after a Div). The extracted model is then accepted only if it computes
// the graph's output on a random input within a relative 1e-6; the head count
// and the GELU form (tanh: quant.ActivationGELU, erf: quant.ActivationGELUErf),
// which the weights do not carry, are the ones that do. So a graph that has
// GPT-2's layers but computes something else (another GELU approximation, a
// missing mask, a different order) is rejected, not silently mis-imported.
//
// # Shapes
//
// The input is [seq, d] or [1, seq, d]; a dynamic sequence axis takes its
// length from Options.SeqLen or Options.InputValues. testdata/onnx at the
// repository root holds real torch.onnx.export files these rules are tested on. Ops outside both lists are rejected with the
// node's position, name and op type and the supported lists.
//
// # Limits
//
// Only the nodes whose outputs reach the graph's output are evaluated. What
// they may cost is bounded per tensor, per node and per graph (limits.go):
// the importer keeps a running total of the elements it computes, of the
// constant elements it decodes or copies, and of the multiply-adds of its
// products and of the checks of the extracted model, and refuses the node
// that would cross a limit (ErrBudget) before it allocates or computes.
package onnx
