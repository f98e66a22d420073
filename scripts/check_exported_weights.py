"""Check that weights Valley exports load into PyTorch's nn.Sequential.

Valley trains a small network on a CSV file and saves its weights
(`valley train --weights-out`); PyTorch loads them with
`load_state_dict(strict=True)` into the same nn.Sequential, and both compute
the loss and accuracy on the same data. They must agree to float32 rounding.

    cargo build --release && python scripts/check_exported_weights.py

Needs numpy, torch and safetensors (pip). Prints the differences and exits
non-zero if they are too large.
"""

import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

VALLEY = pathlib.Path(__file__).resolve().parent.parent / "target" / "release" / "valley"
ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "gelu": torch.nn.GELU}


def valley(*args):
    out = subprocess.run([str(VALLEY), *args], check=True, capture_output=True, text=True)
    return out.stdout


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        data = tmp / "data.csv"
        with data.open("w") as f:
            f.write("x1,x2,x3,label\n")
            for row, label in zip(x, labels):
                f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
        for activation in ACTIVATIONS:
            weights = tmp / f"{activation}.safetensors"
            valley("train", "--data", str(data), "--arch", "3-12-8-3", "--activation", activation,
                   "--steps", "300", "--test-fraction", "0", "--weights-out", str(weights))
            report = json.loads(valley("inspect", "--weights", str(weights), "--data", str(data),
                                       "--activation", activation, "--json"))
            model = torch.nn.Sequential(
                torch.nn.Linear(3, 12), ACTIVATIONS[activation](),
                torch.nn.Linear(12, 8), ACTIVATIONS[activation](),
                torch.nn.Linear(8, 3),
            )
            model.load_state_dict(load_file(str(weights)), strict=True)
            with torch.no_grad():
                logits = model(torch.from_numpy(x))
                loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels)).item()
                accuracy = (logits.argmax(1).numpy() == labels).mean()
            difference = abs(loss - report["loss"]) / max(abs(loss), 1e-12)
            worst = max(worst, difference)
            print(f"{activation:8s} loss valley {report['loss']:.7f} torch {loss:.7f} "
                  f"(relative difference {difference:.1e}); accuracy valley {report['accuracy']:.4f} torch {accuracy:.4f}")
            if abs(accuracy - report["accuracy"]) > 1e-9:
                sys.exit(f"{activation}: accuracies differ")
    print(f"largest relative loss difference: {worst:.1e}")
    if worst > 1e-5:
        sys.exit("the exported weights do not reproduce Valley's loss in PyTorch")


if __name__ == "__main__":
    main()
