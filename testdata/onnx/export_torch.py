#!/usr/bin/env python3
"""Writes the real torch.onnx.export files that quant/onnx's tests import.

Made with Debian bookworm's python3-torch 1.13.1 (torch.__version__
1.13.0a0) and python3-onnx 1.12.0, on CPU, float32:

    apt-get install -y python3-torch python3-onnx
    cd testdata/onnx && /usr/bin/python3 export_torch.py

The tests need no Python: they read only the committed .onnx files and
torch_outputs.json (torch's own float outputs on fixed inputs). The
modules mirror transformers' GPT2Block (4.2x, eager attention) line by line:
Conv1D as addmm on a [-1, in] view, c_attn split into q, k, v, heads by
view/permute, a registered tril buffer sliced to the causal mask and applied
with torch.where and finfo.min, softmax, merge heads, residuals, and GELU in
its tanh form (NewGELUActivation) or exact (nn.GELU(), erf); a variant uses
nn.Linear. A small MLP (Linear, ReLU, Linear, residual) is the ffn block.
Two more exports must be rejected: an MLP with SiLU (an unsupported op) and
a block without the causal mask (supported ops, but not GPT-2).
Seeds are fixed, so running the script again gives the same weights; the
bytes of the .onnx files may differ between torch builds.
The model zoo for the graph importer (single ops, MLPs, CNNs, multi-input
and int64 graphs) lives in zoo/: zoo/export_zoo.py, zoo/README.md.
"""

import json
import math

import onnx
import torch
from torch import nn

D, HEADS, HIDDEN, SEQ, N_POS = 16, 2, 64, 4, 8


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: a linear layer with W[in][out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.randn(nx, nf) / math.sqrt(nx))
        self.bias = nn.Parameter(0.1 * torch.randn(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


def linear(nx, nf, conv1d):
    if conv1d:
        return Conv1D(nf, nx)
    lin = nn.Linear(nx, nf)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(nf, nx) / math.sqrt(nx))
        lin.bias.copy_(0.1 * torch.randn(nf))
    return lin


class NewGELUActivation(nn.Module):
    """transformers.activations.NewGELUActivation (GPT-2's "gelu_new")."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(d):
    ln = nn.LayerNorm(d, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.2 * torch.randn(d))
        ln.bias.copy_(0.1 * torch.randn(d))
    return ln


class Attention(nn.Module):
    def __init__(self, conv1d):
        super().__init__()
        self.register_buffer("bias", torch.tril(torch.ones((N_POS, N_POS), dtype=torch.bool)).view(1, 1, N_POS, N_POS))
        self.c_attn = linear(D, 3 * D, conv1d)
        self.c_proj = linear(D, D, conv1d)
        self.split_size, self.num_heads, self.head_dim = D, HEADS, D // HEADS

    def _split_heads(self, t):
        t = t.view(t.size()[:-1] + (self.num_heads, self.head_dim))
        return t.permute(0, 2, 1, 3)

    def _merge_heads(self, t):
        t = t.permute(0, 2, 1, 3).contiguous()
        return t.view(t.size()[:-2] + (self.num_heads * self.head_dim,))

    def forward(self, x):
        query, key, value = self.c_attn(x).split(self.split_size, dim=2)
        query, key, value = self._split_heads(query), self._split_heads(key), self._split_heads(value)
        w = torch.matmul(query, key.transpose(-1, -2))
        w = w / torch.full([], value.size(-1) ** 0.5, dtype=w.dtype, device=w.device)
        q_len, k_len = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, k_len - q_len:k_len, :k_len]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype, device=w.device)
        w = torch.where(causal_mask, w.to(w.dtype), mask_value)
        w = nn.functional.softmax(w, dim=-1)
        return self.c_proj(self._merge_heads(torch.matmul(w, value)))


class MLP(nn.Module):
    def __init__(self, conv1d, gelu):
        super().__init__()
        self.c_fc = linear(D, HIDDEN, conv1d)
        self.c_proj = linear(HIDDEN, D, conv1d)
        self.act = {"tanh": NewGELUActivation(), "erf": nn.GELU(), "torch_tanh": nn.GELU(approximate="tanh")}[gelu]

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, conv1d, gelu):
        super().__init__()
        self.ln_1, self.attn = layer_norm(D), Attention(conv1d)
        self.ln_2, self.mlp = layer_norm(D), MLP(conv1d, gelu)

    def forward(self, x):
        x = self.attn(self.ln_1(x)) + x
        return x + self.mlp(self.ln_2(x))


class GPT2Stack(nn.Module):
    def __init__(self, n_layer, conv1d, gelu, ln_f):
        super().__init__()
        self.h = nn.ModuleList([Block(conv1d, gelu) for _ in range(n_layer)])
        self.ln_f = layer_norm(D) if ln_f else None

    def forward(self, x):
        for b in self.h:
            x = b(x)
        return self.ln_f(x) if self.ln_f is not None else x


class FFN(nn.Module):
    def __init__(self, act=torch.relu):
        super().__init__()
        self.fc1, self.fc2 = linear(D, HIDDEN, False), linear(HIDDEN, D, False)
        self.act = act

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class NoMaskAttention(Attention):
    """Attention without the causal mask: not a GPT-2 block."""

    def forward(self, x):
        query, key, value = self.c_attn(x).split(self.split_size, dim=2)
        query, key, value = self._split_heads(query), self._split_heads(key), self._split_heads(value)
        w = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.head_dim)
        return self.c_proj(self._merge_heads(torch.matmul(nn.functional.softmax(w, dim=-1), value)))


def no_mask_stack():
    m = GPT2Stack(1, True, "tanh", True)
    old = m.h[0].attn
    m.h[0].attn = NoMaskAttention(True)
    m.h[0].attn.load_state_dict(old.state_dict())
    return m


# name: (seed, module factory, opset, dynamic sequence axis)
MODELS = {
    "ffn_op13_dyn.onnx": (0, lambda: FFN(), 13, True),
    "gpt2_conv1d_tanh_op13_dyn.onnx": (1, lambda: GPT2Stack(1, True, "tanh", True), 13, True),
    "gpt2_conv1d_tanh_op14.onnx": (2, lambda: GPT2Stack(2, True, "tanh", True), 14, False),
    "gpt2_linear_erf_op17_dyn.onnx": (3, lambda: GPT2Stack(2, False, "erf", False), 17, True),
    # nn.GELU(approximate="tanh") is the tanh form too, exported decomposed.
    "gpt2_linear_torchtanh_op13.onnx": (4, lambda: GPT2Stack(1, False, "torch_tanh", True), 13, False),
}

# Exports the importer must reject, with the reason (see quant/onnx/torch_test.go).
REJECTED = {
    "rejected_silu_op13.onnx": (5, lambda: FFN(nn.functional.silu), 13),
    "rejected_nomask_op14.onnx": (6, no_mask_stack, 14),
}


def main():
    outputs = {"torch": torch.__version__, "onnx": onnx.__version__, "models": {}}
    for name, (seed, make, opset, dynamic) in sorted(MODELS.items()):
        torch.manual_seed(100 + seed)
        m = make().eval()
        x = torch.randn(1, SEQ, D)
        torch.onnx.export(m, (x,), name, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {1: "seq"}, "output": {1: "seq"}} if dynamic else None,
                          do_constant_folding=True)
        onnx.checker.check_model(onnx.load(name))
        runs = []
        for seq in ([SEQ, 6] if dynamic else [SEQ]):
            xi = x if seq == SEQ else torch.randn(1, seq, D)
            with torch.no_grad():
                y = m(xi)
            runs.append({"seq_len": seq, "input": [float(v) for v in xi.flatten()], "output": [float(v) for v in y.flatten()]})
        outputs["models"][name] = {"opset": opset, "dynamic": dynamic, "runs": runs}
    for name, (seed, make, opset) in sorted(REJECTED.items()):
        torch.manual_seed(100 + seed)
        torch.onnx.export(make().eval(), (torch.randn(1, SEQ, D),), name, opset_version=opset,
                          input_names=["input"], output_names=["output"], do_constant_folding=True)
    with open("torch_outputs.json", "w") as f:
        json.dump(outputs, f, indent=1)
        f.write("\n")
    # An input and calibration samples (seq 4) for the CLI script torchonnx.txt.
    torch.manual_seed(200)
    samples = [[round(float(v), 4) for v in torch.randn(SEQ * D)] for _ in range(9)]
    for name, data in (("input.json", samples[:1]), ("calibration.json", samples[1:])):
        with open(name, "w") as f:
            json.dump({"input_data": data}, f)
            f.write("\n")


if __name__ == "__main__":
    main()
