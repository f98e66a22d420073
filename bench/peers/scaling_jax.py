"""JAX (CPU) peer of Valley's scaling benchmark: the same three figures as the model and data grow.

Cases: MLP 2-H-H-2 tanh for H in {29, 97, 314, 997} (P = H² + 6H + 2 = 1,017 / 9,993 /
100,482 / 999,993 parameters) on N in {1,000, 10,000} two-moons points
(common.make_data(n)). Init: PyTorch's nn.Linear default, uniform ±1/sqrt(fan_in) for
weights and biases, drawn from numpy.random.default_rng(0) in the order W1, b1, W2, b2, W3,
b3 (weights [out, in], biases [out]); logits = h @ W.T + b; loss = mean softmax
cross-entropy. One JSON line per case, printed as soon as the case finishes:

  * grid_41_s: the 41x41 loss grid over (α, β) ∈ [-1, 1]² around the init, along two
    filter-normalised Gaussian directions (common.directions: each weight row scaled to
    the norm of that row of the weights, bias directions 0), float32. One jitted call:
    lax.map(point_loss, points, batch_size=B), B = min(32, as many points as keep the
    batch's per-point weights and activations under ~256 MB); 32 is what grid_jax.py
    found fastest at this size. If P·N > 1e8 only the first row (41 points) is timed and
    the time scaled by 1681/41; grid_points_measured says how many points were timed.
  * hessian_top5_s: the 5 largest Hessian eigenvalues at the init, float64, by the
    Lanczos iteration of hessian_torch.py and Valley (60 steps; after each product,
    Gram–Schmidt against every earlier basis vector, one at a time, done twice; start
    vector uniform - 0.5 from default_rng(0), normalised), Hessian-vector products by
    forward-over-reverse (jax.jvp of jax.grad). The whole iteration, tridiagonal
    eigenvalues included, is one jitted call (lax.fori_loop). If P·N > 1e8 only 10 steps
    are timed and the time scaled by 60/10 (hessian_products_measured).
  * adam_steps_per_s: full-batch Adam (lr 0.01, betas 0.9/0.999, eps 1e-8, PyTorch's
    semantics as train_jax.py), float32, jitted, k steps per call in a lax.fori_loop
    (k from a timed single step, ~0.2 s per call); calls are repeated until ≥ 1 s and
    ≥ 5 steps; best of 2 such windows (1 if the first took over 3 s).

Timing: every function is compiled ahead of time (jax.jit(...).lower(...).compile()), so no
figure includes compilation; then one warm-up run and the best of 3 runs (full grid, all
60 steps) or 2 (partial). A warm-up run over 10 s is itself the figure (one run; only the
largest cases). Arrays are passed as arguments, not closed over, so the weights are not
baked into the compiled program as constants. float64 is enabled for the Hessian; the grid
and Adam arrays are float32 explicitly (checked). Batch sizes, compile times and the
eigenvalues go to stderr.

Run: python bench/peers/scaling_jax.py [--quick] [--cases H:N,H:N,...]
"""

import argparse
import functools
import json
import math
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from common import directions, grid_points, make_data  # noqa: E402

HIDDEN = [29, 97, 314, 997]
POINTS = [1000, 10000]
PARTIAL_ABOVE = 1e8  # P * N above this: time part of the work and scale up
GRID_N, GRID_ROW = 41, 41
LANCZOS_STEPS, LANCZOS_PARTIAL = 60, 10
BATCH_BYTES, BATCH_MAX = 256 * 2**20, 32
LONG_RUN_S = 10.0
LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8


def n_params(h):
    return h * h + 6 * h + 2


def init_params(h):
    """[W1, b1, W2, b2, W3, b3] float32, nn.Linear's default init from default_rng(0)."""
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in ((2, h), (h, h), (h, 2)):
        bound = 1.0 / math.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def loss_fn(params, x, y):
    h = x
    for k in range(0, len(params), 2):
        h = h @ params[k].T + params[k + 1]
        if k + 2 < len(params):
            h = jnp.tanh(h)
    logp = jax.nn.log_softmax(h)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def compiled(fn, *args):
    """fn jitted and compiled for args ahead of time; also the compile time."""
    t0 = time.perf_counter()
    exe = jax.jit(fn).lower(*args).compile()
    return exe, time.perf_counter() - t0


def timed(run, repeats):
    """Best seconds of `repeats` runs after a warm-up run; the warm-up alone if it took > 10 s."""
    t0 = time.perf_counter()
    run()
    first = time.perf_counter() - t0
    if first > LONG_RUN_S:
        return first
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def grid_41(w0, x, y, partial):
    """Seconds for the 41x41 grid (scaled from the first row if partial), points timed."""
    d1, d2 = directions(w0)
    pts = grid_points(GRID_N)
    if partial:
        pts = pts[:GRID_ROW]
    n_pts = pts.shape[0]
    hidden, n = w0[0].shape[0], x.shape[0]
    # per grid point: its own weights, two [N, H] hidden layers (pre-activation and tanh), logits
    per_point = 4 * (sum(w.size for w in w0) + 2 * n * hidden + 4 * n)
    batch = max(1, min(BATCH_MAX, n_pts, BATCH_BYTES // per_point))

    def grid(pts, w0, d1, d2, x, y):
        def point_loss(ab):
            w = [p + ab[0] * a + ab[1] * b for p, a, b in zip(w0, d1, d2)]
            return loss_fn(w, x, y)

        return jax.lax.map(point_loss, pts, batch_size=batch)

    args = [jnp.asarray(pts), *[[jnp.asarray(t) for t in ts] for ts in (w0, d1, d2)], x, y]
    exe, compile_s = compiled(grid, *args)
    out = exe(*args)
    assert out.dtype == jnp.float32, out.dtype
    log(f"  grid: {n_pts} points, batch {batch}, compile {compile_s:.2f} s, first loss {float(out[0]):.6f}")
    seconds = timed(lambda: exe(*args).block_until_ready(), 2 if partial else 3)
    return seconds * GRID_N**2 / n_pts, n_pts


def hessian_top5(w0, x, y, partial):
    """Seconds for the top-5 Lanczos (scaled from 10 steps if partial), products timed."""
    steps = LANCZOS_PARTIAL if partial else LANCZOS_STEPS
    shapes = [w.shape for w in w0]
    sizes = [w.size for w in w0]
    p = sum(sizes)

    def flat_loss(theta, x, y):
        params, at = [], 0
        for shape, size in zip(shapes, sizes):
            params.append(theta[at : at + size].reshape(shape))
            at += size
        return loss_fn(params, x, y)

    def lanczos(q0, theta, x, y):
        grad = functools.partial(jax.grad(flat_loss), x=x, y=y)

        def hvp(v):
            return jax.jvp(grad, (theta,), (v,))[1]

        basis = jnp.zeros((steps + 1, p), jnp.float64).at[0].set(q0 / jnp.linalg.norm(q0))

        def step(j, carry):
            basis, alphas, betas = carry
            q = basis[j]
            w = hvp(q)
            alphas = alphas.at[j].set(w @ q)

            def orthogonalise(i, w):
                b = basis[i]
                return w - (w @ b) * b

            for _ in range(2):
                w = jax.lax.fori_loop(0, j + 1, orthogonalise, w)
            beta = jnp.linalg.norm(w)
            return basis.at[j + 1].set(w / beta), alphas, betas.at[j].set(beta)

        zeros = jnp.zeros(steps, jnp.float64)
        _, alphas, betas = jax.lax.fori_loop(0, steps, step, (basis, zeros, zeros))
        off = betas[:-1]
        t = jnp.diag(alphas) + jnp.diag(off, 1) + jnp.diag(off, -1)
        return jnp.linalg.eigvalsh(t)[::-1][:5]

    theta = jnp.asarray(np.concatenate([w.reshape(-1) for w in w0]).astype(np.float64))
    q0 = jnp.asarray(np.random.default_rng(0).random(p) - 0.5)
    x64 = x.astype(jnp.float64)
    exe, compile_s = compiled(lanczos, q0, theta, x64, y)
    top = exe(q0, theta, x64, y)
    assert top.dtype == jnp.float64, top.dtype
    log(f"  hessian: {steps} steps, compile {compile_s:.2f} s, top 5 {np.round(np.asarray(top), 6).tolist()}")
    seconds = timed(lambda: exe(q0, theta, x64, y).block_until_ready(), 2 if partial else 3)
    return seconds * LANCZOS_STEPS / steps, steps


def adam_rate(w0, x, y):
    """Full-batch Adam steps/s (float32)."""

    def run(state, x, y, k):
        def step(_, state):
            params, m, v, t = state
            g = jax.grad(loss_fn)(params, x, y)
            t = t + 1
            m = [B1 * mi + (1 - B1) * gi for mi, gi in zip(m, g)]
            v = [B2 * vi + (1 - B2) * gi * gi for vi, gi in zip(v, g)]
            c1, c2 = 1 - B1**t, 1 - B2**t
            params = [p - LR * (mi / c1) / (jnp.sqrt(vi / c2) + EPS) for p, mi, vi in zip(params, m, v)]
            return params, m, v, t

        return jax.lax.fori_loop(0, k, step, state)

    params = [jnp.asarray(w) for w in w0]
    zeros = [jnp.zeros_like(w) for w in params]
    state = (params, zeros, list(zeros), jnp.float32(0))
    one = np.int32(1)
    exe, compile_s = compiled(run, state, x, y, one)
    state = exe(state, x, y, one)
    jax.block_until_ready(state)
    t0 = time.perf_counter()
    state = exe(state, x, y, one)
    jax.block_until_ready(state)
    single = time.perf_counter() - t0
    assert all(p.dtype == jnp.float32 for p in state[0]) and state[3].dtype == jnp.float32
    k = max(1, min(100_000, int(0.2 / single)))
    log(f"  adam: compile {compile_s:.2f} s, one step {single * 1e3:.3g} ms, {k} steps per call")
    best = 0.0
    for _ in range(2):
        steps, t0 = 0, time.perf_counter()
        while True:
            state = exe(state, x, y, np.int32(k))
            jax.block_until_ready(state)
            steps += k
            dt = time.perf_counter() - t0
            if dt >= 1.0 and steps >= 5:
                break
        best = max(best, steps / dt)
        if dt > 3.0:
            break
    return best


def sig(v, digits=4):
    return float(f"%.{digits}g" % v)


def run_case(hidden, points):
    p = n_params(hidden)
    partial = p * points > PARTIAL_ABOVE
    log(f"# H={hidden} P={p} N={points}{' (partial)' if partial else ''}")
    xn, yn = make_data(points)
    x, y = jnp.asarray(xn), jnp.asarray(yn)
    w0 = init_params(hidden)
    assert sum(w.size for w in w0) == p
    grid_s, grid_m = grid_41(w0, x, y, partial)
    hess_s, hess_q = hessian_top5(w0, x, y, partial)
    adam = adam_rate(w0, x, y)
    res = {
        "peer": "jax",
        "hidden": hidden,
        "params": p,
        "points": points,
        "grid_41_s": sig(grid_s),
        "grid_points_measured": grid_m,
        "hessian_top5_s": sig(hess_s),
        "hessian_products_measured": hess_q,
        "adam_steps_per_s": sig(adam),
        "jax": jax.__version__,
    }
    print(json.dumps(res), flush=True)


def parse_cases(text):
    cases = []
    for item in text.split(","):
        h, n = item.split(":")
        cases.append((int(h), int(n)))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only H=29, N=1000 (smoke test)")
    ap.add_argument("--cases", type=parse_cases, help="H:N,H:N,... (default: all 8)")
    args = ap.parse_args()
    if args.quick:
        cases = [(HIDDEN[0], POINTS[0])]
    elif args.cases:
        cases = args.cases
    else:
        cases = [(h, n) for h in HIDDEN for n in POINTS]
    for hidden, points in cases:
        run_case(hidden, points)


if __name__ == "__main__":
    main()
