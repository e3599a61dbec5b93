#!/usr/bin/env python3
"""Writes the tiny language-model exports that quant/onnx's LM tests import
(issue 15): token ids in, logits (or a pooled classification) out.

Made with Debian bookworm's python3-torch 1.13.1 and python3-onnx 1.12.0,
on CPU, float32; seeds are fixed, so running it again rewrites the same
bytes:

    cd testdata/onnx/lm && /usr/bin/python3 export_lm.py

  - nanogpt_op14.onnx: nanoGPT (karpathy/nanoGPT model.py, eager
    attention): int64 ids [1, T] → wte/wpe Gather (positions from
    torch.arange) → 2 pre-LN causal blocks (fused c_attn, the causal mask
    filled with −1e4 by masked_fill) → ln_f → tied lm_head → logits [1, T, V].
    The sequence axis is dynamic ("seq"): --seq-len picks T.
  - llama_op14.onnx: a Llama-style decoder (transformers' LlamaDecoderLayer,
    eager): RMSNorm written out (pow, mean, rsqrt), rotary embeddings
    (constant cos/sin tables sliced to T, rotate_half), grouped-query
    attention (4 query heads, 2 KV heads, repeat_kv by expand/reshape),
    SwiGLU MLP (SiLU(gate)·up → down), no biases, untied lm_head.
  - bert_op14.onnx: a BERT-style encoder (BertLayer): word + position +
    token-type embeddings (two int64 inputs), post-LN, bidirectional
    attention with separate Q/K/V projections and biases, GELU (erf) MLP,
    mean-pool over positions → dense → tanh → a 2-class classifier.

NAME.input.json holds one sample in zkinfer's input-file form (one
flattened array per input for several inputs) at the export's length, and
torch's float outputs for it (output_data) for the tests' accuracy checks.
"""

import json
import math
import os

import onnx
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
V, D, T, BLOCK = 64, 16, 8, 16


def lin(nx, nf, bias=True, scale=1.0):
    m = nn.Linear(nx, nf, bias=bias)
    with torch.no_grad():
        m.weight.copy_(scale * torch.randn(nf, nx) / math.sqrt(nx))
        if bias:
            m.bias.copy_(0.05 * torch.randn(nf))
    return m


def layer_norm(d):
    ln = nn.LayerNorm(d, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.1 * torch.randn(d))
        ln.bias.copy_(0.05 * torch.randn(d))
    return ln


# --- nanoGPT -----------------------------------------------------------------

class CausalSelfAttention(nn.Module):
    def __init__(self, n_head):
        super().__init__()
        self.c_attn, self.c_proj = lin(D, 3 * D), lin(D, D)
        self.n_head = n_head
        self.register_buffer("bias", torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK))

    def forward(self, x):
        B, T_, C = x.size()
        q, k, v = self.c_attn(x).split(D, dim=2)
        k = k.view(B, T_, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T_, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T_, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T_, :T_] == 0, -1e4)
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T_, C)
        return self.c_proj(y)


class GPTMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc, self.c_proj, self.gelu = lin(D, 4 * D), lin(4 * D, D), nn.GELU()

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class GPTBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn, self.ln_2, self.mlp = layer_norm(D), CausalSelfAttention(2), layer_norm(D), GPTMLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class NanoGPT(nn.Module):
    def __init__(self, n_layer=2):
        super().__init__()
        self.wte = nn.Embedding(V, D)
        self.wpe = nn.Embedding(BLOCK, D)
        with torch.no_grad():
            self.wte.weight.copy_(0.5 * torch.randn(V, D))
            self.wpe.weight.copy_(0.2 * torch.randn(BLOCK, D))
        self.h = nn.ModuleList([GPTBlock() for _ in range(n_layer)])
        self.ln_f = layer_norm(D)
        self.lm_head = nn.Linear(D, V, bias=False)
        self.lm_head.weight = self.wte.weight  # tied

    def forward(self, idx):
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


# --- Llama ---------------------------------------------------------------------

LH, LKV, LHD, LFF = 4, 2, 4, 32


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj, self.k_proj = lin(D, LH * LHD, False), lin(D, LKV * LHD, False)
        self.v_proj, self.o_proj = lin(D, LKV * LHD, False), lin(LH * LHD, D, False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, LHD, 2).float() / LHD))
        freqs = torch.outer(torch.arange(BLOCK).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos())
        self.register_buffer("sin_cached", emb.sin())
        self.register_buffer("mask", torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK))

    def forward(self, x):
        B, T_, _ = x.size()
        q = self.q_proj(x).view(B, T_, LH, LHD).transpose(1, 2)
        k = self.k_proj(x).view(B, T_, LKV, LHD).transpose(1, 2)
        v = self.v_proj(x).view(B, T_, LKV, LHD).transpose(1, 2)
        cos, sin = self.cos_cached[:T_], self.sin_cached[:T_]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        n_rep = LH // LKV  # repeat_kv
        k = k[:, :, None, :, :].expand(B, LKV, n_rep, T_, LHD).reshape(B, LH, T_, LHD)
        v = v[:, :, None, :, :].expand(B, LKV, n_rep, T_, LHD).reshape(B, LH, T_, LHD)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(LHD)
        att = att.masked_fill(self.mask[:, :, :T_, :T_] == 0, -1e4)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T_, LH * LHD)
        return self.o_proj(y)


class LlamaMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj, self.up_proj, self.down_proj = lin(D, LFF, False), lin(D, LFF, False), lin(LFF, D, False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm, self.self_attn = RMSNorm(D), LlamaAttention()
        self.post_attention_layernorm, self.mlp = RMSNorm(D), LlamaMLP()

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, n_layer=1):
        super().__init__()
        self.embed_tokens = nn.Embedding(V, D)
        with torch.no_grad():
            self.embed_tokens.weight.copy_(0.5 * torch.randn(V, D))
        self.layers = nn.ModuleList([LlamaLayer() for _ in range(n_layer)])
        self.norm = RMSNorm(D)
        self.lm_head = lin(D, V, False)

    def forward(self, idx):
        x = self.embed_tokens(idx)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm(x))


# --- BERT ----------------------------------------------------------------------

BH = 2


class BertLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = lin(D, D), lin(D, D), lin(D, D)
        self.attn_out, self.attn_ln = lin(D, D), layer_norm(D)
        self.intermediate, self.output, self.out_ln = lin(D, 4 * D), lin(4 * D, D), layer_norm(D)

    def heads(self, t):
        B, T_, _ = t.size()
        return t.view(B, T_, BH, D // BH).permute(0, 2, 1, 3)

    def forward(self, x):
        B, T_, _ = x.size()
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D // BH)
        att = torch.softmax(att, dim=-1)
        ctx = torch.matmul(att, v).permute(0, 2, 1, 3).contiguous().view(B, T_, D)
        x = self.attn_ln(self.attn_out(ctx) + x)
        return self.out_ln(self.output(nn.functional.gelu(self.intermediate(x))) + x)


class Bert(nn.Module):
    def __init__(self, n_layer=1):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, D)
        self.position_embeddings = nn.Embedding(BLOCK, D)
        self.token_type_embeddings = nn.Embedding(2, D)
        with torch.no_grad():
            for e, s in ((self.word_embeddings, 0.5), (self.position_embeddings, 0.2), (self.token_type_embeddings, 0.2)):
                e.weight.copy_(s * torch.randn(*e.weight.shape))
        self.emb_ln = layer_norm(D)
        self.layers = nn.ModuleList([BertLayer() for _ in range(n_layer)])
        self.pool, self.classifier = lin(D, D), lin(D, 2)

    def forward(self, input_ids, token_type_ids):
        t = input_ids.size(1)
        pos = torch.arange(0, t, dtype=torch.long, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        x = self.emb_ln(x)
        for layer in self.layers:
            x = layer(x)
        return self.classifier(torch.tanh(self.pool(x.mean(dim=1))))


def export(name, m, args, input_names, output_names, dynamic):
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(m, args, path, opset_version=14, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    with torch.no_grad():
        y = m(*args)
    sample = {"input_data": [[int(v) for v in a.flatten()] for a in args],
              "output_data": [[round(float(v), 6) for v in y.flatten()]]}
    with open(os.path.join(HERE, name + ".input.json"), "w") as f:
        json.dump(sample, f)
        f.write("\n")


def main():
    torch.manual_seed(1500)
    m = NanoGPT().eval()
    ids = torch.randint(0, V, (1, T))
    export("nanogpt_op14", m, (ids,), ["ids"], ["logits"], {"ids": {1: "seq"}, "logits": {1: "seq"}})

    torch.manual_seed(1501)
    m = Llama().eval()
    ids = torch.randint(0, V, (1, T))
    export("llama_op14", m, (ids,), ["ids"], ["logits"], {"ids": {1: "seq"}, "logits": {1: "seq"}})

    torch.manual_seed(1502)
    m = Bert().eval()
    ids = torch.randint(0, V, (1, T))
    tt = torch.cat([torch.zeros(1, T // 2, dtype=torch.long), torch.ones(1, T - T // 2, dtype=torch.long)], dim=1)
    export("bert_op14", m, (ids, tt), ["input_ids", "token_type_ids"], ["logits"], None)


if __name__ == "__main__":
    main()
