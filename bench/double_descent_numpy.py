"""numpy peer of Valley's default random-features double-descent sweep.

    /work/venv-bench/bin/python bench/double_descent_numpy.py

Does the same work as Valley's default sweep: d = 20 inputs, 100 training and
1000 test points x ~ N(0, I); a random teacher t ~ N(0, I) labels x as class
1 if x.t > 0 else 0; each training label is flipped with probability 0.1;
targets are one-hot (2 outputs). For 24 widths log-spaced from 10 to 1000
plus 80, 90, 95, 105, 110, 125 (30 in all) and seeds 0..5 (five), it draws W
(d x p, std 1/sqrt(d)), takes features relu(x W) * sqrt(2/p), and solves the
output layer by minimum-norm least squares through an SVD (singular values
<= eps * max(m, n) * s_max dropped, no ridge). Seed s draws data, teacher and
every W from one numpy.random.default_rng(s). It reports per width the mean
train loss, test loss (squared error summed over the two outputs, averaged
over points) and test error (argmax differs from the clean label).

Measured: wall time of the whole sweep (data, features, SVDs, losses), best of
three runs. The last line printed is JSON for comparison within one session:
{"peer", "seconds", "configs", "peak_width", "peak_over_last"}.

Threads: BLAS/LAPACK threads are set from PEER_THREADS (default "2") before
numpy is imported. Valley's run uses both cores of the machine, so the default
matches it; PEER_THREADS=1 gives the single-threaded figure.
"""

import os

_THREADS = os.environ.get("PEER_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = _THREADS

import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

D = 20
N_TRAIN = 100
N_TEST = 1000
LABEL_NOISE = 0.1
SEEDS = range(5)
EXTRA = (0.8, 0.9, 0.95, 1.05, 1.1, 1.25)
RUNS = 3


def widths():
    logspaced = np.rint(np.geomspace(0.1 * N_TRAIN, 10 * N_TRAIN, 24)).astype(int)
    extra = [int(round(N_TRAIN * f)) for f in EXTRA]
    return sorted(set(int(p) for p in logspaced) | set(extra))


def features(x, w):
    return np.maximum(x @ w, 0.0) * np.sqrt(2.0 / w.shape[1])


def min_norm_solve(phi, y):
    u, s, vt = np.linalg.svd(phi, full_matrices=False)
    keep = s > np.finfo(np.float64).eps * max(phi.shape) * s[0]
    return vt[keep].T @ ((u[:, keep].T @ y) / s[keep][:, None])


def sweep(ps):
    """Returns arrays (seeds, widths) of train loss, test loss, test error."""
    shape = (len(SEEDS), len(ps))
    train_loss, test_loss, test_err = np.empty(shape), np.empty(shape), np.empty(shape)
    eye = np.eye(2)
    for i, seed in enumerate(SEEDS):
        rng = np.random.default_rng(seed)
        x_train = rng.standard_normal((N_TRAIN, D))
        x_test = rng.standard_normal((N_TEST, D))
        teacher = rng.standard_normal(D)
        label_train = (x_train @ teacher > 0).astype(int)
        label_test = (x_test @ teacher > 0).astype(int)
        flip = rng.random(N_TRAIN) < LABEL_NOISE
        label_train = np.where(flip, 1 - label_train, label_train)
        y_train, y_test = eye[label_train], eye[label_test]
        for j, p in enumerate(ps):
            w = rng.standard_normal((D, p)) / np.sqrt(D)
            phi_train, phi_test = features(x_train, w), features(x_test, w)
            out = min_norm_solve(phi_train, y_train)
            pred_train, pred_test = phi_train @ out, phi_test @ out
            train_loss[i, j] = np.mean(np.sum((pred_train - y_train) ** 2, axis=1))
            test_loss[i, j] = np.mean(np.sum((pred_test - y_test) ** 2, axis=1))
            test_err[i, j] = np.mean(np.argmax(pred_test, axis=1) != label_test)
    return train_loss, test_loss, test_err


def main():
    ps = widths()
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        train_loss, test_loss, test_err = sweep(ps)
        best = min(best, time.perf_counter() - start)
    train_mean, test_mean, err_mean = train_loss.mean(0), test_loss.mean(0), test_err.mean(0)
    print(f"{'width':>6} {'train loss':>12} {'test loss':>12} {'test error':>11}")
    for p, tr, te, er in zip(ps, train_mean, test_mean, err_mean):
        print(f"{p:6d} {tr:12.4g} {te:12.4g} {er:11.3f}")
    peak = int(np.argmax(test_mean))
    print(json.dumps({
        "peer": f"numpy {np.__version__}",
        "seconds": best,
        "configs": len(ps) * len(SEEDS),
        "peak_width": ps[peak],
        "peak_over_last": float(test_mean[peak] / test_mean[-1]),
    }))


if __name__ == "__main__":
    main()
