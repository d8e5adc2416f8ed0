#!/usr/bin/env bash
# Incremental update against a full retrain on Online Retail (issue #19): ALS trained up
# to 2011-09-30, October folded in with `latent update`, against ALS retrained up to
# 2011-10-31; both scored on November. Prints the fit times (run.toml's train_seconds,
# the model step alone, five runs each, median) and precision@10.
# Usage: scripts/bench_update.sh [LATENT_BINARY]   (default: target/release/latent)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$here/target}/release/latent}"
ws="$here/workspaces/demo/workspace.toml"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$bin" data split --config "$ws" --retention-date 20111031 --retention-days 61 --test-from 20111001 --train-out a.parquet --test-out oct.parquet >/dev/null
"$bin" data split --config "$ws" --retention-date 20111130 --retention-days 60 --test-from 20111101 --train-out b.parquet --test-out nov.parquet >/dev/null
"$bin" train --config "$ws" --retention-date 20110930 --retention-days 304 --out sep >/dev/null
seconds() { sed -n 's/^train_seconds = //p' "$1/run.toml"; }
precision() { "$bin" eval --run "$1" --test nov.parquet --json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["model"]["precision"], 4))'; }
median() { sort -g | sed -n 3p; }
for i in 1 2 3 4 5; do
  "$bin" update --run sep --data oct.parquet --out "upd$i" >/dev/null
  "$bin" train --config "$ws" --retention-date 20111031 --retention-days 335 --out "full$i" >/dev/null
done
u=$(for i in 1 2 3 4 5; do seconds "upd$i"; done | median)
f=$(for i in 1 2 3 4 5; do seconds "full$i"; done | median)
echo "update fit (median of 5):  ${u}s   precision@10 on November $(precision upd1)"
echo "retrain fit (median of 5): ${f}s   precision@10 on November $(precision full1)"
echo "parent, not updated:                precision@10 on November $(precision sep)"
python3 -c "print(f'update / retrain time: {float(\"$u\") / float(\"$f\"):.1%}')"
