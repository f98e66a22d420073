"""Shared benchmark case for the peer scripts (not a benchmark itself).

Case (Valley's Rust benchmark uses the same sizes):
  * data: 1,000 points of 2D "two moons" (500 per class), Gaussian noise sd 0.1,
    numpy.random.default_rng(0), float32; labels 0/1;
  * model: nn.Sequential(Linear(2,32), Tanh, Linear(32,32), Tanh, Linear(32,2)),
    PyTorch default init after torch.manual_seed(0), float32;
  * loss: mean cross-entropy;
  * grid directions: two Gaussian directions from numpy.random.default_rng(1),
    filter-normalised as in Li et al. 2018 (each row of each weight matrix rescaled to
    the norm of the same row of the weights; bias directions are zero).
"""

import sys
import time

import numpy as np

SIZES = [2, 32, 32, 2]
N_POINTS = 1000


def make_data(n=N_POINTS):
    """n two-moons points (n even; n // 2 per class): float32 x [n, 2], int64 labels y [n]."""
    rng = np.random.default_rng(0)
    half = n // 2
    t = np.linspace(0.0, np.pi, half)
    outer = np.stack([np.cos(t), np.sin(t)], axis=1)
    inner = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(0.0, 0.1, size=(2 * half, 2))
    y = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.int64)
    return x.astype(np.float32), y


def torch_threads():
    """Apply `--threads N` from the command line (PyTorch scripts); return the thread count.

    Default: PyTorch's own default (one per core). On a loaded machine, 1 thread can be far
    faster for these small ops because OpenMP threads then wait on each other.
    """
    import torch

    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    return torch.get_num_threads()


def torch_model():
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2)
    )


def init_params():
    """[W1, b1, W2, b2, W3, b3] as float32 numpy arrays (PyTorch init, seed 0)."""
    return [p.detach().numpy().copy() for p in torch_model().parameters()]


def directions(params):
    """Two filter-normalised random directions (lists shaped like params)."""
    rng = np.random.default_rng(1)
    dirs = []
    for _ in range(2):
        d = []
        for w in params:
            if w.ndim == 2:
                r = rng.standard_normal(w.shape)
                r *= np.linalg.norm(w, axis=1, keepdims=True) / np.linalg.norm(
                    r, axis=1, keepdims=True
                )
                d.append(r.astype(np.float32))
            else:
                d.append(np.zeros_like(w))
        dirs.append(d)
    return dirs


def grid_points(n):
    """(n*n, 2) float32 array of (alpha, beta), alpha-major, over linspace(-1, 1, n)."""
    a = np.linspace(-1.0, 1.0, n, dtype=np.float32)
    aa, bb = np.meshgrid(a, a, indexing="ij")
    return np.stack([aa.ravel(), bb.ravel()], axis=1)


def best_of(fn, repeats=3, warmup=1):
    """Best wall-clock seconds of `repeats` calls of fn() after `warmup` calls."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def steps_per_second(run, steps_per_call, min_time=2.0, windows=3):
    """Best steps/s over `windows` windows of >= min_time s; run() does steps_per_call steps."""
    run()  # warm-up (and compilation)
    best = 0.0
    for _ in range(windows):
        n, t0 = 0, time.perf_counter()
        while True:
            run()
            n += steps_per_call
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = max(best, n / dt)
    return best


def grid_summary(losses):
    """Numbers to cross-check that peers computed the same grid."""
    losses = np.asarray(losses, dtype=np.float64)
    n = losses.shape[0]
    return {"center": round(float(losses[n // 2, n // 2]), 6), "mean": round(float(losses.mean()), 6)}
