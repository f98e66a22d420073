"""JAX (CPU) Adam training throughput of the common case (see common.py), jitted.

Hand-written Adam with PyTorch's semantics (lr 0.01, betas 0.9/0.999, eps 1e-8, bias
correction), mean cross-entropy, float32. Many steps run inside one jitted call with
lax.scan:
  * full batch: all 1,000 points per step, 1,000 steps per call;
  * minibatch 64: per epoch a jax.random.permutation (sampling without replacement),
    15 batches of 64 (the last 40 points dropped); 100 epochs = 1,500 steps per call.
Steps/s is the best of 3 windows of >= 2 s each, after a warm-up call (compilation).

Run: python bench/peers/train_jax.py
"""

import json
import os

import jax
import jax.numpy as jnp

from common import init_params, make_data, steps_per_second

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8
BATCH, FULL_STEPS, EPOCHS = 64, 1000, 100


def loss_fn(params, xb, yb):
    h = xb
    for k in range(0, len(params), 2):
        h = h @ params[k].T + params[k + 1]
        if k + 2 < len(params):
            h = jnp.tanh(h)
    logp = jax.nn.log_softmax(h)
    return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))


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
    x, y = make_data()
    x, y = jnp.asarray(x), jnp.asarray(y)
    n = x.shape[0]
    per_epoch = n // BATCH

    def init_state():
        p = [jnp.asarray(w) for w in init_params()]
        z = [jnp.zeros_like(w) for w in p]
        return p, z, list(z), jnp.float32(0)

    @jax.jit
    def full(state):
        return jax.lax.scan(lambda s, _: (adam_step(s, x, y), None), state, None, FULL_STEPS)[0]

    @jax.jit
    def epochs(state, key):
        def epoch(carry, _):
            s, key = carry
            key, sub = jax.random.split(key)
            idx = jax.random.permutation(sub, n)[: per_epoch * BATCH].reshape(per_epoch, BATCH)
            s = jax.lax.scan(lambda s, i: (adam_step(s, x[i], y[i]), None), s, idx)[0]
            return (s, key), None

        return jax.lax.scan(epoch, (state, key), None, EPOCHS)[0]

    res = {"peer": "jax_train", "jax": jax.__version__}
    # cross-check with train_torch.py: loss after 1,000 full-batch steps from the init
    res["loss_after_1000_full_steps"] = float("%.6g" % loss_fn(full(init_state())[0], x, y))

    box = {"s": init_state()}

    def run_full():
        box["s"] = full(box["s"])
        jax.block_until_ready(box["s"])

    res["full_batch_steps_s"] = round(steps_per_second(run_full, FULL_STEPS))

    box = {"c": (init_state(), jax.random.key(0))}

    def run_mini():
        box["c"] = epochs(*box["c"])
        jax.block_until_ready(box["c"])

    res["minibatch64_steps_s"] = round(steps_per_second(run_mini, EPOCHS * per_epoch))
    res["threads"] = os.cpu_count()
    print(json.dumps(res))


if __name__ == "__main__":
    main()
