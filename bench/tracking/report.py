"""Prints the benchmark table and the Ingot/MLflow ratios from the JSON the phases produced."""
import json
import sys

logbatch = json.load(open(sys.argv[1]))
search = json.load(open(sys.argv[2]))
print(f"{'log-batch (1000 metrics/request)':36} {'ingot req/s':>12} {'p50 ms':>8} {'p99 ms':>8} | {'mlflow req/s':>12} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>7}")
for ours, theirs in zip(logbatch["ingot"], logbatch["mlflow"]):
    ratio = ours["req_per_s"] / theirs["req_per_s"] if theirs["req_per_s"] else float("inf")
    print(f"{str(ours['clients']) + ' client(s)':36} {ours['req_per_s']:12.1f} {ours['p50_ms']:8.1f} {ours['p99_ms']:8.1f} | "
          f"{theirs['req_per_s']:12.1f} {theirs['p50_ms']:8.1f} {theirs['p99_ms']:8.1f} | {ratio:6.1f}x"
          + (f"  (errors: ingot {ours['errors']}, mlflow {theirs['errors']})" if ours["errors"] or theirs["errors"] else ""))
i, m = search["ingot"], search["mlflow"]
print(f"\nsearch_runs (metric filter + order_by, 100 results): ingot p50 {i['p50_ms']:.1f} ms p95 {i['p95_ms']:.1f} ms | "
      f"mlflow p50 {m['p50_ms']:.1f} ms p95 {m['p95_ms']:.1f} ms | ratio p50 {m['p50_ms'] / i['p50_ms']:.1f}x, p95 {m['p95_ms'] / i['p95_ms']:.1f}x")
print(f"(both returned {i['returned']} / {m['returned']} runs)")
