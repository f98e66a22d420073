"""JAX (CPU): a 61x61 loss-landscape slice of Valley's character-level language model.

Same case as grid_language_torch.py (CharModel(V, 3, 10, [200], tanh), PyTorch init seed 0,
whole training set, directions from default_rng(1)/(2) filter-normalised per row of every
matrix, embedding included; alpha-major grid over linspace(-1, 1, 61)). As grid_jax.py, the
per-point loss (weights w + a*d1 + b*d2, embedding gather, forward, mean cross-entropy) is
vmapped over chunks of grid points; variants:
  * "lax_map":   one jitted call, lax.map(point_loss, points, batch_size=B) (vmap inside);
  * "py_loop":   a jitted vmap over a chunk of B points, called from a Python loop
                 (last chunk padded).
B runs over powers of two up to what keeps the [B, n, 200] hidden activations at most ~1.6 GiB
(the training set is large). Each variant/B is timed once on the first TRIAL grid
points after compilation (which also serves as warm-up); the winner is compiled ahead of
time for the full grid and gets the best of 3 timings of the whole 61x61 grid (compilation
excluded).

Run: python bench/peers/grid_language_jax.py [--repeats R]
"""

import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from common import best_of, grid_points, grid_summary
from grid_language_torch import GRID, TRIAL, chunk_sizes, directions, init_params, repeats
from train_language_jax import logits_fn
from train_language_torch import CONTEXT
from char_model import training_examples  # on sys.path via grid_language_torch


def main():
    vocab, x_np, y_np, source = training_examples(CONTEXT)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    n = y.shape[0]
    w0 = init_params(vocab)
    d1, d2 = directions(w0)
    w0, d1, d2 = [[jnp.asarray(t) for t in ts] for ts in (w0, d1, d2)]

    def point_loss(ab):
        params = [w + ab[0] * u + ab[1] * v for w, u, v in zip(w0, d1, d2)]
        logp = jax.nn.log_softmax(logits_fn(params, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def lax_map_grid(batch, pts):
        f = jax.jit(lambda ab: jax.lax.map(point_loss, ab, batch_size=batch))
        f = f.lower(pts).compile()
        return lambda: np.asarray(f(pts))

    def py_loop_grid(batch, pts):
        m = pts.shape[0]
        pad = (-m) % batch
        padded = jnp.concatenate([pts, jnp.zeros((pad, 2), pts.dtype)])
        chunks = [padded[i : i + batch] for i in range(0, m + pad, batch)]
        f = jax.jit(jax.vmap(point_loss)).lower(chunks[0]).compile()
        return lambda: np.asarray(jnp.concatenate([f(c) for c in chunks])[:m])

    pts = jnp.asarray(grid_points(GRID))
    sizes = chunk_sizes(n)
    trial_pts = pts[: max(TRIAL, sizes[-1])]
    trials = {}
    for name, make in (("lax_map", lax_map_grid), ("py_loop", py_loop_grid)):
        for b in sizes:
            fn = make(b, trial_pts)
            t0 = time.perf_counter()
            fn()
            trials[(name, b)] = time.perf_counter() - t0
    name, b = min(trials, key=trials.get)
    make = lax_map_grid if name == "lax_map" else py_loop_grid
    fn = make(b, pts)  # compiled ahead of time for the full grid

    res = {"peer": "jax", "jax": jax.__version__, "data": source, "vocab": vocab,
           "examples": int(n), "variant": name, "chunk": b}
    box = {}

    def full():
        box["losses"] = fn()

    res["grid_61_s"] = round(best_of(full, repeats=repeats(), warmup=0), 3)
    res["threads"] = len(os.sched_getaffinity(0))  # cores XLA may use
    res["trial_s"] = {f"{v}/{c} ({len(trial_pts)} pts)": round(t, 3) for (v, c), t in trials.items()}
    res["check_61"] = grid_summary(box["losses"].reshape(GRID, GRID))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
