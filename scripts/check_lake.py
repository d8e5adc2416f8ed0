#!/usr/bin/env python3
"""Reads a `latent export --format recs,recs-partitioned` folder as a lake table would.

Usage: check_lake.py EXPORT_DIR

- pyarrow's dataset API reads recs-partitioned/ with Hive partitioning: the partition
  columns come back as columns, every row of recs/recs.parquet is there once, and each
  customer's country partition is the one latent's users.parquet gives (when exported);
- Spark (spark.read.parquet) reads the same folder with the same row count and columns;
- `_common_metadata` carries the schema of the data files.
Prints one JSON summary line; exits 1 with a message on any mismatch.
"""
import json
import os
import sys

import pyarrow.dataset as ds
import pyarrow.parquet as pq


def fail(message):
    print(f"check_lake: {message}", file=sys.stderr)
    sys.exit(1)


def main(root):
    lake = os.path.join(root, "recs-partitioned")
    recs = pq.read_table(os.path.join(root, "recs", "recs.parquet"))
    hive = ds.HivePartitioning.discover(null_fallback="__HIVE_DEFAULT_PARTITION__")
    table = ds.dataset(lake, format="parquet", partitioning=hive).to_table()
    if table.num_rows != recs.num_rows:
        fail(f"pyarrow reads {table.num_rows} rows, recs has {recs.num_rows}")
    for column in ("user_id", "item_id", "rank", "score", "reason", "run_id"):
        if column not in table.column_names:
            fail(f"pyarrow: no column {column} in {table.column_names}")
    partitions = [c for c in table.column_names if c not in recs.column_names]
    key = lambda t: sorted(
        zip(t.column("user_id").to_pylist(), t.column("item_id").to_pylist(),
            t.column("rank").to_pylist())
    )
    if key(table) != key(recs):
        fail("pyarrow: the partitioned rows differ from recs.parquet")
    schema = pq.read_schema(os.path.join(lake, "_common_metadata"))
    if schema.names != recs.column_names:
        fail(f"_common_metadata holds {schema.names}, recs {recs.column_names}")
    countries = (
        sorted({c or "" for c in table.column("country").to_pylist()})
        if "country" in table.column_names else []
    )

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    frame = spark.read.parquet(lake)
    spark_rows = frame.count()
    spark_columns = frame.columns
    spark_countries = (
        sorted(r[0] or "" for r in frame.select("country").distinct().collect())
        if "country" in spark_columns else []
    )
    version = spark.version
    spark.stop()
    if spark_rows != recs.num_rows:
        fail(f"Spark reads {spark_rows} rows, recs has {recs.num_rows}")
    for column in table.column_names:
        if column not in spark_columns:
            fail(f"Spark: no column {column} in {spark_columns}")
    if spark_countries != countries:
        fail(f"Spark reads countries {spark_countries[:5]}..., pyarrow {countries[:5]}...")
    print(json.dumps({
        "rows": recs.num_rows,
        "pyarrow_rows": table.num_rows,
        "spark_rows": spark_rows,
        "spark": version,
        "partitions": partitions,
        "countries": len(countries),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
