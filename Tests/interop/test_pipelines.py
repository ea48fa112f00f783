"""Declarative pipelines (issue 7, first slice): the retail example run end to end through
`ingot pipelines run` against a real server — Auto Loader-style incremental ingestion (only new
files are read), expectations (warn/drop/fail), gold checked against DuckDB over the raw files,
full refresh, a failing expectation leaving gold untouched, and offline validation errors."""
import json
import os
import shutil
import subprocess
import sys

import deltalake
import duckdb
import pytest
import requests

from ingot_harness import REPO, ingot_binary

pytestmark = pytest.mark.timeout(600)
EXAMPLE = REPO / "examples" / "retail"


def cli(*args, server=None, check=True):
    cmd = [ingot_binary(), *map(str, args)] + (["--server", server.url] if server else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return p


def generate(pipeline_dir, batch, orders, bad=False):
    args = [sys.executable, str(pipeline_dir / "generate.py"), "--out", str(pipeline_dir / "landing"), "--batch", str(batch), "--orders", str(orders)]
    subprocess.run(args + (["--bad-amount"] if bad else []), check=True)


def run(server, pipeline_dir, *extra, check=True):
    p = cli("pipelines", "run", pipeline_dir, "--output", "json", *extra, server=server, check=check)
    update = json.loads(p.stdout)
    return p, update, {d["name"]: d for d in update.get("datasets", [])}


def expected_gold(landing):
    con = duckdb.connect()
    orders = str(landing / "orders" / "*.csv")
    customers = str(landing / "customers" / "*.csv")
    rows = con.execute(f"""
        WITH o AS (
          SELECT CAST(order_id AS BIGINT) order_id, CAST(customer_id AS BIGINT) customer_id, CAST(amount AS DOUBLE) amount,
                 lower(trim(status)) status
          FROM read_csv('{orders}', header=true, all_varchar=true)
          WHERE order_id IS NOT NULL AND order_id <> ''
        ), c AS (
          SELECT customer_id, country FROM (
            SELECT CAST(customer_id AS BIGINT) customer_id, country,
                   row_number() OVER (PARTITION BY CAST(customer_id AS BIGINT) ORDER BY updated_at DESC) rn
            FROM read_csv('{customers}', header=true, all_varchar=true)) WHERE rn = 1 AND country IS NOT NULL
        )
        SELECT c.country, count(*), round(sum(o.amount), 2)
        FROM o JOIN c ON o.customer_id = c.customer_id
        WHERE o.status <> 'returned'
        GROUP BY c.country ORDER BY c.country""").fetchall()
    return [(r[0], r[1], round(r[2], 2)) for r in rows]


def gold(data_dir):
    t = deltalake.DeltaTable(os.path.join(data_dir, "warehouse", "main", "retail", "gold_sales_by_country"))
    d = t.to_pyarrow_table().to_pydict()
    return sorted((c, n, round(r, 2)) for c, n, r in zip(d["country"], d["orders"], d["revenue"])), t.version()


def test_validate_reports_cycles_and_unknown_references(tmp_path):
    p = cli("pipelines", "validate", EXAMPLE, "--output", "json")
    out = json.loads(p.stdout)
    names = [d["name"] for d in out["datasets"]]
    assert names.index("gold_sales_by_country") > max(names.index("silver_orders"), names.index("silver_customers"))
    assert names.index("gold_customers_by_country") > max(names.index("customers_scd2"), names.index("customers_current"))
    assert {d["name"]: d for d in out["datasets"]}["customers_scd2"]["depends_on"] == ["silver_customer_changes"]
    assert {d["name"]: d for d in out["datasets"]}["silver_orders"]["depends_on"] == ["bronze_orders"]

    bad = tmp_path / "cyclic"
    bad.mkdir()
    (bad / "pipeline.yaml").write_text("name: cyclic\ncatalog: main\nschema: cyc\n")
    (bad / "a.sql").write_text("-- a\nCREATE OR REFRESH MATERIALIZED VIEW a AS SELECT * FROM b;\n")
    (bad / "b.sql").write_text("\n\nCREATE OR REFRESH MATERIALIZED VIEW b AS\nSELECT * FROM a\n")
    p = cli("pipelines", "validate", bad, check=False)
    assert p.returncode != 0
    assert "cycle" in p.stderr and "a.sql:2" in p.stderr and "b.sql:3" in p.stderr, p.stderr

    (bad / "b.sql").write_text("CREATE OR REFRESH MATERIALIZED VIEW b AS\nSELECT *\nFROM nowhere\n")
    p = cli("pipelines", "validate", bad, check=False)
    assert p.returncode != 0
    assert "b.sql:3" in p.stderr and "unknown reference nowhere" in p.stderr, p.stderr


def test_retail_pipeline_incremental_full_refresh_and_fail(start_ingot, tmp_path):
    server = start_ingot()
    pdir = tmp_path / "retail"
    shutil.copytree(EXAMPLE, pdir, ignore=shutil.ignore_patterns("landing", "__pycache__"))
    landing = pdir / "landing"

    # Run 1: one batch of files.
    generate(pdir, 1, 1000)
    _, update, ds = run(server, pdir)
    assert update["state"] == "COMPLETED"
    assert ds["bronze_orders"]["input_files"] == 1 and ds["bronze_orders"]["output_records"] == 1000
    silver = ds["silver_orders"]
    exps = {e["name"]: e for e in silver["expectations"]}
    assert exps["valid_order_id"]["failed_records"] == silver["dropped_records"] > 0
    assert exps["known_status"]["failed_records"] > 0  # warn: counted, kept
    assert silver["output_records"] == 1000 - silver["dropped_records"]
    assert exps["non_negative_amount"]["failed_records"] == 0
    rows, _ = gold(server.data_dir)
    assert rows == expected_gold(landing)

    # Run 2: only the new files are read.
    generate(pdir, 2, 400)
    _, update, ds = run(server, pdir)
    assert ds["bronze_orders"]["input_files"] == 1 and ds["bronze_orders"]["input_records"] == 400
    assert ds["bronze_customers"]["input_files"] == 1
    assert ds["silver_orders"]["input_records"] == 400
    rows, _ = gold(server.data_dir)
    assert rows == expected_gold(landing)

    # Run 3 with nothing new reads nothing.
    _, update, ds = run(server, pdir)
    assert ds["bronze_orders"]["input_files"] == 0 and ds["silver_orders"]["input_records"] == 0

    # Full refresh: everything again, same gold.
    _, update, ds = run(server, pdir, "--full-refresh")
    assert update["full_refresh"] is True
    assert ds["bronze_orders"]["input_files"] == 2 and ds["bronze_orders"]["input_records"] == 1400
    assert ds["silver_orders"]["input_records"] == 1400
    rows, version_before = gold(server.data_dir)
    assert rows == expected_gold(landing)
    bronze_rows = deltalake.DeltaTable(os.path.join(server.data_dir, "warehouse", "main", "retail", "bronze_orders")).to_pyarrow_table().num_rows
    assert bronze_rows == 1400

    # A FAIL UPDATE expectation stops the update; gold keeps its version and rows.
    generate(pdir, 3, 200, bad=True)
    p, update, ds = run(server, pdir, check=False)
    assert p.returncode != 0 and update["state"] == "FAILED"
    assert "non_negative_amount" in update["error"] and "silver_orders" in update["error"] and "-42" in update["error"]
    assert "gold_sales_by_country" not in ds
    after, version_after = gold(server.data_dir)
    assert version_after == version_before and after == rows

    # Records over REST in Databricks' shape.
    pipelines = requests.get(server.url + "/api/2.0/pipelines").json()["statuses"]
    pid = next(s["pipeline_id"] for s in pipelines if s["name"] == "retail")
    updates = requests.get(f"{server.url}/api/2.0/pipelines/{pid}/updates").json()["updates"]
    assert [u["state"] for u in updates] == ["FAILED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"]
    events = requests.get(f"{server.url}/api/2.0/pipelines/{pid}/events").json()["events"]
    assert {"id", "timestamp", "level", "event_type", "origin", "message", "details"} <= set(events[0])
    dq = [e for e in events if e["event_type"] == "flow_progress" and e["origin"].get("dataset_name") == "silver_orders"
          and "data_quality" in e["details"].get("flow_progress", {})]
    assert dq and {x["name"] for x in dq[0]["details"]["flow_progress"]["data_quality"]["expectations"]} == {"valid_order_id", "non_negative_amount", "known_status"}
    assert any(e["level"] == "ERROR" and "non_negative_amount" in e["message"] for e in events)
    p = cli("pipelines", "events", "retail", "--output", "json", server=server)
    assert json.loads(p.stdout)[0]["event_type"] == "update_progress"
    p = cli("pipelines", "list", "--output", "json", server=server)
    assert [s["name"] for s in json.loads(p.stdout)] == ["retail"]
