"""PyTorch Adam training throughput of the common case (see common.py).

Adam(lr=0.01), mean cross-entropy, float32, eager PyTorch, default thread count.
Each step: zero_grad, forward, loss, backward, optimizer.step().
  * full batch: all 1,000 points per step;
  * minibatch 64: each epoch draws a random permutation (sampling without replacement)
    and takes 15 batches of 64 from it (the last 40 points of the permutation are dropped).
Steps/s is the best of 3 windows of >= 2 s each, after a warm-up.

Run: python bench/peers/train_torch.py
"""

import json

import torch
import torch.nn.functional as F

from common import make_data, steps_per_second, torch_model

BATCH = 64


def main():
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

        final = lambda: F.cross_entropy(model(x), y).item()
        return (run_epoch, per_epoch, final) if minibatch else (run_full, 100, final)

    res = {"peer": "torch_train", "torch": torch.__version__}
    run, k, final = make(False)
    res["full_batch_steps_s"] = round(steps_per_second(run, k))
    res["full_batch_final_loss"] = round(final(), 4)
    run, k, final = make(True)
    res["minibatch64_steps_s"] = round(steps_per_second(run, k))
    res["minibatch64_final_loss"] = round(final(), 4)
    res["threads"] = torch.get_num_threads()
    print(json.dumps(res))


if __name__ == "__main__":
    main()
