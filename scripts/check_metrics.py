#!/usr/bin/env python3
"""Parses a `GET /metrics` answer with Prometheus' own text-format parser.

Usage: check_metrics.py FILE

Prints one JSON object: {"families": {name: type}, "samples": {"name{k=v,...}": value}}.
Exits 1 with the parser's message when the text is not valid exposition format.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main(path):
    text = open(path, encoding="utf-8").read()
    families, samples = {}, {}
    try:
        for family in text_string_to_metric_families(text):
            families[family.name] = family.type
            for s in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                samples[f"{s.name}{{{labels}}}"] = s.value
    except Exception as e:  # the parser raises ValueError and friends
        print(f"check_metrics: not Prometheus text: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"families": families, "samples": samples}))


if __name__ == "__main__":
    main(sys.argv[1])
