#!/usr/bin/env python3
"""S3 side of latent's S3 tests, against moto's server (started by the test).

  check_s3.py setup ENDPOINT BUCKET
      Creates an IAM user with full access and its access key (moto checks credentials
      once its INITIAL_NO_AUTH_ACTION_COUNT requests are used up), then the bucket with
      those keys. Prints {"key": ..., "secret": ...}.
  check_s3.py compare ENDPOINT BUCKET PREFIX [PATH=LOCAL_FILE ...]
      With boto3 and the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: reads the
      manifest at PREFIX, checks every object listed is there with the manifest's size
      and sha256, that nothing else is under PREFIX, and that each PATH (relative to
      PREFIX) holds exactly the bytes of LOCAL_FILE. Prints a JSON summary.
  check_s3.py keys ENDPOINT BUCKET PREFIX
      Prints the keys under PREFIX as a JSON list.
"""
import hashlib
import json
import os
import sys

import boto3


def fail(message):
    print(f"check_s3: {message}", file=sys.stderr)
    sys.exit(1)


def client(service, endpoint, key=None, secret=None):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key or os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=secret or os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def setup(endpoint, bucket):
    iam = client("iam", endpoint, "bootstrap", "bootstrap")
    iam.create_user(UserName="latent")
    iam.put_user_policy(
        UserName="latent",
        PolicyName="all",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    k = iam.create_access_key(UserName="latent")["AccessKey"]
    s3 = client("s3", endpoint, k["AccessKeyId"], k["SecretAccessKey"])
    s3.create_bucket(Bucket=bucket)
    print(json.dumps({"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}))


def keys(endpoint, bucket, prefix):
    s3 = client("s3", endpoint)
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(out)


def compare(endpoint, bucket, prefix, *pairs):
    s3 = client("s3", endpoint)
    prefix = prefix.strip("/")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/manifest.json")["Body"].read())
    for pair in pairs:
        path, local = pair.split("=", 1)
        body = s3.get_object(Bucket=bucket, Key=f"{prefix}/{path}")["Body"].read()
        if body != open(local, "rb").read():
            fail(f"{path} on S3 differs from {local}")
    for f in manifest["files"]:
        body = s3.get_object(Bucket=bucket, Key=f"{prefix}/{f['path']}")["Body"].read()
        if len(body) != f["size"] or hashlib.sha256(body).hexdigest() != f["sha256"]:
            fail(f"{f['path']}: size or sha256 on S3 differs from the manifest")
    present = keys(endpoint, bucket, prefix + "/")
    expected = sorted([f"{prefix}/{f['path']}" for f in manifest["files"]] + [f"{prefix}/manifest.json"])
    if present != expected:
        fail(f"objects under the prefix differ from the manifest: {sorted(set(present) ^ set(expected))}")
    # A multipart upload's ETag ends in "-<parts>".
    multipart = sum(1 for k in present if "-" in s3.head_object(Bucket=bucket, Key=k)["ETag"])
    print(json.dumps({"objects": len(present), "multipart": multipart,
                      "bytes": sum(f["size"] for f in manifest["files"])}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup" and len(args) == 2:
        setup(*args)
    elif cmd == "compare" and len(args) >= 3:
        compare(*args)
    elif cmd == "keys" and len(args) == 3:
        print(json.dumps(keys(*args)))
    else:
        fail(__doc__)
