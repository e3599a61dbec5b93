// Package onnx imports ONNX graphs, as torch.onnx.export writes them, into
// zkinfer's float models.
//
// The importer does not run arbitrary graphs: it folds the constant parts of
// the graph (initializers, Constant and Identity nodes), turns the rest into
// a small expression tree of linear layers, activations and residual adds,
// and matches that tree against the layer lists zkinfer can prove. A graph
// that does not match is rejected with the node (index, name, op type) where
// matching failed and the list of what is supported.
//
// # Supported patterns
//
// The ffn block y = x + W2·relu(W1·x + b1) + b2, with each linear layer
// written as MatMul (+ Add of a bias) or as Gemm (any alpha, beta, transB;
// transA = 0), the input of shape [seq, d] or [1, seq, d] (the sequence axis
// may be dynamic: its length then comes from Options.SeqLen), and the
// residual Add in either operand order.
//
// GPT-2 blocks (LayerNorm, attention, GELU) are recognised by their op types
// and rejected with a pointer to the Hugging Face checkpoint importer
// (package hf), which reads the same weights from model.safetensors.
package onnx
