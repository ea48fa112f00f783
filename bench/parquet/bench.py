"""Ingot vs pyarrow: Parquet write (zstd), full read + sum, and CSV -> Parquet.

Both sides run single-threaded (pyarrow: set_cpu_count(1), use_threads=False; Ingot is
single-threaded). Each step runs in its own process so its peak RSS can be reported; the time is
measured inside the step (process start-up excluded) except for Ingot's CSV conversion, which is
timed as a whole `ingot parquet convert` run.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROWS = int(os.environ.get("BENCH_ROWS", "10000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
INGOT = os.environ.get("INGOT_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", ".build-release", "release", "ingot")
PY = sys.executable


def generate(path_parquet, path_csv):
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(42)
    n = ROWS
    cats = np.array([f"category-{i:03d}" for i in range(50)])
    users = rng.integers(0, 2**40, n)
    score = rng.normal(0, 100, n)
    score_mask = rng.random(n) < 0.1
    note_mask = rng.random(n) < 0.2
    table = pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "qty": pa.array(rng.integers(-1000, 1000, n, dtype=np.int32)),
        "price": pa.array(rng.random(n) * 1000),
        "score": pa.array(score, mask=score_mask),
        "category": pa.array(cats[rng.integers(0, 50, n)]),
        "user": pa.array(np.char.add("user-", users.astype(str))),
        "ts": pa.array(1_600_000_000_000_000 + rng.integers(0, 10**13, n), pa.timestamp("us")),
        "note": pa.array(np.char.add("note ", rng.integers(0, 10000, n).astype(str)), mask=note_mask),
    })
    pq.write_table(table, path_parquet, compression="zstd")
    pacsv.write_csv(table, path_csv)


def step(kind, *args):
    """Runs one timed step in a child process; returns (seconds, peak RSS MiB)."""
    if kind.startswith("ingot"):
        if kind == "ingot-csv":
            cmd = [INGOT, "parquet", "convert", args[0], args[1], "--codec", "zstd", "--quiet"]
        else:
            cmd = [INGOT, "parquet", "bench", kind.split("-")[1], *args]
    else:
        cmd = [PY, __file__, "--step", kind, *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    rss = usage.ru_maxrss / 1024
    if kind == "ingot-csv":
        return wall, rss
    return json.loads(out.decode().strip().splitlines()[-1])["seconds"], rss


def child(kind, *args):
    if kind == "generate":
        generate(*args)
        return
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    if kind == "pyarrow-write":
        table = pq.read_table(args[0], use_threads=False)
        t0 = time.perf_counter()
        pq.write_table(table, args[1], compression="zstd")
        secs = time.perf_counter() - t0
    elif kind == "pyarrow-read":
        t0 = time.perf_counter()
        table = pq.read_table(args[0], use_threads=False)
        total = 0.0
        for name in table.column_names:
            col = table.column(name)
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
                total += float(pc.sum(col).as_py() or 0)
            elif pa.types.is_timestamp(col.type):
                total += float(pc.sum(col.cast(pa.int64())).as_py() or 0)
            else:
                total += col.null_count
        secs = time.perf_counter() - t0
    elif kind == "pyarrow-csv":
        t0 = time.perf_counter()
        table = pacsv.read_csv(args[0], read_options=pacsv.ReadOptions(use_threads=False))
        pq.write_table(table, args[1], compression="zstd")
        secs = time.perf_counter() - t0
    print(json.dumps({"seconds": secs}))


def main():
    if not os.path.exists(INGOT):
        raise SystemExit(f"ingot binary not found at {INGOT} (build with: swift build -c release --scratch-path .build-release)")
    tmp = tempfile.mkdtemp(prefix="ingot-bench-")
    src, csv = os.path.join(tmp, "src.parquet"), os.path.join(tmp, "src.csv")
    print(f"generating {ROWS:,} rows x 8 columns in {tmp} ...", flush=True)
    subprocess.run([PY, __file__, "--step", "generate", src, csv], check=True)
    print(f"threads: 1 (pyarrow cpu_count=1, io_threads=1, use_threads=False; Ingot single-threaded); runs: {RUNS} (median)")
    results = {}
    cases = [
        ("write (zstd)", "ingot-write", "pyarrow-write", lambda k: (src, os.path.join(tmp, f"{k}.parquet"))),
        ("read + sum", "ingot-read", "pyarrow-read", lambda k: (src,)),
        ("CSV -> Parquet", "ingot-csv", "pyarrow-csv", lambda k: (csv, os.path.join(tmp, f"{k}-csv.parquet"))),
    ]
    for label, ik, pk, argf in cases:
        times = {ik: [], pk: []}
        rss = {ik: 0.0, pk: 0.0}
        rss_all = rss
        for _ in range(RUNS):
            for k in (ik, pk):
                secs, peak = step(k, *argf(k))
                times[k].append(secs)
                rss[k] = max(rss[k], peak)
        ti, tp = statistics.median(times[ik]), statistics.median(times[pk])
        results[label] = (ti, tp)
        print(f"{label:16s} ingot {ROWS / ti:>14,.0f} rows/s  pyarrow {ROWS / tp:>14,.0f} rows/s  "
              f"ratio ingot/pyarrow {tp / ti:5.2f}x  peak RSS ingot {rss[ik]:.0f} MiB, pyarrow {rss[pk]:.0f} MiB")
    print(json.dumps({k: {"ingot_s": v[0], "pyarrow_s": v[1], "ratio": v[1] / v[0]} for k, v in results.items()}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        child(sys.argv[2], *sys.argv[3:])
    else:
        main()
