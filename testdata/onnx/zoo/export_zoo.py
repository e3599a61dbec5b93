#!/usr/bin/env python3
"""Writes the ONNX model zoo: small real torch.onnx.export files, one op or
one small architecture each, with a fixed test input and torch's output.

Made with Debian bookworm's python3-torch 1.13.1 (torch.__version__
1.13.0a0), python3-onnx 1.12.0 and python3-numpy 1.24.2, on CPU, float32,
one thread:

    apt-get install -y python3-torch python3-onnx
    cd testdata/onnx/zoo && /usr/bin/python3 export_zoo.py

It writes, in this folder, for every model NAME in MODELS:

    NAME.onnx        the export (torch's bytes, unchanged)
    NAME.input.json  {"input_data": [[...], ...]}: one flattened list per
                     graph input, in graph order (EZKL style); floats,
                     int64 ids, or bools as 0/1
and zoo.json: per model the file, a description, the category, the opset,
the op types with their counts, the graph inputs and outputs (name, ONNX
element type, shape: an int, or the dim_param name of a dynamic axis), the
test input and torch's outputs on it (flattened; float32 values printed as
the shortest decimal that reads back as the same float32; bools as 0/1).

Everything is fixed: each model's weights and test input come from seeds
derived from its name (crc32), so adding a model changes no other file, and
running the script again rewrites the same bytes (it checks that the export
of every model is byte-identical when made twice in a row). The bytes may
differ with another torch build; the Go tests need no Python, only the
committed files (quant/onnx/zoo_test.go).

The existing GPT-2/ffn exports are one folder up (../export_torch.py).
"""

import io
import json
import math
import os
import zlib
from collections import Counter

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
EVAL, PRESERVE = torch.onnx.TrainingMode.EVAL, torch.onnx.TrainingMode.PRESERVE


class Fn(nn.Module):
    """A module computing f(self, *inputs), with the given submodules,
    parameters and buffers (constant tensors) as attributes."""

    def __init__(self, f, buffers=None, **mods):
        super().__init__()
        for k, v in mods.items():
            setattr(self, k, v)
        for k, v in (buffers or {}).items():
            self.register_buffer(k, v)
        self.f = f

    def forward(self, *xs):
        return self.f(self, *xs)


def param(*shape, lo=-1.0, hi=1.0):
    return nn.Parameter(torch.rand(*shape) * (hi - lo) + lo)


def layer_norm(d):
    ln = nn.LayerNorm(d)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.2 * torch.randn(d))
        ln.bias.copy_(0.1 * torch.randn(d))
    return ln


def prelu(c):
    p = nn.PReLU(c)
    with torch.no_grad():
        p.weight.copy_(0.5 * torch.rand(c))
    return p


def bn(cls, c):
    """A BatchNorm in eval mode with non-trivial statistics and affine terms."""
    m = cls(c)
    with torch.no_grad():
        m.running_mean.copy_(0.5 * torch.randn(c))
        m.running_var.copy_(0.5 + torch.rand(c))
        m.weight.copy_(1 + 0.2 * torch.randn(c))
        m.bias.copy_(0.1 * torch.randn(c))
    return m


# Input specs: (name, shape, kind, lo, hi).
#   "f": uniform float in [lo, hi), rounded to 4 decimals;
#   "fi": integer-valued float in [lo, hi]; "i64": int64 id in [lo, hi);
#   "b": bool (0/1).
def fin(name="x", shape=(1, 4, 16), lo=-3.0, hi=3.0):
    return (name, list(shape), "f", lo, hi)


def i64(name, shape, hi):
    return (name, list(shape), "i64", 0, hi)


def boolin(name, shape=(1, 4, 16)):
    return (name, list(shape), "b", 0, 1)


MODELS = {}


def add(name, category, desc, inputs, make, outputs=("out",), opset=13, dynamic=None, training=EVAL):
    """Registers a model. make() builds the module (under the model's seed);
    dynamic maps input/output names to {axis: name} (torch's dynamic_axes)."""
    assert name not in MODELS, name
    MODELS[name] = dict(category=category, desc=desc, inputs=[fin(*i) if isinstance(i, str) else i for i in inputs],
                        make=make, outputs=list(outputs), opset=opset, dynamic=dynamic, training=training)


X = [fin()]            # [1, 4, 16] in [-3, 3)
XY = [fin("x"), fin("y")]

# ---- op: one op (plus the constants it needs) per graph ----
add("op_matmul_op13", "op", "x[1,4,16] @ W[16,8] (MatMul by a constant)", X,
    lambda: Fn(lambda s, x: torch.matmul(x, s.w), w=param(16, 8, lo=-0.5, hi=0.5)))
add("op_matmul_act_op13", "op", "x[1,4,8] @ y[1,8,4]: MatMul of two activations",
    [fin("x", (1, 4, 8)), fin("y", (1, 8, 4))], lambda: Fn(lambda s, x, y: torch.matmul(x, y)))
add("op_gemm_op13", "op", "nn.Linear(16, 8) on [1,16] (Gemm, transB=1)", [fin("x", (1, 16))],
    lambda: nn.Linear(16, 8))
add("op_conv1d_op13", "op", "nn.Conv1d(4, 8, 3) on [1,4,16]", [fin("x", (1, 4, 16))], lambda: nn.Conv1d(4, 8, 3))
add("op_conv2d_op13", "op", "nn.Conv2d(2, 4, 3) on [1,2,8,8]", [fin("x", (1, 2, 8, 8))], lambda: nn.Conv2d(2, 4, 3))
add("op_conv2d_grouped_op13", "op", "nn.Conv2d(4, 8, 3, padding=1, groups=2) on [1,4,8,8]",
    [fin("x", (1, 4, 8, 8))], lambda: nn.Conv2d(4, 8, 3, padding=1, groups=2))
add("op_conv2d_depthwise_op13", "op", "depthwise nn.Conv2d(4, 4, 3, groups=4, bias=False) on [1,4,8,8]",
    [fin("x", (1, 4, 8, 8))], lambda: nn.Conv2d(4, 4, 3, groups=4, bias=False))
add("op_conv2d_strided_op13", "op", "nn.Conv2d(2, 4, 3, stride=2) on [1,2,9,9]", [fin("x", (1, 2, 9, 9))],
    lambda: nn.Conv2d(2, 4, 3, stride=2))
add("op_conv2d_padded_op13", "op", "nn.Conv2d(2, 4, (3, 5), padding=(1, 2), dilation=(2, 1)) on [1,2,8,8]",
    [fin("x", (1, 2, 8, 8))], lambda: nn.Conv2d(2, 4, (3, 5), padding=(1, 2), dilation=(2, 1)))
add("op_convtranspose_op13", "op", "nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1) on [1,4,4,4]",
    [fin("x", (1, 4, 4, 4))], lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1))
add("op_batchnorm_op13", "op", "nn.BatchNorm2d(4), eval, on [1,4,6,6] (BatchNormalization)",
    [fin("x", (1, 4, 6, 6))], lambda: bn(nn.BatchNorm2d, 4))

add("op_add_op13", "op", "x + y, two activations [1,4,16]", XY, lambda: Fn(lambda s, x, y: x + y))
add("op_sub_op13", "op", "x - y, two activations [1,4,16]", XY, lambda: Fn(lambda s, x, y: x - y))
add("op_mul_op13", "op", "x * y, two activations [1,4,16]", XY, lambda: Fn(lambda s, x, y: x * y))
add("op_div_op13", "op", "x / y, two activations [1,4,16], y in [0.5, 2)", [fin("x"), fin("y", lo=0.5, hi=2.0)],
    lambda: Fn(lambda s, x, y: x / y))
add("op_add_broadcast_op13", "op", "x[1,4,16] + y[1,1,16] (broadcast Add of two activations)",
    [fin("x"), fin("y", (1, 1, 16))], lambda: Fn(lambda s, x, y: x + y))
add("op_add_const_op13", "op", "x[1,4,16] + c[16] (Add of a constant vector)", X,
    lambda: Fn(lambda s, x: x + s.c, c=param(16)))
add("op_sub_const_op13", "op", "x[1,4,16] - c[4,1] (Sub of a broadcast constant)", X,
    lambda: Fn(lambda s, x: x - s.c, c=param(4, 1)))
add("op_mul_const_op13", "op", "x[1,4,16] * c[16] (Mul by a constant vector)", X,
    lambda: Fn(lambda s, x: x * s.c, c=param(16, lo=-2.0, hi=2.0)))
add("op_div_const_op13", "op", "x[1,4,16] / 3 (Div by a scalar constant)", X, lambda: Fn(lambda s, x: x / 3.0))

add("op_reducesum_op13", "op", "x.sum(-1, keepdim=True) on [1,4,16] (ReduceSum, axes as an input)", X,
    lambda: Fn(lambda s, x: x.sum(-1, keepdim=True)))
add("op_reducemean_op13", "op", "x.mean(-1) on [1,4,16] (ReduceMean, keepdims=0)", X, lambda: Fn(lambda s, x: x.mean(-1)))
add("op_reducemax_op13", "op", "torch.amax(x, -1, keepdim=True) on [1,4,16] (ReduceMax)", X,
    lambda: Fn(lambda s, x: torch.amax(x, -1, keepdim=True)))
add("op_reducemin_op13", "op", "torch.amin(x, (1, 2)) on [1,4,16] (ReduceMin over two axes)", X,
    lambda: Fn(lambda s, x: torch.amin(x, (1, 2))))
add("op_max_op13", "op", "torch.maximum(x, y), elementwise Max of two activations", XY,
    lambda: Fn(lambda s, x, y: torch.maximum(x, y)))
add("op_min_op13", "op", "torch.minimum(x, y), elementwise Min of two activations", XY,
    lambda: Fn(lambda s, x, y: torch.minimum(x, y)))

# Elementwise unary ops on [1,4,16]: (name, description, function, input range).
UNARY = [
    ("relu", "torch.relu", torch.relu, (-3, 3)),
    ("sigmoid", "torch.sigmoid", torch.sigmoid, (-6, 6)),
    ("tanh", "torch.tanh", torch.tanh, (-3, 3)),
    ("exp", "torch.exp", torch.exp, (-3, 3)),
    ("log", "torch.log, x in [0.05, 4)", torch.log, (0.05, 4)),
    ("softplus", "F.softplus (beta 1)", F.softplus, (-4, 4)),
    ("elu", "F.elu(alpha=1.0)", F.elu, (-3, 3)),
    ("selu", "F.selu", F.selu, (-3, 3)),
    ("celu", "F.celu(alpha=1.5)", lambda x: F.celu(x, alpha=1.5), (-3, 3)),
    ("hardsigmoid", "F.hardsigmoid (alpha 1/6, beta 1/2)", F.hardsigmoid, (-4, 4)),
    ("leakyrelu", "F.leaky_relu(0.1)", lambda x: F.leaky_relu(x, 0.1), (-3, 3)),
    ("erf", "torch.erf", torch.erf, (-3, 3)),
    ("gelu", "nn.GELU() (exact, erf form: Div, Erf, Add, Mul, Mul)", F.gelu, (-4, 4)),
    ("gelu_tanh", "nn.GELU(approximate='tanh') (tanh form, decomposed)", lambda x: F.gelu(x, approximate="tanh"), (-4, 4)),
    ("silu", "F.silu (exported as x * Sigmoid(x))", F.silu, (-4, 4)),
    ("abs", "torch.abs", torch.abs, (-3, 3)),
    ("neg", "torch.neg", torch.neg, (-3, 3)),
    ("sqrt", "torch.sqrt, x in [0.01, 4)", torch.sqrt, (0.01, 4)),
    ("reciprocal", "torch.reciprocal, x in [0.25, 4)", torch.reciprocal, (0.25, 4)),
    ("pow", "x ** 3 (Pow by a constant exponent)", lambda x: x ** 3, (-2, 2)),
    ("floor", "torch.floor", torch.floor, (-3, 3)),
    ("ceil", "torch.ceil", torch.ceil, (-3, 3)),
    ("round", "torch.round (half to even)", torch.round, (-3, 3)),
    ("sign", "torch.sign", torch.sign, (-3, 3)),
    ("sin", "torch.sin", torch.sin, (-4, 4)),
    ("cos", "torch.cos", torch.cos, (-4, 4)),
]
for n, d, f, (lo, hi) in UNARY:
    add(f"op_{n}_op13", "op", f"{d} on [1,4,16]", [fin("x", lo=lo, hi=hi)], (lambda f: lambda: Fn(lambda s, x: f(x)))(f))
add("op_hardswish_op14", "op", "F.hardswish on [1,4,16] (HardSwish needs opset 14)", [fin("x", lo=-5, hi=5)],
    lambda: nn.Hardswish(), opset=14)
add("op_prelu_op13", "op", "nn.PReLU(4) on [1,4,16] (one slope per channel, axis 1)", X,
    lambda: Fn(lambda s, x: s.p(x), p=prelu(4)))
add("op_clip_op13", "op", "torch.clamp(x, -1, 2) on [1,4,16] (Clip, min and max as inputs)", X,
    lambda: Fn(lambda s, x: torch.clamp(x, -1.0, 2.0)))
add("op_softmax_op13", "op", "F.softmax(x, -1) on [1,4,16]", X, lambda: Fn(lambda s, x: F.softmax(x, -1)))
add("op_layernorm_op17", "op", "nn.LayerNorm(16) on [1,4,16] (LayerNormalization, opset 17)", X,
    lambda: layer_norm(16), opset=17)
add("op_layernorm_op13", "op", "nn.LayerNorm(16) on [1,4,16] at opset 13 (decomposed: ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add)",
    X, lambda: layer_norm(16))

add("op_less_op13", "op", "x < y on [1,4,16] (bool output)", XY, lambda: Fn(lambda s, x, y: x < y))
add("op_greater_op13", "op", "x > y on [1,4,16] (bool output)", XY, lambda: Fn(lambda s, x, y: x > y))
add("op_equal_op13", "op", "x == y on integer-valued floats in [0, 3] (bool output)",
    [("x", [1, 4, 16], "fi", 0, 3), ("y", [1, 4, 16], "fi", 0, 3)], lambda: Fn(lambda s, x, y: x == y))
add("op_where_op13", "op", "torch.where(c, x, y) with a bool input c", [boolin("c"), fin("x"), fin("y")],
    lambda: Fn(lambda s, c, x, y: torch.where(c, x, y)))
add("op_not_op13", "op", "~a on a bool [1,4,16] (Not)", [boolin("a")], lambda: Fn(lambda s, a: ~a))
add("op_and_op13", "op", "a & b on bools (And)", [boolin("a"), boolin("b")], lambda: Fn(lambda s, a, b: a & b))
add("op_or_op13", "op", "a | b on bools (Or)", [boolin("a"), boolin("b")], lambda: Fn(lambda s, a, b: a | b))
add("op_xor_op13", "op", "a ^ b on bools (Xor)", [boolin("a"), boolin("b")], lambda: Fn(lambda s, a, b: a ^ b))

# ---- index: integer inputs or outputs ----
add("op_argmax_op13", "index", "x.argmax(-1) on [1,4,16] (ArgMax, int64 output [1,4])", X,
    lambda: Fn(lambda s, x: x.argmax(-1)))
add("op_max_dim_op13", "index", "torch.max(x, -1) on [1,4,16]: values and int64 indices (ReduceMax and ArgMax)", X,
    lambda: Fn(lambda s, x: tuple(torch.max(x, -1))), outputs=("values", "indices"))
add("op_topk_op13", "index", "torch.topk(x, 3, -1) on [1,4,16]: values and int64 indices (TopK)", X,
    lambda: Fn(lambda s, x: tuple(torch.topk(x, 3, -1))), outputs=("values", "indices"))
add("op_onehot_op13", "index", "F.one_hot(ids, 8) of int64 ids [1,4] in [0, 8) (OneHot, int64 output)",
    [i64("ids", (1, 4), 8)], lambda: Fn(lambda s, ids: F.one_hot(ids, 8)))
add("op_gatherelements_op13", "index", "torch.gather(x, -1, idx): x [1,4,16], int64 idx [1,4,3] in [0, 16) (GatherElements)",
    [fin("x"), i64("idx", (1, 4, 3), 16)], lambda: Fn(lambda s, x, idx: torch.gather(x, -1, idx)))
add("int64_input_op13", "index", "token ids [1,4] (int64, < 16) -> nn.Embedding(16, 8) (Gather) -> nn.Linear(8, 4)",
    [i64("ids", (1, 4), 16)], lambda: Fn(lambda s, ids: s.fc(s.emb(ids)), emb=nn.Embedding(16, 8), fc=nn.Linear(8, 4)))
add("int64_equal_op13", "index", "(ids == 3).float() on int64 ids [1,8] in [0, 6) (Equal with a constant, Cast)",
    [i64("ids", (1, 8), 6)], lambda: Fn(lambda s, ids: (ids == 3).float()))

# ---- shape: index maps (and Pad) ----
add("op_reshape_op13", "shape", "x[1,4,16].reshape(1, 8, 8)", X, lambda: Fn(lambda s, x: x.reshape(1, 8, 8)))
add("op_transpose_op13", "shape", "x[1,4,16].permute(0, 2, 1)", X, lambda: Fn(lambda s, x: x.permute(0, 2, 1)))
add("op_flatten_op13", "shape", "nn.Flatten() on [1,2,4,4]", [fin("x", (1, 2, 4, 4))], lambda: nn.Flatten())
add("op_squeeze_op13", "shape", "x[1,4,1,16].squeeze(2) (Squeeze, axes as an input)", [fin("x", (1, 4, 1, 16))],
    lambda: Fn(lambda s, x: x.squeeze(2)))
add("op_unsqueeze_op13", "shape", "x[1,4,16].unsqueeze(1) (Unsqueeze, axes as an input)", X,
    lambda: Fn(lambda s, x: x.unsqueeze(1)))
add("op_concat_op13", "shape", "torch.cat([x[1,4,16], y[1,4,8]], -1)", [fin("x"), fin("y", (1, 4, 8))],
    lambda: Fn(lambda s, x, y: torch.cat([x, y], -1)))
add("op_split_op13", "shape", "x[1,4,16].split([6, 10], -1): two outputs (Split)", X,
    lambda: Fn(lambda s, x: tuple(x.split([6, 10], -1))), outputs=("y0", "y1"))
add("op_slice_op13", "shape", "x[:, 1:3, ::2] on [1,4,16]", X, lambda: Fn(lambda s, x: x[:, 1:3, ::2]))
add("op_gather_op13", "shape", "torch.index_select(x, 2, [0, 3, 5, 7, 15]) on [1,4,16] (Gather with constant indices)", X,
    lambda: Fn(lambda s, x: torch.index_select(x, 2, s.idx), buffers={"idx": torch.tensor([0, 3, 5, 7, 15])}))
add("op_gather_scalar_op13", "shape", "x[:, 2] on [1,4,16] (Gather of one constant index, rank drops)", X,
    lambda: Fn(lambda s, x: x[:, 2]))
add("op_tile_op13", "shape", "x[1,4,16].repeat(1, 2, 1) (Tile; torch 1.13 leaves a constant Expand chain for the repeats)", X, lambda: Fn(lambda s, x: x.repeat(1, 2, 1)))
add("op_expand_op13", "shape", "x[1,1,16].expand_as(a constant [1,4,16]) (Expand by a constant shape)", [fin("x", (1, 1, 16))],
    lambda: Fn(lambda s, x: x.expand_as(torch.zeros(1, 4, 16))))
add("op_expand_sizes_op13", "shape", "x[1,1,16].expand(1, 4, 16): torch 1.13 computes the shape with a constant "
    "chain (ConstantOfShape, Mul, Equal, Where: the -1 rule) that constant folding leaves in the graph",
    [fin("x", (1, 1, 16))], lambda: Fn(lambda s, x: x.expand(1, 4, 16)))
add("op_trilu_op14", "shape", "torch.tril(x) on [1,4,4] (Trilu, opset 14)", [fin("x", (1, 4, 4))],
    lambda: Fn(lambda s, x: torch.tril(x)), opset=14)
add("op_triu_op14", "shape", "torch.triu(x, 1) on [1,4,4] (Trilu upper, k = 1)", [fin("x", (1, 4, 4))],
    lambda: Fn(lambda s, x: torch.triu(x, 1)), opset=14)
add("mask_const_op13", "shape", "x[1,4,4].masked_fill(~tril, -10000): a constant causal mask applied with Where",
    [fin("x", (1, 4, 4))],
    lambda: Fn(lambda s, x: x.masked_fill(~s.mask, -10000.0), buffers={"mask": torch.tril(torch.ones(4, 4, dtype=torch.bool))}))
add("pad_constant_op13", "shape", "F.pad(x, (1, 2, 0, 1), value=0.5) on [1,2,6,6] (Pad, constant mode; torch 1.13 computes the pads with a "
    "constant chain that constant folding leaves in the graph, as for the other Pad modes)",
    [fin("x", (1, 2, 6, 6))], lambda: Fn(lambda s, x: F.pad(x, (1, 2, 0, 1), value=0.5)))
add("pad_reflect_op13", "shape", "F.pad(x, (2, 1, 1, 2), mode='reflect') on [1,2,6,6] (Pad, reflect mode)",
    [fin("x", (1, 2, 6, 6))], lambda: Fn(lambda s, x: F.pad(x, (2, 1, 1, 2), mode="reflect")))
add("pad_edge_op13", "shape", "F.pad(x, (1, 1, 2, 0), mode='replicate') on [1,2,6,6] (Pad, edge mode)",
    [fin("x", (1, 2, 6, 6))], lambda: Fn(lambda s, x: F.pad(x, (1, 1, 2, 0), mode="replicate")))

# ---- cnn: pooling and BatchNorm variants, and two small CNNs ----
IMG = [fin("x", (1, 2, 8, 8))]
add("maxpool_op13", "cnn", "nn.MaxPool2d(2) on [1,2,8,8]", IMG, lambda: nn.MaxPool2d(2))
add("maxpool_pad_op13", "cnn", "nn.MaxPool2d(3, stride=2, padding=1) on [1,2,8,8]", IMG, lambda: nn.MaxPool2d(3, 2, 1))
add("maxpool_ceil_op13", "cnn", "nn.MaxPool2d(2, ceil_mode=True) on [1,2,7,7]", [fin("x", (1, 2, 7, 7))],
    lambda: nn.MaxPool2d(2, ceil_mode=True))
add("maxpool1d_op13", "cnn", "nn.MaxPool1d(2) on [1,4,16]", X, lambda: nn.MaxPool1d(2))
add("avgpool_op13", "cnn", "nn.AvgPool2d(2, count_include_pad=False) on [1,2,8,8] (with the default "
    "count_include_pad=True torch emits a zero Pad before the AveragePool, as in lenet5_op13)", IMG,
    lambda: nn.AvgPool2d(2, count_include_pad=False))
add("avgpool_pad_op13", "cnn", "nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False) on [1,2,8,8]", IMG,
    lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False))
add("avgpool_pad_include_op13", "cnn", "nn.AvgPool2d(3, stride=2, padding=1) (count_include_pad=True) on [1,2,8,8]", IMG,
    lambda: nn.AvgPool2d(3, 2, 1))
add("globalavgpool_op13", "cnn", "nn.AdaptiveAvgPool2d(1) on [1,2,8,8] (GlobalAveragePool)", IMG,
    lambda: nn.AdaptiveAvgPool2d(1))
add("adaptivemaxpool_op13", "cnn", "nn.AdaptiveMaxPool2d(1) on [1,2,8,8] (torch 1.13 exports a MaxPool with an "
    "8x8 kernel, not GlobalMaxPool)", IMG,
    lambda: nn.AdaptiveMaxPool2d(1))
add("bn_conv_op13", "cnn", "Conv2d(2, 4, 3, bias=False) -> BatchNorm2d(4) -> ReLU on [1,2,8,8], exported with "
    "training=PRESERVE so the BatchNormalization stays", IMG,
    lambda: nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), bn(nn.BatchNorm2d, 4), nn.ReLU()), training=PRESERVE)
add("bn_conv_fused_op13", "cnn", "Conv2d(2, 4, 3) -> BatchNorm2d(4) -> ReLU on [1,2,8,8], exported in eval mode: "
    "torch folds the BatchNorm into the Conv", IMG,
    lambda: nn.Sequential(nn.Conv2d(2, 4, 3), bn(nn.BatchNorm2d, 4), nn.ReLU()))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def cnn3():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(200, 10))


BATCH = {"x": {0: "batch"}, "out": {0: "batch"}}
add("lenet5_op13", "cnn", "LeNet-5 on [1,1,32,32]: Conv 6@5x5, Tanh, AvgPool 2, Conv 16@5x5, Tanh, AvgPool 2, "
    "Flatten, Linear 400-120-84-10 with Tanh", [fin("x", (1, 1, 32, 32), 0.0, 1.0)], lenet5)
add("cnn3_op13", "cnn", "3-conv CNN on [1,1,28,28]: Conv 4@3x3 pad 1, ReLU, MaxPool 2, Conv 8@3x3 pad 1, ReLU, "
    "MaxPool 2, Conv 8@3x3, ReLU, Flatten, Linear 200-10", [fin("x", (1, 1, 28, 28), 0.0, 1.0)], cnn3)
add("cnn3_op13_dyn", "cnn", "cnn3_op13 with a dynamic batch axis [batch,1,28,28] (test input: batch 1)",
    [fin("x", (1, 1, 28, 28), 0.0, 1.0)], cnn3, dynamic=BATCH)

# ---- mlp: Linear/ReLU stacks, no residual ----
WIDTHS = [16, 24, 8, 32, 12, 20, 10, 28, 6, 4]


def mlp(n, widths=WIDTHS):
    layers = []
    for i in range(n):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < n - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


for n in range(1, 10):
    w = "-".join(str(v) for v in WIDTHS[:n + 1])
    add(f"mlp{n}_op13", "mlp", f"{n} Linear layer{'s' if n > 1 else ''} {w} on [1,16], ReLU between, no residual (Gemm)",
        [fin("x", (1, 16))], (lambda n: lambda: mlp(n))(n))
add("mlp3_tokens_op13", "mlp", "3 Linear layers 16-24-8-32 with ReLU on tokens [1,4,16] (MatMul + Add)", X, lambda: mlp(3))
add("mlp3_batch_op17_dyn", "mlp", "3 Linear layers 16-24-8-32 with ReLU on [batch,16], dynamic batch (test input: batch 1), opset 17",
    [fin("x", (1, 16))], lambda: mlp(3), opset=17, dynamic=BATCH)
add("mlp_bn_sigmoid_op13", "mlp", "Linear 16-32, BatchNorm1d(32), Sigmoid, Linear 32-8 on [1,16]", [fin("x", (1, 16))],
    lambda: nn.Sequential(nn.Linear(16, 32), bn(nn.BatchNorm1d, 32), nn.Sigmoid(), nn.Linear(32, 8)))

# ---- attention: self-attention blocks as torch exports them (the fused attention op) ----
D, T = 16, 4


def heads(x, h):
    """[1, T, h*dh] -> [1, h, T, dh]"""
    b, t, c = x.shape
    return x.view(b, t, h, c // h).transpose(1, 2)


def merge(y):
    """[1, h, T, dh] -> [1, T, h*dh]"""
    b, h, t, dh = y.shape
    return y.transpose(1, 2).contiguous().view(b, t, h * dh)


def gpt2_attn_block(s, x):
    # HF GPT-2: ln_1, c_attn, split, causal Where with finfo.min, c_proj, residual.
    q, k, v = s.c_attn(s.ln(x)).split(D, dim=2)
    q, k, v = heads(q, 2), heads(k, 2), heads(v, 2)
    w = torch.matmul(q, k.transpose(-1, -2)) / torch.full([], v.size(-1) ** 0.5)
    w = torch.where(s.bias[:, :, :T, :T], w, torch.tensor(torch.finfo(w.dtype).min))
    y = torch.matmul(w.softmax(dim=-1), v)
    return x + s.c_proj(merge(y))


add("attn_gpt2_causal_op14", "attention", "GPT-2-style causal self-attention block: x + c_proj(attn(ln_1(x))), "
    "c_attn split into 2 heads, /sqrt(dh), Where(causal buffer, w, finfo.min), softmax, @v", X,
    lambda: Fn(gpt2_attn_block, buffers={"bias": torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T)},
               ln=layer_norm(D), c_attn=nn.Linear(D, 3 * D), c_proj=nn.Linear(D, D)), opset=14)


def encoder_postln(s, x):
    # Post-LN encoder block: separate Q/K/V with biases, 1/sqrt(d_model), no MLP, mean pooling, head.
    q, k, v = heads(s.q(x), 2), heads(s.k(x), 2), heads(s.v(x), 2)
    p = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) / D ** 0.5, dim=-1)
    h = s.ln(x + s.o(merge(torch.matmul(p, v))))
    return s.head(h.mean(dim=1))


add("attn_encoder_postln_op14", "attention", "post-LN bidirectional encoder block: ln(x + o(attn(x))) with separate "
    "Q/K/V Linear (biases), 2 heads, scale 1/sqrt(d_model), no MLP; mean over tokens, Linear(16, 3) head", X,
    lambda: Fn(encoder_postln, q=nn.Linear(D, D), k=nn.Linear(D, D), v=nn.Linear(D, D), o=nn.Linear(D, D),
               ln=layer_norm(D), head=nn.Linear(D, 3)), opset=14)


def nanogpt_fill(s, x):
    # nanoGPT's slow path with a finite fill: masked_fill(bias == 0, -10).
    q, k, v = s.c_attn(x).split(D, dim=2)
    q, k, v = heads(q, 4), heads(k, 4), heads(v, 4)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    att = att.masked_fill(s.bias[:, :, :T, :T] == 0, -10.0)
    return s.c_proj(merge(F.softmax(att, dim=-1) @ v))


add("attn_nanogpt_fill10_op14", "attention", "nanoGPT causal attention, 4 heads, with the mask filled by a finite -10 "
    "(masked_fill(bias == 0, -10)), c_attn/c_proj", X,
    lambda: Fn(nanogpt_fill, buffers={"bias": torch.tril(torch.ones(T, T)).view(1, 1, T, T)},
               c_attn=nn.Linear(D, 3 * D), c_proj=nn.Linear(D, D)), opset=14)


def repeat_kv(x, n):
    """Llama's repeat_kv: [1, hkv, T, dh] -> [1, hkv*n, T, dh]"""
    b, h, t, dh = x.shape
    return x[:, :, None, :, :].expand(b, h, n, t, dh).reshape(b, h * n, t, dh)


def gqa(s, x):
    # Llama-style grouped-query attention (no RoPE): 4 query heads, 2 kv heads, additive causal mask.
    q, k, v = heads(s.q(x), 4), heads(s.k(x), 2), heads(s.v(x), 2)
    k, v = repeat_kv(k, 2), repeat_kv(v, 2)
    w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(4) + s.mask
    return s.o(merge(torch.matmul(F.softmax(w, dim=-1), v)))


add("attn_gqa_op14", "attention", "Llama-style grouped-query attention: q_proj 16->4 heads of 4, k/v_proj 16->2 kv heads "
    "repeated (repeat_kv: expand + reshape), /sqrt(dh) + an additive causal mask (0 / -inf), o_proj; no biases", X,
    lambda: Fn(gqa, buffers={"mask": torch.full((T, T), float("-inf")).triu(1)[None, None]},
               q=nn.Linear(D, D, bias=False), k=nn.Linear(D, 8, bias=False), v=nn.Linear(D, 8, bias=False),
               o=nn.Linear(D, D, bias=False)), opset=14)


def mqa(s, x):
    # Multi-query attention: one kv head broadcast by the matmuls, a BERT-style additive padding mask.
    q = heads(s.q(x), 4)
    k, v = s.k(x).unsqueeze(1), s.v(x).unsqueeze(1)
    w = torch.matmul(q, k.transpose(-1, -2)) * 0.5 + s.pad
    return s.o(merge(torch.matmul(w.softmax(-1), v)))


add("attn_mqa_op14", "attention", "multi-query attention: 4 query heads of 4, one kv head [1,1,T,4] broadcast by MatMul, "
    "scale 0.5, an additive padding mask (0 / -10000 on the last key, BERT style), o_proj", X,
    lambda: Fn(mqa, buffers={"pad": torch.tensor([0.0, 0.0, 0.0, -10000.0]).view(1, 1, 1, T)},
               q=nn.Linear(D, D), k=nn.Linear(D, 4), v=nn.Linear(D, 4), o=nn.Linear(D, D)), opset=14)


# ---- multi-io: several graph inputs or outputs ----
add("two_inputs_op13", "multi-io", "relu(Linear(16, 8)(x) + Linear(12, 8)(y)) -> Linear(8, 4); x [1,16], y [1,12]",
    [fin("x", (1, 16)), fin("y", (1, 12))],
    lambda: Fn(lambda s, x, y: s.fc3(torch.relu(s.fc1(x) + s.fc2(y))), fc1=nn.Linear(16, 8), fc2=nn.Linear(12, 8), fc3=nn.Linear(8, 4)))
add("two_inputs_op13_dyn", "multi-io", "two_inputs_op13 with a dynamic batch axis on both inputs (test input: batch 1)",
    [fin("x", (1, 16)), fin("y", (1, 12))],
    lambda: Fn(lambda s, x, y: s.fc3(torch.relu(s.fc1(x) + s.fc2(y))), fc1=nn.Linear(16, 8), fc2=nn.Linear(12, 8), fc3=nn.Linear(8, 4)),
    dynamic={"x": {0: "batch"}, "y": {0: "batch"}, "out": {0: "batch"}}, outputs=("out",))
add("two_outputs_op13", "multi-io", "h = relu(Linear(16, 12)(x)); outputs Linear(12, 4)(h) and sigmoid(Linear(12, 2)(h))",
    [fin("x", (1, 16))],
    lambda: Fn(lambda s, x: (lambda h: (s.fc2(h), torch.sigmoid(s.fc3(h))))(torch.relu(s.fc1(x))),
               fc1=nn.Linear(16, 12), fc2=nn.Linear(12, 4), fc3=nn.Linear(12, 2)), outputs=("y0", "y1"))
add("two_in_two_out_op13", "multi-io", "x, y [1,4,16] -> (x + y, relu(x - y))", XY,
    lambda: Fn(lambda s, x, y: (x + y, torch.relu(x - y))), outputs=("sum", "diff"))
add("mixed_dtypes_op13", "multi-io", "float x [1,4,8], int64 ids [1,4] < 10, bool mask [1,4]: "
    "where(mask, Embedding(10, 8)(ids) + x, 0)",
    [fin("x", (1, 4, 8)), i64("ids", (1, 4), 10), boolin("mask", (1, 4))],
    lambda: Fn(lambda s, x, ids, mask: torch.where(mask.unsqueeze(-1), s.emb(ids) + x, torch.zeros(())), emb=nn.Embedding(10, 8)))


# ---- export ----
def make_input(spec, gen):
    name, shape, kind, lo, hi = spec
    if kind == "f":
        t = torch.rand(shape, generator=gen) * (hi - lo) + lo
        return torch.round(t * 1e4) / 1e4
    if kind == "fi":
        return torch.randint(lo, hi + 1, shape, generator=gen).float()
    if kind == "i64":
        return torch.randint(lo, hi, shape, generator=gen, dtype=torch.int64)
    if kind == "b":
        return torch.randint(0, 2, shape, generator=gen).bool()
    raise ValueError(kind)


def flat(t):
    """A tensor as a flat list: float32 as the shortest decimal that reads
    back as the same float32, integers as ints, bools as 0/1."""
    if t.dtype == torch.float32:
        return [float(str(np.float32(v))) for v in t.flatten().tolist()]
    if t.dtype in (torch.int64, torch.int32, torch.bool):
        return [int(v) for v in t.flatten().tolist()]
    raise ValueError(t.dtype)


def export(m, args, spec):
    f = io.BytesIO()
    torch.onnx.export(m, args, f, opset_version=spec["opset"], input_names=[i[0] for i in spec["inputs"]],
                      output_names=spec["outputs"], dynamic_axes=spec["dynamic"], do_constant_folding=True,
                      training=spec["training"])
    return f.getvalue()


def value_infos(vis):
    out = []
    for vi in vis:
        tt = vi.type.tensor_type
        shape = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in tt.shape.dim]
        out.append({"name": vi.name, "dtype": onnx.TensorProto.DataType.Name(tt.elem_type), "shape": shape})
    return out


def dumps(o, depth=0):
    """JSON with the top object, the model list and each model's keys on
    lines of their own, every value below on one line."""
    pad = " " * depth
    if depth > 2 or not isinstance(o, (dict, list)):
        return json.dumps(o)
    if isinstance(o, dict):
        items = [f"{pad} {json.dumps(k)}: {dumps(v, depth + 1)}" for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(pad + " " + dumps(v, depth + 1) for v in o) + "\n" + pad + "]"


def main():
    entries = []
    for name in sorted(MODELS):
        spec = MODELS[name]
        seed = zlib.crc32(name.encode())
        torch.manual_seed(seed)
        m = spec["make"]().eval()
        gen = torch.Generator().manual_seed(seed ^ 0x5EED)
        args = tuple(make_input(i, gen) for i in spec["inputs"])
        data = export(m, args, spec)
        if export(m, args, spec) != data:
            raise SystemExit(f"{name}: two exports differ")
        mp = onnx.load_from_string(data)
        onnx.checker.check_model(mp)
        with torch.no_grad():
            out = m(*args)
        outs = list(out) if isinstance(out, tuple) else [out]
        g = mp.graph
        inits = {t.name for t in g.initializer}
        ins = value_infos([vi for vi in g.input if vi.name not in inits])
        outv = value_infos(g.output)
        assert [i["name"] for i in ins] == [i[0] for i in spec["inputs"]], (name, ins)
        assert [o["name"] for o in outv] == spec["outputs"], (name, outv)
        for vi, t in zip(ins, args):  # a dynamic axis of an input is the batch: 1 in the test input
            assert [1 if isinstance(d, str) else d for d in vi["shape"]] == list(t.shape), (name, vi, t.shape)
        for vi, t in zip(outv, outs):  # torch's shape inference may leave an output axis unnamed (OneHot)
            assert len(vi["shape"]) == t.dim() and all(isinstance(d, str) or d == n for d, n in zip(vi["shape"], t.shape)), (name, vi, t.shape)
        opsets = {o.domain: o.version for o in mp.opset_import}
        assert opsets.get("", opsets.get("ai.onnx")) == spec["opset"], (name, opsets)
        path = os.path.join(HERE, name + ".onnx")
        with open(path, "wb") as f:
            f.write(data)
        input_data = [flat(a) for a in args]
        with open(os.path.join(HERE, name + ".input.json"), "w") as f:
            json.dump({"input_data": input_data}, f)
            f.write("\n")
        entries.append({
            "file": name + ".onnx", "description": spec["desc"], "category": spec["category"], "opset": spec["opset"],
            "bytes": len(data), "ops": dict(sorted(Counter(n.op_type for n in g.node).items())),
            "inputs": ins, "outputs": outv, "input_data": input_data,
            "output_shapes": [list(o.shape) for o in outs], "output_data": [flat(o) for o in outs],
        })
        print(f"{name}.onnx {len(data)} B {entries[-1]['ops']}")
    stale = sorted(f for f in os.listdir(HERE) if f.endswith(".onnx") and f[:-5] not in MODELS)
    if stale:
        raise SystemExit(f"files of no model in MODELS: {stale}")
    with open(os.path.join(HERE, "zoo.json"), "w") as f:
        f.write(dumps({"torch": torch.__version__, "onnx": onnx.__version__, "models": entries}) + "\n")
    print(f"{len(entries)} models, {sum(e['bytes'] for e in entries)} bytes")


if __name__ == "__main__":
    main()
