"""Helpers for test_parquet.py: run the ingot binary, build test tables, render values like Ingot."""
import base64
import datetime as dt
import decimal
import json
import math
import os
import pathlib
import random
import subprocess

import pyarrow as pa

REPO = pathlib.Path(__file__).resolve().parents[2]


def ingot_bin() -> str:
    path = os.environ.get("INGOT_BIN") or str(REPO / ".build" / "debug" / "ingot")
    if not os.path.exists(path):
        raise RuntimeError(f"ingot binary not found at {path}; run `swift build` first")
    return path


def ingot(*args, check=True, timeout=300):
    """Runs `ingot ARGS...` and returns the completed process."""
    proc = subprocess.run([ingot_bin(), *map(str, args)], capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr.decode()}")
    return proc


def ingot_rows(path, columns=None):
    """Every row of a Parquet file as dicts, via `ingot parquet cat`."""
    args = ["parquet", "cat", path]
    if columns:
        args += ["--columns", ",".join(columns)]
    out = ingot(*args).stdout.decode()
    return [json.loads(line) for line in out.splitlines() if line]


def ingot_schema(path):
    return json.loads(ingot("parquet", "schema", path, "--output", "json").stdout)


MAX38 = decimal.Decimal("9999999999999999999999999999.9999999999")


def all_types_table(n=1500, seed=7) -> pa.Table:
    """A table with every type Ingot models, nulls, extremes, unicode, empty strings."""
    rnd = random.Random(seed)

    def maybe(v, p=0.1):
        return None if rnd.random() < p else v

    utc = dt.timezone.utc
    strings = ["", "héllo wörld", "日本語テキスト", "emoji 🙂🚀", 'quote " and \\ backslash', "line\nbreak", "tab\tsep"]
    cols = {
        "b": [maybe(rnd.random() < 0.5) for _ in range(n)],
        "i8": [maybe(rnd.randint(-128, 127)) for _ in range(n)],
        "i16": [maybe(rnd.randint(-32768, 32767)) for _ in range(n)],
        "i32": [maybe(rnd.randint(-(2**31), 2**31 - 1)) for _ in range(n)],
        "i64": [maybe(rnd.randint(-(2**63), 2**63 - 1)) for _ in range(n)],
        "f32": [maybe(rnd.uniform(-1e6, 1e6)) for _ in range(n)],
        "f64": [maybe(rnd.uniform(-1e300, 1e300) if rnd.random() < 0.5 else rnd.random()) for _ in range(n)],
        "s": [maybe(rnd.choice(strings) if rnd.random() < 0.5 else f"value-{rnd.randint(0, 100000)}") for _ in range(n)],
        "lowcard": [maybe(rnd.choice(["red", "green", "blue"])) for _ in range(n)],
        "bin": [maybe(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 8)))) for _ in range(n)],
        "d": [maybe(dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randint(-40000, 40000))) for _ in range(n)],
        "ts": [maybe(dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=rnd.randint(-(2**51), 2**51))) for _ in range(n)],
        "tsz": [maybe(dt.datetime(1970, 1, 1, tzinfo=utc) + dt.timedelta(microseconds=rnd.randint(-(2**51), 2**51))) for _ in range(n)],
        "dec9": [maybe(decimal.Decimal(rnd.randint(-999999999, 999999999)).scaleb(-2, decimal.Context(prec=60))) for _ in range(n)],
        "dec18": [maybe(decimal.Decimal(rnd.randint(-(10**18) + 1, 10**18 - 1)).scaleb(-4, decimal.Context(prec=60))) for _ in range(n)],
        "dec38": [maybe(decimal.Decimal(rnd.randint(-(10**38) + 1, 10**38 - 1)).scaleb(-10, decimal.Context(prec=60))) for _ in range(n)],
    }
    # extremes in the first rows
    cols["i64"][0], cols["i64"][1] = -(2**63), 2**63 - 1
    cols["i32"][0], cols["i32"][1] = -(2**31), 2**31 - 1
    cols["i8"][0], cols["i8"][1] = -128, 127
    for k, v in enumerate([math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324]):
        cols["f64"][k] = v
    for k, v in enumerate([math.nan, math.inf, -math.inf, -0.0]):
        cols["f32"][k] = v
    cols["dec38"][0], cols["dec38"][1] = MAX38, MAX38.copy_negate()
    cols["dec9"][0], cols["dec18"][0] = decimal.Decimal("9999999.99"), decimal.Decimal("99999999999999.9999")
    cols["d"][0], cols["d"][1] = dt.date(1900, 1, 1), dt.date(1969, 12, 31)
    cols["s"][0], cols["s"][1], cols["s"][2] = "", "日本語", None
    types = {
        "b": pa.bool_(), "i8": pa.int8(), "i16": pa.int16(), "i32": pa.int32(), "i64": pa.int64(), "f32": pa.float32(),
        "f64": pa.float64(), "s": pa.string(), "lowcard": pa.string(), "bin": pa.binary(), "d": pa.date32(),
        "ts": pa.timestamp("us"), "tsz": pa.timestamp("us", tz="UTC"), "dec9": pa.decimal128(9, 2),
        "dec18": pa.decimal128(18, 4), "dec38": pa.decimal128(38, 10),
    }
    return pa.table({k: pa.array(v, type=types[k]) for k, v in cols.items()})


def render(value, typ: pa.DataType):
    """What `ingot parquet cat` prints for a pyarrow value (after json.loads)."""
    if value is None:
        return None
    if pa.types.is_timestamp(typ):
        if isinstance(value, dt.datetime):
            tz = value.tzinfo is not None
            v = value.astimezone(dt.timezone.utc).replace(tzinfo=None) if tz else value
            return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond:06d}" + ("Z" if tz else "")
    if pa.types.is_date(typ):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if pa.types.is_decimal(typ):
        return format(value, "f")
    if pa.types.is_binary(typ) or pa.types.is_fixed_size_binary(typ) or pa.types.is_large_binary(typ):
        return base64.b64encode(value).decode()
    return value


def same(a, b, typ=None):
    """Equality with NaN == NaN and float32 rounding."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        if typ is not None and pa.types.is_float32(typ):
            import numpy as np

            return np.float32(a) == np.float32(b) and math.copysign(1, a) == math.copysign(1, b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def assert_rows_match(table: pa.Table, rows, drop_tz=False):
    """Ingot's JSON rows equal the pyarrow table's values."""
    assert len(rows) == table.num_rows
    for name in table.column_names:
        typ = table.schema.field(name).type
        expected = table.column(name).to_pylist()
        for i, (e, row) in enumerate(zip(expected, rows)):
            want = render(e, typ)
            got = row[name]
            if drop_tz and pa.types.is_timestamp(typ) and isinstance(want, str) and want.endswith("Z"):
                want = want[:-1]
            assert same(want, got, typ), f"column {name} row {i}: expected {want!r}, got {got!r}"


def assert_tables_equal(expected: pa.Table, actual: pa.Table, check_types=True):
    assert actual.num_rows == expected.num_rows
    assert actual.column_names == expected.column_names
    for name in expected.column_names:
        et, at = expected.schema.field(name).type, actual.schema.field(name).type
        if check_types:
            assert et == at, f"column {name}: type {at} != {et}"
        ev, av = expected.column(name).to_pylist(), actual.column(name).to_pylist()
        for i, (e, a) in enumerate(zip(ev, av)):
            assert same(e, a, et), f"column {name} row {i}: expected {e!r}, got {a!r}"
