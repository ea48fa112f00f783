"""Crash test for pipeline runs (issue 7): `ingot serve` is killed with SIGKILL at random moments of a
pipeline update — after a random delay, right after the n-th Delta commit of the run (the window between a
table's commit and its checkpoint), or during a full refresh — then restarted on the same data dir and the
pipeline run again. Every time: the update completes, every landing file is loaded exactly once (bronze row
counts exact, no duplicate keys), silver and gold agree with the raw files (DuckDB), and at the end a full
refresh rebuilds every dataset (CDC tables included) to exactly what the crashed-and-resumed runs left.

INGOT_PIPELINE_CRASH_TRIALS (default 50) sets the number of kills; INGOT_PIPELINE_CRASH_SEED the seed."""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import deltalake
import duckdb
import pytest

from ingot_harness import REPO, IngotServer, ingot_binary

pytestmark = pytest.mark.timeout(900)
EXAMPLE = REPO / "examples" / "retail"
DATASETS = ["bronze_orders", "bronze_customers", "bronze_customer_changes", "silver_orders", "silver_customers",
            "silver_customer_changes", "customers_scd2", "customers_current", "gold_sales_by_country", "gold_customers_by_country"]


def cli(server, *args, check=True):
    p = subprocess.run([ingot_binary(), *map(str, args), "--server", server.url], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}\n"
                             f"server log tail: {server.log_text()[-3000:]}")
    return p


def table(data_dir, name):
    return deltalake.DeltaTable(os.path.join(data_dir, "warehouse", "main", "retail", name))


def rows(data_dir, name):
    """A dataset's rows as a sorted list of tuples (columns by name, so column order does not matter)."""
    d = table(data_dir, name).to_pyarrow_table().to_pydict()
    cols = sorted(c for c in d if c != "_rescued_data")
    return sorted((tuple(repr(d[c][i]) for c in cols) for i in range(len(d[cols[0]]) if cols else 0)))


def expected(landing):
    """What the landing files hold, computed by DuckDB straight from them (each file set read once)."""
    con = duckdb.connect()
    orders = str(landing / "orders" / "*.csv")
    customers = str(landing / "customers" / "*.csv")
    changes = str(landing / "customer_changes" / "*.json")
    con.execute(f"CREATE TEMP TABLE raw_orders AS SELECT * FROM read_csv('{orders}', header=true, all_varchar=true)")
    con.execute(f"CREATE TEMP TABLE raw_customers AS SELECT * FROM read_csv('{customers}', header=true, all_varchar=true)")
    e = {}
    e["orders"] = con.execute("SELECT count(*) FROM raw_orders").fetchone()[0]
    e["orders_with_id"] = con.execute(
        "SELECT count(*), count(DISTINCT order_id) FROM raw_orders WHERE order_id IS NOT NULL AND order_id <> ''").fetchone()
    e["customers"] = con.execute("SELECT count(*) FROM raw_customers").fetchone()[0]
    e["changes"] = sum(1 for f in glob.glob(changes) for line in open(f) if line.strip())
    e["gold"] = [(r[0], r[1], round(r[2], 2)) for r in con.execute("""
        WITH o AS (
          SELECT CAST(order_id AS BIGINT) order_id, CAST(customer_id AS BIGINT) customer_id, CAST(amount AS DOUBLE) amount,
                 lower(trim(status)) status
          FROM raw_orders
          WHERE order_id IS NOT NULL AND order_id <> ''
        ), c AS (
          SELECT customer_id, country FROM (
            SELECT CAST(customer_id AS BIGINT) customer_id, country,
                   row_number() OVER (PARTITION BY CAST(customer_id AS BIGINT) ORDER BY updated_at DESC) rn
            FROM raw_customers) WHERE rn = 1 AND country IS NOT NULL
        )
        SELECT c.country, count(*), round(sum(o.amount), 2)
        FROM o JOIN c ON o.customer_id = c.customer_id
        WHERE o.status <> 'returned'
        GROUP BY c.country ORDER BY c.country""").fetchall()]
    con.close()
    return e


def check_consistent(data_dir, landing, trial):
    e = expected(landing)
    where = f"trial {trial}"
    assert table(data_dir, "bronze_orders").to_pyarrow_table().num_rows == e["orders"], f"{where}: bronze_orders"
    assert table(data_dir, "bronze_customers").to_pyarrow_table().num_rows == e["customers"], f"{where}: bronze_customers"
    assert table(data_dir, "bronze_customer_changes").to_pyarrow_table().num_rows == e["changes"], f"{where}: bronze_customer_changes"
    ids = table(data_dir, "silver_orders").to_pyarrow_table().column("order_id").to_pylist()
    assert (len(ids), len(set(ids))) == e["orders_with_id"], f"{where}: silver_orders (rows, distinct ids)"
    d = table(data_dir, "gold_sales_by_country").to_pyarrow_table().to_pydict()
    gold = sorted((c, n, round(r, 2)) for c, n, r in zip(d["country"], d["orders"], d["revenue"]))
    assert gold == e["gold"], f"{where}: gold_sales_by_country"


def delta_commits(data_dir):
    return len(glob.glob(os.path.join(data_dir, "warehouse", "**", "_delta_log", "*.json"), recursive=True))


def test_kill9_during_pipeline_runs_loads_every_file_exactly_once(tmp_path):
    trials = int(os.environ.get("INGOT_PIPELINE_CRASH_TRIALS", "50"))
    rng = random.Random(int(os.environ.get("INGOT_PIPELINE_CRASH_SEED", "11")))
    data_dir = str(tmp_path / "data")
    pdir = tmp_path / "retail"
    shutil.copytree(EXAMPLE, pdir, ignore=shutil.ignore_patterns("landing", "__pycache__"))
    landing = pdir / "landing"

    def generate(batch):
        n = rng.randint(20, 300)
        subprocess.run([sys.executable, str(pdir / "generate.py"), "--out", str(landing), "--batch", str(batch),
                        "--orders", str(n), "--customers", "8"], check=True)

    server = IngotServer(data_dir, name="pipeline-crash")
    try:
        # A clean first run: the baseline for how long a run takes and how many commits it makes.
        generate(1)
        t = time.time()
        cli(server, "pipelines", "run", pdir, "--output", "json")
        run_seconds = time.time() - t
        check_consistent(data_dir, landing, 0)
        kills = {"delay": 0, "commit": 0, "full_refresh": 0}
        for trial in range(1, trials + 1):
            generate(trial + 1)
            mode = rng.choice(["delay", "delay", "commit", "commit", "full_refresh"])
            before = delta_commits(data_dir)
            extra = ["--full-refresh"] if mode == "full_refresh" else []
            cli(server, "pipelines", "run", pdir, "--no-wait", *extra)
            if mode == "commit":
                # Right after the n-th Delta commit of this run (a table's commit, before its checkpoint).
                n = rng.randint(1, 12)
                deadline = time.time() + 3 * run_seconds + 5
                while delta_commits(data_dir) < before + n and time.time() < deadline:
                    time.sleep(0.001)
            else:
                time.sleep(rng.uniform(0.0, run_seconds * 1.1))
            assert server.proc.poll() is None, f"trial {trial}: the server exited by itself: {server.log_text()[-3000:]}"
            server.stop(sig=signal.SIGKILL)
            kills[mode] += 1
            server = IngotServer(data_dir, name="pipeline-crash")
            out = json.loads(cli(server, "pipelines", "run", pdir, "--output", "json").stdout)
            assert out["state"] == "COMPLETED", f"trial {trial} ({mode}): {out}"
            check_consistent(data_dir, landing, f"{trial} ({mode}; recovery run: {out['datasets']})")
        # A full refresh from the raw files rebuilds exactly what the interrupted runs left behind.
        before = {name: rows(data_dir, name) for name in DATASETS}
        out = json.loads(cli(server, "pipelines", "run", pdir, "--full-refresh", "--output", "json").stdout)
        assert out["state"] == "COMPLETED"
        for name in DATASETS:
            assert rows(data_dir, name) == before[name], f"{name} differs after a full refresh"
        # Updates the killed servers left running were marked failed, never left RUNNING.
        # (the newest updates; a killed one is FAILED once the next server starts, or COMPLETED if it ended first).
        states = [u["state"] for u in json.loads(cli(server, "pipelines", "updates", "retail", "--output", "json").stdout)]
        assert states[0] == "COMPLETED" and set(states) <= {"COMPLETED", "FAILED"}, states
        print(f"pipeline crash trials: {trials} {kills}; {states.count('FAILED')} of the newest {len(states)} updates were cut short; "
              f"a run took ~{run_seconds:.2f}s")
    finally:
        server.stop()
