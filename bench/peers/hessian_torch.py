"""PyTorch: the 5 largest Hessian eigenvalues of the benchmark case.

Same model, data and initial point as Valley's `hessian_top5_s` figure
(2-32-32-2 tanh, 1,000 moons points, PyTorch init with seed 0), in float64 as
Valley's analysis runs. Hessian-vector products by double backward
(torch.autograd.grad with create_graph), and the same Lanczos iteration as
Valley's: 60 steps with full reorthogonalisation, then the tridiagonal's
eigenvalues. Best of 3 after a warm-up.

Run: python bench/peers/hessian_torch.py [--threads N]
"""

import json

import torch
import torch.nn.functional as F

from common import best_of, init_params, make_data, torch_threads

STEPS = 60


def main():
    threads = torch_threads()
    x, y = make_data()
    x = torch.from_numpy(x).to(torch.float64)
    y = torch.from_numpy(y)
    params = [torch.from_numpy(p).to(torch.float64).requires_grad_(True) for p in init_params()]
    n = sum(p.numel() for p in params)

    def loss():
        h = x
        for k in range(0, len(params), 2):
            h = h @ params[k].T + params[k + 1]
            if k + 2 < len(params):
                h = torch.tanh(h)
        return F.cross_entropy(h, y)

    def top5():
        grads = torch.autograd.grad(loss(), params, create_graph=True)
        flat_grad = torch.cat([g.reshape(-1) for g in grads])

        def hvp(v):
            hv = torch.autograd.grad(flat_grad @ v, params, retain_graph=True)
            return torch.cat([h.reshape(-1) for h in hv])

        gen = torch.Generator().manual_seed(0)
        q = torch.rand(n, dtype=torch.float64, generator=gen) - 0.5
        basis = [q / q.norm()]
        alphas, betas = [], []
        for j in range(STEPS):
            w = hvp(basis[j])
            alpha = torch.dot(w, basis[j])
            alphas.append(alpha)
            for _ in range(2):
                for b in basis:
                    w = w - torch.dot(w, b) * b
            beta = w.norm()
            if j + 1 == STEPS:
                break
            betas.append(beta)
            basis.append(w / beta)
        t = torch.diag(torch.stack(alphas)) + torch.diag(torch.stack(betas), 1) + torch.diag(torch.stack(betas), -1)
        return torch.linalg.eigvalsh(t)[-5:].flip(0)

    values = top5()
    res = {
        "peer": "torch_hessian",
        "torch": torch.__version__,
        "threads": threads,
        "hessian_top5_s": round(best_of(top5), 4),
        "top5": [round(v, 6) for v in values.tolist()],
    }
    print(json.dumps(res))


if __name__ == "__main__":
    main()
