"""Bulk-loads BENCH_RUNS runs x 20 metrics into an MLflow SQLite database in-process; prints the experiment id."""
import os
import sys

from bench import load_mlflow_in_process

if __name__ == "__main__":
    db_uri, artifact_root = sys.argv[1], sys.argv[2]
    print(load_mlflow_in_process(db_uri, artifact_root, int(os.environ.get("BENCH_RUNS", "100000"))))
