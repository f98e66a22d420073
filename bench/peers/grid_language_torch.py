"""PyTorch: a 61x61 loss-landscape slice of Valley's character-level language model.

Model and data as train_language_torch.py: CharModel(V, k=3, d=10, H=[200], tanh), PyTorch
default init after torch.manual_seed(0), float32, on the whole training set (names.txt's
first 90% of examples, or the random fallback). Grid: loss(theta + a*d1 + b*d2) for a, b in
linspace(-1, 1, 61), alpha-major; d1, d2 Gaussian (numpy default_rng(1) and default_rng(2)),
filter-normalised per row of every matrix (embedding rows included; bias directions 0).

As grid_torch_batched.py, a chunk of G grid points is evaluated at once under
torch.no_grad(): per-point embeddings [G, V, d] gathered to [G, n, k*d], per-point weights
[G, out, in], torch.baddbmm per layer, per-point mean cross-entropy. G = 1 is the plain
one-point-at-a-time loop. Candidate G are powers of two up to what keeps the [G, n, 200]
hidden activations at most ~1.6 GiB (the training set is large); each is timed once on
the first TRIAL grid points, which also serves as warm-up; the fastest then gets the best of
3 timings of the whole 61x61 grid.

Run: python bench/peers/grid_language_torch.py [--threads N] [--repeats R]
"""

import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import best_of, grid_points, grid_summary, torch_threads
from train_language_torch import ACT, CONTEXT, EMBED, HIDDEN

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from char_model import CharModel, training_examples  # noqa: E402

GRID = 61
MAX_CHUNK_ROWS = 2**21  # G * n at most 2M: [G, n, 200] hidden activations <= 1.6 GiB
TRIAL = 64  # grid points timed per candidate chunk size (at least the largest chunk)


def init_params(vocab):
    """[embedding, W1, b1, W2, b2] float32 numpy arrays: PyTorch init, seed 0."""
    torch.manual_seed(0)
    model = CharModel(vocab, CONTEXT, EMBED, HIDDEN, ACT)
    return [t.detach().numpy().copy() for t in model.state_dict().values()]


def directions(params):
    """d1, d2: Gaussian from default_rng(1) and default_rng(2), filter-normalised per row."""
    dirs = []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        d = []
        for w in params:
            if w.ndim == 2:
                r = rng.standard_normal(w.shape)
                r *= np.linalg.norm(w, axis=1, keepdims=True) / np.linalg.norm(r, axis=1, keepdims=True)
                d.append(r.astype(np.float32))
            else:
                d.append(np.zeros_like(w))
        dirs.append(d)
    return dirs


def chunk_sizes(n):
    return [g for g in (1, 2, 4, 8, 16, 32, 64, 128, 256) if g == 1 or g * n <= MAX_CHUNK_ROWS]


def repeats():
    return int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3


def main():
    threads = torch_threads()
    vocab, x, y, source = training_examples(CONTEXT)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    n = y.shape[0]
    w0 = init_params(vocab)
    d1, d2 = directions(w0)
    w0, d1, d2 = [[torch.from_numpy(t) for t in ts] for ts in (w0, d1, d2)]
    n_layers = (len(w0) - 1) // 2

    @torch.no_grad()
    def chunk_losses(ab):
        g = ab.shape[0]
        a, b = ab[:, 0].view(g, 1, 1), ab[:, 1].view(g, 1, 1)
        emb = w0[0] + a * d1[0] + b * d2[0]  # [g, V, d]
        h = emb[:, x].reshape(g, n, -1)  # [g, n, k*d]
        for i in range(n_layers):
            j = 1 + 2 * i
            w = w0[j] + a * d1[j] + b * d2[j]  # [g, out, in]
            bias = w0[j + 1] + a * d1[j + 1] + b * d2[j + 1]  # [g, 1, out]
            h = torch.baddbmm(bias, h, w.transpose(1, 2))
            if i + 1 < n_layers:
                h = torch.tanh_(h)
        ce = F.cross_entropy(h.reshape(g * n, -1), y.repeat(g), reduction="none")
        return ce.view(g, n).mean(dim=1)

    def run(points, chunk):
        return torch.cat([chunk_losses(c) for c in points.split(chunk)])

    pts = torch.from_numpy(grid_points(GRID))
    sizes = chunk_sizes(n)
    trial_pts = pts[: max(TRIAL, sizes[-1])]
    run(trial_pts[: sizes[0]], sizes[0])  # warm-up
    times = {}
    for c in sizes:
        t0 = time.perf_counter()
        run(trial_pts, c)
        times[c] = time.perf_counter() - t0
    chunk = min(times, key=times.get)

    res = {"peer": "torch batched", "torch": torch.__version__, "data": source, "vocab": vocab,
           "examples": n, "chunk": chunk}
    box = {}

    def full():
        box["losses"] = run(pts, chunk)

    res["grid_61_s"] = round(best_of(full, repeats=repeats(), warmup=0), 3)
    res["threads"] = threads
    res["chunk_trial_s"] = {f"{c} ({len(trial_pts)} pts)": round(t, 3) for c, t in times.items()}
    res["check_61"] = grid_summary(box["losses"].view(GRID, GRID).numpy())
    print(json.dumps(res))


if __name__ == "__main__":
    main()
