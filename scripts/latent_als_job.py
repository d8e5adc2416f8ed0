#!/usr/bin/env python3
"""latent's ALS recipe on Spark: clean, window, aggregate, train, recommend.

Written by `latent export --format spark-job` beside `job.json`, which holds everything
the run depended on: the data path, the column mapping, the cleaning rules, the retention
window, ranking_type, the ALS hyperparameters (under Spark's names) and how latent's
convention maps onto Spark's.

Usage:
    spark-submit latent_als_job.py [--config job.json] [--data PATH] --out PATH
    python latent_als_job.py --master local[2] --data train.csv --out out/

PATH may be a local path, file://, hdfs:// or s3a:// (with the hadoop-aws jars on the
classpath). The data is CSV (delimiter sniffed from the header line: , ; tab |) or Parquet
(by extension, or --input-format). Writes:

    OUT/model/                  pyspark.ml.recommendation.ALSModel (ALSModel.load reads it)
    OUT/model/latent_sidecar.json  hyperparameters and the int32 -> original id maps,
                                the layout of latent's `spark` export; `latent import
                                spark-model OUT/model` turns it into a latent run
    OUT/recommendations/        batch top-N, Parquet: user_id, item_id, rank, score
    OUT/job_report.json         lines read and kept, customers, products, pairs

How it follows latent (src/data/clean.rs, cleaner.rs, interactions.rs), and where it
differs:
- Columns: the configured name of each role, else the first header among the same
  well-known names latent recognises (case, spaces, `_`, `-`, `.` ignored).
- Ids: trimmed; `NA`, `nan`, `null`, empty... are missing; `17850.0` is `17850`.
- A line is dropped when it has no customer or product, an unparseable date, an `A...`
  invoice (drop_adjustments), a `C...` invoice or negative quantity (cancellations =
  drop; under `net` they are kept as negative quantities), a non-product code (exact,
  case-insensitive, or a prefix with a trailing `*`), a zero or negative price (when the
  file has a price column), a missing rating (when it has a rating column), a rating
  below min_rating; then the retention window (whole days ending on retention_date,
  default the last day among the lines kept so far) and exact duplicates (same customer,
  product, time, quantity, price, rating, invoice, country and description).
- Differences: dates are parsed with a fixed list of Spark patterns (ISO 8601, M/d/yyyy,
  M/d/yy, yyyy/MM/dd, with or without H:mm[:ss]) instead of latent's shape recogniser:
  two-digit years are read as 20xx (latent reads 69-99 as 19xx), and am/pm and offsets
  other than ISO ones are not recognised. A `date_format` (strftime) is translated to a
  Spark pattern for the common directives only. A quantity or price that is not a number
  stops latent with an error; here the job stops too, naming the column and a value.
  Duplicate detection compares the cleaned columns, not side-feature columns.
- ranking_type: count (purchase lines, returns subtract one each), quantity, revenue
  (quantity x price), binary (1 when the net quantity is positive), rating (mean); pairs
  whose value is not positive are left out, except for ratings.
- ALS: Spark's implicit ALS uses confidence 1 + alpha*|r| and scales regParam by each
  row's number of ratings (ALS-WR): latent's `spark` convention, so a run trained with it
  is reproduced up to the random initialisation. A run trained with the `implicit`
  convention (confidence alpha*r, constant lambda) has no exact Spark equivalent; its
  values are passed unchanged and job.json says so.
- Recommendations leave out products the customer bought when the run's
  exclude_seen is true (latent's default); Spark's recommendForAllUsers keeps them.
"""
import argparse
import json
import os
import re
import sys

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

# Normalised headers latent recognises per role (src/data/mapping.rs), in priority order.
KNOWN_HEADERS = {
    "user": ["customerid", "customer", "userid", "user", "clientid", "client"],
    "item": ["stockcode", "itemid", "item", "productid", "product", "sku", "movieid"],
    "quantity": ["quantity", "qty"],
    "timestamp": ["invoicedate", "timestamp", "datetime", "date", "time", "eventtime"],
    "price": ["unitprice", "price"],
    "rating": ["rating", "score"],
    "invoice": ["invoiceno", "invoice", "invoiceid", "orderid", "order"],
    "description": ["description", "productname", "itemname", "title", "movietitle", "name"],
    "country": ["country"],
}
ROLES = list(KNOWN_HEADERS)
MISSING = ["", "NA", "N/A", "nan", "NaN", "NAN", "null", "NULL", "None", "none"]
# Tried in order; the first that parses wins (two-digit years last).
DATE_PATTERNS = [
    "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd'T'HH:mm",
    "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd HH:mm",
    "yyyy-MM-dd",
    "M/d/yyyy H:mm:ss",
    "M/d/yyyy H:mm",
    "M/d/yyyy",
    "yyyy/M/d H:mm:ss",
    "yyyy/M/d H:mm",
    "yyyy/M/d",
    "M/d/yy H:mm:ss",
    "M/d/yy H:mm",
    "M/d/yy",
]
STRFTIME = {
    "%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%e": "d", "%H": "HH", "%I": "hh",
    "%M": "mm", "%S": "ss", "%p": "a", "%b": "MMM", "%B": "MMMM", "%f": "SSSSSS",
    "%%": "%", "%T": "HH:mm:ss", "%F": "yyyy-MM-dd",
}


def fail(message):
    print(f"latent_als_job: {message}", file=sys.stderr)
    sys.exit(2)


def normalise(header):
    header = header.split(":", 1)[0]
    return "".join(c for c in header if c not in " _-.").lower()


def resolve_columns(mapping, header):
    """latent's mapping.resolve: role -> column name."""
    normalised = [normalise(h) for h in header]
    roles, taken = {}, set()

    def find_exact(name):
        if name in header:
            return header.index(name)
        n = normalise(name)
        return normalised.index(n) if n in normalised else None

    for role in ROLES:
        name = (mapping.get(role) or "").strip()
        if name:
            i = find_exact(name)
            if i is None:
                fail(f"column '{name}' ([data] {role}) is not in the file; columns: {header}")
            roles[role] = header[i]
            taken.add(i)
    for role in ROLES:
        if (mapping.get(role) or "").strip():
            continue
        for known in KNOWN_HEADERS[role]:
            hit = [i for i, h in enumerate(normalised) if h == known and i not in taken]
            if hit:
                roles[role] = header[hit[0]]
                taken.add(hit[0])
                break
        else:
            if role in ("user", "item"):
                fail(f"no {role} column: set [data] {role}; columns: {header}")
    return roles


def strftime_to_spark(pattern):
    out, i = [], 0
    while i < len(pattern):
        two = pattern[i:i + 2]
        if two in STRFTIME:
            out.append(STRFTIME[two])
            i += 2
        elif pattern[i].isalpha():
            out.append(f"'{pattern[i]}'")
            i += 1
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def read_data(spark, path, input_format):
    fmt = input_format
    if fmt == "auto":
        fmt = "parquet" if re.search(r"\.(parquet|pq|parq)/?$", path, re.I) else "csv"
    if fmt == "parquet":
        return spark.read.parquet(path)
    first = spark.read.text(path).first()
    if first is None:
        fail(f"'{path}' is empty")
    line = first[0]
    sep = max([",", ";", "\t", "|"], key=line.count)
    # Every column as text: cleaning owns the conversion, as in latent.
    return (
        spark.read.option("header", True).option("sep", sep).option("inferSchema", False)
        .option("quote", '"').option("escape", '"').option("multiLine", False).csv(path)
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--config", default=os.path.join(here, "job.json"))
    ap.add_argument("--data", help="overrides job.json's data path")
    ap.add_argument("--input-format", choices=["auto", "csv", "parquet"], default="auto")
    ap.add_argument("--out", required=True)
    ap.add_argument("--master", help="e.g. local[2]; default: spark-submit's")
    ap.add_argument("--top", type=int, help="recommendations per customer")
    args = ap.parse_args()
    job = json.load(open(args.config))
    if job.get("format") != "latent-spark-job":
        fail(f"'{args.config}' is not a latent spark-job config")
    data_path = args.data or job["data"]["path"]
    if not data_path:
        fail("no data path: pass --data")
    top_k = args.top or job["recommend"]["top_k"]

    from pyspark.sql import SparkSession, Window
    from pyspark.sql import functions as F
    from pyspark.ml.recommendation import ALS

    builder = SparkSession.builder.appName("latent-als-job")
    if args.master:
        builder = (
            builder.master(args.master)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # Naive wall-clock days as latent counts them; failed parses are null, not errors.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")

    raw = read_data(spark, data_path, args.input_format)
    cols = resolve_columns(job["data"]["columns"], raw.columns)
    types = dict(raw.dtypes)
    cleaning, inter = job["cleaning"], job["interactions"]

    def text(role):
        if role not in cols:
            return F.lit(None).cast("string")
        c = F.trim(F.col(f"`{cols[role]}`").cast("string"))
        return F.when(c.isin(MISSING), None).otherwise(c)

    def ident(role):
        return F.regexp_replace(text(role), r"^(\d+)\.0+$", "$1")

    def number(role):
        return text(role).cast("double")

    def timestamp():
        name = cols.get("timestamp")
        if name is None:
            return F.lit(0).cast("long")
        kind = types[name]
        c = F.col(f"`{name}`")
        if kind.startswith("timestamp") or kind == "date":
            return F.unix_timestamp(c.cast("timestamp"))
        if kind in ("int", "bigint", "smallint", "double", "float"):
            v = c.cast("long")
            return F.when(F.abs(v) >= 100_000_000_000, F.floor(v / 1000)).otherwise(v)
        t = text("timestamp")
        digits = t.rlike(r"^-?\d+$")
        v = t.cast("long")
        epoch = F.when(F.abs(v) >= 100_000_000_000, F.floor(v / 1000)).otherwise(v)
        fmt = job["data"].get("date_format")
        patterns = [strftime_to_spark(fmt)] if fmt else DATE_PATTERNS
        parsed = F.coalesce(*[F.unix_timestamp(t, p) for p in patterns])
        return F.when(digits, epoch).otherwise(parsed)

    lines = raw.select(
        ident("user").alias("user_id"),
        ident("item").alias("item_id"),
        timestamp().alias("ts"),
        text("quantity").alias("q_text"),
        number("quantity").alias("q"),
        text("price").alias("p_text"),
        number("price").alias("price"),
        text("rating").alias("r_text"),
        number("rating").alias("rating"),
        ident("invoice").alias("invoice"),
        ident("country").alias("country"),
        text("description").alias("description"),
    )
    rows_read = lines.count()
    # A value that is not a number stops latent; it stops the job too.
    for role, t, v in [("quantity", "q_text", "q"), ("price", "p_text", "price"), ("rating", "r_text", "rating")]:
        if role in cols:
            bad = lines.where(F.col(t).isNotNull() & F.col(v).isNull()).select(t).first()
            if bad is not None:
                fail(f"column '{cols[role]}' holds '{bad[0]}', not a number")

    kept = lines.where(F.col("user_id").isNotNull() & F.col("item_id").isNotNull())
    if "timestamp" in cols:
        kept = kept.where(F.col("ts").isNotNull())
    invoice = F.coalesce(F.col("invoice"), F.lit(""))
    if cleaning["drop_adjustments"]:
        kept = kept.where(~F.upper(invoice).startswith("A"))
    kept = kept.withColumn("q", F.coalesce(F.col("q"), F.lit(1.0)))
    cancelled = F.upper(invoice).startswith("C") | (F.col("q") < 0)
    if cleaning["cancellations"] == "drop":
        kept = kept.where(~cancelled)
    else:
        kept = kept.withColumn("q", F.when(cancelled, -F.abs(F.col("q"))).otherwise(F.col("q")))
    exact = [c.upper() for c in cleaning["non_product_codes"] if not c.endswith("*")]
    prefixes = [c[:-1].upper() for c in cleaning["non_product_codes"] if c.endswith("*")]
    code = F.upper(F.col("item_id"))
    non_product = code.isin(exact) if exact else F.lit(False)
    for p in prefixes:
        non_product = non_product | code.startswith(p)
    kept = kept.where(~non_product)
    kept = kept.withColumn("price", F.coalesce(F.col("price"), F.lit(0.0)))
    if cleaning["drop_non_positive_price"] and "price" in cols:
        kept = kept.where(F.col("price") > 0)
    if "rating" in cols:
        kept = kept.where(F.col("rating").isNotNull() & ~F.isnan(F.col("rating")))
    if inter.get("min_rating") is not None:
        kept = kept.where(F.col("rating") >= float(inter["min_rating"]))

    # Retention window: whole days (retention_date - days, retention_date].
    window_note = "all"
    if "timestamp" in cols and (inter.get("retention_date") or inter.get("retention_days")):
        if inter.get("retention_date"):
            d = re.sub(r"\D", "", inter["retention_date"])
            end_day = spark.sql(f"select unix_timestamp('{d}', 'yyyyMMdd') as t").first()["t"]
            if end_day is None:
                fail(f"invalid retention_date '{inter['retention_date']}': expected YYYYMMDD")
        else:
            last = kept.agg(F.max("ts")).first()[0]
            end_day = (last // 86400) * 86400
        end = end_day + 86400
        cond = F.col("ts") < end
        if inter.get("retention_days"):
            start = end - int(inter["retention_days"]) * 86400
            cond = cond & (F.col("ts") >= start)
        kept = kept.where(cond)
        window_note = f"[{start if inter.get('retention_days') else '-inf'}, {end}) seconds"
    if cleaning["drop_duplicates"]:
        kept = kept.dropDuplicates(
            ["user_id", "item_id", "ts", "q", "price", "rating", "invoice", "country", "description"]
        )
    kept = kept.cache()
    rows_kept = kept.count()
    if rows_kept == 0:
        fail("no lines left after cleaning")

    ranking = inter["ranking_type"]
    agg = kept.groupBy("user_id", "item_id").agg(
        F.sum(F.when(F.col("q") < 0, -1.0).otherwise(1.0)).alias("count"),
        F.sum("q").alias("quantity"),
        F.sum(F.col("q") * F.col("price")).alias("revenue"),
        F.avg("rating").alias("rating_mean"),
    )
    value = {
        "count": F.col("count"),
        "quantity": F.col("quantity"),
        "revenue": F.col("revenue"),
        "binary": F.when(F.col("quantity") > 0, 1.0).otherwise(0.0),
        "rating": F.col("rating_mean"),
    }[ranking]
    pairs = agg.select("user_id", "item_id", value.cast("float").alias("rating"))
    if ranking == "rating":
        pairs = pairs.where(F.col("rating").isNotNull())
    else:
        pairs = pairs.where(F.col("rating") > 0)
    pairs = pairs.cache()

    # String ids -> int32: sorted distinct ids numbered by zipWithIndex (deterministic).
    def index(column):
        ids = pairs.select(column).distinct().rdd.map(lambda r: r[0]).sortBy(lambda s: s)
        indexed = ids.zipWithIndex().toDF([column, "idx"])
        return indexed.select(column, F.col("idx").cast("int").alias("idx"))

    users, items = index("user_id").cache(), index("item_id").cache()
    train = (
        pairs.join(users, "user_id").withColumnRenamed("idx", "user")
        .join(items, "item_id").withColumnRenamed("idx", "item")
        .select("user", "item", "rating", "user_id", "item_id")
        .cache()
    )
    n_pairs = train.count()

    p = job["als"]
    als = ALS(
        rank=int(p["rank"]),
        maxIter=int(p["maxIter"]),
        regParam=float(p["regParam"]),
        alpha=float(p["alpha"]),
        implicitPrefs=bool(p["implicitPrefs"]),
        nonnegative=bool(p["nonnegative"]),
        seed=int(p["seed"]),
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        coldStartStrategy="drop",
    )
    model = als.fit(train)
    out = args.out.rstrip("/")
    model.write().overwrite().save(f"{out}/model")

    user_ids = [r[0] for r in users.orderBy("idx").select("user_id").collect()]
    item_ids = [r[0] for r in items.orderBy("idx").select("item_id").collect()]
    sidecar = {
        "format": "latent-spark-sidecar",
        "version": 1,
        "latent_version": job.get("latent_version", ""),
        "model_kind": "als" if p["implicitPrefs"] else "als-explicit",
        "params": job["latent_params"],
        "spark_params": {k: p[k] for k in ("rank", "maxIter", "regParam", "alpha", "implicitPrefs", "nonnegative", "seed")},
        "convention_note": job["convention"]["note"],
        "user_ids": user_ids,
        "item_ids": item_ids,
        "trained_by": "latent_als_job.py",
        "data": data_path,
    }
    write_text(spark, f"{out}/model/latent_sidecar.json", json.dumps(sidecar))

    # Batch top-N: ask Spark for enough to drop bought products and still have top_k.
    exclude_seen = job["recommend"]["exclude_seen"]
    extra = train.groupBy("user").count().agg(F.max("count")).first()[0] if exclude_seen else 0
    n = min(top_k + int(extra), len(item_ids))
    recs = model.recommendForAllUsers(n).select("user", F.explode("recommendations").alias("r"))
    recs = recs.select("user", F.col("r.item").alias("item"), F.col("r.rating").alias("score"))
    if exclude_seen:
        recs = recs.join(train.select("user", "item"), ["user", "item"], "left_anti")
    ranked = Window.partitionBy("user").orderBy(F.col("score").desc(), F.col("item"))
    recs = (
        recs.withColumn("rank", F.row_number().over(ranked)).where(F.col("rank") <= top_k)
        .join(users.withColumnRenamed("idx", "user"), "user")
        .join(items.withColumnRenamed("idx", "item"), "item")
        .select("user_id", "item_id", F.col("rank").cast("int"), F.col("score").cast("float"))
    )
    recs.write.mode("overwrite").parquet(f"{out}/recommendations")

    report = {
        "data": data_path,
        "rows_read": rows_read,
        "rows_kept": rows_kept,
        "window": window_note,
        "ranking_type": ranking,
        "customers": len(user_ids),
        "products": len(item_ids),
        "pairs": n_pairs,
        "spark": spark.version,
        "model": f"{out}/model",
        "recommendations": f"{out}/recommendations",
    }
    write_text(spark, f"{out}/job_report.json", json.dumps(report, indent=2))
    print(json.dumps(report))
    spark.stop()


def write_text(spark, path, text):
    """Writes one file through Hadoop's FileSystem, so s3a:// and hdfs:// work too."""
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(hpath, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


if __name__ == "__main__":
    main()
