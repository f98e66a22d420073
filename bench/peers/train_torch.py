"""PyTorch Adam training throughput of the common case (see common.py).

Adam(lr=0.01), mean cross-entropy, float32, eager PyTorch, default thread count.
Each step: zero_grad, forward, loss, backward, optimizer.step().
  * full batch: all 1,000 points per step;
  * minibatch 64: each epoch draws a random permutation (sampling without replacement)
    and takes 15 batches of 64 from it (the last 40 points of the permutation are dropped).
Steps/s is the best of 3 windows of >= 2 s each, after a warm-up.

Run: python bench/peers/train_torch.py [--threads N]
"""

import json

import torch
import torch.nn.functional as F

from common import make_data, steps_per_second, torch_model, torch_threads

BATCH = 64


def main():
    threads = torch_threads()
    x, y = make_data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    n = x.shape[0]
    per_epoch = n // BATCH

    def make(minibatch):
        model = torch_model()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        gen = torch.Generator().manual_seed(0)

        def step(xb, yb):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        def run_full():
            for _ in range(100):
                step(x, y)

        def run_epoch():
            perm = torch.randperm(n, generator=gen)[: per_epoch * BATCH].view(per_epoch, BATCH)
            for idx in perm:
                step(x[idx], y[idx])

        return (run_epoch, per_epoch, model) if minibatch else (run_full, 100, model)

    res = {"peer": "torch_train", "torch": torch.__version__}
    # cross-check with train_jax.py: loss after 1,000 full-batch steps from the init
    run, _, model = make(False)
    for _ in range(10):
        run()
    with torch.no_grad():
        res["loss_after_1000_full_steps"] = float("%.6g" % F.cross_entropy(model(x), y))
    res["full_batch_steps_s"] = round(steps_per_second(*make(False)[:2]))
    res["minibatch64_steps_s"] = round(steps_per_second(*make(True)[:2]))
    res["threads"] = threads
    print(json.dumps(res))


if __name__ == "__main__":
    main()
