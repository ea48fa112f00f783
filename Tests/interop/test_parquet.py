"""Parquet interop: Ingot's reader and writer against pyarrow, DuckDB and polars (offline CLI)."""
import csv
import datetime as dt
import decimal
import json
import math
import os
import re

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from parquet_helpers import (
    all_types_table,
    assert_rows_match,
    assert_tables_equal,
    ingot,
    ingot_rows,
    ingot_schema,
)

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def table():
    return all_types_table()


@pytest.fixture(scope="module")
def source_file(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("src") / "all_types.parquet"
    pq.write_table(table, path)
    return path


# ---------------------------------------------------------------------------------------------
# Ingot reads what pyarrow writes: every codec x encoding option.

CODECS = ["NONE", "SNAPPY", "GZIP", "ZSTD", "LZ4"]


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
def test_ingot_reads_pyarrow_codecs(tmp_path, table, codec, page_version, dictionary):
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, compression=codec, data_page_version=page_version, use_dictionary=dictionary,
                   row_group_size=600, data_page_size=4096)
    assert_rows_match(table, ingot_rows(path))


ENCODING_CASES = {
    "byte_stream_split": dict(use_dictionary=False, use_byte_stream_split=["f32", "f64"]),
    "byte_stream_split_cols": dict(use_dictionary=["s"], use_byte_stream_split=["f32", "f64", "i32", "i64", "dec38"]),
    "delta_ints": dict(use_dictionary=False, column_encoding={"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED",
                                                            "i8": "DELTA_BINARY_PACKED", "d": "DELTA_BINARY_PACKED",
                                                            "ts": "DELTA_BINARY_PACKED"}),
    "delta_length": dict(use_dictionary=False, column_encoding={"s": "DELTA_LENGTH_BYTE_ARRAY", "bin": "DELTA_LENGTH_BYTE_ARRAY",
                                                              "lowcard": "DELTA_LENGTH_BYTE_ARRAY"}),
    "delta_byte_array": dict(use_dictionary=False, column_encoding={"s": "DELTA_BYTE_ARRAY", "bin": "DELTA_BYTE_ARRAY",
                                                                  "lowcard": "DELTA_BYTE_ARRAY", "dec38": "DELTA_BYTE_ARRAY"}),
}


@pytest.mark.parametrize("case", sorted(ENCODING_CASES))
@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
def test_ingot_reads_pyarrow_encodings(tmp_path, table, case, page_version):
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, compression="ZSTD", data_page_version=page_version, data_page_size=2048,
                   **ENCODING_CASES[case])
    stats = json.loads(ingot("parquet", "stats", path, "--output", "json").stdout)
    encodings = {e for g in stats["row_groups"] for c in g["columns"] for e in c["encodings"]}
    if case.startswith("byte_stream"):
        assert "BYTE_STREAM_SPLIT" in encodings
    elif case == "delta_ints":
        assert "DELTA_BINARY_PACKED" in encodings
    elif case == "delta_length":
        assert "DELTA_LENGTH_BYTE_ARRAY" in encodings
    else:
        assert "DELTA_BYTE_ARRAY" in encodings
    assert_rows_match(table, ingot_rows(path))


def test_ingot_reads_int96(tmp_path, table):
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, use_deprecated_int96_timestamps=True)
    schema = ingot_schema(path)
    physical = {c["name"]: c["physical_type"] for c in schema["columns"]}
    assert physical["ts"] == "INT96" and physical["tsz"] == "INT96"
    assert_rows_match(table, ingot_rows(path), drop_tz=True)


def test_ingot_reads_pyarrow_extra_types(tmp_path):
    """Types pyarrow writes that Ingot maps: unsigned ints, ms/ns timestamps, large strings, fixed binary, time."""
    t = pa.table({
        "u8": pa.array([0, 255, None], pa.uint8()),
        "u16": pa.array([0, 65535, 7], pa.uint16()),
        "u32": pa.array([0, 2**32 - 1, None], pa.uint32()),
        "ms": pa.array([0, -1000, 1_700_000_000_123], pa.timestamp("ms")),
        "ns": pa.array([0, -1_000_000_000, 1_700_000_000_123_456_000], pa.timestamp("ns", tz="UTC")),
        "ls": pa.array(["a", "", None], pa.large_string()),
        "fsb": pa.array([b"abcd", b"\x00\x01\x02\x03", None], pa.binary(4)),
    })
    path = tmp_path / "f.parquet"
    pq.write_table(t, path)
    rows = ingot_rows(path)
    assert [r["u8"] for r in rows] == [0, 255, None]
    assert [r["u16"] for r in rows] == [0, 65535, 7]
    assert [r["u32"] for r in rows] == [0, 2**32 - 1, None]
    assert [r["ms"] for r in rows] == ["1970-01-01T00:00:00.000000", "1969-12-31T23:59:59.000000", "2023-11-14T22:13:20.123000"]
    assert [r["ns"] for r in rows] == ["1970-01-01T00:00:00.000000Z", "1969-12-31T23:59:59.000000Z", "2023-11-14T22:13:20.123456Z"]
    assert [r["ls"] for r in rows] == ["a", "", None]
    assert [r["fsb"] for r in rows] == ["YWJjZA==", "AAECAw==", None]


def test_ingot_reads_duckdb_default(tmp_path, table):
    path = tmp_path / "duck.parquet"
    con = duckdb.connect()
    con.register("t", table)
    con.execute(f"COPY (SELECT * FROM t) TO '{path}' (FORMAT PARQUET)")
    expected = pq.read_table(path)
    assert_rows_match(expected, ingot_rows(path))
    # and the values are the original ones
    assert_rows_match(table.select([c for c in table.column_names]), ingot_rows(path))


def test_ingot_reads_duckdb_v2(tmp_path, table):
    path = tmp_path / "duck2.parquet"
    con = duckdb.connect()
    con.register("t", table)
    con.execute(f"COPY (SELECT * FROM t) TO '{path}' (FORMAT PARQUET, PARQUET_VERSION V2, COMPRESSION ZSTD)")
    assert_rows_match(table, ingot_rows(path))


def test_ingot_reads_polars_default(tmp_path, table):
    path = tmp_path / "polars.parquet"
    pl.from_arrow(table).write_parquet(path)
    assert_rows_match(pq.read_table(path), ingot_rows(path))


# ---------------------------------------------------------------------------------------------
# pyarrow, DuckDB and polars read what Ingot writes.


@pytest.mark.parametrize("codec", ["zstd", "snappy", "gzip", "none", "lz4"])
@pytest.mark.parametrize("page_version", [1, 2])
def test_readers_read_ingot_output(tmp_path, source_file, table, codec, page_version):
    out = tmp_path / "ingot.parquet"
    ingot("parquet", "convert", source_file, out, "--codec", codec, "--page-version", page_version, "--row-group-rows", 700)
    # pyarrow: identical values and types
    got = pq.read_table(out)
    assert_tables_equal(table, got)
    meta = pq.ParquetFile(out).metadata
    assert meta.num_row_groups == 3
    col = meta.row_group(0).column(0)
    assert col.compression in {"zstd": ["ZSTD"], "snappy": ["SNAPPY"], "gzip": ["GZIP"], "none": ["UNCOMPRESSED"], "lz4": ["LZ4", "LZ4_RAW"]}[codec]
    # field ids on every column
    schema = pq.read_schema(out)
    assert all(f.metadata and b"PARQUET:field_id" in f.metadata for f in schema)
    # DuckDB
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    duck = con.sql(f"SELECT * FROM read_parquet('{out}')").to_arrow_table()
    for name in table.column_names:
        exp = table.column(name).to_pylist()
        act = duck.column(name).to_pylist()
        for i, (e, a) in enumerate(zip(exp, act)):
            if isinstance(e, float) and isinstance(a, float) and math.isnan(e):
                assert math.isnan(a)
            elif name == "f32" and e is not None:
                assert a == pytest.approx(e, rel=1e-6) or (math.isinf(e) and a == e), (name, i, e, a)
            else:
                assert e == a, (name, i, e, a)
    # polars
    df = pl.read_parquet(out)
    for name in table.column_names:
        exp = table.column(name).to_pylist()
        act = df[name].to_list()
        for i, (e, a) in enumerate(zip(exp, act)):
            if isinstance(e, float) and isinstance(a, float) and math.isnan(e):
                assert math.isnan(a)
            else:
                assert e == a or (name == "f32" and a == pytest.approx(e, rel=1e-6)), (name, i, e, a)


def test_ingot_output_metadata(tmp_path, source_file, table):
    out = tmp_path / "ingot.parquet"
    ingot("parquet", "convert", source_file, out, "--no-dictionary", "--codec", "snappy")
    pf = pq.ParquetFile(out)
    md = pf.metadata
    rg = md.row_group(0)
    for i in range(rg.num_columns):
        c = rg.column(i)
        assert c.statistics is not None and c.statistics.has_null_count
        assert "PLAIN" in c.encodings
    stats = {rg.column(i).path_in_schema: rg.column(i).statistics for i in range(rg.num_columns)}
    assert stats["i64"].min == -(2**63) and stats["i64"].max == 2**63 - 1
    assert stats["dec38"].min == decimal.Decimal("-9999999999999999999999999999.9999999999")
    assert stats["s"].min == ""
    assert stats["d"].min == min(x for x in table.column("d").to_pylist() if x is not None)
    assert stats["f64"].max == math.inf and stats["f64"].min == -math.inf
    # field ids and logical types
    arrow_schema = pf.schema_arrow
    ids = [int(f.metadata[b"PARQUET:field_id"]) for f in arrow_schema]
    assert ids == list(range(1, len(ids) + 1))
    ps = pf.schema
    assert str(ps.column(list(table.column_names).index("s")).logical_type) == "String"
    assert ps.column(list(table.column_names).index("dec38")).physical_type == "FIXED_LEN_BYTE_ARRAY"


def test_ingot_roundtrip_own_output(tmp_path, source_file, table):
    out = tmp_path / "a.parquet"
    out2 = tmp_path / "b.parquet"
    ingot("parquet", "convert", source_file, out)
    ingot("parquet", "convert", out, out2, "--page-version", "2", "--codec", "gzip")
    assert_rows_match(table, ingot_rows(out2))


def test_dictionary_fallback_large_strings(tmp_path):
    n = 60000
    t = pa.table({"id": pa.array(range(n), pa.int64()), "s": pa.array([f"unique-string-{i:08d}-" + "x" * (i % 50) for i in range(n)])})
    src = tmp_path / "src.parquet"
    pq.write_table(t, src)
    out = tmp_path / "out.parquet"
    ingot("parquet", "convert", src, out)
    md = pq.ParquetFile(out).metadata
    encs = set(md.row_group(0).column(1).encodings)
    assert "RLE_DICTIONARY" in encs and "PLAIN" in encs
    assert_tables_equal(t, pq.read_table(out))


# ---------------------------------------------------------------------------------------------
# CSV and JSON lines to Parquet


def test_csv_to_parquet(tmp_path):
    path = tmp_path / "in.csv"
    rows = []
    for i in range(3000):
        rows.append([
            i,
            "" if i % 7 == 0 else f"{i * 1.25}",
            ["plain", "with,comma", 'with "quote"', "multi\nline", "ünïcödé 日本", ""][i % 6],
            "true" if i % 2 else "false",
            (dt.date(1960, 1, 1) + dt.timedelta(days=i)).isoformat(),
            f"2020-01-01 00:00:{i % 60:02d}",
        ])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(["id", "x", "s", "flag", "day", "ts"])
        for r in rows:
            # an empty string is written quoted, a missing value as an empty unquoted field
            f.write(",".join([str(r[0]), r[1], '""' if r[2] == "" else ('"' + r[2].replace('"', '""') + '"' if any(c in r[2] for c in ',"\n') else r[2]), r[3], r[4], r[5]]) + "\n")
    out = tmp_path / "out.parquet"
    ingot("parquet", "convert", path, out)
    got = pq.read_table(out)
    expected = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False))
    assert got.schema.field("id").type == pa.int64()
    assert got.schema.field("x").type == pa.float64()
    assert got.schema.field("flag").type == pa.bool_()
    assert got.schema.field("day").type == pa.date32()
    assert pa.types.is_timestamp(got.schema.field("ts").type)
    for name in expected.column_names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name
    # the empty quoted string stays an empty string, the empty unquoted number is null
    assert got.column("s").to_pylist()[5] == ""
    assert got.column("x").to_pylist()[0] is None


def test_csv_malformed_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n2,y\nnot-a-number,z\n4,w,extra\n")
    out = tmp_path / "out.parquet"
    # explicit schema: a malformed row is an error naming file, line and column ...
    proc = ingot("parquet", "convert", path, out, "--schema", "a:int64,b:string", check=False)
    assert proc.returncode != 0
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "bad.csv:4" in err and "column a" in err
    assert not out.exists()
    # ... or goes to _rescued_data
    ingot("parquet", "convert", path, out, "--schema", "a:int64,b:string", "--rescue")
    t = pq.read_table(out)
    assert t.column("a").to_pylist() == [1, 2, None, 4]
    rescued = t.column("_rescued_data").to_pylist()
    assert rescued[0] is None and rescued[1] is None
    r2 = json.loads(rescued[2])
    assert r2["a"] == "not-a-number" and r2["_file_path"].endswith("bad.csv")
    assert json.loads(rescued[3])["_c2"] == "extra"


def test_jsonl_to_parquet(tmp_path):
    path = tmp_path / "in.jsonl"
    recs = []
    for i in range(2000):
        recs.append({"id": i, "name": None if i % 5 == 0 else f"n\u00e9{i}\n\"q\"", "score": i / 8 if i % 3 else i,
                     "ok": i % 2 == 0, "day": (dt.date(1950, 1, 1) + dt.timedelta(days=i)).isoformat(),
                     "nested": {"a": [1, 2, i]}})
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=(r["id"] % 2 == 0)) + "\n")
    out = tmp_path / "out.parquet"
    ingot("parquet", "convert", path, out, "--codec", "snappy")
    t = pq.read_table(out)
    assert t.schema.field("id").type == pa.int64()
    assert t.schema.field("score").type == pa.float64()
    assert t.schema.field("ok").type == pa.bool_()
    assert t.schema.field("day").type == pa.date32()
    assert t.column("id").to_pylist() == [r["id"] for r in recs]
    assert t.column("name").to_pylist() == [r["name"] for r in recs]
    assert t.column("score").to_pylist() == [float(r["score"]) for r in recs]
    assert [json.loads(x) for x in t.column("nested").to_pylist()] == [r["nested"] for r in recs]


def test_jsonl_rescue(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"a": 1}\n{"a": "x"}\n{not json}\n{"a": 3, "b": 4}\n')
    out = tmp_path / "out.parquet"
    proc = ingot("parquet", "convert", path, out, "--schema", "a:int64", check=False)
    assert proc.returncode != 0 and "in.jsonl:2" in proc.stderr.decode()
    ingot("parquet", "convert", path, out, "--schema", "a:int64", "--rescue")
    t = pq.read_table(out)
    assert t.column("a").to_pylist() == [1, None, None, 3]
    rescued = t.column("_rescued_data").to_pylist()
    assert rescued[0] is None
    assert json.loads(rescued[1])["a"] == "x"
    assert json.loads(rescued[2])["_raw"] == "{not json}"
    assert json.loads(rescued[3])["b"] == "4"


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_schema_head_stats(tmp_path, source_file, table):
    schema = ingot_schema(source_file)
    assert [c["name"] for c in schema["columns"]] == table.column_names
    types = {c["name"]: c["type"] for c in schema["columns"]}
    assert types["dec38"] == "decimal(38,10)" and types["tsz"] == "timestamp[us, UTC]" and types["i8"] == "int8"
    assert schema["num_rows"] == table.num_rows
    head = json.loads(ingot("parquet", "head", source_file, "-n", "5", "--output", "json").stdout)
    assert len(head) == 5
    assert_rows_match(table.slice(0, 5), head)
    text = ingot("parquet", "head", source_file, "-n", "3").stdout.decode()
    assert "dec38" in text.splitlines()[0]
    stats = json.loads(ingot("parquet", "stats", source_file, "--output", "json").stdout)
    c = {x["column"]: x for x in stats["row_groups"][0]["columns"]}
    assert c["i64"]["min"] == str(-(2**63)) and c["i64"]["max"] == str(2**63 - 1)
    assert ingot("parquet", "stats", source_file).stdout.decode().startswith(f"{table.num_rows} rows")


def test_cli_errors_are_one_line(tmp_path, source_file):
    missing = ingot("parquet", "schema", tmp_path / "nope.parquet", check=False)
    assert missing.returncode != 0 and len(missing.stderr.decode().strip().splitlines()) == 1
    bad = tmp_path / "bad.parquet"
    data = source_file.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    for cmd in ("schema", "head", "stats", "cat"):
        p = ingot("parquet", cmd, bad, check=False)
        assert p.returncode != 0
        err = p.stderr.decode().strip()
        assert len(err.splitlines()) == 1 and "bad.parquet" in err, err
    p = ingot("parquet", "convert", source_file, tmp_path / "x.parquet", "--codec", "brotli9", check=False)
    assert p.returncode != 0 and "codec" in p.stderr.decode()


def test_projection(tmp_path, source_file, table):
    rows = ingot_rows(source_file, columns=["s", "i64"])
    assert list(rows[0].keys()) == ["s", "i64"]
    assert_rows_match(table.select(["s", "i64"]), rows)


def test_mutated_pyarrow_files_fail_cleanly(tmp_path, table):
    """Flip/truncate/splice bytes of pyarrow files using every encoding: Ingot reads or fails with one line."""
    import random

    small = table.slice(0, 200)
    seeds = []
    for k, opts in enumerate([
        dict(compression="ZSTD", data_page_version="2.0", use_dictionary=False,
             column_encoding={"i64": "DELTA_BINARY_PACKED", "s": "DELTA_BYTE_ARRAY", "bin": "DELTA_LENGTH_BYTE_ARRAY"}),
        dict(compression="SNAPPY", use_dictionary=["lowcard"], use_byte_stream_split=["f32", "f64"]),
        dict(compression="GZIP", use_deprecated_int96_timestamps=True),
        dict(compression="LZ4", data_page_version="2.0"),
    ]):
        p = tmp_path / f"seed{k}.parquet"
        pq.write_table(small, p, data_page_size=512, **opts)
        seeds.append(p.read_bytes())
    rnd = random.Random(5)
    count = int(os.environ.get("INGOT_MUTANTS_PY", "200"))
    crashed = []
    for m in range(count):
        data = bytearray(seeds[m % len(seeds)])
        kind = m % 3
        if kind == 0:
            for _ in range(rnd.randint(1, 3)):
                at = len(data) - 8 - rnd.randint(0, min(len(data) - 9, 800)) if rnd.random() < 0.5 else rnd.randrange(len(data))
                data[at] ^= rnd.randint(1, 255)
        elif kind == 1:
            data = data[: rnd.randrange(len(data))]
        else:
            n = rnd.randint(1, 32)
            src = rnd.randrange(len(data) - n)
            dst = rnd.randrange(len(data) - n)
            data[dst:dst + n] = data[src:src + n]
        p = tmp_path / "mutant.parquet"
        p.write_bytes(bytes(data))
        proc = ingot("parquet", "cat", p, check=False, timeout=60)
        if proc.returncode < 0 or proc.returncode > 1 or (proc.returncode == 1 and len(proc.stderr.decode().strip().splitlines()) != 1):
            crashed.append((m, kind, proc.returncode, proc.stderr.decode()[-300:]))
    assert not crashed, crashed[:3]


# ---------------------------------------------------------------------------------------------
# Nested columns (lists, structs, maps): pyarrow/DuckDB write, Ingot reads; Ingot writes, they read.


def nested_table(n=700, seed=11) -> pa.Table:
    """Nested columns with nulls at every level: null list / empty list / null element, null struct /
    struct of nulls, null map / empty map / null value, lists of structs and lists of lists."""
    import random

    rnd = random.Random(seed)

    def pick(options):
        return options[rnd.randrange(len(options))]

    rows = []
    for i in range(n):
        rows.append({
            "id": i,
            "li": pick([None, [], [None], [1, 2, None, 3], [i], list(range(rnd.randrange(6)))]),
            "ls": pick([None, [], ["a", None, ""], [None, None], ["héllo", "日本"], [f"v{i % 17}"]]),
            "st": pick([None, {"a": None, "b": None}, {"a": 1, "b": {"c": None, "d": None}}, {"a": i, "b": {"c": "z", "d": []}},
                        {"a": None, "b": {"c": "q", "d": [None, 9]}}]),
            "ms": pick([None, [], [("k", None)], [("a", "1"), ("b", "2")], [(f"r{i % 5}", "v")]]),
            "mi": pick([None, [], [("n", 1)], [("a", 1), ("b", None), ("c", 3)], [("z", i)]]),
            "lst": pick([None, [], [None], [{"x": None, "y": "a"}], [{"x": 1, "y": None}, None, {"x": 2, "y": "b"}], [{"x": i % 100, "y": "r"}]]),
            "ll": pick([None, [], [None], [[]], [[None]], [[1, 2], None, [], [3]], [[i]]]),
            "f": pick([None, 1.5, -0.0]),
        })
    schema = pa.schema([
        ("id", pa.int64()),
        ("li", pa.list_(pa.int32())),
        ("ls", pa.list_(pa.string())),
        ("st", pa.struct([("a", pa.int64()), ("b", pa.struct([("c", pa.string()), ("d", pa.list_(pa.int32()))]))])),
        ("ms", pa.map_(pa.string(), pa.string())),
        ("mi", pa.map_(pa.string(), pa.int64())),
        ("lst", pa.list_(pa.struct([("x", pa.int32()), ("y", pa.string())]))),
        ("ll", pa.list_(pa.list_(pa.int64()))),
        ("f", pa.float64()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def render_nested(value, typ):
    """What `ingot parquet cat` prints for a (possibly nested) pyarrow value: lists as arrays,
    structs as objects, maps as [key, value] pairs."""
    if value is None:
        return None
    if pa.types.is_map(typ):
        return [[render_nested(k, typ.key_type), render_nested(v, typ.item_type)] for k, v in value]
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return [render_nested(x, typ.value_type) for x in value]
    if pa.types.is_struct(typ):
        return {typ.field(k).name: render_nested(value[typ.field(k).name], typ.field(k).type) for k in range(typ.num_fields)}
    from parquet_helpers import render

    return render(value, typ)


def assert_nested_rows(table, rows):
    assert len(rows) == table.num_rows
    for name in table.column_names:
        typ = table.schema.field(name).type
        for i, (e, row) in enumerate(zip(table.column(name).to_pylist(), rows)):
            want = render_nested(e, typ)
            got = row[name]
            if isinstance(want, float) and isinstance(got, float):
                assert want == got and math.copysign(1, want) == math.copysign(1, got), (name, i, want, got)
            else:
                assert want == got, f"column {name} row {i}: expected {want!r}, got {got!r}"


@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("compliant", [True, False])
def test_ingot_reads_pyarrow_nested(tmp_path, page_version, dictionary, compliant):
    t = nested_table()
    path = tmp_path / "nested.parquet"
    pq.write_table(t, path, data_page_version=page_version, use_dictionary=dictionary, row_group_size=300,
                   data_page_size=512, use_compliant_nested_type=compliant, compression="snappy")
    assert_nested_rows(t, ingot_rows(path))
    # projection by top-level name, and head
    proj = ingot_rows(path, columns=["mi", "id", "lst"])
    assert [list(r) for r in proj[:1]] == [["mi", "id", "lst"]]
    assert_nested_rows(t.select(["mi", "id", "lst"]), proj)
    schema = ingot_schema(path)
    assert schema.get("skipped_columns", []) == []


def test_ingot_reads_duckdb_nested(tmp_path):
    t = nested_table(300)
    path = tmp_path / "duck.parquet"
    con = duckdb.connect()
    con.register("t", t)
    con.execute(f"COPY (SELECT * FROM t) TO '{path}' (FORMAT PARQUET)")
    back = pq.read_table(path)
    assert_nested_rows(back, ingot_rows(path))


@pytest.mark.parametrize("page_version", [1, 2])
@pytest.mark.parametrize("dictionary", [True, False])
def test_readers_read_ingot_nested_output(tmp_path, page_version, dictionary):
    t = nested_table()
    src = tmp_path / "src.parquet"
    pq.write_table(t, src)
    out = tmp_path / "ingot.parquet"
    args = ["parquet", "convert", src, out, "--page-version", page_version, "--row-group-rows", 250]
    if not dictionary:
        args.append("--no-dictionary")
    ingot(*args)
    got = pq.read_table(out)
    assert got.num_rows == t.num_rows and got.column_names == t.column_names
    for name in t.column_names:
        assert got.column(name).to_pylist() == t.column(name).to_pylist(), name
        # same shape (list element and map entry names aside: pyarrow names map entries after the
        # column when a file has no stored Arrow schema, as for DuckDB's files)
        def shape(typ):
            return re.sub(r" \('[^']*'\)", "", str(typ)).replace("element", "item")

        assert shape(got.schema.field(name).type) == shape(t.schema.field(name).type), name
    pf = pq.ParquetFile(out)
    assert pf.metadata.num_row_groups == 3
    ids = [int(f.metadata[b"PARQUET:field_id"]) for f in pf.schema_arrow]
    assert ids == list(range(1, len(t.column_names) + 1))
    assert str(pf.schema.column(1).logical_type) in ("None", "Int(bitWidth=32, isSigned=true)")
    con = duckdb.connect()
    duck = con.sql(f"SELECT * FROM read_parquet('{out}') ORDER BY id").to_arrow_table()
    for name in t.column_names:
        exp = t.column(name).to_pylist()
        act = duck.column(name).to_pylist()
        if pa.types.is_map(t.schema.field(name).type):
            exp = [None if m is None else [tuple(x) for x in m] for m in exp]
            act = [None if m is None else ([tuple(x) for x in m] if isinstance(m, list) else list(m.items())) for m in act]
        assert exp == act, name
    # Ingot reads its own output identically
    assert_nested_rows(t, ingot_rows(out))
