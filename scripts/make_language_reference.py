"""PyTorch reference values for Valley's character-level language model.

Writes tests/data/torch_ref/language.json (run from anywhere; needs torch and numpy):

    python scripts/make_language_reference.py

The model is scripts/char_model.py's CharModel (embedding -> reshape -> MLP -> logits,
F.cross_entropy mean). Each case is written twice, "f32" and "f64", with the same
parameters: PyTorch default init in float32 after torch.manual_seed(seed), then widened
exactly to float64 for the f64 case. Context and target ids come from
numpy.random.default_rng(seed). Each dtype's values are computed in that dtype (one thread).

JSON layout:
  {"torch_version": str, "cases": [{"name", "dtype", "vocab", "context", "embed", "hidden",
   "activation", "contexts" [n][k], "targets" [n], "params" (flat, state_dict order),
   "loss", "grad" (same order as params), "log_probs_row0" [V] (log_softmax of the first
   example's logits)}, ...]}
All floats are written as Python repr (shortest string that reads back to the same double;
f32 values are exact doubles).

Cases (name: V, k, d, H, activation, n):
  mlp_k3_tanh:        27, 3, 10, [32],     tanh,    64
  bigram:             27, 1, 27, [],       tanh,    100  (no hidden layer; activation unused)
  deep_relu_repeats:  60, 5, 8,  [24, 16], relu,    48   (context ids repeat within rows)
  large_logits_gelu:  200, 2, 6, [16],     gelu,    40   (last layer's weights x60: |logits| up to ~53)
  k8_sigmoid:         27, 8, 4,  [8],      sigmoid, 8
"""

import copy
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from char_model import REPO, CharModel  # noqa: E402

OUT = os.path.join(REPO, "tests", "data", "torch_ref", "language.json")
DTYPES = {"f32": torch.float32, "f64": torch.float64}

# name, V, k, d, H, activation, n, seed
CASES = [
    ("mlp_k3_tanh", 27, 3, 10, [32], "tanh", 64, 0),
    ("bigram", 27, 1, 27, [], "tanh", 100, 1),
    ("deep_relu_repeats", 60, 5, 8, [24, 16], "relu", 48, 2),
    ("large_logits_gelu", 200, 2, 6, [16], "gelu", 40, 3),
    ("k8_sigmoid", 27, 8, 4, [8], "sigmoid", 8, 4),
]
# x20 (first tried) only reached max |logit| 17.6 here; x60 gives about +-50.
LARGE_LOGITS_SCALE = 60.0


def make_data(name, vocab, context, n, seed):
    rng = np.random.default_rng(seed)
    ctx = rng.integers(0, vocab, size=(n, context), dtype=np.int64)
    tgt = rng.integers(0, vocab, size=n, dtype=np.int64)
    if name == "deep_relu_repeats":
        # Repeated ids within a row: the embedding gradient must accumulate (scatter-add)
        # several contributions into one row from the same example.
        for i in range(n):
            if i % 2 == 0:
                ctx[i, 3] = ctx[i, 0]
            if i % 3 == 0:
                ctx[i, 4] = ctx[i, 1]
            if i % 8 == 0:
                ctx[i, 2] = ctx[i, 0]
        ctx[1, :] = ctx[1, 0]  # one row that is a single id five times
        tgt[1] = ctx[1, 0]
    return ctx, tgt


def floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.set_num_threads(1)
    cases = []
    for name, vocab, context, embed, hidden, act, n, seed in CASES:
        torch.manual_seed(seed)
        base = CharModel(vocab, context, embed, hidden, act)  # float32 default init
        if name == "large_logits_gelu":
            last = f"mlp.{2 * len(hidden)}.weight"
            with torch.no_grad():
                base.state_dict()[last].mul_(LARGE_LOGITS_SCALE)
        ctx_np, tgt_np = make_data(name, vocab, context, n, seed)
        ctx, tgt = torch.from_numpy(ctx_np), torch.from_numpy(tgt_np)
        for tag, dtype in DTYPES.items():
            model = copy.deepcopy(base).to(dtype)
            names = [k for k, _ in model.named_parameters()]
            assert names == list(model.state_dict().keys()), names
            logits = model(ctx)
            loss = F.cross_entropy(logits, tgt)
            model.zero_grad()
            loss.backward()
            params = [p for _, p in model.named_parameters()]
            case = {
                "name": f"{name}_{tag}",
                "dtype": tag,
                "vocab": vocab,
                "context": context,
                "embed": embed,
                "hidden": hidden,
                "activation": act,
                "contexts": ctx_np.tolist(),
                "targets": tgt_np.tolist(),
                "params": [v for p in params for v in floats(p)],
                "loss": float(loss.detach()),
                "grad": [v for p in params for v in floats(p.grad)],
                "log_probs_row0": floats(F.log_softmax(logits[0], dim=0)),
            }
            cases.append(case)
            print(
                f"{case['name']:26s} params {len(case['params']):5d}  loss {case['loss']:.10g}"
                f"  max|logit| {float(logits.detach().abs().max()):.3g}"
                f"  |grad| {float(torch.cat([p.grad.reshape(-1) for p in params]).norm()):.4g}"
            )
    # The f32 and f64 cases must share parameters exactly.
    for a, b in zip(cases[0::2], cases[1::2]):
        assert a["params"] == b["params"], a["name"]
    out = {"torch_version": torch.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, REPO)} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
