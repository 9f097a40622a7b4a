#!/usr/bin/env python3
"""Independent GRU reference for the recurrent net's golden test (crate/tests/rnn.rs).

Pure Python (standard library only), double precision, written from the GRU's equations
(Cho et al. 2014, with the reset gate on the recurrent product as in cuDNN / PyTorch's nn.GRU);
it shares no code with the Rust engine (only the safetensors writer of reference.py). It

  (a) makes a random GRU-shaped checkpoint with awkward sizes and writes it to
      tiny-rnn/model.safetensors (f32) with tiny-rnn/config.json;
  (b) runs it on a fixed token sequence and writes tiny-rnn/golden.json: every hidden state,
      the logits after every token, and the influence of each token on the next-token
      distribution (total variation after replacing it by token NEUTRAL), the lessons'
      chapter 3 measure.

Weights are multiples of 1/256 (exact in f32). Run from anywhere: python3 tests/golden/reference_rnn.py
"""

import json
import math
import os
import random

from reference import matmul, representable, softmax, write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tiny-rnn")

CONFIG = {"architecture": "gru", "vocab_size": 23, "n_embd": 7, "n_hidden": 9}
IDS = [3, 22, 0, 5, 5, 17, 1, 9, 14, 2, 20]  # T = 11, repeats included
NEUTRAL = 1  # replaces each token in turn; IDS holds it once (its influence must be 0)
SEED = 20261201


def rand_matrix(rng, rows, cols, std):
    return [[representable(rng.gauss(0.0, std), 1 / 256) for _ in range(cols)] for _ in range(rows)]


def rand_vector(rng, n, std):
    return [representable(rng.gauss(0.0, std), 1 / 256) for _ in range(n)]


def make_weights(rng):
    V, E, H = CONFIG["vocab_size"], CONFIG["n_embd"], CONFIG["n_hidden"]
    return {
        "wte.weight": rand_matrix(rng, V, E, 0.5),
        "gru.weight_x": rand_matrix(rng, E, 3 * H, 1.0 / math.sqrt(E)),
        "gru.bias_x": rand_vector(rng, 3 * H, 0.2),
        "gru.weight_h": rand_matrix(rng, H, 3 * H, 1.0 / math.sqrt(H)),
        "gru.bias_h": rand_vector(rng, 3 * H, 0.2),
        "proj.weight": rand_matrix(rng, H, E, 1.0 / math.sqrt(H)),
        "proj.bias": rand_vector(rng, E, 0.2),
    }


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def forward(w, ids):
    """Hidden states h_1 … h_T and the logits after each token."""
    H = CONFIG["n_hidden"]
    h = [0.0] * H
    states, logits = [], []
    for token in ids:
        x = w["wte.weight"][token]
        gx = matmul([x], w["gru.weight_x"], w["gru.bias_x"])[0]  # (3H): z | r | n
        gh = matmul([h], w["gru.weight_h"], w["gru.bias_h"])[0]
        z = [sigmoid(gx[i] + gh[i]) for i in range(H)]
        r = [sigmoid(gx[H + i] + gh[H + i]) for i in range(H)]
        n = [math.tanh(gx[2 * H + i] + r[i] * gh[2 * H + i]) for i in range(H)]
        h = [(1.0 - z[i]) * n[i] + z[i] * h[i] for i in range(H)]
        y = matmul([h], w["proj.weight"], w["proj.bias"])[0]  # (E)
        logits.append([sum(a * b for a, b in zip(y, row)) for row in w["wte.weight"]])  # tied head
        states.append(h)
    return states, logits


def influence(w, ids):
    """½ Σ |p − p′| for each position replaced by NEUTRAL, p after the last token."""
    p = softmax(forward(w, ids)[1][-1])
    out = []
    for j in range(len(ids)):
        replaced = list(ids)
        replaced[j] = NEUTRAL
        q = softmax(forward(w, replaced)[1][-1])
        out.append(0.5 * sum(abs(a - b) for a, b in zip(p, q)))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    weights = make_weights(random.Random(SEED))
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(OUT, "model.safetensors"), weights, "F32")
    states, logits = forward(weights, IDS)
    golden = {
        "about": "Written by tests/golden/reference_rnn.py (pure Python, float64). Do not edit by hand.",
        "ids": IDS,
        "neutral": NEUTRAL,
        "hidden": states,
        "logits": logits,
        "influence": influence(weights, IDS),
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
