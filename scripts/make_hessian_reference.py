"""Reference Hessians from PyTorch, for tests/hessian_matches_pytorch.rs.

For the 3-7-5-4 nn.Sequential models in tests/data/torch_ref (tanh and gelu,
float64) on cls_data.csv, computes the full Hessian of the mean
cross-entropy with torch.autograd.functional.hessian in float64, and writes
its eigenvalues (ascending) and trace to tests/data/torch_ref/hessian.json.

    python scripts/make_hessian_reference.py

Needs torch and safetensors (pip). Run once; the JSON is committed, so the
tests need no Python.
"""

import json
import pathlib

import numpy as np
import torch
from safetensors.torch import load_file

HERE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_ref"
SIZES = [3, 7, 5, 4]
ACTIVATIONS = {"tanh": torch.tanh, "gelu": torch.nn.functional.gelu}


def main():
    table = np.loadtxt(HERE / "cls_data.csv", delimiter=",", skiprows=1)
    x = torch.tensor(table[:, :-1], dtype=torch.float64)
    y = torch.tensor(table[:, -1], dtype=torch.long)
    out = {}
    for name, act in ACTIVATIONS.items():
        state = load_file(str(HERE / f"cls_{name}_f64.safetensors"))
        shapes = [(k, v.shape) for k, v in state.items()]
        keys = [f"{2 * i}.{part}" for i in range(len(SIZES) - 1) for part in ("weight", "bias")]
        flat = torch.cat([state[k].reshape(-1) for k in keys]).to(torch.float64)

        def loss(theta):
            h, at = x, 0
            for i in range(len(SIZES) - 1):
                n_in, n_out = SIZES[i], SIZES[i + 1]
                w = theta[at:at + n_in * n_out].reshape(n_out, n_in)
                at += n_in * n_out
                b = theta[at:at + n_out]
                at += n_out
                h = h @ w.T + b
                if i < len(SIZES) - 2:
                    h = act(h)
            return torch.nn.functional.cross_entropy(h, y)

        hessian = torch.autograd.functional.hessian(loss, flat)
        eigenvalues = torch.linalg.eigvalsh(hessian).tolist()
        out[name] = {"eigenvalues": eigenvalues, "trace": float(torch.trace(hessian)), "num_params": flat.numel()}
        print(name, "top", eigenvalues[-3:], "min", eigenvalues[0], "trace", out[name]["trace"], shapes[:1])
    (HERE / "hessian.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
