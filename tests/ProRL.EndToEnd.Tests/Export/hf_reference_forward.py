"""Reference forward pass of a Hugging Face decoder folder (config.json + model.safetensors) in numpy, float64.

usage: hf_reference_forward.py FOLDER TOKENS_JSON  ->  prints the logits [T, vocab] as JSON.
Written for the export test from transformers' Qwen2/Llama/Mistral/Qwen3 semantics (RMSNorm, rotate-half RoPE with
rope_theta, grouped-query causal attention, SwiGLU MLP, optional q/k norm per head, tied LM head); it reads only the
transformers names, so a wrong name, transpose, split or config value in the export changes the logits.
"""
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base, out = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, {"F32": np.float32, "F16": np.float16}[info["dtype"]])
        out[name] = arr.reshape(info["shape"]).astype(np.float64)
    return out


folder, ids = sys.argv[1], np.array(json.loads(sys.argv[2]))
cfg = json.load(open(folder + "/config.json"))
W = load_safetensors(folder + "/model.safetensors")
T, H = len(ids), cfg["hidden_size"]
nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
hd = cfg.get("head_dim") or H // nh
eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
window = cfg.get("sliding_window") if cfg.get("use_sliding_window", True) else None


def rms(x, w):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def linear(x, name):
    y = x @ W[name + ".weight"].T
    return y + W[name + ".bias"] if name + ".bias" in W else y


inv_freq = theta ** (-np.arange(0, hd, 2) / hd)
angles = np.outer(np.arange(T), inv_freq)
cos, sin = np.cos(np.concatenate([angles, angles], -1)), np.sin(np.concatenate([angles, angles], -1))


def rope(x):
    x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
    return x * cos + np.concatenate([-x2, x1], -1) * sin


mask = np.triu(np.ones((T, T), dtype=bool), 1)
if window:
    mask |= np.tril(np.ones((T, T), dtype=bool), -window)

x = W["model.embed_tokens.weight"][ids]
for i in range(cfg["num_hidden_layers"]):
    p = "model.layers.%d." % i
    h = rms(x, W[p + "input_layernorm.weight"])
    q = linear(h, p + "self_attn.q_proj").reshape(T, nh, hd).transpose(1, 0, 2)
    k = linear(h, p + "self_attn.k_proj").reshape(T, nkv, hd).transpose(1, 0, 2)
    v = linear(h, p + "self_attn.v_proj").reshape(T, nkv, hd).transpose(1, 0, 2)
    if p + "self_attn.q_norm.weight" in W:
        q, k = rms(q, W[p + "self_attn.q_norm.weight"]), rms(k, W[p + "self_attn.k_norm.weight"])
    q, k = rope(q), rope(k)
    k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
    s = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
    s[:, mask] = -np.inf
    s = np.exp(s - s.max(-1, keepdims=True))
    a = (s / s.sum(-1, keepdims=True)) @ v
    x = x + linear(a.transpose(1, 0, 2).reshape(T, nh * hd), p + "self_attn.o_proj")
    h = rms(x, W[p + "post_attention_layernorm.weight"])
    gate = linear(h, p + "mlp.gate_proj")
    x = x + linear(gate / (1 + np.exp(-gate)) * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
x = rms(x, W["model.norm.weight"])
head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
print(json.dumps((x @ head.T).tolist()))
