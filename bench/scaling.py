"""Scaling benchmark: Valley and JAX as the MLP (1k to 1M parameters) and the data (1k, 10k points) grow.

Runs Valley's side (`cargo run --release --quiet -p valley-engine --example scaling`) and
then the JAX peer (`bench/peers/scaling_jax.py`, whose docstring defines the cases and the
three figures) in the same session, one after the other. Both print one JSON line per
case with the same keys (Valley's has "simd" where JAX's has "jax"). Then:

  * writes every row to bench/scaling.json: {"date", "machine", "rows": [...]} (written
    again after each side, so a failure in the second keeps the first);
  * prints a Markdown table: per (params, points), Valley / JAX / Valley's advantage for
    the 41x41 grid time, the top-5 Hessian time and Adam steps/s (advantage = JAX time /
    Valley time, or Valley steps/s / JAX steps/s; above 1 means Valley is faster);
  * draws assets/readme/scaling.png: three log-log panels against parameters, Valley
    solid, JAX dashed, one colour per N; hollow markers where the figure was scaled up
    from a partial measurement (grid_points_measured < 1681 or
    hessian_products_measured < 60).

Needs a Rust toolchain and the peers' packages with matplotlib
(`pip install -r bench/peers/requirements.txt`); run it with that Python.

Run from the repository root:
  python bench/scaling.py                      # everything (several minutes)
  python bench/scaling.py --quick              # smallest case only; writes no files unless --out/--png
  python bench/scaling.py --cases 29:1000,997:1000   # passed to both sides
  python bench/scaling.py --from-json bench/scaling.json [--png /tmp/s.png]   # redraw only
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
DEFAULT_JSON = ROOT / "bench" / "scaling.json"
DEFAULT_PNG = ROOT / "assets" / "readme" / "scaling.png"
GRID_POINTS, LANCZOS_STEPS = 41 * 41, 60

# (key, panel title, unit, higher is better, "measured" key, full count)
FIGURES = [
    ("grid_41_s", "41×41 loss grid", "seconds", False, "grid_points_measured", GRID_POINTS),
    ("hessian_top5_s", "Top-5 Hessian eigenvalues (Lanczos, 60 products)", "seconds", False, "hessian_products_measured", LANCZOS_STEPS),
    ("adam_steps_per_s", "Full-batch Adam", "steps per second", True, None, None),
]
PEER_NAMES = {"valley": "Valley", "jax": "JAX"}


def stream_json_lines(command):
    """Run command; echo and collect the JSON lines of its stdout as they come (stderr passes through)."""
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    rows = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            line = line.rstrip("\n")
            print(line, file=sys.stderr, flush=True)
            if line.startswith("{"):
                rows.append(json.loads(line))
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} exited with status {proc.returncode}")
    return rows


def machine_note():
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
        mem = f", {kb / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = ", load average at start {:.2f}".format(os.getloadavg()[0]) if hasattr(os, "getloadavg") else ""
    return f"{os.cpu_count()} cores, {cpu}{mem}, {platform.system()}{load}; Python {platform.python_version()}"


def save(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path}", file=sys.stderr)


def by_case(rows):
    """{(params, points): {peer: row}}."""
    cases = {}
    for r in rows:
        cases.setdefault((r["params"], r["points"]), {})[r["peer"]] = r
    return dict(sorted(cases.items()))


def partial(row, key):
    for k, _, _, _, measured, full in FIGURES:
        if k == key and measured is not None:
            return row.get(measured, full) < full
    return False


def fmt(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def table(rows):
    lines = []
    head = ["params", "points"]
    for _, title, unit, *_ in FIGURES:
        short = {"seconds": "s", "steps per second": "steps/s"}[unit]
        head += [f"{title.split(' (')[0]}, Valley ({short})", "JAX", "Valley's advantage"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + " --- |" * len(head))
    notes = set()
    for (params, points), peers in by_case(rows).items():
        cells = [f"{params:,}", f"{points:,}"]
        for key, _, _, higher, measured, full in FIGURES:
            vals = []
            for peer in ("valley", "jax"):
                r = peers.get(peer)
                v = r.get(key) if r else None
                text = fmt(v)
                if r and v is not None and partial(r, key):
                    text += "*"
                    notes.add(f"{measured} = {r[measured]:,} of {full:,}")
                vals.append(v)
                cells.append(text)
            ours, theirs = vals
            if ours and theirs:
                cells.append(f"{(ours / theirs if higher else theirs / ours):.2f}×")
            else:
                cells.append("–")
        lines.append("| " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
        lines.append("\\* scaled up from a partial measurement (" + "; ".join(sorted(notes)) + ").")
    mismatch = [
        f"{p:,} params × {n:,} points"
        for (p, n), peers in by_case(rows).items()
        if len(peers) == 2 and len({r.get("hessian_products_measured") for r in peers.values()}) > 1
    ]
    if mismatch:
        lines.append("")
        lines.append("Note: the peers timed different numbers of Hessian-vector products for " + ", ".join(mismatch) + ".")
    return "\n".join(lines)


def plot(doc, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, NullLocator

    rows = doc["rows"]
    grid_m = sorted({r["grid_points_measured"] for r in rows if r.get("grid_points_measured", GRID_POINTS) < GRID_POINTS})
    hess_q = sorted({r["hessian_products_measured"] for r in rows if r.get("hessian_products_measured", LANCZOS_STEPS) < LANCZOS_STEPS})
    points_values = sorted({r["points"] for r in rows})
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    colour = {n: palette[i % len(palette)] for i, n in enumerate(points_values)}
    style = {"valley": ("-", "o"), "jax": ("--", "s")}
    params_values = sorted({r["params"] for r in rows})

    plt.rcParams.update({"font.size": 12})
    fig, axes = plt.subplots(1, 3, figsize=(16, 5), dpi=100)
    partial_notes = False
    for ax, (key, title, unit, higher, measured, full) in zip(axes, FIGURES):
        for peer in ("valley", "jax"):
            line, marker = style[peer]
            for n in points_values:
                pts = sorted((r["params"], r[key], partial(r, key)) for r in rows if r["peer"] == peer and r["points"] == n and r.get(key))
                if not pts:
                    continue
                xs, ys, hollow = zip(*pts)
                ax.plot(xs, ys, line, color=colour[n], lw=2, zorder=2)
                for x, y, h in pts:
                    ax.plot(x, y, marker, ms=8, mew=2, color=colour[n], mfc="white" if h else colour[n], zorder=3)
                    partial_notes |= h
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{title}\n({unit}, {'higher' if higher else 'lower'} is better)", fontsize=13)
        ax.set_xlabel("parameters")
        ax.xaxis.set_major_locator(FixedLocator(params_values))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{p:,}" for p in params_values], fontsize=10)
        lo, hi = min(params_values), max(params_values)
        ax.set_xlim(lo / 1.6, hi * 1.6)
        ax.grid(True, which="major", alpha=0.35)
        ax.grid(True, which="minor", axis="y", alpha=0.12)

    handles = [Line2D([], [], color="black", ls=style[p][0], marker=style[p][1], lw=2, ms=7, label=PEER_NAMES[p]) for p in ("valley", "jax")]
    handles += [Line2D([], [], color=colour[n], lw=6, label=f"{n:,} points") for n in points_values]
    handles.append(Line2D([], [], color="grey", ls="none", marker="o", mfc="white", mew=2, ms=8, label="scaled from a partial run"))
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, 1.0), fontsize=12)

    foot = "MLP 2-H-H-2 tanh, H = " + ", ".join(str(h) for h in sorted({r["hidden"] for r in rows})) + "; two-moons data; CPU."
    if partial_notes:
        parts = []
        if grid_m:
            parts.append(f"grid time from {' or '.join(f'{m:,}' for m in grid_m)} of its {GRID_POINTS:,} points")
        if hess_q:
            parts.append(f"Hessian time from {' or '.join(map(str, hess_q))} of its {LANCZOS_STEPS} Lanczos products")
        foot += " Hollow markers: scaled up from a partial measurement (" + "; ".join(parts) + ")."
    machine = doc.get("machine")
    if machine:
        foot += f"\n{doc.get('date', '')}: {machine}"
    fig.text(0.5, 0.01, foot, ha="center", va="bottom", fontsize=10, color="#444444")
    fig.tight_layout(rect=(0, 0.09 if machine else 0.06, 1, 0.93))
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    print(f"wrote {png}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-json", type=Path, help="only redraw the table and plot from this file")
    ap.add_argument("--quick", action="store_true", help="smallest case only (passed to both sides)")
    ap.add_argument("--cases", help="H:N,H:N,... passed to both sides")
    ap.add_argument("--out", type=Path, help=f"JSON output (default {DEFAULT_JSON.relative_to(ROOT)}; none with --quick)")
    ap.add_argument("--png", type=Path, help=f"plot output (default {DEFAULT_PNG.relative_to(ROOT)}; none with --quick)")
    args = ap.parse_args()

    if args.from_json:
        doc = json.loads(args.from_json.read_text())
        print(table(doc["rows"]))
        plot(doc, args.png or DEFAULT_PNG)
        return

    out = args.out or (None if args.quick else DEFAULT_JSON)
    png = args.png or (None if args.quick else DEFAULT_PNG)
    extra = ["--quick"] if args.quick else []
    if args.cases:
        extra += ["--cases", args.cases]
    doc = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_note(),
        "rows": [],
    }
    cargo = ["cargo", "run", "--release", "--quiet", "-p", "valley-engine", "--example", "scaling"]
    for command in (cargo + (["--", *extra] if extra else []), [sys.executable, str(PEERS / "scaling_jax.py"), *extra]):
        doc["rows"] += stream_json_lines(command)
        if out:
            save(out, doc)
    print(table(doc["rows"]))
    if png:
        plot(doc, png)


if __name__ == "__main__":
    main()
