"""Reference minimum-norm least-squares solutions from numpy, for Valley's SVD solver.

Writes tests/data/lstsq_ref.json: a handful of (A, B) pairs and the solution X
of min ||A X - B|| with the smallest ||X||, from numpy.linalg.lstsq(A, B,
rcond=None) in float64 (LAPACK gelsd; singular values <= eps * max(m, n) *
s_max are treated as zero, the same cutoff Valley uses). The matrices come from
numpy.random.default_rng with fixed seeds and are stored in the JSON, so the
Rust test needs neither Python nor an RNG.

    /work/venv-bench/bin/python scripts/make_lstsq_reference.py

Layout: {"generator": ..., "cases": [{"name", "rows" (m), "cols" (n), "rhs" (k),
"a" (m*n, row-major), "b" (m*k, row-major), "x" (n*k, row-major), "rank"
(numpy's effective rank), "singular_values" (of A, descending)}]}.
Run once; the JSON is committed.
"""

import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "lstsq_ref.json"


def orthonormal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def cases():
    rng = np.random.default_rng(101)
    yield "tall_full_rank", rng.standard_normal((12, 5)), rng.standard_normal((12, 2))

    rng = np.random.default_rng(102)
    yield "wide_min_norm", rng.standard_normal((6, 15)), rng.standard_normal((6, 3))

    rng = np.random.default_rng(103)
    u, v = orthonormal(rng, 8), orthonormal(rng, 8)
    s = np.logspace(0.0, -9.0, 8)
    yield "square_ill_conditioned", (u * s) @ v.T, rng.standard_normal((8, 2))

    rng = np.random.default_rng(104)
    a = rng.standard_normal((10, 3)) @ rng.standard_normal((3, 6))
    yield "rank_deficient_tall", a, rng.standard_normal((10, 1))

    rng = np.random.default_rng(105)
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 9))
    yield "rank_deficient_wide", a, rng.standard_normal((4, 2))

    rng = np.random.default_rng(106)
    d, p, m = 5, 60, 40
    x = rng.standard_normal((m, d))
    w = rng.standard_normal((d, p)) / np.sqrt(d)
    a = np.maximum(x @ w, 0.0) * np.sqrt(2.0 / p)
    labels = rng.integers(0, 2, size=m)
    yield "random_features_like", a, np.eye(2)[labels]


def flat(m):
    return [float(v) for v in np.asarray(m, dtype=np.float64).reshape(-1)]


def main():
    out = []
    for name, a, b in cases():
        a = np.ascontiguousarray(a, dtype=np.float64)
        b = np.ascontiguousarray(b, dtype=np.float64)
        x, _, rank, sv = np.linalg.lstsq(a, b, rcond=None)
        (m, n), k = a.shape, b.shape[1]
        out.append({
            "name": name, "rows": m, "cols": n, "rhs": k,
            "a": flat(a), "b": flat(b), "x": flat(x),
            "rank": int(rank), "singular_values": flat(sv),
        })
        print(f"{name:24s} {m:3d}x{n:<3d} k={k} rank={int(rank)} "
              f"s_max={sv[0]:.3e} s_min={sv[-1]:.3e} max|x|={np.abs(x).max():.3e}")
    generator = f"numpy {np.__version__} linalg.lstsq rcond=None, float64"
    # One case a line: valid JSON, readable diffs, small file.
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in out)
    OUT.write_text(f'{{"generator":{json.dumps(generator)},"cases":[\n{lines}\n]}}\n')
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
