#!/usr/bin/env bash
# The release binary on older CPUs: runs target/release/valley under
# qemu-x86_64 as a Haswell (AVX2 + FMA, no AVX-512) and as a Nehalem (SSE4.2,
# no AVX at all), and checks that each draws the same landscape and trains
# the same run as this machine's CPU, to rounding. Needs qemu-user (Debian:
# apt-get install qemu-user); build first with `cargo build --release`.
#
# A binary built with `-C target-cpu=native` died here with an illegal
# instruction; this one picks its kernels' instructions at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/valley
command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 is missing: apt-get install qemu-user" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# A short text: emulated AVX2 is slow, and the whole names corpus took minutes.
head -n 400 assets/corpora/names.txt > "$out/names.txt"

run() { # name, then the command prefix (empty for this CPU)
  local name=$1
  shift
  local start=$SECONDS
  "$@" "$bin" landscape --dataset moons --size 300 --res 15 --csv "$out/$name.csv" >/dev/null 2>"$out/$name.log"
  "$@" "$bin" train --dataset moons --size 300 --steps 300 --json > "$out/$name.json" 2>>"$out/$name.log"
  "$@" "$bin" train --text "$out/names.txt" --context 2 --embed 4 --hidden 16 --steps 100 --json > "$out/$name-names.json" 2>>"$out/$name.log"
  echo "$name: ran in $((SECONDS - start)) s, kernels at $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["simd"])' "$out/$name.json")"
}

run native
run haswell qemu-x86_64 -cpu Haswell
run nehalem qemu-x86_64 -cpu Nehalem

python3 - "$out" <<'EOF'
import json, sys
out = sys.argv[1]
def losses(name):
    with open(f"{out}/{name}.csv") as f:
        return [float(line.rsplit(",", 1)[1]) for line in f.read().splitlines()[1:]]
def loss(name):
    with open(f"{out}/{name}.json") as f:
        return json.load(f)["train_loss"]
ok = True
native = losses("native")
for cpu in ["haswell", "nehalem"]:
    grid = losses(cpu)
    worst = max(abs(a - b) / max(abs(b), 1.0) for a, b in zip(grid, native))
    runs = [(loss(cpu), loss("native")), (loss(f"{cpu}-names"), loss("native-names"))]
    run_worst = max(abs(a - b) / max(abs(b), 1.0) for a, b in runs)
    good = len(grid) == len(native) == 225 and worst <= 1e-5 and run_worst <= 1e-3
    ok &= good
    print(f"{cpu}: landscape within {worst:.1e} of this CPU's, training losses within {run_worst:.1e}: {'same' if good else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
EOF
