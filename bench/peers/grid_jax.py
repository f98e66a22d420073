"""JAX (CPU), grid points vectorised with vmap and jitted.

Same 101x101 and 41x41 grids as grid_torch_loop.py. The per-point loss (weights
w + a*d1 + b*d2, forward, mean cross-entropy) is vmapped over chunks of grid points.
Variants tried, the fastest is reported:
  * "lax_map":   one jitted call, lax.map(point_loss, points, batch_size=B) (vmap inside);
  * "py_loop":   a jitted vmap over a chunk of B points, called from a Python loop
                 (last chunk padded).
Each variant/size is timed once on the 101x101 grid after compilation; the winner gets
best of 3 timings after a warm-up (compilation excluded) on both grids.

Run: python bench/peers/grid_jax.py
"""

import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from common import best_of, directions, grid_points, grid_summary, init_params, make_data

SIZES = [16, 32, 64, 128, 256, 512, 1024]


def main():
    x, y = make_data()
    x, y = jnp.asarray(x), jnp.asarray(y)
    w0 = init_params()
    d1, d2 = directions(w0)
    w0, d1, d2 = [[jnp.asarray(t) for t in ts] for ts in (w0, d1, d2)]

    def point_loss(ab):
        h = x
        for k in range(0, len(w0), 2):
            w = w0[k] + ab[0] * d1[k] + ab[1] * d2[k]
            b = w0[k + 1] + ab[0] * d1[k + 1] + ab[1] * d2[k + 1]
            h = h @ w.T + b
            if k + 2 < len(w0):
                h = jnp.tanh(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def lax_map_grid(batch):
        f = jax.jit(lambda ab: jax.lax.map(point_loss, ab, batch_size=batch))
        return lambda pts: np.asarray(f(pts))

    def py_loop_grid(batch):
        f = jax.jit(jax.vmap(point_loss))

        def run(pts):
            n = pts.shape[0]
            pad = (-n) % batch
            pts = jnp.concatenate([pts, jnp.zeros((pad, 2), pts.dtype)])
            outs = [f(pts[i : i + batch]) for i in range(0, n + pad, batch)]
            return np.asarray(jnp.concatenate(outs)[:n])

        return run

    p101, p41 = jnp.asarray(grid_points(101)), jnp.asarray(grid_points(41))
    trials = {}
    for name, make in (("lax_map", lax_map_grid), ("py_loop", py_loop_grid)):
        for b in SIZES:
            fn = make(b)
            fn(p101), fn(p41)  # compile both shapes
            t0 = time.perf_counter()
            fn(p101)
            trials[(name, b)] = (time.perf_counter() - t0, fn)
    (name, b), (_, fn) = min(trials.items(), key=lambda kv: kv[1][0])

    res = {"peer": "jax", "jax": jax.__version__, "variant": name, "chunk": b}
    res["grid_101_s"] = round(best_of(lambda: fn(p101)), 3)
    res["grid_41_s"] = round(best_of(lambda: fn(p41)), 3)
    res["threads"] = os.cpu_count()
    res["trial_101_s"] = {f"{n}/{c}": round(t, 3) for (n, c), (t, _) in trials.items()}
    res["check_41"] = grid_summary(fn(p41).reshape(41, 41))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
