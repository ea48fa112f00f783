"""bench/tables: see run.sh. Prints medians, rows/s and Ingot/anchor ratios (>1 means Ingot is faster)."""
import csv
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import deltalake
import duckdb
import pyarrow.csv as pacsv

ROWS = int(os.environ.get("BENCH_ROWS", "10000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
INGOT = os.environ["INGOT_BIN"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def generate(path, rows, customers):
    rnd = random.Random(7)
    regions = ["eu", "us", "apac", "latam", "mea"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer_id", "region", "amount", "qty", "placed_at", "note"])
        for i in range(rows):
            w.writerow([i, rnd.randrange(customers), regions[i % 5], f"{rnd.random() * 1000:.2f}", rnd.randrange(1, 20),
                        f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "" if i % 9 == 0 else f"note {i % 1000}"])
    with open(str(path) + ".customers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "segment", "country"])
        for c in range(customers):
            w.writerow([c, ["consumer", "smb", "enterprise"][c % 3], f"c{c % 40}"])


def ingot_cli(url, *args):
    p = subprocess.run([INGOT, *args, "--server", url], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"ingot {' '.join(args)} failed: {p.stderr}")
    return p.stdout


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    work = tempfile.mkdtemp(prefix="ingot-bench-tables-")
    customers = max(100, ROWS // 100)
    csv_path = os.path.join(work, "orders.csv")
    t = timed(lambda: generate(csv_path, ROWS, customers))
    size = os.path.getsize(csv_path)
    print(f"rows: {ROWS:,} ({size / 1e6:.0f} MB CSV, generated in {t:.0f} s); runs: {RUNS}; one Ingot server, DuckDB and delta-rs with their default threads")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([INGOT, "serve", "--port", str(port), "--data-dir", os.path.join(work, "ingot"), "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        ingot_times, delta_times = [], []
        for run in range(RUNS):
            name = f"main.default.orders_{run}"
            ingot_times.append(timed(lambda: ingot_cli(url, "tables", "ingest", csv_path, name, "--quiet")))
            target = os.path.join(work, f"delta_{run}")
            delta_times.append(timed(lambda: deltalake.write_deltalake(target, pacsv.read_csv(csv_path))))
        ti, td = statistics.median(ingot_times), statistics.median(delta_times)
        print(f"(a) CSV -> table   ingot {ROWS / ti:>12,.0f} rows/s ({ti:.2f} s) | deltalake+pyarrow.csv {ROWS / td:>12,.0f} rows/s ({td:.2f} s) | ratio {td / ti:.2f}x")

        ingot_cli(url, "tables", "ingest", csv_path + ".customers.csv", "main.default.customers", "--quiet")
        table_dir = os.path.join(work, "ingot", "warehouse", "main", "default")
        orders_files = deltalake.DeltaTable(os.path.join(table_dir, "orders_0")).file_uris()
        customer_files = deltalake.DeltaTable(os.path.join(table_dir, "customers")).file_uris()
        con = duckdb.connect()
        con.execute(f"CREATE VIEW orders_0 AS SELECT * FROM read_parquet({json.dumps(orders_files)})")
        con.execute(f"CREATE VIEW customers AS SELECT * FROM read_parquet({json.dumps(customer_files)})")
        queries = {
            "group-by": "SELECT region, COUNT(*) AS n, SUM(amount) AS total, AVG(qty) AS avg_qty FROM orders_0 GROUP BY region ORDER BY region",
            "join": "SELECT c.segment, COUNT(*) AS n, SUM(o.amount) AS total FROM orders_0 o JOIN customers c ON o.customer_id = c.customer_id "
                    "GROUP BY c.segment ORDER BY c.segment",
        }
        for label, sql in queries.items():
            ingot_answer = json.loads(ingot_cli(url, "sql", sql, "--output", "json"))
            duck_answer = con.execute(sql).fetchall()
            assert len(ingot_answer) == len(duck_answer), (ingot_answer, duck_answer)
            assert [r["n"] for r in ingot_answer] == [r[1] for r in duck_answer], (ingot_answer, duck_answer)
            it = statistics.median(timed(lambda: ingot_cli(url, "sql", sql, "--output", "json")) for _ in range(RUNS))
            dt = statistics.median(timed(lambda: con.execute(sql).fetchall()) for _ in range(RUNS))
            print(f"(b) {label:<14} ingot {it * 1000:>9.0f} ms | duckdb {dt * 1000:>9.0f} ms | ratio {dt / it:.2f}x (same answers)")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
