"""PyTorch reference values for Valley's tests (tests/data/torch_ref/).

Regenerate (from the repo root; needs `pip install torch safetensors numpy`):

    python scripts/make_torch_reference.py

Deterministic: fixed torch.manual_seed, one thread. Writes into tests/data/torch_ref/:

* cls_data.csv                      23 rows, header x1,x2,x3,label (classes 0..3, all present)
* cls_<act>_f64.safetensors / _f32  nn.Sequential 3-7-5-4 for act in tanh, relu, sigmoid, gelu
* reg_data.csv                      17 rows, header x1,x2,y
* reg_tanh_f64.safetensors / _f32   nn.Sequential 2-6-1 tanh
* train_data.csv                    10 rows, header x1,x2,label (classes 0..1)
* train_init_f64.safetensors        nn.Sequential 2-4-2 relu, initial weights
* reference.json                    everything computed (see the summary printed at the end)

All data values and weights are float32-representable numbers (they are drawn in float32
and widened), so the CSV values (printed with %.17g) and the f64 weights parse exactly in
both precisions, and the f32 and f64 models hold identical weights. The f32 references are
computed in float32, the f64 ones in float64. Losses are PyTorch defaults:
F.cross_entropy (mean, natural log) and F.mse_loss (mean over all elements). GELU is the
exact erf form (nn.GELU() default).
"""

import copy
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join("tests", "data", "torch_ref")
ACTS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
DTYPES = {"f64": torch.float64, "f32": torch.float32}


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(ACTS[act]())
    return nn.Sequential(*layers)


def write_csv(path, x, last, last_name):
    d = x.shape[1]
    with open(path, "w") as f:
        f.write(",".join([f"x{i + 1}" for i in range(d)] + [last_name]) + "\n")
        for row, t in zip(x.tolist(), last.tolist()):
            cells = ["%.17g" % v for v in row]
            cells.append(str(int(t)) if last_name == "label" else "%.17g" % t)
            f.write(",".join(cells) + "\n")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def save(model, dtype, path):
    sd = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(sd, path)


def evaluate(model32, task, x, target, dtype):
    """Loss, gradients etc. of a copy of `model32` converted to `dtype`, computed in `dtype`."""
    model = mlp_copy(model32).to(dtype)
    x = x.to(dtype)
    out = model(x)
    if task == "classification":
        loss = F.cross_entropy(out, target)
        acc = (out.argmax(dim=1) == target).to(dtype).mean().item()
    else:
        loss = F.mse_loss(out, target.to(dtype).reshape(-1, 1))
        acc = None
    model.zero_grad()
    loss.backward()
    names = [n for n, _ in model.named_parameters()]
    grads = [p.grad for p in model.parameters()]
    gflat = torch.cat([g.reshape(-1) for g in grads])
    return {
        "loss": loss.item(),
        "grad": {n: flat(g) for n, g in zip(names, grads)},
        "grad_flat": flat(gflat),
        "grad_norm": torch.linalg.vector_norm(gflat).item(),
        "accuracy": acc,
        "outputs_first3": [[float(v) for v in r] for r in out[:3].tolist()],
    }


def mlp_copy(model):
    return copy.deepcopy(model)


def train_reference(model, x, y, make_opt, steps=3):
    model = mlp_copy(model).to(torch.float64)
    opt = make_opt(model.parameters())
    params, losses = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        params.append(flat(torch.cat([p.reshape(-1) for p in model.parameters()])))
    return params, losses


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    ref = {
        "generator": "scripts/make_torch_reference.py",
        "torch_version": torch.__version__,
        "notes": "flat vectors are row-major per tensor, concatenated in parameters() order "
        "(0.weight, 0.bias, 2.weight, 2.bias, ...); f32 entries were computed in float32 "
        "(stored here as exact decimal forms of the float32 values).",
        "models": {},
    }

    # ---- classification data: 23 rows, 3 features ~ N(0,1), labels 0..3 all present
    torch.manual_seed(0)
    xc = torch.randn(23, 3, dtype=torch.float32)
    yc = (torch.arange(23) % 4)[torch.randperm(23)]
    assert set(yc.tolist()) == {0, 1, 2, 3}
    write_csv(os.path.join(OUT, "cls_data.csv"), xc, yc, "label")

    for i, act in enumerate(ACTS):
        torch.manual_seed(100 + i)
        m = mlp([3, 7, 5, 4], act)  # float32 default init
        for tag, dt in DTYPES.items():
            name = f"cls_{act}_{tag}"
            save(m, dt, os.path.join(OUT, name + ".safetensors"))
            r = {
                "task": "classification",
                "activation": act,
                "dtype": tag,
                "sizes": [3, 7, 5, 4],
                "weights": name + ".safetensors",
                "data": "cls_data.csv",
                "param_names": [n for n, _ in m.named_parameters()],
                "param_shapes": {n: list(p.shape) for n, p in m.named_parameters()},
            }
            r.update(evaluate(m, "classification", xc, yc, dt))
            ref["models"][name] = r

    # ---- regression: 2-6-1 tanh, 17 rows
    torch.manual_seed(1)
    xr = torch.randn(17, 2, dtype=torch.float32)
    yr = (torch.sin(xr[:, 0]) + 0.5 * xr[:, 1] + 0.1 * torch.randn(17)).to(torch.float32)
    write_csv(os.path.join(OUT, "reg_data.csv"), xr, yr, "y")
    torch.manual_seed(200)
    m = mlp([2, 6, 1], "tanh")
    for tag, dt in DTYPES.items():
        name = f"reg_tanh_{tag}"
        save(m, dt, os.path.join(OUT, name + ".safetensors"))
        r = {
            "task": "regression",
            "activation": "tanh",
            "dtype": tag,
            "sizes": [2, 6, 1],
            "weights": name + ".safetensors",
            "data": "reg_data.csv",
            "param_names": [n for n, _ in m.named_parameters()],
            "param_shapes": {n: list(p.shape) for n, p in m.named_parameters()},
        }
        r.update(evaluate(m, "regression", xr, yr, dt))
        ref["models"][name] = r

    # ---- training: 2-4-2 relu, 10 rows, 2 classes, 3 full-batch steps, float64
    torch.manual_seed(2)
    xt = torch.randn(10, 2, dtype=torch.float32)
    yt = (torch.arange(10) % 2)[torch.randperm(10)]
    write_csv(os.path.join(OUT, "train_data.csv"), xt, yt, "label")
    torch.manual_seed(300)
    m = mlp([2, 4, 2], "relu")
    save(m, torch.float64, os.path.join(OUT, "train_init_f64.safetensors"))
    x64 = xt.to(torch.float64)
    adam_p, adam_l = train_reference(m, x64, yt, lambda ps: torch.optim.Adam(ps, lr=0.05))
    sgd_p, sgd_l = train_reference(
        m, x64, yt, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)
    )
    ref["training"] = {
        "sizes": [2, 4, 2],
        "activation": "relu",
        "dtype": "f64",
        "loss": "cross_entropy",
        "data": "train_data.csv",
        "init": "train_init_f64.safetensors",
        "param_names": [n for n, _ in m.named_parameters()],
        "init_flat": flat(torch.cat([p.reshape(-1) for p in m.parameters()]).double()),
        "adam": {
            "lr": 0.05, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
            "params_after_step": adam_p,
            "loss_before_step": adam_l,
        },
        "sgd_momentum": {
            "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": False,
            "weight_decay": 0.0,
            "params_after_step": sgd_p,
            "loss_before_step": sgd_l,
        },
    }

    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")

    # ---- summary
    print(f"wrote {OUT}/ (torch {torch.__version__})")
    for name, r in ref["models"].items():
        acc = "" if r["accuracy"] is None else f"  acc {r['accuracy']:.4f}"
        print(f"  {name:18s} loss {r['loss']:.10g}  |grad| {r['grad_norm']:.10g}{acc}")
    t = ref["training"]
    print(f"  training 2-4-2 relu: adam losses {[round(v, 6) for v in t['adam']['loss_before_step']]}"
          f", sgd losses {[round(v, 6) for v in t['sgd_momentum']['loss_before_step']]}")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"  {len(os.listdir(OUT))} files, {total} bytes")


if __name__ == "__main__":
    main()
