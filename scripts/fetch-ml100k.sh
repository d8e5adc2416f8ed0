#!/usr/bin/env bash
# Fetches MovieLens-100k from the PyPI wheel recbole==1.2.1 into sample-data/ml-100k/.
# The data's license forbids redistribution, so it is never committed (see .gitignore).
# Usage: scripts/fetch-ml100k.sh [DEST_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$here/sample-data/ml-100k}"
if [ -s "$dest/ml-100k.inter" ] && [ -s "$dest/ml-100k.user" ] && [ -s "$dest/ml-100k.item" ]; then
  exit 0
fi
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --no-deps --quiet --disable-pip-version-check recbole==1.2.1 -d "$tmp"
mkdir -p "$dest"
"$python" - "$tmp" "$dest" <<'PY'
import glob, os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "recbole-1.2.1-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("ml-100k.inter", "ml-100k.user", "ml-100k.item"):
        data = z.read("recbole/dataset_example/ml-100k/" + name)
        part = os.path.join(dest, name + ".part")
        with open(part, "wb") as f:
            f.write(data)
        os.replace(part, os.path.join(dest, name))
PY
echo "MovieLens-100k written to $dest"
