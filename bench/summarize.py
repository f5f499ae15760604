#!/usr/bin/env python3
"""Prints herald_bench's JSON results as the Markdown table of docs/performance.md.

    summarize.py build-bench/herald_bench.json

One row per benchmark: the median of the repetitions (real time, items/s,
bytes/s in decimal units) and the coefficient of variation of the real time.
"""

import json
import sys


def si(value, unit=""):
    for prefix, factor in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def duration(value, unit):
    ns = value * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    for name, factor in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= factor:
            return f"{ns / factor:.3g} {name}"
    return f"{ns:.3g} ns"


def main(argv):
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        runs.setdefault(b["run_name"], {})[b.get("aggregate_name", "run")] = b
    print("| Benchmark | Median time | Items/s | Bytes/s | CV of time |")
    print("|---|---:|---:|---:|---:|")
    for name, r in runs.items():
        m = r.get("median", r.get("run"))
        if m is None or m.get("error_occurred"):
            print(f"| `{name}` | error: {m.get('error_message', '') if m else ''} | | | |")
            continue
        cv = f"{r['cv']['real_time'] * 100:.1f} %" if "cv" in r else "one run"
        items = si(m["items_per_second"]) if "items_per_second" in m else ""
        data_rate = si(m["bytes_per_second"], "B") if "bytes_per_second" in m else ""
        print(f"| `{name}` | {duration(m['real_time'], m['time_unit'])} | {items} | {data_rate} | {cv} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
