"""PyTorch Adam training throughput of Valley's character-level language model.

Model: scripts/char_model.py's CharModel(V, k=3, d=10, H=[200], tanh), PyTorch default init
after torch.manual_seed(0), float32; Adam(lr=0.01); F.cross_entropy (mean); eager PyTorch.
Data: assets/corpora/names.txt if it exists (vocabulary = its sorted distinct characters,
examples = every position t >= 3 with context ids[t-3:t] and target ids[t], first 90% used
for training), otherwise 25,000 examples of random ids with V = 27 (char_model.training_examples).
Minibatch 32: each epoch a fresh random permutation of the training examples cut into
batches of 32 (the remainder dropped). Each step: zero_grad, forward, loss, backward, step.
Steps/s is the best of 3 windows of >= 2 s each, after a warm-up.

Cross-check with train_language_jax.py: `loss_after_1000_steps` is the training-set loss
after 1,000 Adam steps from the init on a fixed batch sequence (numpy default_rng(0)
permutations, 32 per batch) that both scripts use.

Run: python bench/peers/train_language_torch.py [--threads N]
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from common import steps_per_second, torch_threads

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from char_model import CharModel, training_examples  # noqa: E402

CONTEXT, EMBED, HIDDEN, ACT = 3, 10, [200], "tanh"
BATCH, STEPS_PER_CALL, CHECK_STEPS = 32, 500, 1000


def check_batches(n, steps, batch=BATCH):
    """[steps, batch] indices: consecutive numpy default_rng(0) permutations, remainder dropped."""
    rng = np.random.default_rng(0)
    per_epoch = n // batch
    out = []
    while len(out) * per_epoch < steps:
        out.append(rng.permutation(n)[: per_epoch * batch].reshape(per_epoch, batch))
    return np.concatenate(out)[:steps]


def main():
    threads = torch_threads()
    vocab, x, y, source = training_examples(CONTEXT)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    n = y.shape[0]
    per_epoch = n // BATCH

    def make():
        torch.manual_seed(0)
        model = CharModel(vocab, CONTEXT, EMBED, HIDDEN, ACT)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)

        def step(xb, yb):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        return model, step

    res = {"peer": "torch eager", "torch": torch.__version__, "data": source, "vocab": vocab,
           "examples": n, "batch": BATCH}

    model, step = make()
    for idx in torch.from_numpy(check_batches(n, CHECK_STEPS)):
        step(x[idx], y[idx])
    with torch.no_grad():
        res["loss_after_1000_steps"] = float("%.6g" % F.cross_entropy(model(x), y))

    model, step = make()
    gen = torch.Generator().manual_seed(0)
    state = {"batches": None, "next": per_epoch}

    def run():
        for _ in range(STEPS_PER_CALL):
            if state["next"] == per_epoch:  # new epoch: fresh permutation, remainder dropped
                perm = torch.randperm(n, generator=gen)[: per_epoch * BATCH]
                state["batches"], state["next"] = perm.view(per_epoch, BATCH), 0
            idx = state["batches"][state["next"]]
            state["next"] += 1
            step(x[idx], y[idx])

    res["steps_per_s"] = round(steps_per_second(run, STEPS_PER_CALL))
    res["threads"] = threads
    print(json.dumps(res))


if __name__ == "__main__":
    main()
