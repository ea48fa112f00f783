"""Declarative pipelines (issue 7): AUTO CDC / APPLY CHANGES and Auto Loader schema handling in the
retail example, run through `ingot pipelines run` against a real server. The customers change feed
arrives out of order (within files and across runs), with deletes, a new column and malformed rows;
the SCD type 2 and type 1 tables are checked row by row against the same rules computed in Python
over the raw files, after every run and after a full refresh, and the gold table is read by delta-rs
and pyiceberg."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

import deltalake
import pytest
from pyiceberg.table import StaticTable

from ingot_harness import REPO, ingot_binary

pytestmark = pytest.mark.timeout(600)
EXAMPLE = REPO / "examples" / "retail"
OPS = ("INSERT", "UPDATE", "DELETE")
TRACKED = ("name", "country", "tier")
SCD2_FIELDS = ("customer_id", "seq", "name", "country", "tier", "__START_AT", "__END_AT")
SCD1_FIELDS = ("customer_id", "seq", "name", "country", "tier")


def cli(*args, server=None, check=True):
    cmd = [ingot_binary(), *map(str, args)] + (["--server", server.url] if server else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return p


def generate(pdir, batch, malformed=False):
    args = [sys.executable, str(pdir / "generate.py"), "--out", str(pdir / "landing"), "--batch", str(batch), "--orders", "100"]
    subprocess.run(args + (["--malformed"] if malformed else []), check=True)


def run(server, pdir, *extra):
    p = cli("pipelines", "run", pdir, "--output", "json", *extra, server=server, check=False)
    update = json.loads(p.stdout)
    assert update["state"] == "COMPLETED", (update.get("error"), p.stderr)
    return {d["name"]: d for d in update.get("datasets", [])}


def changes(landing):
    """The valid change events of every raw file (what silver keeps)."""
    out = []
    for path in sorted(glob.glob(str(landing / "customer_changes" / "*.json"))):
        with open(path) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if isinstance(e.get("customer_id"), int) and isinstance(e.get("seq"), int) and e.get("op") in OPS:
                    out.append(e)
    return out


def expected_scd2(events):
    """Per key in sequence order: an upsert whose tracked columns differ from the open version closes
    it and opens a new one (an identical one changes nothing); a delete closes the open version."""
    by_key = defaultdict(list)
    for e in events:
        by_key[e["customer_id"]].append(e)
    rows = []
    for key, evs in by_key.items():
        current = None
        for e in sorted(evs, key=lambda e: e["seq"]):
            if e["op"] == "DELETE":
                if current:
                    current["__END_AT"] = e["seq"]
                current = None
                continue
            values = {c: e.get(c) for c in TRACKED}
            if current and all(current[c] == values[c] for c in TRACKED):
                continue
            if current:
                current["__END_AT"] = e["seq"]
            current = {"customer_id": key, "seq": e["seq"], **values, "__START_AT": e["seq"], "__END_AT": None}
            rows.append(current)
    return sorted(tuple(r[c] for c in SCD2_FIELDS) for r in rows)


def expected_scd1(events):
    """Per key, the change with the highest sequence wins; a delete removes the key."""
    last = {}
    for e in events:
        if e["customer_id"] not in last or e["seq"] > last[e["customer_id"]]["seq"]:
            last[e["customer_id"]] = e
    return sorted(tuple(e.get(c) for c in SCD1_FIELDS) for e in last.values() if e["op"] != "DELETE")


def table_path(server, name):
    return os.path.join(server.data_dir, "warehouse", "main", "retail", name)


def rows(server, name, fields):
    t = deltalake.DeltaTable(table_path(server, name)).to_pyarrow_table().to_pylist()
    return sorted(tuple(r.get(c) for c in fields) for r in t)


def check_cdc(server, landing):
    events = changes(landing)
    scd2 = rows(server, "customers_scd2", SCD2_FIELDS)
    want2 = expected_scd2(events)
    assert len(scd2) == len(want2), "missing %s extra %s" % (sorted(set(want2) - set(scd2))[:10], sorted(set(scd2) - set(want2))[:10])
    for got, want in zip(scd2, want2):
        assert got == want
    assert rows(server, "customers_current", SCD1_FIELDS) == expected_scd1(events)
    return scd2


def iceberg_rows(location):
    meta = [f for f in os.listdir(os.path.join(location, "metadata")) if f.endswith(".metadata.json")]
    latest = max(meta, key=lambda f: int(re.match(r"v?(\d+)", f).group(1)))
    return StaticTable.from_metadata(os.path.join(location, "metadata", latest)).scan().to_arrow()


def test_retail_cdc_scd_and_schema_evolution(start_ingot, tmp_path):
    server = start_ingot()
    pdir = tmp_path / "retail"
    shutil.copytree(EXAMPLE, pdir, ignore=shutil.ignore_patterns("landing", "__pycache__"))
    landing = pdir / "landing"

    # Run 1: the first change file (shuffled: out of order within the file).
    generate(pdir, 1)
    ds = run(server, pdir)
    assert ds["bronze_customer_changes"]["input_files"] == 1
    first = check_cdc(server, landing)
    assert any(r[6] is None for r in first) and any(r[6] is not None for r in first)  # current and closed versions
    bronze_cols = [f.name for f in deltalake.DeltaTable(table_path(server, "bronze_customer_changes")).schema().fields]
    assert "_rescued_data" in bronze_cols and "tier" not in bronze_cols

    # Run 2: a late event (before a change of run 1), a delete, a file with a new column and malformed rows.
    generate(pdir, 2, malformed=True)
    ds = run(server, pdir)
    raw2 = sum(1 for _ in open(landing / "customer_changes" / "changes_0002.json"))
    assert ds["bronze_customer_changes"]["input_files"] == 2
    assert ds["bronze_customer_changes"]["input_records"] == raw2 + 3  # only the new files, malformed rows kept
    assert ds["silver_customer_changes"]["input_records"] == raw2 + 3
    assert ds["silver_customer_changes"]["dropped_records"] == 2
    assert ds["customers_scd2"]["input_records"] == raw2 + 1 and ds["customers_current"]["input_records"] == raw2 + 1
    scd2 = check_cdc(server, landing)
    late = [r for r in scd2 if r[2] and r[2].endswith("(late)")]
    assert len(late) == 1 and late[0][6] is not None  # inserted into the history, closed by the later change
    assert [r for r in scd2 if r[4] == "gold"], "the new column reaches the SCD2 table"

    bronze = deltalake.DeltaTable(table_path(server, "bronze_customer_changes")).to_pyarrow_table().to_pylist()
    assert "tier" in bronze[0]
    rescued = [json.loads(r["_rescued_data"]) for r in bronze if r["_rescued_data"]]
    assert len(rescued) == 2
    by_kind = {("seq" if "seq" in x else "_raw"): x for x in rescued}
    assert by_kind["seq"]["seq"] == "late" and by_kind["seq"]["_file_path"].endswith("changes_0002_extra.json")
    assert by_kind["_raw"]["_raw"].startswith('{"customer_id": 77') and by_kind["_raw"]["_file_path"].endswith("changes_0002_extra.json")

    # Run 3: a deleted customer comes back; only the new file is read.
    generate(pdir, 3)
    ds = run(server, pdir)
    assert ds["bronze_customer_changes"]["input_files"] == 1
    scd2 = check_cdc(server, landing)
    back = [r for r in scd2 if r[2] and r[2].endswith("(back)")]
    assert len(back) == 1 and back[0][6] is None

    # Nothing new: the flows read nothing and the tables stay.
    ds = run(server, pdir)
    assert ds["customers_scd2"]["input_records"] == 0 and ds["customers_current"]["input_records"] == 0
    current = rows(server, "customers_current", SCD1_FIELDS)
    gold = rows(server, "gold_customers_by_country", ("country", "customers", "versions"))

    # Full refresh: everything again in one micro-batch per table, same tables.
    ds = run(server, pdir, "--full-refresh")
    assert ds["bronze_customer_changes"]["input_files"] == 4
    assert check_cdc(server, landing) == scd2
    assert rows(server, "customers_current", SCD1_FIELDS) == current
    assert rows(server, "gold_customers_by_country", ("country", "customers", "versions")) == gold

    # Gold agrees with the expected tables and is readable by delta-rs and pyiceberg.
    events = changes(landing)
    versions = defaultdict(int)
    for r in expected_scd2(events):
        versions[r[0]] += 1
    want = defaultdict(lambda: [0, 0])
    for r in expected_scd1(events):
        want[r[3]][0] += 1
        want[r[3]][1] += versions[r[0]]
    assert gold == sorted((c, n, v) for c, (n, v) in want.items())
    location = table_path(server, "gold_customers_by_country")
    ice = iceberg_rows(location).to_pylist()
    assert sorted((r["country"], r["customers"], r["versions"]) for r in ice) == gold
    scd2_ice = iceberg_rows(table_path(server, "customers_scd2"))
    assert scd2_ice.num_rows == len(scd2) and "__START_AT" in scd2_ice.schema.names


def test_parquet_landing_schema_evolution(start_ingot, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    server = start_ingot()
    pdir = tmp_path / "pq"
    (pdir / "landing").mkdir(parents=True)
    (pdir / "pipeline.yaml").write_text("name: pq\ncatalog: main\nschema: pq\n")
    (pdir / "p.sql").write_text("CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'parquet');\n")
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "v": pa.array([10, 20], pa.int64())}), pdir / "landing" / "a.parquet")
    run_pq = lambda *a: json.loads(cli("pipelines", "run", pdir, "--output", "json", *a, server=server).stdout)
    assert run_pq()["state"] == "COMPLETED"
    # A later file: v as strings (one not a number) and a new column.
    pq.write_table(pa.table({"id": pa.array([3, 4], pa.int64()), "v": ["30", "abc"], "extra": ["x", "y"]}), pdir / "landing" / "b.parquet")
    update = run_pq()
    assert update["state"] == "COMPLETED"
    assert {d["name"]: d for d in update["datasets"]}["raw"]["input_files"] == 1
    location = os.path.join(server.data_dir, "warehouse", "main", "pq", "raw")
    got = sorted(deltalake.DeltaTable(location).to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
    assert [(r["id"], r["v"], r["extra"]) for r in got] == [(1, 10, None), (2, 20, None), (3, 30, "x"), (4, None, "y")]
    rescued = json.loads(got[3]["_rescued_data"])
    assert rescued["v"] == "abc" and rescued["_file_path"].endswith("b.parquet")
    assert got[0]["_rescued_data"] is None and got[2]["_rescued_data"] is None
