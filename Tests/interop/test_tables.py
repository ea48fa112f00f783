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
        files = ingot("admin", "table", "files", "--root", root, "--table", name, "--version", v).stdout.split()
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
        files = ingot("admin", "table", "files", "--root", root, "--table", name).stdout.split()
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
