"""Valley's character-level language model, in PyTorch.

Definition (Valley matches it exactly):

* vocabulary of V symbols (ids 0..V-1), context k (1..8), embedding width d, hidden widths
  H (may be empty), activation in {tanh, relu, sigmoid, gelu} (gelu = exact erf form,
  PyTorch's default);
* forward(ctx [n, k] long) = mlp(embedding(ctx).reshape(n, k*d)) -> logits [n, V], with
  mlp = Sequential(Linear(k*d, H[0]), Act, Linear(H[0], H[1]), Act, ..., Linear(H[-1] or k*d, V));
* loss = F.cross_entropy(logits, targets) (mean, nats).

State-dict names: embedding.weight [V, d], mlp.0.weight, mlp.0.bias, mlp.2.weight, ...
(activations sit at the odd indices). Valley's flat parameter vector is these tensors,
row-major, concatenated in exactly this order (see `flat_params`).

Load weights that Valley exported (safetensors with those names):

    import sys; sys.path.insert(0, "scripts")
    from char_model import load_valley_weights
    model = load_valley_weights("weights.safetensors", activation="tanh")

Also here, for the reference script and the peer benchmarks (bench/peers/*language*):
`corpus_examples` (text -> vocabulary, contexts, targets) and `training_examples` (the
benchmark's training set: assets/corpora/names.txt if present, else random ids).
"""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = os.path.join(REPO, "assets", "corpora", "names.txt")


class CharModel(nn.Module):
    def __init__(self, vocab, context, embed, hidden=(), activation="tanh"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.vocab, self.context, self.embed = vocab, context, embed
        self.hidden, self.activation = list(hidden), activation
        self.embedding = nn.Embedding(vocab, embed)
        layers, width = [], context * embed
        for h in self.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
            width = h
        layers.append(nn.Linear(width, vocab))
        self.mlp = nn.Sequential(*layers)

    def forward(self, ctx):
        n = ctx.shape[0]
        return self.mlp(self.embedding(ctx).reshape(n, self.context * self.embed))

    def loss(self, ctx, targets):
        return F.cross_entropy(self(ctx), targets)


def flat_params(model):
    """Valley's flat parameter vector: state_dict tensors, row-major, in order (1-D tensor)."""
    return torch.cat([t.detach().reshape(-1) for t in model.state_dict().values()])


def load_valley_weights(path, activation="tanh"):
    """CharModel holding the weights of a safetensors file with CharModel's state-dict names.

    V and d come from embedding.weight [V, d]; k = mlp.0.weight.shape[1] // d; H from the
    hidden Linear layers. The activation is not stored in the file: pass it (default tanh).
    The model takes the file's dtype.
    """
    from safetensors.torch import load_file

    state = load_file(str(path))
    vocab, embed = state["embedding.weight"].shape
    n_linear = sum(1 for name in state if name.startswith("mlp.") and name.endswith(".weight"))
    weights = [state[f"mlp.{2 * i}.weight"] for i in range(n_linear)]
    in_width = weights[0].shape[1]
    if in_width % embed:
        raise ValueError(f"mlp.0.weight has {in_width} inputs, not a multiple of d = {embed}")
    hidden = [w.shape[0] for w in weights[:-1]]
    if weights[-1].shape[0] != vocab:
        raise ValueError(f"last layer has {weights[-1].shape[0]} outputs, vocabulary is {vocab}")
    model = CharModel(vocab, in_width // embed, embed, hidden, activation)
    model = model.to(state["embedding.weight"].dtype)
    model.load_state_dict(state, strict=True)
    return model


def corpus_examples(text, context):
    """(vocab, contexts [n, k] int64, targets [n] int64) of a text read as one stream.

    vocab = sorted distinct characters (ids are their positions); the examples are, for
    every position t >= k, context ids[t-k:t] and target ids[t].
    """
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
    n = len(ids) - context
    contexts = np.stack([ids[j : j + n] for j in range(context)], axis=1)
    return vocab, contexts, ids[context:].copy()


def training_examples(context, path=NAMES, fallback_vocab=27, fallback_n=25_000):
    """The peer benchmarks' training set: (V, contexts, targets, source description).

    If `path` exists: the first 90% of `corpus_examples` of its text. Otherwise
    `fallback_n` examples of uniform random ids in 0..fallback_vocab-1
    (numpy default_rng(0)).
    """
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        vocab, x, y = corpus_examples(text, context)
        n_train = int(0.9 * len(y))
        return len(vocab), x[:n_train], y[:n_train], os.path.relpath(path, REPO)
    rng = np.random.default_rng(0)
    x = rng.integers(0, fallback_vocab, size=(fallback_n, context), dtype=np.int64)
    y = rng.integers(0, fallback_vocab, size=fallback_n, dtype=np.int64)
    return fallback_vocab, x, y, f"random ids (V={fallback_vocab}, {fallback_n} examples)"
