"""PyTorch, many grid points at once with batched matmuls (torch.baddbmm).

Same 101x101 and 41x41 grids as grid_torch_loop.py, but a chunk of G grid points is
evaluated together: weights [G, out, in] = w + a*d1 + b*d2, then baddbmm per layer and
per-point mean cross-entropy, under torch.no_grad(). The chunk size is chosen by timing
each candidate once on the 101x101 grid; then best of 3 timings after a warm-up.

Run: python bench/peers/grid_torch_batched.py [--threads N]
"""

import json
import time

import torch
import torch.nn.functional as F

from common import (
    best_of, directions, grid_points, grid_summary, init_params, make_data, torch_threads,
)

CHUNKS = [16, 32, 64, 128, 256, 512, 1024]


def main():
    threads = torch_threads()
    x, y = make_data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    w0 = init_params()
    d1, d2 = directions(w0)
    w0, d1, d2 = [[torch.from_numpy(t) for t in ts] for ts in (w0, d1, d2)]
    n_pts = x.shape[0]

    @torch.no_grad()
    def chunk_losses(ab):
        g = ab.shape[0]
        a, b = ab[:, 0].view(g, 1, 1), ab[:, 1].view(g, 1, 1)
        h = x.expand(g, n_pts, x.shape[1])
        for k in range(0, len(w0), 2):
            w = w0[k] + a * d1[k] + b * d2[k]  # [g, out, in]
            bias = w0[k + 1] + a * d1[k + 1] + b * d2[k + 1]  # [g, 1, out]
            h = torch.baddbmm(bias, h, w.transpose(1, 2))
            if k + 2 < len(w0):
                h = torch.tanh(h)
        ce = F.cross_entropy(h.reshape(g * n_pts, -1), y.repeat(g), reduction="none")
        return ce.view(g, n_pts).mean(dim=1)

    def grid(n, chunk):
        ab = torch.from_numpy(grid_points(n))
        return torch.cat([chunk_losses(c) for c in ab.split(chunk)]).view(n, n)

    grid(41, 64)  # warm-up
    times = {}
    for c in CHUNKS:
        t0 = time.perf_counter()
        grid(101, c)
        times[c] = time.perf_counter() - t0
    chunk = min(times, key=times.get)

    res = {"peer": "torch_batched", "torch": torch.__version__, "chunk": chunk}
    res["grid_101_s"] = round(best_of(lambda: grid(101, chunk)), 3)
    res["grid_41_s"] = round(best_of(lambda: grid(41, chunk)), 3)
    res["threads"] = threads
    res["chunk_trial_101_s"] = {c: round(t, 3) for c, t in times.items()}
    res["check_41"] = grid_summary(grid(41, chunk))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
