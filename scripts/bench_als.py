#!/usr/bin/env python3
"""Side-by-side ALS benchmark: latent against the Python library `implicit` (0.7.x).

Both run on exactly the same customer x product matrix: latent builds it from the
transaction file and saves it as .npy arrays, implicit loads those arrays into a scipy CSR
matrix. Both use conjugate gradient, the given factors and threads, regularization 0.01,
alpha 1.0 (implicit's conventions). Reports the median epoch, batch top-10 for every
customer (already-bought items filtered) and peak memory of each process.

Usage:
  python3 scripts/bench_als.py --data sample-data/online_retail_full.parquet
  python3 scripts/bench_als.py --synth-rows 10000000
Needs: numpy, scipy, implicit==0.7.3 (see BENCHMARKS.md), a release build of latent.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def latent_binary():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.expanduser("~"), ".cache", "latent-target"))
    for candidate in (os.path.join(target, "release", "latent"), os.path.join(ROOT, "target", "release", "latent")):
        if os.path.exists(candidate):
            return candidate
    sys.exit("no release build of latent found: run `cargo build --release` first")


def run_implicit(matrix_dir, factors, iterations, threads):
    """Runs implicit in a child process so its peak memory is its own."""
    code = r'''
import json, resource, sys, time
import numpy as np, scipy.sparse as sp
from threadpoolctl import threadpool_limits
from implicit.cpu.als import AlternatingLeastSquares
d, factors, iterations, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
shape = np.load(d + "/shape.npy")
m = sp.csr_matrix((np.load(d + "/data.npy"), np.load(d + "/indices.npy"), np.load(d + "/indptr.npy")), shape=(int(shape[0]), int(shape[1])))
epochs = []
last = [time.perf_counter()]
def callback(iteration, elapsed, loss):
    now = time.perf_counter(); epochs.append(now - last[0]); last[0] = now
with threadpool_limits(1, "blas"):
    model = AlternatingLeastSquares(factors=factors, regularization=0.01, alpha=1.0, iterations=iterations,
                                    use_cg=True, num_threads=threads, calculate_training_loss=False, random_state=42)
    last[0] = time.perf_counter()
    t = time.perf_counter(); model.fit(m, show_progress=False, callback=callback); fit = time.perf_counter() - t
    users = np.arange(m.shape[0])
    t = time.perf_counter(); ids, scores = model.recommend(users, m, N=10, filter_already_liked_items=True); topk = time.perf_counter() - t
epochs.sort()
print(json.dumps({"fit": fit, "epoch_median": epochs[len(epochs)//2], "epoch_best": epochs[0], "topk": topk,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mib": base / 1024}))
'''
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["OPENBLAS_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", code, matrix_dir, str(factors), str(iterations), str(threads)],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_latent(binary, matrix_dir, factors, iterations, threads):
    out = subprocess.run([binary, "bench", "als", "--matrix", matrix_dir, "--factors", str(factors),
                          "--iterations", str(iterations), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    grab = lambda label: float(re.search(label + r"\s+([0-9.]+)", out).group(1))
    return {"fit": grab(r"fit \(\d+ iter\)"), "epoch_median": grab("epoch median"), "epoch_best": grab("epoch best"),
            "topk": grab("top-10 all users"), "peak_mib": grab("peak RSS")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="transaction file (CSV or Parquet)")
    src.add_argument("--synth-rows", type=int, help="generate this many synthetic lines first")
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    binary = latent_binary()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if args.synth_rows:
            data = os.path.join(tmp, "synth.csv")
            subprocess.run([binary, "data", "synth", "--rows", str(args.synth_rows), "--seed", "42", "--out", data], check=True,
                           capture_output=True)
        matrix = os.path.join(tmp, "matrix")
        saved = subprocess.run([binary, "bench", "als", data, "--save-matrix", matrix], check=True, capture_output=True, text=True).stdout
        print(saved.strip())
        imp = run_implicit(matrix, args.factors, args.iterations, args.threads)
        lat = run_latent(binary, matrix, args.factors, args.iterations, args.threads)
    print(f"factors {args.factors}, {args.iterations} iterations, {args.threads} threads, CG")
    print(f"{'':<22}{'latent':>10}{'implicit':>10}{'ratio':>8}")
    for key, label in [("epoch_median", "epoch (median, s)"), ("epoch_best", "epoch (best, s)"), ("topk", "top-10 all users (s)"),
                       ("peak_mib", "peak RSS (MiB)")]:
        print(f"{label:<22}{lat[key]:>10.3f}{imp[key]:>10.3f}{lat[key] / imp[key]:>8.2f}")
    print(f"(implicit's interpreter + numpy + scipy before loading: {imp['base_mib']:.0f} MiB)")


if __name__ == "__main__":
    main()
