#!/usr/bin/env python3
"""Writes the tiny Hugging Face checkpoints that quant/hf's language-model
tests import (issue 15): a directory per model with config.json and
model.safetensors laid out as transformers saves them, and logits.json with
torch's float logits for a fixed token sequence.

transformers and safetensors are not installed offline, so the modules are
written here in the layout of transformers' GPT2LMHeadModel and
LlamaForCausalLM (the same tensor names, shapes and forward pass), and
model.safetensors is written by hand: an 8-byte little-endian header
length, the JSON header (tensor names sorted, "__metadata__" first, padded
with spaces to a multiple of 8 as safetensors does), then the raw
little-endian tensor data in header order. Made with Debian bookworm's
python3-torch 1.13 on CPU; seeds are fixed, so running it again rewrites
the same bytes:

    cd testdata/hf && /usr/bin/python3 make_lm.py

  - gpt2/: model_type "gpt2", vocabulary 64, n_embd 16, 2 heads, 2 blocks,
    16 positions, gelu_new; F32; tensor names without the "transformer."
    prefix (as the hub's gpt2 checkpoint), with the h.N.attn.bias causal
    mask buffers and no lm_head.weight (tied to wte).
  - llama/: model_type "llama", vocabulary 64, hidden 16, 4 query heads,
    2 key/value heads (GQA), head_dim 4, intermediate 32 (SwiGLU), 2
    layers, rms_norm_eps 1e-5, rope_theta 1000, untied lm_head; BF16
    (torch runs the forward pass in float32 on the BF16-rounded weights).
  - mistral/: model_type "mistral", the Llama layout with 1 layer,
    sliding_window 4096, tie_word_embeddings true (no lm_head.weight);
    F16.
  - gpt2_var/, llama_var/: every option the import reads set away from
    its default (see gpt2_var and llama_var below), for the adversarial
    review's TestLMOptionsMatchTorch.

logits.json: {"ids": [T ids], "logits": [T·V floats, row-major]}.
"""

import json
import math
import os
import struct
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
IDS = [3, 14, 15, 9, 26, 53, 58, 9]
V = 64

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def write_safetensors(path, tensors, dtype):
    """tensors: name → float32 tensor, written in dtype (a key of DTYPES)."""
    assert sys.byteorder == "little"
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(DTYPES[dtype]).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype != "F32" else t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rounded(tensors, dtype):
    """The weights as the checkpoint holds them, back in float32."""
    return {k: v.detach().to(DTYPES[dtype]).to(torch.float32) for k, v in tensors.items()}


def save(name, config, tensors, dtype, forward):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"), tensors, dtype)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    with torch.no_grad():
        logits = forward(rounded(tensors, dtype), torch.tensor([IDS]))
    with open(os.path.join(d, "logits.json"), "w") as f:
        json.dump({"ids": IDS, "logits": [round(float(v), 6) for v in logits.flatten()]}, f)
        f.write("\n")


def randn(*shape, scale=1.0):
    return scale * torch.randn(*shape)


def causal_softmax(att):
    t = att.shape[-1]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    att = att.masked_fill(~mask, torch.finfo(att.dtype).min)
    return torch.softmax(att, dim=-1)


# --- GPT-2 (GPT2LMHeadModel) --------------------------------------------------

def gpt2():
    torch.manual_seed(1510)
    D, H, L, P = 16, 2, 2, 16
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V, "n_embd": D, "n_head": H,
           "n_layer": L, "n_positions": P, "n_ctx": P, "n_inner": None, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "torch_dtype": "float32"}
    w = {"wte.weight": randn(V, D, scale=0.5), "wpe.weight": randn(P, D, scale=0.2)}
    for i in range(L):
        p = "h.%d." % i
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"] = 1 + randn(D, scale=0.1)
            w[p + ln + ".bias"] = randn(D, scale=0.05)
        # Conv1D: weight [in, out].
        for name, (nx, nf) in (("attn.c_attn", (D, 3 * D)), ("attn.c_proj", (D, D)),
                               ("mlp.c_fc", (D, 4 * D)), ("mlp.c_proj", (4 * D, D))):
            w[p + name + ".weight"] = randn(nx, nf, scale=1 / math.sqrt(nx))
            w[p + name + ".bias"] = randn(nf, scale=0.05)
        w[p + "attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)  # the mask buffer
    w["ln_f.weight"] = 1 + randn(D, scale=0.1)
    w["ln_f.bias"] = randn(D, scale=0.05)

    def gelu_new(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    def forward(w, ids):
        def ln(x, p):
            return nn.functional.layer_norm(x, (D,), w[p + ".weight"], w[p + ".bias"], 1e-5)

        T = ids.shape[1]
        x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(T)]
        for i in range(L):
            p = "h.%d." % i
            a = ln(x, p + "ln_1")
            q, k, v = (a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]).split(D, dim=2)
            q, k, v = (t.view(1, T, H, D // H).transpose(1, 2) for t in (q, k, v))
            att = causal_softmax(q @ k.transpose(-1, -2) / math.sqrt(D // H))
            y = (att @ v).transpose(1, 2).reshape(1, T, D)
            x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            m = ln(x, p + "ln_2")
            m = gelu_new(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
            x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        return ln(x, "ln_f") @ w["wte.weight"].T

    save("gpt2", cfg, w, "F32", forward)


# --- Llama / Mistral (LlamaForCausalLM, MistralForCausalLM) --------------------

def llama(name, model_type, seed, dtype, layers, tied, extra):
    torch.manual_seed(seed)
    D, H, KV, HD, FF, EPS, THETA = 16, 4, 2, 4, 32, 1e-5, 1000.0
    cfg = {"architectures": [model_type.capitalize() + "ForCausalLM"], "model_type": model_type, "vocab_size": V,
           "hidden_size": D, "intermediate_size": FF, "num_attention_heads": H, "num_key_value_heads": KV,
           "num_hidden_layers": layers, "max_position_embeddings": 64, "rms_norm_eps": EPS, "rope_theta": THETA,
           "hidden_act": "silu", "tie_word_embeddings": tied, "rope_scaling": None, "attention_bias": False,
           "torch_dtype": {"BF16": "bfloat16", "F16": "float16"}[dtype]}
    cfg.update(extra)
    w = {"model.embed_tokens.weight": randn(V, D, scale=0.5)}
    for i in range(layers):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = 1 + randn(D, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + randn(D, scale=0.1)
        # nn.Linear: weight [out, in].
        for n, (nx, nf) in (("self_attn.q_proj", (D, H * HD)), ("self_attn.k_proj", (D, KV * HD)),
                            ("self_attn.v_proj", (D, KV * HD)), ("self_attn.o_proj", (H * HD, D)),
                            ("mlp.gate_proj", (D, FF)), ("mlp.up_proj", (D, FF)), ("mlp.down_proj", (FF, D))):
            w[p + n + ".weight"] = randn(nf, nx, scale=1 / math.sqrt(nx))
    w["model.norm.weight"] = 1 + randn(D, scale=0.1)
    if not tied:
        w["lm_head.weight"] = randn(V, D, scale=1 / math.sqrt(D))

    def rms(x, g):
        return g * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

    def rotate_half(x):
        return torch.cat((-x[..., HD // 2:], x[..., :HD // 2]), dim=-1)

    def forward(w, ids):
        T = ids.shape[1]
        inv_freq = 1.0 / (THETA ** (torch.arange(0, HD, 2).float() / HD))
        freqs = torch.outer(torch.arange(T).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x = w["model.embed_tokens.weight"][ids]
        for i in range(layers):
            p = "model.layers.%d." % i
            a = rms(x, w[p + "input_layernorm.weight"])
            q = (a @ w[p + "self_attn.q_proj.weight"].T).view(1, T, H, HD).transpose(1, 2)
            k = (a @ w[p + "self_attn.k_proj.weight"].T).view(1, T, KV, HD).transpose(1, 2)
            v = (a @ w[p + "self_attn.v_proj.weight"].T).view(1, T, KV, HD).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)  # repeat_kv
            att = causal_softmax(q @ k.transpose(2, 3) / math.sqrt(HD))
            y = (att @ v).transpose(1, 2).reshape(1, T, H * HD)
            x = x + y @ w[p + "self_attn.o_proj.weight"].T
            m = rms(x, w[p + "post_attention_layernorm.weight"])
            g = nn.functional.silu(m @ w[p + "mlp.gate_proj.weight"].T) * (m @ w[p + "mlp.up_proj.weight"].T)
            x = x + g @ w[p + "mlp.down_proj.weight"].T
        head = w["model.embed_tokens.weight"] if tied else w["lm_head.weight"]
        return rms(x, w["model.norm.weight"]) @ head.T

    save(name, cfg, w, dtype, forward)


# --- Config options beyond the defaults (the adversarial review) -------------

def gpt2_var():
    """GPT2LMHeadModel with every option the import reads set away from its
    default: "transformer." names, scale_attn_weights false with
    scale_attn_by_inverse_layer_idx (attention scale 1/(layer+1)), the exact
    GELU ("gelu"), n_inner 24, layer_norm_epsilon 1e-3, an untied
    lm_head.weight; BF16."""
    torch.manual_seed(1513)
    D, H, L, P, FF, EPS = 16, 4, 2, 16, 24, 1e-3
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V, "n_embd": D, "n_head": H,
           "n_layer": L, "n_positions": P, "n_inner": FF, "activation_function": "gelu", "layer_norm_epsilon": EPS,
           "scale_attn_weights": False, "scale_attn_by_inverse_layer_idx": True, "tie_word_embeddings": False,
           "torch_dtype": "bfloat16"}
    w = {"transformer.wte.weight": randn(V, D, scale=0.5), "transformer.wpe.weight": randn(P, D, scale=0.2)}
    for i in range(L):
        p = "transformer.h.%d." % i
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"] = 1 + randn(D, scale=0.1)
            w[p + ln + ".bias"] = randn(D, scale=0.05)
        for name, (nx, nf) in (("attn.c_attn", (D, 3 * D)), ("attn.c_proj", (D, D)),
                               ("mlp.c_fc", (D, FF)), ("mlp.c_proj", (FF, D))):
            w[p + name + ".weight"] = randn(nx, nf, scale=0.5 / math.sqrt(nx))
            w[p + name + ".bias"] = randn(nf, scale=0.05)
    w["transformer.ln_f.weight"] = 1 + randn(D, scale=0.1)
    w["transformer.ln_f.bias"] = randn(D, scale=0.05)
    w["lm_head.weight"] = randn(V, D, scale=1 / math.sqrt(D))

    def forward(w, ids):
        def ln(x, p):
            return nn.functional.layer_norm(x, (D,), w[p + ".weight"], w[p + ".bias"], EPS)

        T = ids.shape[1]
        x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][torch.arange(T)]
        for i in range(L):
            p = "transformer.h.%d." % i
            a = ln(x, p + "ln_1")
            q, k, v = (a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]).split(D, dim=2)
            q, k, v = (t.view(1, T, H, D // H).transpose(1, 2) for t in (q, k, v))
            # GPT2Attention._attn: no 1/sqrt(head_dim), then / (layer_idx + 1).
            att = causal_softmax(q @ k.transpose(-1, -2) / float(i + 1))
            y = (att @ v).transpose(1, 2).reshape(1, T, D)
            x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            m = ln(x, p + "ln_2")
            m = nn.functional.gelu(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
            x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        return ln(x, "transformer.ln_f") @ w["lm_head.weight"].T

    save("gpt2_var", cfg, w, "BF16", forward)


def llama_var():
    """LlamaForCausalLM with head_dim 8 given (4 heads · 8 = 32 ≠ hidden 16),
    one key/value head (multi-query), attention_bias and mlp_bias,
    rope_theta and rms_norm_eps left to their defaults (10000, 1e-6),
    hidden_act "swish", tied head; F32."""
    torch.manual_seed(1514)
    D, H, KV, HD, FF, EPS, THETA, L = 16, 4, 1, 8, 24, 1e-6, 10000.0, 2
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": V, "hidden_size": D,
           "intermediate_size": FF, "num_attention_heads": H, "num_key_value_heads": KV, "head_dim": HD,
           "num_hidden_layers": L, "max_position_embeddings": 32, "hidden_act": "swish",
           "tie_word_embeddings": True, "attention_bias": True, "mlp_bias": True, "torch_dtype": "float32"}
    w = {"model.embed_tokens.weight": randn(V, D, scale=0.5)}
    for i in range(L):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = 1 + randn(D, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + randn(D, scale=0.1)
        for n, (nx, nf) in (("self_attn.q_proj", (D, H * HD)), ("self_attn.k_proj", (D, KV * HD)),
                            ("self_attn.v_proj", (D, KV * HD)), ("self_attn.o_proj", (H * HD, D)),
                            ("mlp.gate_proj", (D, FF)), ("mlp.up_proj", (D, FF)), ("mlp.down_proj", (FF, D))):
            w[p + n + ".weight"] = randn(nf, nx, scale=1 / math.sqrt(nx))
            w[p + n + ".bias"] = randn(nf, scale=0.1)
    w["model.norm.weight"] = 1 + randn(D, scale=0.1)

    def rms(x, g):
        return g * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

    def rotate_half(x):
        return torch.cat((-x[..., HD // 2:], x[..., :HD // 2]), dim=-1)

    def lin(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def forward(w_, ids):
        T = ids.shape[1]
        inv_freq = 1.0 / (THETA ** (torch.arange(0, HD, 2).float() / HD))
        freqs = torch.outer(torch.arange(T).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x = w_["model.embed_tokens.weight"][ids]
        for i in range(L):
            p = "model.layers.%d." % i
            a = rms(x, w_[p + "input_layernorm.weight"])
            q = lin(a, p + "self_attn.q_proj").view(1, T, H, HD).transpose(1, 2)
            k = lin(a, p + "self_attn.k_proj").view(1, T, KV, HD).transpose(1, 2)
            v = lin(a, p + "self_attn.v_proj").view(1, T, KV, HD).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
            att = causal_softmax(q @ k.transpose(2, 3) / math.sqrt(HD))
            y = (att @ v).transpose(1, 2).reshape(1, T, H * HD)
            x = x + lin(y, p + "self_attn.o_proj")
            m = rms(x, w_[p + "post_attention_layernorm.weight"])
            g = nn.functional.silu(lin(m, p + "mlp.gate_proj")) * lin(m, p + "mlp.up_proj")
            x = x + lin(g, p + "mlp.down_proj")
        return rms(x, w_["model.norm.weight"]) @ w_["model.embed_tokens.weight"].T

    save("llama_var", cfg, w, "F32", forward)


def main():
    gpt2()
    llama("llama", "llama", 1511, "BF16", 2, False, {})
    llama("mistral", "mistral", 1512, "F16", 1, True, {"sliding_window": 4096})
    gpt2_var()
    llama_var()


if __name__ == "__main__":
    main()
