#!/usr/bin/env python3
"""Bayesian FM regressor on MovieLens-100k: latent (MCMC) beside myFM, side by side.

Both fit the same per-user temporal 80/20 split (`latent data split --per-user-fraction
0.2`) with the same features: user and item ids, and with side features the user's age
(5 quantile bands), gender and occupation and the movie's genres (weights summing to 1).
Rank 10, 200 sweeps. Prints fit time and test RMSE of each.

Usage: scripts/bench_fm.py [--latent target/release/latent] [--iterations 200] [--rank 10]
Needs numpy, scipy and myfm (pip install myfm) and sample-data/ml-100k
(scripts/fetch-ml100k.sh).
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ML = os.path.join(ROOT, "sample-data", "ml-100k")


def read_table(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header = [h.split(":")[0] for h in rows[0]]
    return header, rows[1:]


def read_split(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        return [(row["user_id"], row["item_id"], float(row["rating"])) for row in r]


def quantile_bands(values, bands=5):
    """The same bands as latent's `age:numeric`: cuts at the n·b/bands-th sorted value."""
    s = sorted(values)
    n = len(s)
    cuts = sorted(set(s[b * n // bands] for b in range(1, bands)))
    return lambda v: sum(1 for c in cuts if c <= v)


def design(pairs, side, users, items, user_side, item_side):
    """One-hot ids, then (with side) user and item side features."""
    cols, n_user_side, n_item_side = [], user_side[0], item_side[0]
    offset_item = len(users)
    offset_us = offset_item + len(items)
    offset_is = offset_us + n_user_side
    data, indices, indptr = [], [], [0]
    for u, i, _ in pairs:
        row = [(users[u], 1.0), (offset_item + items[i], 1.0)]
        if side:
            row += [(offset_us + f, x) for f, x in user_side[1].get(u, [])]
            row += [(offset_is + f, x) for f, x in item_side[1].get(i, [])]
        for f, x in row:
            indices.append(f)
            data.append(x)
        indptr.append(len(indices))
    width = offset_is + n_item_side
    return sps.csr_matrix((data, indices, indptr), shape=(len(pairs), width))


def side_tables():
    uh, urows = read_table(os.path.join(ML, "ml-100k.user"))
    ih, irows = read_table(os.path.join(ML, "ml-100k.item"))
    a, g, o = uh.index("age"), uh.index("gender"), uh.index("occupation")
    band = quantile_bands([float(r[a]) for r in urows])
    vocab = {}

    def code(key):
        return vocab.setdefault(key, len(vocab))

    user_rows = {}
    for r in urows:
        user_rows[r[0]] = [
            (code(("age", band(float(r[a])))), 1.0),
            (code(("gender", r[g])), 1.0),
            (code(("occupation", r[o])), 1.0),
        ]
    n_user = len(vocab)
    c = ih.index("class")
    genres = {}
    item_rows = {}
    for r in irows:
        words = sorted(set(r[c].split()))
        item_rows[r[0]] = [
            (genres.setdefault(w, len(genres)), 1.0 / len(words)) for w in words
        ]
    return (n_user, user_rows), (len(genres), item_rows)


def run_latent(latent, tmp, train, test, side, iterations, rank):
    ws = os.path.join(tmp, "side.toml" if side else "ids.toml")
    with open(ws, "w") as f:
        if side:
            f.write(
                "[data]\n"
                f'user_file = "{os.path.join(ML, "ml-100k.user")}"\n'
                f'item_file = "{os.path.join(ML, "ml-100k.item")}"\n'
                'user_features = ["age:numeric", "gender", "occupation"]\n'
                'item_features = ["class:multi"]\n'
            )
        f.write('[interactions]\nranking_type = "rating"\n')
    out = os.path.join(tmp, "run-side" if side else "run-ids")
    subprocess.run(
        [latent, "train", "--data", train, "--test", test, "--config", ws,
         "--model", "fm", "--set", "solver=mcmc", "--set", f"epochs={iterations}",
         "--set", f"num_factors={rank}", "--set", "burn_in=0",
         "--set", "validation_fraction=0", "--out", out],
        check=True, stdout=subprocess.DEVNULL,
    )
    import json
    with open(os.path.join(out, "metrics.json")) as f:
        rmse = json.load(f)["model"]["rmse"]
    seconds = None
    with open(os.path.join(out, "run.toml")) as f:
        for line in f:
            if line.startswith("train_seconds"):
                seconds = float(line.split("=")[1])
    return seconds, rmse


def run_myfm(train_pairs, test_pairs, side, iterations, rank):
    import myfm

    users = {u: k for k, u in enumerate(sorted({p[0] for p in train_pairs + test_pairs}))}
    items = {i: k for k, i in enumerate(sorted({p[1] for p in train_pairs + test_pairs}))}
    user_side, item_side = side_tables()
    x_train = design(train_pairs, side, users, items, user_side, item_side)
    x_test = design(test_pairs, side, users, items, user_side, item_side)
    y_train = np.array([p[2] for p in train_pairs])
    y_test = np.array([p[2] for p in test_pairs])
    fm = myfm.MyFMRegressor(rank=rank, random_seed=42)
    import contextlib
    import io

    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # myFM's progress bar
        fm.fit(x_train, y_train, n_iter=iterations, n_kept_samples=iterations)
    seconds = time.perf_counter() - start
    pred = fm.predict(x_test)
    return seconds, float(np.sqrt(np.mean((pred - y_test) ** 2)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--latent", default=os.path.join(ROOT, "target", "release", "latent"))
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--rank", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        train, test = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
        subprocess.run(
            [args.latent, "data", "split", os.path.join(ML, "ml-100k.inter"),
             "--per-user-fraction", "0.2", "--train-out", train, "--test-out", test],
            check=True, stdout=subprocess.DEVNULL,
        )
        train_pairs, test_pairs = read_split(train), read_split(test)
        print(f"{'features':<22}{'tool':<8}{'fit s':>8}{'RMSE':>9}")
        for side in (False, True):
            label = "ids + side features" if side else "user + item ids"
            s, r = run_latent(args.latent, tmp, train, test, side, args.iterations, args.rank)
            print(f"{label:<22}{'latent':<8}{s:>8.2f}{r:>9.4f}")
            s, r = run_myfm(train_pairs, test_pairs, side, args.iterations, args.rank)
            print(f"{label:<22}{'myFM':<8}{s:>8.2f}{r:>9.4f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
