"""Operations (issue 10, item 9): `ingot backup` while `ingot serve` runs and a writer commits,
`ingot restore` into a new data directory, a server started on it: tables byte-identical at the
backed-up version (files compared, read with deltalake), runs and models identical through the
mlflow client; damaged backups and non-empty targets are refused."""
import filecmp
import json
import os
import pathlib
import subprocess
import tempfile
import threading
import time

import deltalake
import pytest
import requests
from mlflow import MlflowClient

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(120)
SQL = "/api/2.0/sql/statements"


def cli(*args, check=True):
    p = subprocess.run([ingot_binary(), *map(str, args)], capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return p


def sql(server, statement):
    r = requests.post(server.url + SQL, json={"statement": statement, "wait_timeout": "30s"}, timeout=60).json()
    assert r["status"]["state"] == "SUCCEEDED", r
    return r


def test_online_backup_restore_round_trip(start_ingot):
    src = start_ingot()
    data = pathlib.Path(src.data_dir)
    requests.post(src.url + "/api/2.1/unity-catalog/schemas", json={"name": "ops", "catalog_name": "main"}).raise_for_status()
    sql(src, "CREATE TABLE main.ops.static (id BIGINT, v DOUBLE)")
    sql(src, "INSERT INTO main.ops.static VALUES " + ", ".join(f"({i}, {i * 1.5})" for i in range(1000)))
    sql(src, "INSERT INTO main.ops.static VALUES " + ", ".join(f"({i + 1000}, {i * 2.0})" for i in range(10)))
    sql(src, "CREATE TABLE main.ops.busy (id BIGINT, note STRING)")

    client = MlflowClient(src.url, src.url)
    exp = client.create_experiment("backup-exp")
    run = client.create_run(exp)
    rid = run.info.run_id
    client.log_param(rid, "alpha", "0.5")
    for step in range(5):
        client.log_metric(rid, "loss", 1.0 / (step + 1), step=step)
    with tempfile.TemporaryDirectory() as tmp:
        art = pathlib.Path(tmp) / "notes.txt"
        art.write_text("artifact body " * 100)
        client.log_artifact(rid, str(art), "docs")
    client.set_terminated(rid)
    client.create_registered_model("backup_model", description="kept")
    mv = client.create_model_version("backup_model", f"runs:/{rid}/docs", run_id=rid)
    client.set_registered_model_alias("backup_model", "champion", mv.version)

    # A writer commits to main.ops.busy while the backup runs.
    stop = threading.Event()
    committed = []

    def writer():
        i = 0
        while not stop.is_set():
            sql(src, f"INSERT INTO main.ops.busy VALUES ({i}, 'row {i}')")
            committed.append(i)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(committed) < 3:
            time.sleep(0.05)
        with tempfile.TemporaryDirectory(prefix="ingot-bk-") as root:
            backup = pathlib.Path(root) / "b1"
            p = cli("backup", "--to", backup, "--data-dir", data, "--output", "json")
            summary = json.loads(p.stdout)
            assert summary["tables"] >= 2 and summary["files"] > 5
            assert "metadata" in p.stderr and "done" in p.stderr  # progress on stderr
            time.sleep(0.3)  # a few more commits after the backup
            stop.set()
            t.join()

            manifest = json.loads((backup / "manifest.json").read_text())
            tables = {x["name"]: x for x in manifest["tables"]}
            v_busy = tables["main.ops.busy"]["delta_version"]
            v_static = tables["main.ops.static"]["delta_version"]
            assert v_static == deltalake.DeltaTable(str(data / "warehouse/main/ops/static")).version()
            busy_src = data / "warehouse/main/ops/busy"
            busy_bk = backup / "data/warehouse/main/ops/busy"
            # The racing writer went on past the backed-up version; the backup stops at it.
            assert deltalake.DeltaTable(str(busy_src)).version() > v_busy
            assert tables["main.ops.busy"]["catalog_version"] <= v_busy
            assert deltalake.DeltaTable(str(busy_bk)).version() == v_busy
            logs = sorted(x.name for x in (busy_bk / "_delta_log").iterdir() if x.name.endswith(".json"))
            assert logs[-1] == f"{v_busy:020d}.json"

            # The manifest's checksums: a damaged file stops the restore before anything is written.
            target = pathlib.Path(root) / "restored"
            damaged = backup / "data" / manifest["files"][0]["path"]
            original = damaged.read_bytes()
            damaged.write_bytes(original + b"x")
            p = cli("restore", "--from", backup, "--data-dir", target, check=False)
            assert p.returncode != 0 and "checksum mismatch" in p.stderr
            assert not target.exists() or not any(target.iterdir())
            damaged.write_bytes(original)

            # Also through the server (admin endpoint); the folder must be new.
            p = cli("backup", "--to", pathlib.Path(root) / "b2", "--server", src.url, "--output", "json")
            assert json.loads(p.stdout)["tables"] >= 2
            assert (pathlib.Path(root) / "b2" / "manifest.json").exists()

            p = cli("restore", "--from", backup, "--data-dir", target, "--output", "json")
            assert json.loads(p.stdout)["files"] == len(manifest["files"]) + 1
            p = cli("restore", "--from", backup, "--data-dir", target, check=False)
            assert p.returncode != 0 and "not empty" in p.stderr
            cli("restore", "--from", backup, "--data-dir", target, "--force", "--quiet")

            # Tables: every backed-up file equals the source's; the static table's folder is identical.
            for name, x in tables.items():
                if x.get("skipped") or not x["location"].startswith("warehouse/"):
                    continue
                bk_dir = backup / "data" / x["location"]
                for f in bk_dir.rglob("*"):
                    if f.is_file() and f.name != "version-hint.text":
                        rel = f.relative_to(backup / "data")
                        assert filecmp.cmp(f, data / rel, shallow=False), rel
                        assert filecmp.cmp(f, target / rel, shallow=False), rel
            static_src = data / "warehouse/main/ops/static"
            cmp = filecmp.dircmp(static_src, target / "warehouse/main/ops/static")
            assert not cmp.left_only and not cmp.right_only and not cmp.diff_files
            src_static = deltalake.DeltaTable(str(static_src)).to_pyarrow_table().sort_by("id")
            assert deltalake.DeltaTable(str(target / "warehouse/main/ops/static")).to_pyarrow_table().sort_by("id").equals(src_static)
            restored_busy = deltalake.DeltaTable(str(target / "warehouse/main/ops/busy")).to_pyarrow_table().sort_by("id")
            at_version = deltalake.DeltaTable(str(busy_src), version=v_busy).to_pyarrow_table().sort_by("id")
            assert restored_busy.equals(at_version)
            assert restored_busy.num_rows == v_busy  # one row per INSERT after the CREATE (version 0)
            assert v_busy >= 3  # the commits acknowledged before the backup started are in it

            dst = start_ingot(data_dir=str(target))
            # SQL on the restored server sees the backed-up version.
            r = sql(dst, "SELECT count(*) FROM main.ops.busy")
            assert r["result"]["data_array"] == [[str(v_busy)]]
            r = sql(dst, "SELECT count(*), sum(id) FROM main.ops.static")
            assert r["result"]["data_array"][0][0] == "1010"

            # Runs and models, through the mlflow client.
            c2 = MlflowClient(dst.url, dst.url)
            r1, r2 = client.get_run(rid), c2.get_run(rid)
            assert r2.data.params == r1.data.params and r2.data.metrics == r1.data.metrics
            h1 = [(m.step, m.value, m.timestamp) for m in client.get_metric_history(rid, "loss")]
            assert [(m.step, m.value, m.timestamp) for m in c2.get_metric_history(rid, "loss")] == h1
            assert r2.info.status == r1.info.status == "FINISHED"
            with tempfile.TemporaryDirectory() as d1, tempfile.TemporaryDirectory() as d2:
                a = pathlib.Path(client.download_artifacts(rid, "docs/notes.txt", d1)).read_bytes()
                b = pathlib.Path(c2.download_artifacts(rid, "docs/notes.txt", d2)).read_bytes()
                assert a == b and len(a) > 100
            m1, m2 = client.get_registered_model("backup_model"), c2.get_registered_model("backup_model")
            assert m2.description == m1.description and m2.aliases == m1.aliases == {"champion": mv.version}
            v1, v2 = client.get_model_version("backup_model", mv.version), c2.get_model_version("backup_model", mv.version)
            assert (v2.source, v2.run_id, v2.status) == (v1.source, v1.run_id, v1.status)
    finally:
        stop.set()
        t.join()
