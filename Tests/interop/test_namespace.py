"""Namespace and table REST/CLI: Unity Catalog-shaped catalogs/schemas/tables, `ingot tables ingest`
(one file = one atomic commit), describe/history/preview, time travel, and the tables' data read by
deltalake and pyiceberg straight from the data directory."""
import csv
import json
import os
import subprocess

import deltalake
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from pyiceberg.table import StaticTable

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(600)
UC = "/api/2.1/unity-catalog"


def cli(server, *args, check=True):
    p = subprocess.run([ingot_binary(), *map(str, args), "--server", server.url], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def write_orders_csv(path, start, n):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer", "amount", "placed_at"])
        for i in range(start, start + n):
            w.writerow([i, f"c{i % 13}" if i % 11 else "", f"{i * 1.25:.2f}", f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00Z"])


def test_default_namespace_and_errors(ingot_server):
    base = ingot_server.url + UC
    catalogs = requests.get(base + "/catalogs").json()["catalogs"]
    assert "main" in [c["name"] for c in catalogs]
    schemas = requests.get(base + "/schemas", params={"catalog_name": "main"}).json()["schemas"]
    assert "main.default" in [s["full_name"] for s in schemas]
    r = requests.post(base + "/catalogs", json={"name": "Sales", "comment": "team"})
    assert r.status_code == 200 and r.json()["name"] == "sales"
    r = requests.post(base + "/catalogs", json={"name": "sales"})
    assert r.status_code == 400 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    r = requests.post(base + "/catalogs", json={"name": "../etc"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = requests.get(base + "/tables/main.default.nope")
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.post(base + "/tables", json={"name": "t", "catalog_name": "main", "schema_name": "missing",
                                             "columns": [{"name": "a", "type_text": "int"}]})
    assert r.status_code == 404
    r = requests.post(base + "/tables", json={"name": "ext", "catalog_name": "main", "schema_name": "default",
                                             "table_type": "EXTERNAL", "storage_location": "/etc"})
    assert r.status_code == 400 and "outside the data directory" in r.json()["message"]


def test_create_table_with_columns_is_readable_by_deltalake(ingot_server):
    base = ingot_server.url + UC
    assert requests.post(base + "/schemas", json={"name": "ddl", "catalog_name": "main"}).status_code == 200
    body = {"name": "events", "catalog_name": "main", "schema_name": "ddl", "columns": [
        {"name": "id", "type_text": "bigint", "nullable": False},
        {"name": "amount", "type_text": "decimal(12,2)"},
        {"name": "day", "type_text": "date", "partition_index": 0},
    ]}
    info = requests.post(base + "/tables", json=body).json()
    assert info["full_name"] == "main.ddl.events"
    assert [(c["name"], c["type_text"], c.get("partition_index")) for c in info["columns"]] == [
        ("id", "bigint", None), ("amount", "decimal(12,2)", None), ("day", "date", 0)]
    location = os.path.join(ingot_server.data_dir, "warehouse", "main", "ddl", "events")
    dt = deltalake.DeltaTable(location)
    assert dt.version() == 0
    assert dt.metadata().partition_columns == ["day"]
    listed = requests.get(base + "/tables", params={"catalog_name": "main", "schema_name": "ddl"}).json()["tables"]
    assert [t["name"] for t in listed] == ["events"]
    assert requests.delete(base + "/tables/main.ddl.events").status_code == 200
    assert not os.path.exists(os.path.join(location, "_delta_log"))


def test_ingest_describe_history_preview_time_travel(ingot_server, tmp_path):
    first = tmp_path / "orders1.csv"
    second = tmp_path / "orders2.csv"
    write_orders_csv(first, 0, 500)
    write_orders_csv(second, 500, 250)
    assert requests.post(ingot_server.url + UC + "/schemas", json={"name": "bronze", "catalog_name": "main"}).status_code == 200

    out = json.loads(cli(ingot_server, "tables", "ingest", first, "main.bronze.orders", "--output", "json").stdout)
    assert out["created"] is True and out["version"] == 0
    out = json.loads(cli(ingot_server, "tables", "ingest", second, "main.bronze.orders", "--output", "json").stdout)
    assert out["created"] is False and out["version"] == 1

    described = json.loads(cli(ingot_server, "tables", "describe", "main.bronze.orders", "--output", "json").stdout)
    assert [c["name"] for c in described["columns"]] == ["order_id", "customer", "amount", "placed_at"]
    assert described["columns"][0]["type_text"] == "bigint"
    assert described["delta_version"] == 1

    history = json.loads(cli(ingot_server, "tables", "history", "main.bronze.orders", "--output", "json").stdout)
    assert [h["version"] for h in history] == [1, 0]
    assert history[1]["operation"].startswith("CREATE TABLE")

    rows = json.loads(cli(ingot_server, "tables", "preview", "main.bronze.orders", "-n", "1000", "--output", "json").stdout)
    assert len(rows) == 750
    rows_v0 = json.loads(cli(ingot_server, "tables", "preview", "main.bronze.orders", "-n", "1000", "--version", "0", "--output", "json").stdout)
    assert len(rows_v0) == 500
    few = json.loads(cli(ingot_server, "tables", "preview", "main.bronze.orders", "-n", "3", "--output", "json").stdout)
    assert len(few) == 3
    # An empty customer field is null (the CSV default), like pyarrow reads it.
    assert any(r["customer"] is None for r in rows)

    listed = json.loads(cli(ingot_server, "tables", "list", "main.bronze", "--output", "json").stdout)
    assert [t["name"] for t in listed] == ["orders"]

    # Other engines read the same table from the data directory.
    location = os.path.join(ingot_server.data_dir, "warehouse", "main", "bronze", "orders")
    dt = deltalake.DeltaTable(location)
    assert dt.version() == 1
    assert dt.to_pyarrow_table().num_rows == 750
    assert deltalake.DeltaTable(location, version=0).to_pyarrow_table().num_rows == 500
    metadata = sorted(f for f in os.listdir(os.path.join(location, "metadata")) if f.endswith(".metadata.json"))
    iceberg = StaticTable.from_metadata(os.path.join(location, "metadata", metadata[-1]))
    assert iceberg.scan().to_arrow().num_rows == 750

    # Overwrite mode replaces the rows in one commit.
    out = json.loads(cli(ingot_server, "tables", "ingest", second, "main.bronze.orders", "--mode", "overwrite", "--output", "json").stdout)
    assert out["version"] == 2
    assert deltalake.DeltaTable(location).to_pyarrow_table().num_rows == 250


def test_ingest_parquet_and_jsonl_and_bad_input(ingot_server, tmp_path):
    table = pa.table({"k": pa.array([1, 2, 3], pa.int32()), "v": pa.array(["a", None, "c"])})
    pq.write_table(table, tmp_path / "kv.parquet")
    out = json.loads(cli(ingot_server, "tables", "ingest", tmp_path / "kv.parquet", "main.default.kv", "--output", "json").stdout)
    assert out["created"] is True
    (tmp_path / "kv.jsonl").write_text('{"k": 4, "v": "d"}\n{"k": 5, "v": null}\n')
    cli(ingot_server, "tables", "ingest", tmp_path / "kv.jsonl", "main.default.kv")
    rows = json.loads(cli(ingot_server, "tables", "preview", "main.default.kv", "--output", "json").stdout)
    assert sorted(r["k"] for r in rows) == [1, 2, 3, 4, 5]

    # A file that does not match the table fails cleanly and commits nothing.
    (tmp_path / "bad.csv").write_text("k,v\nnot-a-number,x\n")
    p = cli(ingot_server, "tables", "ingest", tmp_path / "bad.csv", "main.default.kv", check=False)
    assert p.returncode != 0 and p.stderr.strip() and len(p.stderr.strip().splitlines()) == 1
    history = json.loads(cli(ingot_server, "tables", "history", "main.default.kv", "--output", "json").stdout)
    assert len(history) == 2
    p = cli(ingot_server, "tables", "ingest", tmp_path / "kv.parquet", "main.nope.kv", check=False)
    assert p.returncode != 0 and "RESOURCE_DOES_NOT_EXIST" in p.stderr
    p = cli(ingot_server, "tables", "preview", "main.default.kv", "--version", "99", check=False)
    assert p.returncode != 0


def test_restart_mirrors_outside_commits(start_ingot, tmp_path):
    """A commit made by delta-rs while Ingot is down is mirrored to Iceberg and the namespace on start-up."""
    server = start_ingot()
    write_orders_csv(tmp_path / "o.csv", 0, 100)
    cli(server, "tables", "ingest", tmp_path / "o.csv", "main.default.orders")
    server.stop()
    location = os.path.join(server.data_dir, "warehouse", "main", "default", "orders")
    extra = deltalake.DeltaTable(location).to_pyarrow_table().slice(0, 10)
    deltalake.write_deltalake(location, extra, mode="append")
    again = start_ingot(data_dir=server.data_dir)
    info = requests.get(again.url + UC + "/tables/main.default.orders").json()
    assert info["delta_version"] == 1
    metadata = sorted((f for f in os.listdir(os.path.join(location, "metadata")) if f.endswith(".metadata.json")),
                      key=lambda f: int(f[1:].split(".")[0]))
    assert metadata[-1] == "v2.metadata.json"
    assert StaticTable.from_metadata(os.path.join(location, "metadata", metadata[-1])).scan().to_arrow().num_rows == 110


def test_optimize_and_vacuum(ingot_server, tmp_path):
    for i in range(4):
        write_orders_csv(tmp_path / f"part{i}.csv", i * 50, 50)
        cli(ingot_server, "tables", "ingest", tmp_path / f"part{i}.csv", "main.default.small_files")
    location = os.path.join(ingot_server.data_dir, "warehouse", "main", "default", "small_files")
    assert len(deltalake.DeltaTable(location).file_uris()) == 4
    out = json.loads(cli(ingot_server, "tables", "optimize", "main.default.small_files", "--output", "json").stdout)
    assert out["committed"] is True and out["version"] == 4
    dt = deltalake.DeltaTable(location)
    assert len(dt.file_uris()) == 1 and dt.to_pyarrow_table().num_rows == 200
    # The compacted-away files are still needed by versions 0-3 within the retention window.
    out = json.loads(cli(ingot_server, "tables", "vacuum", "main.default.small_files", "--dry-run", "--output", "json").stdout)
    assert out["count"] == 0
    p = cli(ingot_server, "tables", "vacuum", "main.default.small_files", "--retention-hours", "0", check=False)
    assert p.returncode != 0 and "168" in p.stderr
    out = json.loads(cli(ingot_server, "tables", "vacuum", "main.default.small_files", "--retention-hours", "0", "--force", "--output", "json").stdout)
    assert out["count"] == 4
    assert deltalake.DeltaTable(location).to_pyarrow_table().num_rows == 200


def test_register_foreign_delta_table(ingot_server, tmp_path):
    """A table written by delta-rs inside the data directory is adopted, read through SQL, and gets Iceberg metadata."""
    location = os.path.join(ingot_server.data_dir, "volumes", "landing", "raw", "events")
    data = pa.table({"id": pa.array(range(30), pa.int64()), "kind": pa.array(["a", "b", "c"] * 10)})
    deltalake.write_deltalake(location, data, partition_by=["kind"])
    deltalake.write_deltalake(location, data.slice(0, 5), mode="append", partition_by=["kind"])
    out = json.loads(cli(ingot_server, "tables", "register", "main.default.events", location, "--output", "json").stdout)
    assert out["table_type"] == "EXTERNAL" and out["delta_version"] == 1
    rows = json.loads(cli(ingot_server, "sql", "SELECT kind, COUNT(*) AS n FROM main.default.events GROUP BY kind ORDER BY kind", "--output", "json").stdout)
    assert rows == [{"kind": "a", "n": 12}, {"kind": "b", "n": 12}, {"kind": "c", "n": 11}]
    assert StaticTable.from_metadata(os.path.join(location, "metadata", "v2.metadata.json")).scan().to_arrow().num_rows == 35
    # Dropping an external table forgets it but keeps the files.
    assert requests.delete(ingot_server.url + UC + "/tables/main.default.events").status_code == 200
    assert deltalake.DeltaTable(location).to_pyarrow_table().num_rows == 35
    p = cli(ingot_server, "tables", "register", "main.default.bad", "/etc", check=False)
    assert p.returncode != 0 and "outside the data directory" in p.stderr


def test_sql_create_table_location(ingot_server):
    """`CREATE TABLE … LOCATION` adopts a delta-rs table as it is, or creates a new external table there."""
    def sql(text, check=True):
        return cli(ingot_server, "sql", text, "--output", "json", check=check)

    foreign = os.path.join(ingot_server.data_dir, "volumes", "landing", "raw", "clicks")
    data = pa.table({"id": pa.array(range(12), pa.int64()), "page": pa.array(["home", "cart", "buy"] * 4)})
    deltalake.write_deltalake(foreign, data)
    p = sql(f"CREATE TABLE main.default.clicks (id INT, page STRING) LOCATION '{foreign}'", check=False)
    assert p.returncode != 0 and "do not match" in p.stderr
    sql(f"CREATE TABLE main.default.clicks (id BIGINT, page STRING) USING DELTA LOCATION '{foreign}'")
    assert json.loads(sql("SELECT COUNT(*) AS n FROM main.default.clicks").stdout) == [{"n": 12}]
    info = requests.get(ingot_server.url + UC + "/tables/main.default.clicks").json()
    assert info["table_type"] == "EXTERNAL"
    # A second name for the same files, a folder inside them, or a path outside the data dir: refused.
    for bad in (foreign, os.path.join(foreign, "sub"), "/etc/ingot"):
        p = sql(f"CREATE TABLE main.default.again LOCATION '{bad}'", check=False)
        assert p.returncode != 0, bad
    # CTAS at a new location writes an external table there that delta-rs reads; dropping keeps files.
    target = os.path.join(ingot_server.data_dir, "volumes", "landing", "curated", "pages")
    sql(f"CREATE EXTERNAL TABLE main.default.pages LOCATION '{target}' AS SELECT page, COUNT(*) AS n FROM main.default.clicks GROUP BY page")
    got = deltalake.DeltaTable(target).to_pyarrow_table().sort_by("page").to_pylist()
    assert got == [{"page": "buy", "n": 4}, {"page": "cart", "n": 4}, {"page": "home", "n": 4}]
    assert requests.delete(ingot_server.url + UC + "/tables/main.default.pages").status_code == 200
    assert deltalake.DeltaTable(target).version() == 0
    p = sql("CREATE EXTERNAL TABLE main.default.nowhere (a INT)", check=False)
    assert p.returncode != 0 and "LOCATION" in p.stderr


def test_pyiceberg_rest_catalog_loads_tables(ingot_server, tmp_path):
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    assert requests.post(ingot_server.url + UC + "/schemas", json={"name": "ice", "catalog_name": "main"}).status_code == 200
    write_orders_csv(tmp_path / "ice.csv", 0, 120)
    cli(ingot_server, "tables", "ingest", tmp_path / "ice.csv", "main.ice.orders")
    write_orders_csv(tmp_path / "ice2.csv", 120, 30)
    cli(ingot_server, "tables", "ingest", tmp_path / "ice2.csv", "main.ice.orders")

    catalog = load_catalog("ingot", type="rest", uri=ingot_server.url + "/iceberg", warehouse="main")
    assert ("ice",) in catalog.list_namespaces()
    assert ("ice", "orders") in catalog.list_tables("ice")
    table = catalog.load_table("ice.orders")
    assert table.scan().to_arrow().num_rows == 150
    assert len(table.snapshots()) == 2
    first = table.snapshots()[0].snapshot_id
    assert table.scan(snapshot_id=first).to_arrow().num_rows == 120
    assert table.scan(row_filter="order_id < 10").to_arrow().num_rows == 10
    with pytest.raises(NoSuchTableError):
        catalog.load_table("ice.missing")
    with pytest.raises(NoSuchNamespaceError):
        catalog.list_tables("nope")
    r = requests.get(ingot_server.url + "/iceberg/v1/main/namespaces/nope/tables/x")
    assert r.status_code == 404 and r.json()["error"]["type"] == "NoSuchNamespaceException"
