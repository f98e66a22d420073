"""Valley's character language model against the PyTorch and JAX peers, in one session.

The standard small model (27 symbols, context 3, embedding 10, 200 tanh units, batch 32,
Adam lr 0.01) on the names corpus: training steps per second (PyTorch eager on its best
thread count, JAX jit + lax.scan), and a 61x61 filter-normalised slice of the whole
training loss. Ratios are only meaningful within one run of this script (the machines are
noisy). Needs the peers' packages (`pip install -r bench/peers/requirements.txt`).

Run from the repository root: python bench/compare_language.py [--repeats R]
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
    extra = sys.argv[1:]
    valley = {}
    for r in json_lines(["cargo", "run", "--release", "--quiet", "--example", "language_benchmark"]):
        valley[r["figure"]] = r
    py = sys.executable
    torch_train = max(
        (json_lines([py, str(PEERS / "train_language_torch.py"), *t])[0] for t in ([], ["--threads", "1"])),
        key=lambda r: r["steps_per_s"],
    )
    jax_train = json_lines([py, str(PEERS / "train_language_jax.py")])[0]
    torch_grid = json_lines([py, str(PEERS / "grid_language_torch.py"), *extra])[0]
    jax_grid = json_lines([py, str(PEERS / "grid_language_jax.py"), *extra])[0]
    ours_steps = valley["lm_train_steps_per_s"]["value"]
    ours_grid = valley["lm_grid_61_s"]["value"]
    print("| figure | Valley | peer | peer figure | Valley's advantage |")
    print("| --- | --- | --- | --- | --- |")
    for peer, theirs in [(f"PyTorch eager ({torch_train['threads']} thread(s))", torch_train["steps_per_s"]),
                         ("JAX jit + lax.scan", jax_train["steps_per_s"])]:
        print(f"| LM training (steps/s) | {ours_steps:,.0f} | {peer} | {theirs:,.0f} | {ours_steps / theirs:.2f}× |")
    for peer, theirs in [("PyTorch", torch_grid["grid_61_s"]), ("JAX", jax_grid["grid_61_s"])]:
        print(f"| LM 61×61 slice (s) | {ours_grid:.1f} | {peer} | {theirs:.1f} | {theirs / ours_grid:.2f}× |")
    print()
    print(json.dumps({"valley": valley, "torch_train": torch_train, "jax_train": jax_train,
                      "torch_grid": torch_grid, "jax_grid": jax_grid}))


if __name__ == "__main__":
    main()
