#!/usr/bin/env python3
"""Loads latent's `spark` export with pyspark's ALSModel.load and compares its
recommendForAllUsers(K) with latent's recs.

Usage: check_spark.py SPARK_DIR RECS_CSV K

RECS_CSV must come from the same run with `--exclude-seen false` and no other rules:
Spark's recommendForAllUsers does not leave out what was bought. Spark's int32 ids are
mapped back with latent_sidecar.json. Passes when at least 99 % of customers get the same
K products in the same order and every shared product's score is within 1e-4.
Prints one JSON summary line; exits 1 with a message otherwise.
"""
import csv
import json
import os
import sys

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
# Spark binds to the loopback interface only.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def fail(message):
    print(f"check_spark: {message}", file=sys.stderr)
    sys.exit(1)


def main(spark_dir, recs_csv, k):
    from pyspark.sql import SparkSession
    from pyspark.ml.recommendation import ALSModel

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("latent-check-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    model = ALSModel.load(spark_dir)
    side = json.load(open(os.path.join(spark_dir, "latent_sidecar.json")))
    users, items = side["user_ids"], side["item_ids"]
    if model.rank != int(side["params"]["als_rank"]):
        fail(f"rank {model.rank} differs from the sidecar's {side['params']['als_rank']}")
    schema = {f.name: f.dataType.simpleString() for f in model.userFactors.schema.fields}
    if schema != {"id": "int", "features": "array<float>"}:
        fail(f"userFactors schema {schema}")
    spark_lists = {}
    for row in model.recommendForAllUsers(k).collect():
        spark_lists[users[row["user"]]] = [(items[r["item"]], float(r["rating"])) for r in row["recommendations"]]
    spark_version = spark.version
    spark.stop()

    latent = {}
    with open(recs_csv, newline="") as f:
        for r in csv.DictReader(f):
            latent.setdefault(r["user_id"], []).append((int(r["rank"]), r["item_id"], float(r["score"])))
    same = 0
    worst = 0.0
    for u, mine in latent.items():
        mine.sort()
        theirs = spark_lists.get(u)
        if theirs is None:
            fail(f"Spark has no list for customer {u}")
        if [m[1] for m in mine] == [t[0] for t in theirs]:
            same += 1
        theirs_by_item = dict(theirs)
        for _, item, score in mine:
            if item in theirs_by_item:
                worst = max(worst, abs(score - theirs_by_item[item]))
    share = same / max(len(latent), 1)
    summary = {"spark": spark_version, "customers": len(latent), "same_lists": share, "worst_score_gap": worst}
    if share < 0.99 or worst > 1e-4:
        fail(f"Spark's lists match latent's for {share:.4f} of customers, worst score gap {worst:.2e}: {summary}")
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: check_spark.py SPARK_DIR RECS_CSV K")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
