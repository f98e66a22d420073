#!/usr/bin/env bash
# Builds Valley for the browser into web/dist/: index.html, the wasm and its
# JavaScript glue. Serve that folder with any static file server.
#
# Needs the wasm32 target and wasm-bindgen-cli at the version Cargo.lock
# pins (both installed here if missing: from rustup and crates.io; nothing
# prebuilt is downloaded). No wasm-opt: Debian's (binaryen 108) silently
# breaks this build's start function, and the names section removed below
# already brings the download under 8 MB (3 MB gzipped).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "== installing wasm-bindgen-cli $version from crates.io"
  # Not --locked: its lock file pins a webpki-roots the registry no longer
  # serves; the CLI only has to match the library's version. Without its
  # TLS (for downloading test browsers, never used here) it builds faster.
  # A tool run once per build: optimised lightly, it compiles in half the time.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$version" --no-default-features
fi

echo "== building the app for wasm32"
cargo build --profile web --target wasm32-unknown-unknown -p valley-web
out=web/dist
rm -rf "$out"
mkdir -p "$out"
# Function names only serve a debugger (a panic's message still reads).
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$out" "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/valley_web.wasm"
cp web/index.html "$out/"
size=$(stat -c %s "$out/valley_web_bg.wasm")
gzipped=$(gzip -9 -c "$out/valley_web_bg.wasm" | wc -c)
echo "web/dist: wasm $((size / 1024)) KiB, $((gzipped / 1024)) KiB gzipped"
