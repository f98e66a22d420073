"""Run Valley's benchmark and the PyTorch/JAX peers in one session; print ratios.

The machines these run on are shared and noisy, so figures are only compared
within one run of this script. Needs the peers' packages
(`pip install -r bench/peers/requirements.txt`) and a Rust toolchain.

Run from the repository root: python bench/compare.py
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"


def json_lines(command):
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    valley = {r["figure"]: r["value"] for r in json_lines(["cargo", "run", "--release", "--quiet", "-p", "valley-engine", "--example", "benchmark"])}
    py = sys.executable
    loop = json_lines([py, str(PEERS / "grid_torch_loop.py")])[0]
    batched = min(
        (json_lines([py, str(PEERS / "grid_torch_batched.py"), *extra])[0] for extra in ([], ["--threads", "1"])),
        key=lambda r: r["grid_101_s"],
    )
    jax_grid = json_lines([py, str(PEERS / "grid_jax.py")])[0]
    torch_train = json_lines([py, str(PEERS / "train_torch.py")])[0]
    jax_train = json_lines([py, str(PEERS / "train_jax.py")])[0]
    best_batched = min(batched, jax_grid, key=lambda r: r["grid_101_s"])

    rows = [
        ("101×101 grid (s)", valley["grid_101_s"], [("PyTorch loop", loop["grid_101_s"]), (f"best batched ({best_batched['peer']})", best_batched["grid_101_s"])], "lower"),
        ("41×41 grid (s)", valley["grid_41_s"], [("PyTorch loop", loop["grid_41_s"]), (f"best batched ({best_batched['peer']})", best_batched["grid_41_s"])], "lower"),
        ("Adam, full batch (steps/s)", valley["train_full_steps_per_s"], [("PyTorch", torch_train["full_batch_steps_s"]), ("JAX lax.scan", jax_train["full_batch_steps_s"])], "higher"),
        ("Adam, minibatch 64 (steps/s)", valley["train_mb64_steps_per_s"], [("PyTorch", torch_train["minibatch64_steps_s"]), ("JAX lax.scan", jax_train["minibatch64_steps_s"])], "higher"),
    ]
    print("| figure | Valley | peer | peer figure | Valley's advantage |")
    print("| --- | --- | --- | --- | --- |")
    for name, ours, peers, better in rows:
        for peer, theirs in peers:
            ratio = theirs / ours if better == "lower" else ours / theirs
            print(f"| {name} | {ours:,.3g} | {peer} | {theirs:,.3g} | {ratio:.2f}× |")
    print()
    print(json.dumps({"valley": valley, "torch_loop": loop, "torch_batched": batched, "jax_grid": jax_grid, "torch_train": torch_train, "jax_train": jax_train}))


if __name__ == "__main__":
    main()
