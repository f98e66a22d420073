#!/usr/bin/env bash
# gallery.sh: the screenshots a teacher would check before a class, from the
# real app. Every view at 1024 × 768, 1280 × 720 and 1920 × 1080, with and
# without presentation mode, plus the saddle, the double well, a divergence
# and 3D.
#
#   scripts/gallery.sh [OUT_DIR]        (default: target/gallery)
#
# Needs a display: run under Xvfb (xvfb-run scripts/gallery.sh) or set DISPLAY.
# Builds the release binary if needed; each shot trains, waits for the views
# to settle, and saves the window with its scene inside.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/gallery}"
mkdir -p "$out"
cargo build --release --quiet
valley=target/release/valley
shot() {
    local name="$1"; shift
    echo "  $name"
    "$valley" --screenshot "$out/$name.png" "$@"
}
for size in 1024x768 1280x720 1920x1080; do
    for present in "" --presentation; do
        tag="$size${present:+-presentation}"
        shot "spirals-map-$tag" --steps 300 --size "$size" $present
        shot "spirals-3d-$tag" --steps 300 --size "$size" --view surface $present
        shot "spirals-side-by-side-$tag" --steps 300 --size "$size" --view side-by-side $present
        shot "race-$tag" --preset race --steps 300 --size "$size" $present
        shot "ravine-race-$tag" --preset ravine --steps 30 --size "$size" $present
    done
done
# A run that diverges: plain SGD at learning rate 100 on the spirals.
diverge="$out/diverge-scene.json"
cat > "$diverge" <<'JSON'
{"version": 1, "settings": {"problem": {"Dataset": "spirals"}, "dataset_size": 400, "noise": 0.05, "data_seed": 0, "hidden_layers": 2, "width": 16, "activation": "tanh", "train": {"optimizer": {"kind": "sgd", "lr": 100.0, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "rms_alpha": 0.99, "weight_decay": 0.0, "clip_norm": null}, "schedule": {"schedule": "constant", "warmup_steps": 0}, "batch_size": null, "seed": 0}, "steps_per_second": 60.0, "slice_mode": "Follow", "directions": "Filter", "span": 1.0, "resolution": 61, "log_scale": true, "presentation": false, "view": "Map", "camera": {"yaw": -0.7, "elevation": 1.0, "zoom": 1.0}, "race": [], "curve": "Loss", "import": null, "lower": "Predictions", "film_steps": ""}, "step": 0}
JSON
shot diverge-presentation --open "$diverge" --steps 50 --size 1280x720 --presentation
shot saddle --preset saddle --steps 400 --size 1280x720
shot double-well --preset double-well --steps 200 --size 1280x720
shot himmelblau-3d --preset himmelblau --steps 200 --size 1280x720 --view surface
echo "saved $(ls "$out"/*.png | wc -l) screenshots in $out"
