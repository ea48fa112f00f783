"""Tables interop: Ingot writes Delta + Iceberg v2 metadata over one set of Parquet files; delta-rs,
pyiceberg, DuckDB and fastavro read them; Ingot reads tables written by deltalake. Offline CLI
(`ingot admin table ...`) on a temporary data directory."""
import base64
import datetime as dt
import decimal
import json
import os
import subprocess
import time

import deltalake
import duckdb
import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.table import StaticTable

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(900)


def ingot(*args, check=True):
    p = subprocess.run([ingot_binary(), *map(str, args)], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def norm(v):
    """A value in the form Ingot's JSON output uses."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            return v.astimezone(dt.timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return v.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, decimal.Decimal):
        return str(v)
    return v


def rows_of(records):
    return sorted((tuple(sorted((k, norm(v)) for k, v in r.items())) for r in records), key=repr)


def ingot_rows(root, name, *extra):
    out = ingot("admin", "table", "cat", "--root", root, "--table", name, *extra).stdout
    return rows_of(json.loads(line) for line in out.splitlines() if line.strip())


def batch(start, n, regions=("eu", "us", "apac")):
    ids = list(range(start, start + n))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "name": pa.array([None if i % 7 == 0 else f"name-{i}-é" for i in ids], pa.string()),
        "amount": pa.array([i * 1.25 for i in ids], pa.float64()),
        "qty": pa.array([i % 100 for i in ids], pa.int32()),
        "day": pa.array([dt.date(2026, 1, 1) + dt.timedelta(days=i % 30) for i in ids], pa.date32()),
        "ts": pa.array([dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i * 61) for i in ids], pa.timestamp("us", tz="UTC")),
        "region": pa.array([None if i % 11 == 0 else regions[i % len(regions)] for i in ids], pa.string()),
        "ok": pa.array([i % 3 == 0 for i in ids], pa.bool_()),
    })


def write_file(tmp_path, name, table):
    path = str(tmp_path / name)
    pq.write_table(table, path)
    return path


def check_all_readers(root, name, expected, fill_missing=False):
    """expected[v] = rows of Delta version v. Checks Ingot, delta-rs, pyiceberg and DuckDB for every version.
    fill_missing: columns no data file has yet (added by schema evolution) are null for DuckDB."""
    table_dir = os.path.join(root, "warehouse", *name.split("."))
    latest = len(expected) - 1
    last_meta = StaticTable.from_metadata(os.path.join(table_dir, "metadata", f"v{latest + 1}.metadata.json"))
    assert last_meta.metadata.current_snapshot_id == latest + 1
    assert [s.snapshot_id for s in last_meta.snapshots()] == list(range(1, latest + 2))
    with open(os.path.join(table_dir, "metadata", "version-hint.text"), "rb") as f:
        assert f.read() == str(latest + 1).encode()
    # pyiceberg reading the table location through version-hint.text
    assert rows_of(StaticTable.from_metadata(table_dir).scan().to_arrow().to_pylist()) == expected[latest]
    for v, want in enumerate(expected):
        assert ingot_rows(root, name, "--version", v) == want, f"ingot v{v}"
        assert rows_of(deltalake.DeltaTable(table_dir, version=v).to_pyarrow_table().to_pylist()) == want, f"delta-rs v{v}"
        ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", f"v{v + 1}.metadata.json"))
        assert rows_of(ice.scan().to_arrow().to_pylist()) == want, f"pyiceberg v{v + 1}.metadata.json"
        assert rows_of(last_meta.scan(snapshot_id=v + 1).to_arrow().to_pylist()) == want, f"pyiceberg snapshot {v + 1}"
        files = ingot("admin", "table", "files", "--root", root, "--table", name, "--version", v).stdout.splitlines()
        if files:
            con = duckdb.connect()
            rel = con.execute(f"SELECT * FROM read_parquet({files!r}, union_by_name=true)")
            cols = [d[0] for d in rel.description]
            got = [dict(zip(cols, r)) for r in rel.fetchall()]
            if fill_missing and want:
                names = [k for k, _ in want[0]]
                got = [{k: g.get(k) for k in names} for g in got]
            assert rows_of(got) == want, f"duckdb v{v}"
        else:
            assert want == []


@pytest.mark.parametrize("partitioned", [False, True])
def test_ingot_writes_every_reader_reads(tmp_path, partitioned):
    root = str(tmp_path / "data")
    name = f"main.default.orders_{'p' if partitioned else 'u'}"
    part = ["--partition-by", "region"] if partitioned else []
    b0, b1, b2, b3 = batch(0, 500), batch(500, 300), batch(10_000, 200), batch(20_000, 50)
    expected = []
    ingot("admin", "table", "append", "--root", root, "--table", name, *part, write_file(tmp_path, "b0.parquet", b0))
    expected.append(rows_of(b0.to_pylist()))
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "b1.parquet", b1))
    expected.append(rows_of(b0.to_pylist() + b1.to_pylist()))
    ingot("admin", "table", "overwrite", "--root", root, "--table", name, write_file(tmp_path, "b2.parquet", b2))
    expected.append(rows_of(b2.to_pylist()))
    # CSV input is cast to the table schema.
    csv_path = tmp_path / "b3.csv"
    with open(csv_path, "w") as f:
        f.write("id,amount,qty\n" + "".join(f"{r['id']},{r['amount']},{r['qty']}\n" for r in b3.to_pylist()))
    ingot("admin", "table", "append", "--root", root, "--table", name, str(csv_path))
    b3rows = [{k: (r[k] if k in ("id", "amount", "qty") else None) for k in r} for r in b3.to_pylist()]
    expected.append(rows_of(b2.to_pylist() + b3rows))
    check_all_readers(root, name, expected)

    hist = [json.loads(l) for l in ingot("admin", "table", "history", "--root", root, "--table", name).stdout.splitlines()]
    assert [h["version"] for h in hist] == [3, 2, 1, 0]
    assert hist[1]["operationParameters"]["mode"] == "Overwrite"
    # Time travel by timestamp: each commit's own timestamp selects it.
    for h in hist:
        assert ingot_rows(root, name, "--timestamp", h["timestamp"]) == expected[h["version"]]
    # delta-rs sees the same history.
    dt_hist = deltalake.DeltaTable(os.path.join(root, "warehouse", *name.split("."))).history()
    assert sorted(h["version"] for h in dt_hist) == [0, 1, 2, 3]
    if partitioned:
        files = ingot("admin", "table", "files", "--root", root, "--table", name).stdout.splitlines()
        assert any("region=__HIVE_DEFAULT_PARTITION__" in f for f in files)
        assert any("region=eu" in f for f in files)
        # Parquet data files carry field ids matching the Iceberg schema.
        schema = pq.read_schema(files[0])
        assert schema.field("id").metadata[b"PARQUET:field_id"] == b"1"


def test_create_with_schema_and_properties(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.empty"
    ingot("admin", "table", "create", "--root", root, "--table", name, "--schema", "id:int64 not null,label:string", "--property", "owner=tests")
    table_dir = os.path.join(root, "warehouse", "main", "default", "empty")
    d = deltalake.DeltaTable(table_dir)
    assert d.version() == 0 and d.to_pyarrow_table().num_rows == 0
    assert d.metadata().configuration.get("owner") == "tests"
    ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", "v1.metadata.json"))
    assert ice.properties["owner"] == "tests"
    assert [(f.field_id, f.name, f.required) for f in ice.schema().fields] == [(1, "id", True), (2, "label", False)]
    assert ice.scan().to_arrow().num_rows == 0
    p = ingot("admin", "table", "create", "--root", root, "--table", name, "--schema", "id:int64", check=False)
    assert p.returncode != 0 and "already exists" in p.stderr


@pytest.mark.parametrize("partitioned", [False, True])
def test_ingot_reads_deltalake_tables(tmp_path, partitioned):
    # Written straight into a data dir's warehouse (the object store refuses symlinks).
    root = str(tmp_path / "data")
    path = os.path.join(root, "warehouse", "main", "default", "dl")
    kw = {"partition_by": ["region"]} if partitioned else {}
    b = batch(0, 400)
    deltalake.write_deltalake(path, b, **kw)
    deltalake.write_deltalake(path, batch(400, 100), mode="append", **kw)
    deltalake.write_deltalake(path, batch(1000, 50), mode="overwrite", **kw)
    name = "main.default.dl"
    for v in range(3):
        want = rows_of(deltalake.DeltaTable(path, version=v).to_pyarrow_table().to_pylist())
        assert ingot_rows(root, name, "--version", v) == want
    # Iceberg metadata can be derived for it too.
    ingot("admin", "table", "sync", "--root", root, "--table", name)
    ice = StaticTable.from_metadata(os.path.join(path, "metadata", "v3.metadata.json"))
    assert rows_of(ice.scan().to_arrow().to_pylist()) == rows_of(deltalake.DeltaTable(path).to_pyarrow_table().to_pylist())


def test_unsupported_reader_feature_is_named(tmp_path):
    root = tmp_path / "data"
    log = root / "warehouse" / "main" / "default" / "dv" / "_delta_log"
    log.mkdir(parents=True)
    schema = json.dumps({"type": "struct", "fields": [{"name": "id", "type": "long", "nullable": True, "metadata": {}}]})
    actions = [
        {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["deletionVectors"], "writerFeatures": ["deletionVectors"]}},
        {"metaData": {"id": "x", "format": {"provider": "parquet", "options": {}}, "schemaString": schema, "partitionColumns": [], "configuration": {}}},
    ]
    (log / "00000000000000000000.json").write_text("\n".join(json.dumps(a) for a in actions) + "\n")
    p = ingot("admin", "table", "cat", "--root", root, "--table", "main.default.dv", check=False)
    assert p.returncode != 0 and "deletionVectors" in p.stderr


def test_concurrent_appends(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.conc"
    ingot("admin", "table", "create", "--root", root, "--table", name, "--schema", "id:int64,name:string,amount:float64,qty:int32,day:date,ts:timestamptz,region:string,ok:bool", "--partition-by", "region")
    writers = 6
    files = [write_file(tmp_path, f"c{i}.parquet", batch(i * 1000, 100 + i)) for i in range(writers)]
    procs = [subprocess.Popen([ingot_binary(), "admin", "table", "append", "--root", root, "--table", name, f], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    versions = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        versions.append(int(out.split()[-1]))
    assert sorted(versions) == list(range(1, writers + 1))
    total = sum(100 + i for i in range(writers))
    table_dir = os.path.join(root, "warehouse", "main", "default", "conc")
    assert deltalake.DeltaTable(table_dir).to_pyarrow_table().num_rows == total
    assert len(ingot_rows(root, name)) == total
    counts = []
    for v in range(writers + 1):
        counts.append(deltalake.DeltaTable(table_dir, version=v).to_pyarrow_table().num_rows)
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == total
    ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", f"v{writers + 1}.metadata.json"))
    assert ice.scan().to_arrow().num_rows == total
    assert [s.snapshot_id for s in ice.snapshots()] == list(range(1, writers + 2))


# ---- Avro ----------------------------------------------------------------------------------------

def avro_norm(v):
    if isinstance(v, bytes):
        return list(v)
    if isinstance(v, dt.date):
        return (v - dt.date(1970, 1, 1)).days
    if isinstance(v, dict):
        return {k: avro_norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [avro_norm(x) for x in v]
    return v


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_fastavro_reads_ingot_avro(tmp_path, codec):
    path = tmp_path / "s.avro"
    ingot("admin", "table", "avro-sample", str(path), "--codec", codec, "--rows", "500")
    with open(path, "rb") as f:
        r = fastavro.reader(f)
        assert r.codec == codec
        assert r.metadata["ingot.sample"] == "yes"
        records = [avro_norm(x) for x in r]
    assert r.writer_schema["fields"][9]["type"]["element-id"] == 100
    ours = json.loads(ingot("admin", "table", "avro-cat", str(path)).stdout)
    assert len(records) == 500
    assert records == ours["records"]


def test_ingot_reads_fastavro_files(tmp_path):
    schema = {
        "type": "record", "name": "t", "fields": [
            {"name": "b", "type": "boolean", "field-id": 1},
            {"name": "i", "type": "int"}, {"name": "l", "type": "long"},
            {"name": "f", "type": "float"}, {"name": "d", "type": "double"},
            {"name": "by", "type": "bytes"}, {"name": "s", "type": "string"},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
            {"name": "a", "type": {"type": "array", "items": "string", "element-id": 7}},
            {"name": "m", "type": {"type": "map", "values": "long"}},
            {"name": "u", "type": ["null", "long", "string"]},
            {"name": "fx", "type": {"type": "fixed", "name": "F", "size": 3}},
            {"name": "r", "type": ["null", {"type": "record", "name": "in", "fields": [{"name": "x", "type": "int"}]}]},
        ]}
    recs = [{
        "b": i % 2 == 0, "i": -i * 1000, "l": i * 10**15, "f": i * 0.5, "d": i / 7, "by": bytes(range(i % 9)),
        "s": f"ü{i}", "e": "AB"[i % 2], "a": [str(j) for j in range(i % 5)], "m": {f"k{j}": j * i for j in range(i % 3)},
        "u": None if i % 3 == 0 else (i if i % 3 == 1 else f"x{i}"), "fx": bytes([i % 256, 1, 2]),
        "r": None if i % 4 == 0 else {"x": i},
    } for i in range(3000)]
    for codec in ("null", "deflate"):
        path = tmp_path / f"fa-{codec}.avro"
        with open(path, "wb") as f:
            # Small blocks with sync intervals; fastavro also writes multi-item array/map blocks.
            fastavro.writer(f, fastavro.parse_schema(schema), recs, codec=codec, sync_interval=2000, metadata={"k": "v"})
        ours = json.loads(ingot("admin", "table", "avro-cat", str(path)).stdout)
        assert ours["metadata"]["k"] == "v"
        assert ours["schema"]["fields"][0]["field-id"] == 1
        assert ours["schema"]["fields"][8]["type"]["element-id"] == 7
        assert ours["records"] == [avro_norm(r) for r in recs]


def test_iceberg_manifests_have_required_field_ids(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.mf"
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "m.parquet", batch(0, 100)))
    meta_dir = os.path.join(root, "warehouse", "main", "default", "mf", "metadata")
    meta = json.load(open(os.path.join(meta_dir, "v1.metadata.json")))
    assert meta["format-version"] == 2 and meta["last-sequence-number"] == 1
    mlist = meta["snapshots"][0]["manifest-list"].removeprefix("file://")
    with open(mlist, "rb") as f:
        r = fastavro.reader(f)
        assert r.metadata["snapshot-id"] == "1" and r.metadata["format-version"] == "2"
        assert all("field-id" in fld for fld in r.writer_schema["fields"])
        manifests = list(r)
    with open(manifests[0]["manifest_path"].removeprefix("file://"), "rb") as f:
        r = fastavro.reader(f)
        for key in ("schema", "partition-spec", "partition-spec-id", "format-version", "content"):
            assert key in r.metadata
        entries = list(r)
    assert sum(e["data_file"]["record_count"] for e in entries) == 100
    assert {e["data_file"]["partition"]["region"] for e in entries} == {"eu", "us", "apac", None}


def test_deltalake_checkpoint_and_outside_writer(tmp_path):
    """deltalake checkpoints are tolerated while the JSON commits exist; a delta-rs commit to an Ingot
    table is picked up: the next Ingot commit derives Iceberg metadata for it too."""
    root = str(tmp_path / "data")
    name = "main.default.mixed"
    table_dir = os.path.join(root, "warehouse", "main", "default", "mixed")
    b0 = batch(0, 100)
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "x0.parquet", b0))
    b1 = batch(100, 40)
    deltalake.write_deltalake(table_dir, b1, mode="append")
    deltalake.DeltaTable(table_dir).create_checkpoint()
    b2 = batch(200, 10)
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "x2.parquet", b2))
    expected = [rows_of(b0.to_pylist()), rows_of(b0.to_pylist() + b1.to_pylist()), rows_of(b0.to_pylist() + b1.to_pylist() + b2.to_pylist())]
    for v, want in enumerate(expected):
        assert ingot_rows(root, name, "--version", v) == want
        assert rows_of(deltalake.DeltaTable(table_dir, version=v).to_pyarrow_table().to_pylist()) == want
        ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", f"v{v + 1}.metadata.json"))
        assert rows_of(ice.scan().to_arrow().to_pylist()) == want, f"pyiceberg v{v + 1}"


def test_every_type_partitioned_by_date(tmp_path):
    n = 60
    t = pa.table({
        "i8": pa.array([i - 25 for i in range(n)], pa.int8()),
        "i16": pa.array([None if i == 3 else i * 100 for i in range(n)], pa.int16()),
        "f32": pa.array([i * 0.5 for i in range(n)], pa.float32()),
        "dec": pa.array([decimal.Decimal(i - 30) / 100 for i in range(n)], pa.decimal128(10, 2)),
        "bin": pa.array([bytes([i, 255 - i]) for i in range(n)], pa.binary()),
        "ntz": pa.array([dt.datetime(2026, 1, 1) + dt.timedelta(hours=i, microseconds=i) for i in range(n)], pa.timestamp("us")),
        "d": pa.array([None if i % 13 == 0 else dt.date(2026, 1, 1) + dt.timedelta(days=i % 3) for i in range(n)], pa.date32()),
        "b": pa.array([i % 2 == 0 for i in range(n)]),
    })
    root = str(tmp_path / "data")
    name = "main.default.types"
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "d", write_file(tmp_path, "t.parquet", t))
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "t2.parquet", t.slice(0, 10)))
    expected = [rows_of(t.to_pylist()), rows_of(t.to_pylist() + t.slice(0, 10).to_pylist())]
    check_all_readers(root, name, expected)


@pytest.mark.parametrize("partitioned", [False, True])
def test_ingot_reads_pyiceberg_tables(tmp_path, partitioned):
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    warehouse = tmp_path / "wh"
    warehouse.mkdir()
    cat = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/cat.db", warehouse=f"file://{warehouse}")
    cat.create_namespace("ns")
    first = batch(0, 300)
    schema = first.schema
    tbl = cat.create_table("ns.t", schema=schema)
    if partitioned:
        region_id = tbl.schema().find_field("region").field_id
        with tbl.update_spec() as u:
            u.add_identity("region")
    tbl.append(first)
    tbl.append(batch(300, 100))
    tbl.overwrite(batch(5000, 20))
    tbl = cat.load_table("ns.t")
    meta = tbl.metadata_location
    snaps = [json.loads(l) for l in ingot("admin", "table", "iceberg-snapshots", meta).stdout.splitlines()]
    assert [s["snapshot_id"] for s in snaps] == [s.snapshot_id for s in tbl.snapshots()]
    for s in tbl.snapshots():
        want = rows_of(tbl.scan(snapshot_id=s.snapshot_id).to_arrow().to_pylist())
        got = ingot_rows_iceberg(meta, s.snapshot_id)
        assert got == want, f"snapshot {s.snapshot_id} ({s.summary.operation if s.summary else ''})"
    assert ingot_rows_iceberg(meta, None) == rows_of(tbl.scan().to_arrow().to_pylist())


def ingot_rows_iceberg(meta, snapshot_id):
    args = ["admin", "table", "iceberg-cat", meta] + (["--snapshot-id", snapshot_id] if snapshot_id is not None else [])
    return rows_of(json.loads(l) for l in ingot(*args).stdout.splitlines() if l.strip())


def test_checkpoint_without_earlier_commits_is_named(tmp_path):
    root = str(tmp_path / "data")
    path = os.path.join(root, "warehouse", "main", "default", "cp")
    for i in range(3):
        deltalake.write_deltalake(path, batch(i * 10, 10), mode="append")
    deltalake.DeltaTable(path).create_checkpoint()
    # Ingot replays the JSON commits while they exist...
    assert len(ingot_rows(root, "main.default.cp")) == 30
    # ...then starts from the checkpoint once they are gone...
    os.remove(os.path.join(path, "_delta_log", "00000000000000000000.json"))
    assert len(ingot_rows(root, "main.default.cp")) == 30
    # ...and names the missing piece once the checkpoint is gone too.
    os.remove(os.path.join(path, "_delta_log", "00000000000000000002.checkpoint.parquet"))
    p = ingot("admin", "table", "cat", "--root", root, "--table", "main.default.cp", check=False)
    assert p.returncode != 0 and "checkpoint" in p.stderr.lower()


def test_iceberg_column_bounds_prune_correctly(tmp_path):
    from pyiceberg.expressions import And, EqualTo, GreaterThan, GreaterThanOrEqual, IsNull, LessThan

    root = str(tmp_path / "data")
    name = "main.default.bounds"
    for i in range(5):
        ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, f"s{i}.parquet", batch(i * 1000, 200)))
    table_dir = os.path.join(root, "warehouse", "main", "default", "bounds")
    ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", "v5.metadata.json"))
    rows = ice.scan().to_arrow().to_pylist()
    assert len(rows) == 1000
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    cases = [
        (GreaterThanOrEqual("id", 3000), lambda r: r["id"] >= 3000),
        (LessThan("amount", 300.0), lambda r: r["amount"] < 300.0),
        (EqualTo("name", "name-2005-é"), lambda r: r["name"] == "name-2005-é"),
        (IsNull("name"), lambda r: r["name"] is None),
        (GreaterThan("ts", (t0 + dt.timedelta(seconds=4000 * 61)).isoformat()), lambda r: r["ts"] > t0 + dt.timedelta(seconds=4000 * 61)),
        (And(GreaterThanOrEqual("qty", 10), LessThan("id", 1100)), lambda r: r["qty"] >= 10 and r["id"] < 1100),
        (EqualTo("day", "2026-01-05"), lambda r: r["day"] == dt.date(2026, 1, 5)),
    ]
    for expr, pred in cases:
        got = rows_of(ice.scan(row_filter=expr).to_arrow().to_pylist())
        assert got == rows_of([r for r in rows if pred(r)]), str(expr)
    # The bounds really prune: an id range hits one file of five.
    assert len(list(ice.scan(row_filter=GreaterThanOrEqual("id", 4000)).plan_files())) == 1


def test_concurrent_appends_and_overwrites(tmp_path):
    """Appends and whole-table overwrites race: every command commits (overwrites retry against the new
    snapshot), and each version's rows are exactly the replay of the commits in version order."""
    root = str(tmp_path / "data")
    name = "main.default.race"
    ingot("admin", "table", "create", "--root", root, "--table", name, "--schema", "id:int64,name:string,amount:float64,qty:int32,day:date,ts:timestamptz,region:string,ok:bool")
    ops = [("append", batch(i * 1000, 20 + i)) for i in range(4)] + [("overwrite", batch(100_000 + i * 1000, 7 + i)) for i in range(3)]
    procs = []
    for k, (op, b) in enumerate(ops):
        f = write_file(tmp_path, f"r{k}.parquet", b)
        procs.append(subprocess.Popen([ingot_binary(), "admin", "table", op, "--root", root, "--table", name, f], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    by_version = {}
    for k, p in enumerate(procs):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        by_version[int(out.split()[-1])] = ops[k]
    assert sorted(by_version) == list(range(1, len(ops) + 1))
    table_dir = os.path.join(root, "warehouse", "main", "default", "race")
    state = []
    for v in range(1, len(ops) + 1):
        op, b = by_version[v]
        state = (state if op == "append" else []) + b.to_pylist()
        assert rows_of(deltalake.DeltaTable(table_dir, version=v).to_pyarrow_table().to_pylist()) == rows_of(state), f"v{v}"
    assert ingot_rows(root, name) == rows_of(state)
    ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", f"v{len(ops) + 1}.metadata.json"))
    assert rows_of(ice.scan().to_arrow().to_pylist()) == rows_of(state)


def test_kill_during_commits_leaves_a_consistent_table(tmp_path):
    """SIGKILL an appending writer at random moments: after a sync (what start-up does) Ingot, delta-rs
    and pyiceberg agree on the last committed version, and later commits still succeed."""
    import random
    import signal

    rng = random.Random(5)
    root = str(tmp_path / "data")
    name = "main.default.crash"
    table_dir = os.path.join(root, "warehouse", "main", "default", "crash")
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "c0.parquet", batch(0, 50)))
    f = write_file(tmp_path, "c1.parquet", batch(1000, 3000))
    trials = int(os.environ.get("INGOT_TABLE_CRASH_TRIALS", "100"))
    for _ in range(trials):
        p = subprocess.Popen([ingot_binary(), "admin", "table", "append", "--root", root, "--table", name, f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.4))
        p.send_signal(signal.SIGKILL)
        p.wait()
        ingot("admin", "table", "sync", "--root", root, "--table", name)
        latest = deltalake.DeltaTable(table_dir)
        v = latest.version()
        # Every reader reads every data file of the version (only the id column: the schema check is
        # elsewhere) and they agree row for row; sorting the JSON rows of whole records made this slow.
        delta_ids = sorted(latest.to_pyarrow_table(columns=["id"]).column("id").to_pylist())
        n = len(delta_ids)
        assert n == 50 + 3000 * v
        out = ingot("admin", "table", "cat", "--root", root, "--table", name, "--columns", "id").stdout
        assert sorted(r["id"] for r in json.loads("[" + ",".join(l for l in out.splitlines() if l.strip()) + "]")) == delta_ids
        ice = StaticTable.from_metadata(table_dir).scan(selected_fields=("id",)).to_arrow()
        assert sorted(ice.column("id").to_pylist()) == delta_ids
        with open(os.path.join(table_dir, "metadata", "version-hint.text")) as h:
            assert h.read() == str(v + 1)
    before = deltalake.DeltaTable(table_dir).version()
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "c2.parquet", batch(9000, 5)))
    assert deltalake.DeltaTable(table_dir).version() == before + 1
    # Vacuum removes the orphans the killed writers left, and nothing a version needs.
    rows = deltalake.DeltaTable(table_dir).to_pyarrow_table().num_rows
    ingot("admin", "table", "vacuum", "--root", root, "--table", name, "--retention-hours", "0", "--no-retention-check")
    referenced = {os.path.normpath(u.replace("file://", "")) for u in deltalake.DeltaTable(table_dir).file_uris()}
    on_disk = {os.path.normpath(os.path.join(d, n)) for d, _, names in os.walk(table_dir) for n in names
               if n.endswith(".parquet") and "_delta_log" not in d and "metadata" not in d}
    assert on_disk == referenced
    assert deltalake.DeltaTable(table_dir).to_pyarrow_table().num_rows == rows
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "c3.parquet", batch(9100, 5)))
    assert deltalake.DeltaTable(table_dir).to_pyarrow_table().num_rows == rows + 5


def test_awkward_partition_values(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.awk"
    b = batch(0, 60, regions=("a b/c", "x=y%z", "é日本", "plain"))
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "a.parquet", b))
    check_all_readers(root, name, [rows_of(b.to_pylist())])
    table_dir = os.path.join(root, "warehouse", "main", "default", "awk")
    assert ingot_rows_iceberg(table_dir, None) == rows_of(b.to_pylist())


def test_add_columns(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.evo"
    b0 = batch(0, 30)
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "e0.parquet", b0))
    ingot("admin", "table", "add-columns", "--root", root, "--table", name, "--columns", "note:string,score:float64")
    b2 = batch(100, 10).append_column("note", pa.array([f"n{i}" for i in range(10)])).append_column("score", pa.array([i / 4 for i in range(10)]))
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "e2.parquet", b2))
    old = [dict(r, note=None, score=None) for r in b0.to_pylist()]
    expected = [rows_of(b0.to_pylist()), rows_of(old), rows_of(old + b2.to_pylist())]
    table_dir = os.path.join(root, "warehouse", "main", "default", "evo")
    for v, want in enumerate(expected):
        assert ingot_rows(root, name, "--version", v) == want
        assert rows_of(deltalake.DeltaTable(table_dir, version=v).to_pyarrow_table().to_pylist()) == want
    ice = StaticTable.from_metadata(os.path.join(table_dir, "metadata", "v3.metadata.json"))
    assert rows_of(ice.scan().to_arrow().to_pylist()) == expected[2]
    assert [f.field_id for f in ice.schema().fields][-2:] == [9, 10]
    assert len(ice.metadata.schemas) == 2
    assert rows_of(ice.scan(snapshot_id=1).to_arrow().to_pylist()) == expected[0]
    p = ingot("admin", "table", "add-columns", "--root", root, "--table", name, "--columns", "note:string", check=False)
    assert p.returncode != 0 and "already exists" in p.stderr


# ---- Row-level changes, compaction, vacuum, time travel (issue #5) -------------------------------

def table_dir_of(root, name):
    return os.path.join(root, "warehouse", *name.split("."))


def change(root, name, *args):
    """Runs a row-level command; returns (metrics, version)."""
    out = ingot("admin", "table", *args[:1], "--root", root, "--table", name, *args[1:]).stdout.splitlines()
    return json.loads(out[0]), int(out[-1].split()[-1])


def history_of(root, name):
    return [json.loads(l) for l in ingot("admin", "table", "history", "--root", root, "--table", name).stdout.splitlines()]


def iceberg_operations(root, name):
    ice = StaticTable.from_metadata(table_dir_of(root, name))
    return [s.summary.operation.value for s in ice.snapshots()]


def dml_sequence(tmp_path, root, name, partitioned):
    """append, append, delete, update, merge, overwrite-where, add-columns, append, optimize; returns expected rows per version."""
    part = ["--partition-by", "region"] if partitioned else []
    b0, b1 = batch(0, 400), batch(400, 200)
    state = b0.to_pylist()
    expected = [rows_of(state)]
    ingot("admin", "table", "append", "--root", root, "--table", name, *part, write_file(tmp_path, "d0.parquet", b0))
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "d1.parquet", b1))
    state = state + b1.to_pylist()
    expected.append(rows_of(state))

    m, v = change(root, name, "delete", "--where", "id < 100 or (qty between 50 and 59 and region = 'us')")
    before = len(state)
    state = [r for r in state if not (r["id"] < 100 or (50 <= r["qty"] <= 59 and r["region"] == "us"))]
    assert v == 2 and m["committed"] and m["metrics"]["numDeletedRows"] == before - len(state)
    expected.append(rows_of(state))

    m, v = change(root, name, "update", "--where", "id between 200 and 250 and name is not null", "--set", "name='upd ''x'''", "--set", "qty=7", "--set", "ts=null")
    n = 0
    for r in state:
        if 200 <= r["id"] <= 250 and r["name"] is not None:
            r.update(name="upd 'x'", qty=7, ts=None)
            n += 1
    assert v == 3 and m["metrics"]["numUpdatedRows"] == n
    expected.append(rows_of(state))

    src_ids = [160, 161, 162, 700, 701]
    src = pa.table({"id": pa.array(src_ids, pa.int64()), "amount": pa.array([-1.5] * 5), "name": pa.array([f"merged-{i}" for i in src_ids]),
                    "region": pa.array(["us", "apac", "eu", "eu", None])})
    m, v = change(root, name, "merge", "--keys", "id", write_file(tmp_path, "src.parquet", src))
    by_id = {r["id"]: r for r in state}
    for s in src.to_pylist():
        if s["id"] in by_id:
            by_id[s["id"]].update(s)
        else:
            state.append({**{k: None for k in b0.column_names}, **s})
    assert v == 4 and m["metrics"]["numTargetRowsUpdated"] == 3 and m["metrics"]["numTargetRowsInserted"] == 2
    expected.append(rows_of(state))

    eu = batch(5000, 40).set_column(6, "region", pa.array(["eu"] * 40))
    m, v = change(root, name, "overwrite", "--where", "region = 'eu'", write_file(tmp_path, "eu.parquet", eu))
    state = [r for r in state if r["region"] != "eu"] + eu.to_pylist()
    assert v == 5
    expected.append(rows_of(state))

    ingot("admin", "table", "add-columns", "--root", root, "--table", name, "--columns", "note:string")
    state = [dict(r, note=None) for r in state]
    expected.append(rows_of(state))

    b7 = batch(8000, 30)
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "d7.parquet", b7))
    state = state + [dict(r, note=None) for r in b7.to_pylist()]
    expected.append(rows_of(state))

    files_before = len(ingot("admin", "table", "files", "--root", root, "--table", name).stdout.splitlines())
    m, v = change(root, name, "optimize")
    files_after = len(ingot("admin", "table", "files", "--root", root, "--table", name).stdout.splitlines())
    assert v == 8 and files_after < files_before and m["metrics"]["numRemovedFiles"] == files_before - files_after + m["metrics"]["numAddedFiles"]
    expected.append(rows_of(state))
    return expected


@pytest.mark.parametrize("partitioned", [False, True])
def test_dml_every_reader_reads_every_version(tmp_path, partitioned):
    root = str(tmp_path / "data")
    name = f"main.default.dml_{'p' if partitioned else 'u'}"
    expected = dml_sequence(tmp_path, root, name, partitioned)
    check_all_readers(root, name, expected, fill_missing=True)
    hist = history_of(root, name)
    assert [h["operation"] for h in hist] == ["OPTIMIZE", "WRITE", "ADD COLUMNS", "WRITE", "MERGE", "UPDATE", "DELETE", "WRITE", "CREATE TABLE AS SELECT"]
    assert hist[0]["operationMetrics"]["numRemovedFiles"] and hist[6]["operationParameters"]["predicate"]
    assert all(h["engineInfo"] == "Ingot/0.1.0" for h in hist)
    dl_hist = deltalake.DeltaTable(table_dir_of(root, name)).history()
    assert [h["operation"] for h in sorted(dl_hist, key=lambda h: h["version"])][2:5] == ["DELETE", "UPDATE", "MERGE"]
    ops = iceberg_operations(root, name)
    assert ops[:2] == ["append", "append"] and ops[2] in ("overwrite", "delete") and ops[-1] == "replace"
    # The DELETE snapshot lists the files it removed as DELETED manifest entries (pyiceberg's own reader).
    from pyiceberg.manifest import ManifestEntryStatus
    ice = StaticTable.from_metadata(table_dir_of(root, name))
    snap3 = ice.snapshot_by_id(3)
    entries = [e for m in snap3.manifests(ice.io) for e in m.fetch_manifest_entry(ice.io, discard_deleted=False)]
    deleted = {e.data_file.file_path for e in entries if e.status == ManifestEntryStatus.DELETED}
    v1_files = {"file://" + p for p in ingot("admin", "table", "files", "--root", root, "--table", name, "--version", 1).stdout.splitlines()}
    v2_files = {"file://" + p for p in ingot("admin", "table", "files", "--root", root, "--table", name, "--version", 2).stdout.splitlines()}
    assert deleted and deleted == v1_files - v2_files
    assert all(e.snapshot_id == 3 for e in entries if e.status == ManifestEntryStatus.DELETED)
    assert int(snap3.summary["deleted-data-files"]) == len(deleted)
    # The optimize commit changes no data in Delta's eyes.
    log = os.path.join(table_dir_of(root, name), "_delta_log", "00000000000000000008.json")
    actions = [json.loads(l) for l in open(log)]
    assert all(a[k]["dataChange"] is False for a in actions for k in ("add", "remove") if k in a)

    # Vacuum with a window covering every version deletes nothing and breaks nothing...
    assert ingot("admin", "table", "vacuum", "--root", root, "--table", name, "--retention-hours", "1", "--no-retention-check").stdout == ""
    check_all_readers(root, name, expected, fill_missing=True)
    # ...a zero window keeps exactly the latest version readable everywhere.
    time.sleep(0.05)
    gone = ingot("admin", "table", "vacuum", "--root", root, "--table", name, "--retention-hours", "0", "--no-retention-check").stdout.splitlines()
    assert gone and all(not os.path.exists(p) for p in gone)
    assert not any("_delta_log" in p or "/metadata/" in p for p in gone)
    d = table_dir_of(root, name)
    assert rows_of(deltalake.DeltaTable(d).to_pyarrow_table().to_pylist()) == expected[-1]
    assert rows_of(StaticTable.from_metadata(d).scan().to_arrow().to_pylist()) == expected[-1]
    assert ingot_rows(root, name) == expected[-1]
    files = ingot("admin", "table", "files", "--root", root, "--table", name).stdout.splitlines()
    got = duckdb.connect().execute(f"SELECT * FROM read_parquet({files!r}, union_by_name=true)")
    cols = [c[0] for c in got.description]
    assert rows_of(dict(zip(cols, r)) for r in got.fetchall()) == expected[-1]


def test_vacuum_retention_check_and_orphans(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.vac"
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "v0.parquet", batch(0, 100)))
    change(root, name, "delete", "--where", "id < 10")
    d = table_dir_of(root, name)
    old_orphan = os.path.join(d, "region=eu", "part-crashed-writer.zstd.parquet")
    new_orphan = os.path.join(d, "part-in-flight.zstd.parquet")
    for p in (old_orphan, new_orphan):
        with open(p, "wb") as f:
            f.write(b"PAR1")
    two_hours_ago = time.time() - 7200
    os.utime(old_orphan, (two_hours_ago, two_hours_ago))
    p = ingot("admin", "table", "vacuum", "--root", root, "--table", name, "--retention-hours", "0", check=False)
    assert p.returncode != 0 and "168 hours" in p.stderr
    dry = ingot("admin", "table", "vacuum", "--root", root, "--table", name, "--retention-hours", "1", "--no-retention-check", "--dry-run").stdout.splitlines()
    assert dry == [old_orphan] and os.path.exists(old_orphan)
    assert ingot("admin", "table", "vacuum", "--root", root, "--table", name, "--retention-hours", "1", "--no-retention-check").stdout.splitlines() == [old_orphan]
    assert not os.path.exists(old_orphan) and os.path.exists(new_orphan)
    # Both versions are intact for every reader.
    for v in (0, 1):
        assert deltalake.DeltaTable(d, version=v).to_pyarrow_table().num_rows == (100 if v == 0 else 90)
        assert StaticTable.from_metadata(os.path.join(d, "metadata", f"v{v + 1}.metadata.json")).scan().to_arrow().num_rows == (100 if v == 0 else 90)
    # The default window (7 days) keeps everything.
    assert ingot("admin", "table", "vacuum", "--root", root, "--table", name).stdout == ""


def test_time_travel_as_of_timestamp(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.tt"
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "t0.parquet", batch(0, 30)))
    time.sleep(0.01)
    change(root, name, "delete", "--where", "id >= 20")
    time.sleep(0.01)
    change(root, name, "update", "--where", "id = 3", "--set", "amount=0")
    for h in history_of(root, name):
        ms = h["timestamp"]
        iso = dt.datetime.fromtimestamp(ms // 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"
        for spec in (str(h["timestamp"]), iso):
            assert ingot_rows(root, name, "--as-of-timestamp", spec) == ingot_rows(root, name, "--version", h["version"])
    p = ingot("admin", "table", "cat", "--root", root, "--table", name, "--as-of-timestamp", "2001-01-01T00:00:00Z", check=False)
    assert p.returncode != 0 and "before the first commit" in p.stderr


def test_type_widening(tmp_path):
    root = str(tmp_path / "data")
    name = "main.default.wide"
    ingot("admin", "table", "create", "--root", root, "--table", name, "--schema", "id:int64,qty:int32,x:float32,amount:float64")
    narrow = pa.table({"id": pa.array([1, 2], pa.int32()), "qty": pa.array([3, 4], pa.int32()), "x": pa.array([0.5, 1.5], pa.float32()),
                       "amount": pa.array([2.5, 3.5], pa.float32())})
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "n.parquet", narrow))  # int32→int64, float→double on write
    change(root, name, "widen-column", "--column", "qty", "--type", "int64")
    change(root, name, "widen-column", "--column", "x", "--type", "float64")
    wide = pa.table({"id": pa.array([5], pa.int64()), "qty": pa.array([2**40], pa.int64()), "x": pa.array([1e300]), "amount": pa.array([1.0])})
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "w.parquet", wide))
    rows = narrow.to_pylist()
    expected = [[], rows_of(rows), rows_of(rows), rows_of(rows), rows_of(rows + wide.to_pylist())]
    check_all_readers(root, name, expected)
    d = table_dir_of(root, name)
    assert deltalake.DeltaTable(d).to_pyarrow_table().schema.field("qty").type == pa.int64()
    ice = StaticTable.from_metadata(d)
    assert str(ice.schema().find_field("qty").field_type) == "long" and str(ice.schema().find_field("x").field_type) == "double"
    p = ingot("admin", "table", "widen-column", "--root", root, "--table", name, "--column", "qty", "--type", "int32", check=False)
    assert p.returncode != 0 and "cannot widen" in p.stderr


def test_concurrent_appends_deletes_and_overwrites(tmp_path):
    """Appends race with deletes and a replaceWhere over the same files: no commit is lost, real conflicts
    exit 75 with `commit conflict` and are retried, and the final rows are exact in every reader."""
    root = str(tmp_path / "data")
    name = "main.default.mixed"
    ingot("admin", "table", "append", "--root", root, "--table", name, "--partition-by", "region", write_file(tmp_path, "m0.parquet", batch(0, 600)))
    state = batch(0, 600).to_pylist()
    ow = batch(0, 50)
    jobs = [["append", write_file(tmp_path, f"a{i}.parquet", batch(10_000 + i * 1000, 30 + i))] for i in range(4)]
    jobs += [["delete", "--where", "id >= 200 and id < 300"], ["delete", "--where", "id >= 400 and id < 500"],
             ["overwrite", "--where", "id < 100", write_file(tmp_path, "ow.parquet", ow)]]
    def start(job):
        return subprocess.Popen([ingot_binary(), "admin", "table", job[0], "--root", root, "--table", name, *job[1:]],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running = [(job, start(job), 0) for job in jobs]
    conflicts = 0
    while running:
        job, p, tries = running.pop(0)
        out, err = p.communicate(timeout=300)
        if p.returncode == 75:
            assert "commit conflict" in err, err
            conflicts += 1
            assert tries < 30, f"{job} kept conflicting"
            running.append((job, start(job), tries + 1))
            continue
        assert p.returncode == 0, err
    for i in range(4):
        state += batch(10_000 + i * 1000, 30 + i).to_pylist()
    state = [r for r in state if not (200 <= r["id"] < 300 or 400 <= r["id"] < 500 or r["id"] < 100)] + ow.to_pylist()
    d = table_dir_of(root, name)
    latest = deltalake.DeltaTable(d)
    assert latest.version() == len(jobs)
    assert rows_of(latest.to_pyarrow_table().to_pylist()) == rows_of(state)
    assert ingot_rows(root, name) == rows_of(state)
    ice = StaticTable.from_metadata(d)
    assert rows_of(ice.scan().to_arrow().to_pylist()) == rows_of(state)
    assert [s.snapshot_id for s in ice.snapshots()] == list(range(1, len(jobs) + 2))
    ops = [h["operation"] for h in history_of(root, name)]
    assert sorted(ops[:-1]) == sorted(["WRITE"] * 5 + ["DELETE"] * 2)
    print(f"conflicts retried: {conflicts}")


# ---------------------------------------------------------------------------------------------
# Delta checkpoints


@pytest.mark.parametrize("partitioned", [False, True])
def test_ingot_checkpoints_read_by_deltalake(tmp_path, partitioned):
    root = str(tmp_path / "data")
    name = "main.default.ckpt"
    table_dir = os.path.join(root, "warehouse", "main", "default", "ckpt")
    part = ["--partition-by", "region"] if partitioned else []
    state, expected = [], []
    for v in range(13):
        b = batch(v * 100, 20)
        mode = "overwrite" if v == 8 else "append"
        ingot("admin", "table", mode, "--root", root, "--table", name, *(part if v == 0 else []), write_file(tmp_path, f"c{v}.parquet", b))
        state = b.to_pylist() if mode == "overwrite" else state + b.to_pylist()
        expected.append(rows_of(state))
    log = os.path.join(table_dir, "_delta_log")
    assert os.path.exists(os.path.join(log, "00000000000000000010.checkpoint.parquet"))
    last = json.load(open(os.path.join(log, "_last_checkpoint")))
    assert last["version"] == 10 and last["size"] >= 3
    # pyarrow sees the protocol's column shapes
    cp = pq.read_table(os.path.join(log, "00000000000000000010.checkpoint.parquet"))
    assert {"add", "remove", "metaData", "protocol", "txn"} <= set(cp.column_names)
    assert pa.types.is_map(cp.schema.field("add").type.field("partitionValues").type)
    adds = [a for a in cp.column("add").to_pylist() if a is not None]
    assert last["size"] == cp.num_rows and len(adds) == last.get("numOfAddFiles", len(adds))
    for v, want in enumerate(expected):
        assert rows_of(deltalake.DeltaTable(table_dir, version=v).to_pyarrow_table().to_pylist()) == want, f"delta-rs v{v}"
        assert ingot_rows(root, name, "--version", v) == want, f"ingot v{v}"
    # With the JSON commits before the checkpoint gone, both start from the checkpoint.
    for v in range(10):
        os.remove(os.path.join(log, f"{v:020d}.json"))
    assert rows_of(deltalake.DeltaTable(table_dir).to_pyarrow_table().to_pylist()) == expected[-1]
    assert ingot_rows(root, name) == expected[-1]
    assert ingot_rows(root, name, "--version", 10) == expected[10]


@pytest.mark.parametrize("partitioned", [False, True])
def test_ingot_reads_deltalake_checkpoints(tmp_path, partitioned):
    root = str(tmp_path / "data")
    path = os.path.join(root, "warehouse", "main", "default", "dlcp")
    kw = {"partition_by": ["region"]} if partitioned else {}
    for i in range(5):
        deltalake.write_deltalake(path, batch(i * 50, 30), mode="append", **kw)
    deltalake.write_deltalake(path, batch(900, 10), mode="overwrite", **kw)
    deltalake.write_deltalake(path, batch(1000, 7), mode="append", **kw)
    deltalake.DeltaTable(path).create_checkpoint()  # at version 6
    deltalake.write_deltalake(path, batch(2000, 5), mode="append", **kw)
    expected = {v: rows_of(deltalake.DeltaTable(path, version=v).to_pyarrow_table().to_pylist()) for v in range(8)}
    for v in range(8):
        assert ingot_rows(root, "main.default.dlcp", "--version", v) == expected[v], f"v{v}"
    for v in range(6):
        os.remove(os.path.join(path, "_delta_log", f"{v:020d}.json"))
    assert ingot_rows(root, "main.default.dlcp") == expected[7]
    assert ingot_rows(root, "main.default.dlcp", "--version", 6) == expected[6]
    # _last_checkpoint missing: the checkpoint file is found by listing
    os.remove(os.path.join(path, "_delta_log", "_last_checkpoint"))
    assert ingot_rows(root, "main.default.dlcp") == expected[7]
