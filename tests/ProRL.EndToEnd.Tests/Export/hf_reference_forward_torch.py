"""Reference forward pass of a Hugging Face decoder folder (config.json + model.safetensors) in PyTorch, float64.

usage: hf_reference_forward_torch.py FOLDER TOKENS_JSON  ->  prints the logits [T, vocab] as JSON.
The weights are loaded into torch tensors from the safetensors file (its header and byte layout, no other library) and
the decoder runs with torch operations, following transformers' Qwen2/Llama/Mistral/Qwen3 semantics: RMSNorm,
rotate-half RoPE with rope_theta, grouped-query causal attention (sliding window when configured), SwiGLU MLP,
optional per-head q/k norm, tied LM head. It reads only the transformers names.
"""
import json
import struct
import sys

import torch

DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}  # torch 1.13 has no dtype.itemsize


def load_safetensors(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(bytes(data[8:8 + n]))
    base, out = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype, size = DTYPES[info["dtype"]]
        tensor = torch.frombuffer(data, dtype=dtype, count=(end - begin) // size, offset=base + begin)
        out[name] = tensor.reshape(info["shape"]).to(torch.float64)
    return out


torch.set_grad_enabled(False)
folder, ids = sys.argv[1], torch.tensor(json.loads(sys.argv[2]))
cfg = json.load(open(folder + "/config.json"))
W = load_safetensors(folder + "/model.safetensors")
T, H = len(ids), cfg["hidden_size"]
nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
hd = cfg.get("head_dim") or H // nh
eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
window = cfg.get("sliding_window") if cfg.get("use_sliding_window", True) else None


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def linear(x, name):
    return torch.nn.functional.linear(x, W[name + ".weight"], W.get(name + ".bias"))


inv_freq = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
angles = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
cos, sin = torch.cat([angles, angles], -1).cos(), torch.cat([angles, angles], -1).sin()


def rope(x):
    x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
if window:
    allowed &= torch.triu(torch.ones(T, T, dtype=torch.bool), -window + 1)

x = torch.nn.functional.embedding(ids, W["model.embed_tokens.weight"])
for i in range(cfg["num_hidden_layers"]):
    p = "model.layers.%d." % i
    h = rms(x, W[p + "input_layernorm.weight"])
    q = linear(h, p + "self_attn.q_proj").view(T, nh, hd).transpose(0, 1)
    k = linear(h, p + "self_attn.k_proj").view(T, nkv, hd).transpose(0, 1)
    v = linear(h, p + "self_attn.v_proj").view(T, nkv, hd).transpose(0, 1)
    if p + "self_attn.q_norm.weight" in W:
        q, k = rms(q, W[p + "self_attn.q_norm.weight"]), rms(k, W[p + "self_attn.k_norm.weight"])
    q, k = rope(q), rope(k)
    k, v = k.repeat_interleave(nh // nkv, 0), v.repeat_interleave(nh // nkv, 0)
    scores = (q @ k.transpose(1, 2)) / hd ** 0.5
    probs = torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1)
    x = x + linear((probs @ v).transpose(0, 1).reshape(T, nh * hd), p + "self_attn.o_proj")
    h = rms(x, W[p + "post_attention_layernorm.weight"])
    x = x + linear(torch.nn.functional.silu(linear(h, p + "mlp.gate_proj")) * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
x = rms(x, W["model.norm.weight"])
head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
print(json.dumps((x @ head.T).tolist()))
