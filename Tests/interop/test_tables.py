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


def check_all_readers(root, name, expected):
    """expected[v] = rows of Delta version v. Checks Ingot, delta-rs, pyiceberg and DuckDB for every version."""
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
    # ...and names the missing feature once they are gone.
    os.remove(os.path.join(path, "_delta_log", "00000000000000000000.json"))
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
    trials = int(os.environ.get("INGOT_TABLE_CRASH_TRIALS", "25"))
    for _ in range(trials):
        p = subprocess.Popen([ingot_binary(), "admin", "table", "append", "--root", root, "--table", name, f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
        ingot("admin", "table", "sync", "--root", root, "--table", name)
        latest = deltalake.DeltaTable(table_dir)
        v = latest.version()
        n = latest.to_pyarrow_table().num_rows
        assert n == 50 + 3000 * v
        assert len(ingot_rows(root, name, "--columns", "id")) == n
        assert StaticTable.from_metadata(table_dir).scan().to_arrow().num_rows == n
        with open(os.path.join(table_dir, "metadata", "version-hint.text")) as h:
            assert h.read() == str(v + 1)
    before = deltalake.DeltaTable(table_dir).version()
    ingot("admin", "table", "append", "--root", root, "--table", name, write_file(tmp_path, "c2.parquet", batch(9000, 5)))
    assert deltalake.DeltaTable(table_dir).version() == before + 1


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
