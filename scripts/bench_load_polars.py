#!/usr/bin/env python3
"""The peer of `latent bench load` in polars (Python): file -> cleaned lines -> pair counts.

The pipeline of issue #15: `read_csv`, drop cancellations (InvoiceNo starting with C)
and lines without a customer, parse the dates, then `group_by(customer, product).len()`.
It does less than latent (no absurd amounts, adjustment invoices, non-product codes,
prices, implausible dates, duplicates or id maps), so the ratio flatters polars a little.

    python3 -m venv ~/.cache/latent-venv-polars
    ~/.cache/latent-venv-polars/bin/pip install polars
    ~/.cache/latent-venv-polars/bin/python scripts/bench_load_polars.py /tmp/synth10m.csv --repeat 3

Prints the best and median wall time and the process's peak RSS (ru_maxrss).
"""

import argparse
import resource
import statistics
import sys
import time

import polars as pl


def load(path: str) -> pl.DataFrame:
    if path.endswith(".parquet"):
        frame = pl.read_parquet(path)
    else:
        frame = pl.read_csv(
            path,
            schema_overrides={"InvoiceNo": pl.Utf8, "StockCode": pl.Utf8, "CustomerID": pl.Utf8},
        )
    clean = frame.filter(
        ~pl.col("InvoiceNo").str.starts_with("C") & pl.col("CustomerID").is_not_null()
    ).with_columns(
        pl.col("InvoiceDate").str.strptime(pl.Datetime, "%m/%d/%Y %H:%M", strict=False)
        if frame.schema["InvoiceDate"] == pl.Utf8
        else pl.col("InvoiceDate")
    )
    return clean.group_by("CustomerID", "StockCode").len()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        pairs = load(args.path)
        times.append(time.perf_counter() - started)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"polars {pl.__version__} load {args.path}")
    print(f"pairs {pairs.height:,}  threads {pl.thread_pool_size()}")
    print(f"best {min(times):.3f}s  median {statistics.median(times):.3f}s")
    print(f"peak RSS {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
