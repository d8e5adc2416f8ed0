#!/usr/bin/env python3
"""Opens a `latent export --format all` folder with the real tools and checks it.

Usage: check_export.py EXPORT_DIR

- numpy reads the bundle's .npy factors (float32, C order) and they equal the Parquet
  factors pyarrow reads and implicit's .npz;
- pyarrow reads every Parquet file with the documented columns and types;
- implicit (0.7.x) loads implicit/model.npz with AlternatingLeastSquares.load, and its
  recommend(filter_already_liked_items=True) matches latent's recs (the export must use
  the default rules);
- the SageMaker archive holds the bundle's files, byte for byte.
Prints one JSON summary line; exits 1 with a message on any mismatch.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse


def fail(message):
    print(f"check_export: {message}", file=sys.stderr)
    sys.exit(1)


def main(root):
    bundle = os.path.join(root, "bundle")
    manifest = json.load(open(os.path.join(root, "manifest.json")))
    for f in manifest["files"]:
        data = open(os.path.join(root, f["path"]), "rb").read()
        if hashlib.sha256(data).hexdigest() != f["sha256"] or len(data) != f["size"]:
            fail(f"{f['path']}: size or sha256 differs from manifest.json")

    # numpy: factors are float32, C order, 2-d.
    uf = np.load(os.path.join(bundle, "user_factors.npy"))
    itf = np.load(os.path.join(bundle, "item_factors.npy"))
    for name, a in (("user_factors", uf), ("item_factors", itf)):
        if a.dtype != np.float32 or not a.flags["C_CONTIGUOUS"] or a.ndim != 2:
            fail(f"{name}.npy: dtype {a.dtype}, C order {a.flags['C_CONTIGUOUS']}")

    # pyarrow: id maps, factors, popularity.
    users = pq.read_table(os.path.join(bundle, "users.parquet"))
    items = pq.read_table(os.path.join(bundle, "items.parquet"))
    if users.column_names != ["index", "user_id", "segment"]:
        fail(f"users.parquet columns {users.column_names}")
    if items.column_names != ["index", "item_id", "description"]:
        fail(f"items.parquet columns {items.column_names}")
    user_ids = users.column("user_id").to_pylist()
    item_ids = items.column("item_id").to_pylist()
    if len(user_ids) != uf.shape[0] or len(item_ids) != itf.shape[0]:
        fail("id maps and factor rows differ in length")
    for name, a, ids in (("user", uf, user_ids), ("item", itf, item_ids)):
        t = pq.read_table(os.path.join(bundle, f"{name}_factors.parquet"))
        ftype = t.schema.field("features").type
        if not (pa.types.is_list(ftype) or pa.types.is_large_list(ftype)) or ftype.value_type != pa.float32():
            fail(f"{name}_factors.parquet features type {t.schema.field('features').type}")
        if t.column("id").to_pylist() != ids:
            fail(f"{name}_factors.parquet ids differ from the id map")
        feats = np.array(t.column("features").to_pylist(), dtype=np.float32)
        if not np.array_equal(feats, a):
            fail(f"{name}_factors.parquet differs from {name}_factors.npy")
    pop = pq.read_table(os.path.join(bundle, "popularity.parquet"))
    if pop.column_names != ["rank", "item_id", "buyers"] or pop.num_rows != len(item_ids):
        fail(f"popularity.parquet columns {pop.column_names} rows {pop.num_rows}")
    spec = json.load(open(os.path.join(bundle, "als_spec.json")))
    if not all(isinstance(v, str) for v in spec.values()) or "als_rank" not in spec:
        fail(f"als_spec.json must map names to strings: {spec}")

    # recs: Parquet and CSV agree.
    recs = pq.read_table(os.path.join(root, "recs", "recs.parquet"))
    types = {f.name: str(f.type) for f in recs.schema}
    want = {"user_id": ("string", "large_string", "string_view"), "item_id": ("string", "large_string", "string_view"),
            "rank": ("uint32",), "score": ("float",), "reason": ("string", "large_string", "string_view")}
    for col, ok in want.items():
        if types.get(col) not in ok:
            fail(f"recs.parquet column {col} has type {types.get(col)}")
    lines = open(os.path.join(root, "recs", "recs.csv")).read().splitlines()
    if lines[0] != "user_id,item_id,rank,score,reason" or len(lines) - 1 != recs.num_rows:
        fail("recs.csv header or row count differs from recs.parquet")
    latent = {}
    for u, i, r, s in zip(*(recs.column(c).to_pylist() for c in ("user_id", "item_id", "rank", "score"))):
        latent.setdefault(u, []).append((r, i, s))

    # implicit: load the model and compare its lists with latent's.
    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares.load(os.path.join(root, "implicit", "model.npz"))
    if not np.array_equal(model.user_factors, uf) or not np.array_equal(model.item_factors, itf):
        fail("implicit model factors differ from the bundle's")
    if model.factors != uf.shape[1] or model.dtype != np.float32:
        fail(f"implicit model factors={model.factors} dtype={model.dtype}")
    ui = scipy.sparse.load_npz(os.path.join(root, "implicit", "user_items.npz")).tocsr()
    ids = json.load(open(os.path.join(root, "implicit", "ids.json")))
    if ids["users"] != user_ids or ids["items"] != item_ids:
        fail("implicit/ids.json differs from the bundle's id maps")
    k = max(len(v) for v in latent.values())
    rows = np.arange(len(user_ids))
    got_items, got_scores = model.recommend(rows, ui[rows], N=k, filter_already_liked_items=True)
    same = compared = 0
    worst = 0.0
    for u in rows:
        mine = sorted(latent.get(user_ids[u], []))
        theirs = [(item_ids[i], s) for i, s in zip(got_items[u], got_scores[u]) if i >= 0 and np.isfinite(s)]
        theirs = theirs[: len(mine)]
        compared += 1
        if [x[1] for x in mine] == [t[0] for t in theirs]:
            same += 1
        for (_, _, s), (_, t) in zip(mine, theirs):
            worst = max(worst, abs(s - float(t)))
    share = same / max(compared, 1)
    if share < 0.99 or worst > 1e-4:
        fail(f"implicit's recommend matches latent for {share:.4f} of customers (worst score gap {worst:.2e})")

    # SageMaker: the archive holds the bundle.
    with tarfile.open(os.path.join(root, "sagemaker", "model.tar.gz")) as tar:
        names = set(tar.getnames())
        for f in json.load(open(os.path.join(bundle, "manifest.json")))["files"]:
            if f["path"] not in names:
                fail(f"model.tar.gz lacks {f['path']}")
            data = tar.extractfile(f["path"]).read()
            if hashlib.sha256(data).hexdigest() != f["sha256"]:
                fail(f"model.tar.gz: {f['path']} differs from the bundle")
        if "manifest.json" not in names:
            fail("model.tar.gz lacks manifest.json")

    print(json.dumps({"customers": compared, "implicit_same_lists": share,
                      "implicit_worst_score_gap": worst, "files": len(manifest["files"])}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: check_export.py EXPORT_DIR")
    main(sys.argv[1])
