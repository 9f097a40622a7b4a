#!/usr/bin/env python3
"""Independent GPT-2 reference for the engine's golden tests.

Pure Python (standard library only), double precision, written straight from the GPT-2 paper
and nanoGPT's model.py; it shares no code with the Rust engine. It

  (a) makes a random GPT-2-shaped checkpoint with awkward sizes and writes it, as HF names it,
      to tiny/model.safetensors (f32), model.f16.safetensors, model.bf16.safetensors and
      model.prefixed.safetensors (`transformer.` names plus an explicit lm_head.weight equal to
      wte, i.e. tied), with tiny/config.json;
  (b) runs the model on a fixed token sequence and writes tiny/golden.json: the logits with the
      causal and the bidirectional mask, a full trace of each (per layer and head: q, k, v,
      scores, scaled, masked, weights, out; the residual stream after each sub-layer), and the
      steps from logits to next-token probabilities at temperature 0.8.

Every weight is a multiple of 1/256 (LayerNorm gains of 1/128) below 256 steps in size, so
f32, f16 and bf16 all store it exactly: the four checkpoints decode to identical numbers and
one golden file serves them all.

Run from anywhere: python3 tests/golden/reference.py
"""

import json
import math
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tiny")

CONFIG = {
    "model_type": "gpt2",
    "architectures": ["GPT2LMHeadModel"],
    "vocab_size": 67,  # V: not a multiple of any SIMD width
    "n_embd": 24,  # C
    "n_head": 3,  # NH, so HS = 8
    "n_layer": 2,
    "n_positions": 16,  # P
    "layer_norm_epsilon": 1e-5,
}
IDS = [5, 66, 0, 17, 17, 42, 3, 60, 9, 31, 64, 2, 50]  # T = 13 tokens, repeats included
TEMPERATURE = 0.8
SEED = 20240611


# --- weights --------------------------------------------------------------------------------

def representable(x, step):
    """Round to a multiple of `step` with at most 8 significant bits (exact in bf16 and f16)."""
    n = max(-255, min(255, round(x / step)))
    return n * step


def random_matrix(rng, rows, cols, std):
    return [[representable(rng.gauss(0.0, std), 1 / 256) for _ in range(cols)] for _ in range(rows)]


def random_vector(rng, n, mean, std, step=1 / 256):
    return [representable(mean + rng.gauss(0.0, std), step) for _ in range(n)]


def make_weights(rng):
    """HF GPT-2 names → nested lists; Linear weights are (in, out) like HF's Conv1D."""
    V, C, P = CONFIG["vocab_size"], CONFIG["n_embd"], CONFIG["n_positions"]
    w = {
        "wte.weight": random_matrix(rng, V, C, 0.3),
        "wpe.weight": random_matrix(rng, P, C, 0.1),
    }
    for i in range(CONFIG["n_layer"]):
        for ln in ("ln_1", "ln_2"):
            w[f"h.{i}.{ln}.weight"] = random_vector(rng, C, 1.0, 0.15, step=1 / 128)
            w[f"h.{i}.{ln}.bias"] = random_vector(rng, C, 0.0, 0.1)
        # Wider than GPT-2's 0.02 so that attention is far from uniform and every step matters.
        for name, (n_in, n_out) in {
            "attn.c_attn": (C, 3 * C),
            "attn.c_proj": (C, C),
            "mlp.c_fc": (C, 4 * C),
            "mlp.c_proj": (4 * C, C),
        }.items():
            w[f"h.{i}.{name}.weight"] = random_matrix(rng, n_in, n_out, 1.0 / math.sqrt(n_in))
            w[f"h.{i}.{name}.bias"] = random_vector(rng, n_out, 0.0, 0.1)
    w["ln_f.weight"] = random_vector(rng, C, 1.0, 0.15, step=1 / 128)
    w["ln_f.bias"] = random_vector(rng, C, 0.0, 0.1)
    return w


# --- safetensors, by hand: 8-byte LE header length, JSON header, raw LE data -----------------

def flatten(t):
    return [x for row in t for x in row] if isinstance(t[0], list) else list(t)


def shape_of(t):
    return [len(t), len(t[0])] if isinstance(t[0], list) else [len(t)]


def encode(values, dtype):
    if dtype == "F32":
        return struct.pack(f"<{len(values)}f", *values)
    if dtype == "F16":
        return struct.pack(f"<{len(values)}e", *values)
    if dtype == "BF16":  # the top half of the f32 bits (exact: values have ≤ 8 significant bits)
        bits = struct.unpack(f"<{len(values)}I", struct.pack(f"<{len(values)}f", *values))
        return struct.pack(f"<{len(values)}H", *(b >> 16 for b in bits))
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        data = encode(flatten(tensors[name]), dtype)
        header[name] = {"dtype": dtype, "shape": shape_of(tensors[name]), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


# --- the model, in double precision -----------------------------------------------------------

def matmul(x, w, b=None):
    """x: (M, K) · w: (K, N) + b: (N) → (M, N)"""
    n = len(w[0])
    out = []
    for row in x:
        acc = list(b) if b is not None else [0.0] * n
        for a, w_k in zip(row, w):
            for j in range(n):
                acc[j] += a * w_k[j]
        out.append(acc)
    return out


def layernorm(x, gamma, beta, eps):
    out = []
    for row in x:
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)  # biased, as GPT-2
        rstd = 1.0 / math.sqrt(var + eps)
        out.append([(v - mean) * rstd * g + b for v, g, b in zip(row, gamma, beta)])
    return out


def gelu(x):
    c = math.sqrt(2.0 / math.pi)
    return [[0.5 * v * (1.0 + math.tanh(c * (v + 0.044715 * v ** 3))) for v in row] for row in x]


def softmax(row):
    m = max(row)
    if m == -math.inf:
        return [0.0] * len(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def add(a, b):
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def attention(x, w, i, mask):
    """Returns (out (T, C), the recorded steps)."""
    C, NH = CONFIG["n_embd"], CONFIG["n_head"]
    HS = C // NH
    T = len(x)
    qkv = matmul(x, w[f"h.{i}.attn.c_attn.weight"], w[f"h.{i}.attn.c_attn.bias"])
    q = [r[:C] for r in qkv]
    k = [r[C:2 * C] for r in qkv]
    v = [r[2 * C:] for r in qkv]
    scores, scaled, masked, weights = [], [], [], []
    out = [[0.0] * C for _ in range(T)]
    for h in range(NH):
        cols = slice(h * HS, (h + 1) * HS)
        s_h = [[sum(a * b for a, b in zip(q[t][cols], k[j][cols])) for j in range(T)] for t in range(T)]
        sc_h = [[s / math.sqrt(HS) for s in row] for row in s_h]
        m_h = [[s if (mask == "bidirectional" or j <= t) else -math.inf for j, s in enumerate(row)]
               for t, row in enumerate(sc_h)]
        w_h = [softmax(row) for row in m_h]
        for t in range(T):
            for j in range(T):
                for d in range(HS):
                    out[t][h * HS + d] += w_h[t][j] * v[j][h * HS + d]
        scores.append(s_h)
        scaled.append(sc_h)
        masked.append(m_h)
        weights.append(w_h)
    steps = {"q": q, "k": k, "v": v, "scores": scores, "scaled": scaled, "masked": masked,
             "weights": weights, "out": out}
    return out, steps


def forward(w, ids, mask):
    eps = CONFIG["layer_norm_epsilon"]
    x = [[a + b for a, b in zip(w["wte.weight"][tok], w["wpe.weight"][pos])] for pos, tok in enumerate(ids)]
    trace = {"embeddings": x, "layers": []}
    for i in range(CONFIG["n_layer"]):
        ln_1 = layernorm(x, w[f"h.{i}.ln_1.weight"], w[f"h.{i}.ln_1.bias"], eps)
        att, steps = attention(ln_1, w, i, mask)
        x = add(x, matmul(att, w[f"h.{i}.attn.c_proj.weight"], w[f"h.{i}.attn.c_proj.bias"]))
        after_attention = x
        ln_2 = layernorm(x, w[f"h.{i}.ln_2.weight"], w[f"h.{i}.ln_2.bias"], eps)
        hidden = gelu(matmul(ln_2, w[f"h.{i}.mlp.c_fc.weight"], w[f"h.{i}.mlp.c_fc.bias"]))
        x = add(x, matmul(hidden, w[f"h.{i}.mlp.c_proj.weight"], w[f"h.{i}.mlp.c_proj.bias"]))
        trace["layers"].append({"ln_1": ln_1, "attention": steps, "after_attention": after_attention,
                                "after_mlp": x})
    final_norm = layernorm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    wte = w["wte.weight"]
    logits = [[sum(a * b for a, b in zip(row, wte_v)) for wte_v in wte] for row in final_norm]  # tied head
    trace["final_norm"] = final_norm
    trace["logits"] = logits
    return trace


def probability_steps(logits, temperature):
    """logit → logit / temperature → exp(· − max) → probability, for one position."""
    scaled = [v / temperature for v in logits]
    m = max(scaled)
    exp = [math.exp(v - m) for v in scaled]
    total = sum(exp)
    return {"temperature": temperature, "logits": logits, "scaled": scaled, "exp": exp,
            "probabilities": [e / total for e in exp]}


def json_safe(value):
    """JSON has no -∞: masked scores are written as null."""
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def main():
    os.makedirs(OUT, exist_ok=True)
    weights = make_weights(random.Random(SEED))

    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(OUT, "model.safetensors"), weights, "F32")
    write_safetensors(os.path.join(OUT, "model.f16.safetensors"), weights, "F16")
    write_safetensors(os.path.join(OUT, "model.bf16.safetensors"), weights, "BF16")
    prefixed = {f"transformer.{name}": t for name, t in weights.items()}
    prefixed["lm_head.weight"] = weights["wte.weight"]
    write_safetensors(os.path.join(OUT, "model.prefixed.safetensors"), prefixed, "F32")

    causal = forward(weights, IDS, "causal")
    bidirectional = forward(weights, IDS, "bidirectional")
    golden = {
        "about": "Written by tests/golden/reference.py (pure Python, float64). Do not edit by hand.",
        "ids": IDS,
        "causal": causal,
        "bidirectional": bidirectional,
        "sampling": probability_steps(causal["logits"][-1], TEMPERATURE),
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(json_safe(golden), f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
