"""PyTorch, one grid point at a time (the way Li et al.'s loss-landscape code works).

Measures the 101x101 and 41x41 2D loss grids over alpha, beta in linspace(-1, 1, n) of
the common case (see common.py): for every grid point the weights w + a*d1 + b*d2 are
copied into the model (param.data.copy_) and forward + cross-entropy run under
torch.no_grad(). Reports best of 3 timings after one warm-up.

Run: python bench/peers/grid_torch_loop.py [--threads N]
"""

import json

import torch
import torch.nn.functional as F

from common import best_of, directions, grid_summary, make_data, torch_model, torch_threads


def main():
    threads = torch_threads()
    x, y = make_data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = torch_model()
    params = list(model.parameters())
    w0 = [p.detach().clone() for p in params]
    d1, d2 = [[torch.from_numpy(t) for t in d] for d in directions([w.numpy() for w in w0])]

    def grid(n):
        coords = torch.linspace(-1.0, 1.0, n).tolist()
        out = torch.empty(n, n)
        with torch.no_grad():
            for i, a in enumerate(coords):
                for j, b in enumerate(coords):
                    for p, w, u, v in zip(params, w0, d1, d2):
                        p.data.copy_(w + a * u + b * v)
                    out[i, j] = F.cross_entropy(model(x), y)
        return out

    res = {"peer": "torch_loop", "torch": torch.__version__}
    res["grid_101_s"] = round(best_of(lambda: grid(101)), 3)
    res["grid_41_s"] = round(best_of(lambda: grid(41)), 3)
    res["threads"] = threads
    res["check_41"] = grid_summary(grid(41))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
