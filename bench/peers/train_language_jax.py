"""JAX (CPU) Adam training throughput of Valley's character-level language model, jitted.

Same case as train_language_torch.py: CharModel(V, k=3, d=10, H=[200], tanh) with PyTorch's
default init (torch.manual_seed(0)), float32, the same training set (names.txt or the
random fallback), minibatch 32. Hand-written Adam with PyTorch's semantics (lr 0.01, betas
0.9/0.999, eps 1e-8, bias correction), mean cross-entropy. Many steps run inside one jitted
call with lax.scan: per epoch a jax.random.permutation (sampling without replacement) cut
into batches of 32 (remainder dropped); each call runs whole epochs, at least 4,000 steps.
Steps/s is the best of 3 windows of >= 2 s each, after a warm-up call (compilation).

Cross-check: `loss_after_1000_steps` uses the same fixed batch sequence as
train_language_torch.py and must agree with it to float32 rounding.

Run: python bench/peers/train_language_jax.py
"""

import json
import os
import sys

import jax
import jax.numpy as jnp
import torch

from common import steps_per_second
from train_language_torch import ACT, BATCH, CHECK_STEPS, CONTEXT, EMBED, HIDDEN, check_batches

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from char_model import CharModel, training_examples  # noqa: E402

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8
MIN_STEPS_PER_CALL = 4000
ACTS = {"tanh": jnp.tanh, "relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid,
        "gelu": lambda h: jax.nn.gelu(h, approximate=False)}


def init_params(vocab):
    """[embedding, W1, b1, ..., W_out, b_out] float32 arrays: PyTorch init, seed 0."""
    torch.manual_seed(0)
    model = CharModel(vocab, CONTEXT, EMBED, HIDDEN, ACT)
    return [jnp.asarray(t.detach().numpy()) for t in model.state_dict().values()]


def logits_fn(params, ctx):
    h = params[0][ctx].reshape(ctx.shape[0], -1)
    for i in range(1, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = ACTS[ACT](h)
    return h


def loss_fn(params, ctx, tgt):
    logp = jax.nn.log_softmax(logits_fn(params, ctx))
    return -jnp.mean(jnp.take_along_axis(logp, tgt[:, None], axis=1))


def adam_step(state, xb, yb):
    params, m, v, t = state
    g = jax.grad(loss_fn)(params, xb, yb)
    t = t + 1
    m = [B1 * mi + (1 - B1) * gi for mi, gi in zip(m, g)]
    v = [B2 * vi + (1 - B2) * gi * gi for vi, gi in zip(v, g)]
    c1, c2 = 1 - B1**t, 1 - B2**t
    params = [p - LR * (mi / c1) / (jnp.sqrt(vi / c2) + EPS) for p, mi, vi in zip(params, m, v)]
    return params, m, v, t


def main():
    vocab, x_np, y_np, source = training_examples(CONTEXT)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    n = y.shape[0]
    per_epoch = n // BATCH
    epochs_per_call = -(-MIN_STEPS_PER_CALL // per_epoch)

    def init_state():
        p = init_params(vocab)
        z = [jnp.zeros_like(w) for w in p]
        return p, z, list(z), jnp.float32(0)

    @jax.jit
    def fixed(state, idx):
        return jax.lax.scan(lambda s, i: (adam_step(s, x[i], y[i]), None), state, idx)[0]

    @jax.jit
    def epochs(state, key):
        def epoch(carry, _):
            s, key = carry
            key, sub = jax.random.split(key)
            idx = jax.random.permutation(sub, n)[: per_epoch * BATCH].reshape(per_epoch, BATCH)
            s = jax.lax.scan(lambda s, i: (adam_step(s, x[i], y[i]), None), s, idx)[0]
            return (s, key), None

        return jax.lax.scan(epoch, (state, key), None, epochs_per_call)[0]

    res = {"peer": "jax", "jax": jax.__version__, "data": source, "vocab": vocab,
           "examples": int(n), "batch": BATCH}
    params = fixed(init_state(), jnp.asarray(check_batches(n, CHECK_STEPS)))[0]
    res["loss_after_1000_steps"] = float("%.6g" % jax.jit(loss_fn)(params, x, y))

    box = {"c": (init_state(), jax.random.key(0))}

    def run():
        box["c"] = epochs(*box["c"])
        jax.block_until_ready(box["c"])

    res["steps_per_s"] = round(steps_per_second(run, epochs_per_call * per_epoch))
    res["steps_per_call"] = epochs_per_call * per_epoch
    res["threads"] = len(os.sched_getaffinity(0))  # cores XLA may use
    print(json.dumps(res))


if __name__ == "__main__":
    main()
