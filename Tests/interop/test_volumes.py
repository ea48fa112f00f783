"""Volumes end to end: UC volumes and the Databricks Files API through databricks-sdk (streamed
multi-MB round trip, directories, traversal refused), `ingot fs` / `ingot volumes`, a pipeline
ingesting from a volume path exactly once, and — on an auth-on server — READ/WRITE VOLUME and the
external-location allow-list."""
import hashlib
import io
import json
import os
import subprocess
import time

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import AlreadyExists, NotFound, PermissionDenied
from databricks.sdk.service.catalog import VolumeType

from ingot_harness import ingot_binary

UC = "/api/2.1/unity-catalog"


def cli(server, *args, token=None, check=True):
    extra = ["--server", server.url] + (["--token", token] if token else [])
    p = subprocess.run([ingot_binary(), *map(str, args), *extra], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return p


def sql_count(server, table, headers=None):
    out = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": f"SELECT count(*) FROM {table}", "wait_timeout": "30s"},
                        headers=headers or {}, timeout=60).json()
    assert out["status"]["state"] == "SUCCEEDED", out
    return int(out["result"]["data_array"][0][0])


def csv_bytes(start, count):
    return ("id,v\n" + "".join(f"{i},{i % 7 + 1}\n" for i in range(start, start + count))).encode()


def make_pipeline(root, name, schema, source):
    root.mkdir(parents=True, exist_ok=True)
    (root / "pipeline.yaml").write_text(f"name: {name}\ncatalog: main\nschema: {schema}\n")
    (root / "bronze.sql").write_text(f"CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('{source}', format => 'csv');\n")
    return root


@pytest.fixture(scope="module")
def volume(ingot_server):
    w = WorkspaceClient(host=ingot_server.url, token="unused")
    requests.post(ingot_server.url + UC + "/schemas", json={"name": "vol_it", "catalog_name": "main"}, timeout=10)
    v = w.volumes.create(catalog_name="main", schema_name="vol_it", name="land", volume_type=VolumeType.MANAGED, comment="landing")
    return w, v


def test_uc_volumes_api_through_the_sdk(ingot_server, volume):
    w, v = volume
    assert v.full_name == "main.vol_it.land" and v.volume_type == VolumeType.MANAGED and v.volume_id
    assert v.storage_location.startswith("file://") and v.storage_location.endswith("/volumes/main/vol_it/land")
    for n in ("b1", "b2", "b3"):
        w.volumes.create(catalog_name="main", schema_name="vol_it", name=n, volume_type=VolumeType.MANAGED)
    # Pagination: two per page, every volume once.
    names, token = [], None
    while True:
        page = requests.get(ingot_server.url + UC + "/volumes", params={"catalog_name": "main", "schema_name": "vol_it", "max_results": 2,
                                                                         **({"page_token": token} if token else {})}, timeout=10).json()
        names += [x["name"] for x in page["volumes"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert names == ["b1", "b2", "b3", "land"]
    assert sorted(x.name for x in w.volumes.list(catalog_name="main", schema_name="vol_it")) == ["b1", "b2", "b3", "land"]
    got = w.volumes.read("main.vol_it.land")
    assert got.comment == "landing" and got.owner and got.created_at > 0
    updated = w.volumes.update("main.vol_it.b1", comment="renamed", new_name="b9")
    assert updated.full_name == "main.vol_it.b9" and updated.comment == "renamed"
    w.volumes.delete("main.vol_it.b9")
    with pytest.raises(NotFound):
        w.volumes.read("main.vol_it.b9")
    r = requests.get(ingot_server.url + UC + "/volumes/main.vol_it.nope", timeout=10)
    assert r.status_code == 404 and r.json()["error_code"] == "NOT_FOUND" and r.json()["details"][0]["reason"] == "NOT_FOUND"
    r = requests.post(ingot_server.url + UC + "/volumes", json={"catalog_name": "main", "schema_name": "vol_it", "name": "land"}, timeout=10)
    assert r.status_code == 409 and r.json()["error_code"] == "ALREADY_EXISTS"


def test_files_api_round_trip_with_the_databricks_sdk(ingot_server, volume):
    w, _ = volume
    base = "/Volumes/main/vol_it/land"
    data = os.urandom(6 * 1024 * 1024 + 123)
    w.files.upload(f"{base}/dir/big.bin", io.BytesIO(data), overwrite=True)
    meta = w.files.get_metadata(f"{base}/dir/big.bin")
    assert meta.content_length == len(data) and meta.last_modified
    down = w.files.download(f"{base}/dir/big.bin").contents.read()
    assert hashlib.sha256(down).digest() == hashlib.sha256(data).digest()
    with pytest.raises(AlreadyExists):
        w.files.upload(f"{base}/dir/big.bin", io.BytesIO(b"x"), overwrite=False)
    # Range reads.
    r = requests.get(ingot_server.url + f"/api/2.0/fs/files{base}/dir/big.bin", headers={"Range": "bytes=10-19"}, timeout=10)
    assert r.status_code == 206 and r.content == data[10:20] and r.headers["Content-Range"] == f"bytes 10-19/{len(data)}"

    w.files.create_directory(f"{base}/dir/sub/deeper")
    w.files.upload(f"{base}/dir/small.txt", io.BytesIO(b"hello"))
    entries = {e.name: e for e in w.files.list_directory_contents(f"{base}/dir")}
    assert set(entries) == {"big.bin", "small.txt", "sub"}
    assert entries["sub"].is_directory and not entries["big.bin"].is_directory and entries["big.bin"].file_size == len(data)
    assert entries["small.txt"].path == f"{base}/dir/small.txt"
    w.files.get_directory_metadata(f"{base}/dir/sub")
    page = requests.get(ingot_server.url + f"/api/2.0/fs/directories{base}/dir", params={"page_size": 2}, timeout=10).json()
    assert [e["name"] for e in page["contents"]] == ["big.bin", "small.txt"] and page["next_page_token"]
    rest = requests.get(ingot_server.url + f"/api/2.0/fs/directories{base}/dir", params={"page_token": page["next_page_token"]}, timeout=10).json()
    assert [e["name"] for e in rest["contents"]] == ["sub"] and not rest.get("next_page_token")

    w.files.delete(f"{base}/dir/small.txt")
    with pytest.raises(NotFound):
        w.files.get_metadata(f"{base}/dir/small.txt")
    w.files.delete_directory(f"{base}/dir/sub/deeper")
    r = requests.delete(ingot_server.url + f"/api/2.0/fs/directories{base}/dir", timeout=10)
    assert r.status_code == 409  # not empty

    # Paths can never leave the volume: dot segments (encoded or not) and symlinks are refused.
    for raw in (f"{base}/%2e%2e/%2e%2e/%2e%2e/metadata.sqlite", f"{base}/dir/..%2F..%2Fx", "/Volumes/main/vol_it/land/../b2/x"):
        r = requests.Request("GET", ingot_server.url + "/api/2.0/fs/files" + raw).prepare()
        r.url = ingot_server.url + "/api/2.0/fs/files" + raw  # keep the dots as sent
        answer = requests.Session().send(r, timeout=10)
        assert answer.status_code == 400 and answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", (raw, answer.text)
    volume_dir = os.path.join(ingot_server.data_dir, "volumes", "main", "vol_it", "land")
    os.symlink(ingot_server.data_dir, os.path.join(volume_dir, "escape"))
    try:
        r = requests.get(ingot_server.url + f"/api/2.0/fs/files{base}/escape/metadata.sqlite", timeout=10)
        assert r.status_code == 400 and "symbolic link" in r.json()["message"]
        r = requests.put(ingot_server.url + f"/api/2.0/fs/files{base}/escape/planted.txt", data=b"x", timeout=10)
        assert r.status_code == 400 and not os.path.exists(os.path.join(ingot_server.data_dir, "planted.txt"))
    finally:
        os.unlink(os.path.join(volume_dir, "escape"))
    r = requests.get(ingot_server.url + "/api/2.0/fs/files/Volumes/main/vol_it/nope/x", timeout=10)
    assert r.status_code == 404 and r.json()["error_code"] == "NOT_FOUND"


def test_pipeline_ingests_from_a_volume_exactly_once(ingot_server, volume, tmp_path):
    w, _ = volume
    w.files.upload("/Volumes/main/vol_it/land/landing/a.csv", io.BytesIO(csv_bytes(0, 40)))
    root = make_pipeline(tmp_path / "p", "vol_ingest", "vol_ingest", "/Volumes/main/vol_it/land/landing")
    cli(ingot_server, "pipelines", "run", root)
    assert sql_count(ingot_server, "main.vol_ingest.bronze") == 40
    w.files.upload("/Volumes/main/vol_it/land/landing/b.csv", io.BytesIO(csv_bytes(40, 7)))
    cli(ingot_server, "pipelines", "run", "vol_ingest")
    cli(ingot_server, "pipelines", "run", "vol_ingest")
    assert sql_count(ingot_server, "main.vol_ingest.bronze") == 47


def test_ingot_fs_and_volumes_cli(ingot_server, volume, tmp_path):
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    big = os.urandom(9 * 1024 * 1024)
    (src / "big.bin").write_bytes(big)
    (src / "nested" / "n.txt").write_text("nested")
    remote = "dbfs:/Volumes/main/vol_it/land/cli"
    cli(ingot_server, "fs", "mkdir", remote)
    p = cli(ingot_server, "fs", "cp", "-r", src, remote)
    assert "MiB" in p.stderr  # a progress line for the large file
    listing = json.loads(cli(ingot_server, "fs", "ls", remote, "--output", "json").stdout)
    assert {(e["name"], e["is_directory"]) for e in listing} == {("big.bin", False), ("nested", True)}
    assert next(e for e in listing if e["name"] == "big.bin")["file_size"] == len(big)
    p = cli(ingot_server, "fs", "cp", src / "big.bin", remote + "/big.bin", check=False)
    assert p.returncode != 0 and "ALREADY_EXISTS" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    out = tmp_path / "out"
    cli(ingot_server, "fs", "cp", "-r", remote, out)
    assert (out / "big.bin").read_bytes() == big and (out / "nested" / "n.txt").read_text() == "nested"
    cli(ingot_server, "fs", "cp", remote + "/nested/n.txt", tmp_path / "single.txt")
    assert (tmp_path / "single.txt").read_text() == "nested"
    p = cli(ingot_server, "fs", "rm", remote, check=False)
    assert p.returncode != 0  # not empty without -r
    cli(ingot_server, "fs", "rm", "-r", remote)
    p = cli(ingot_server, "fs", "ls", remote, check=False)
    assert p.returncode != 0 and "NOT_FOUND" in p.stderr
    p = cli(ingot_server, "fs", "ls", "dbfs:/Volumes/main/vol_it/land/../x", check=False)
    assert p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1

    v = json.loads(cli(ingot_server, "volumes", "create", "main.vol_it.cli_vol", "--comment", "from cli", "--output", "json").stdout)
    assert v["full_name"] == "main.vol_it.cli_vol" and v["volume_type"] == "MANAGED"
    names = [x["name"] for x in json.loads(cli(ingot_server, "volumes", "list", "main.vol_it", "--output", "json").stdout)]
    assert "cli_vol" in names and "land" in names
    assert json.loads(cli(ingot_server, "volumes", "get", "main.vol_it.cli_vol", "--output", "json").stdout)["comment"] == "from cli"
    cli(ingot_server, "volumes", "delete", "main.vol_it.cli_vol")
    p = cli(ingot_server, "volumes", "get", "main.vol_it.cli_vol", check=False)
    assert p.returncode != 0 and "NOT_FOUND" in p.stderr


def test_volume_privileges_and_the_external_location_allow_list(secured_server, tmp_path):
    server = secured_server
    root_token, root = server.root_token, server.root
    user = server.new_user("ana", comment="t")
    ana_token, ana = user.token, user.headers
    w_root = WorkspaceClient(host=server.url, token=root_token)
    w_ana = WorkspaceClient(host=server.url, token=ana_token)

    def grant(kind, name, *privileges):
        r = requests.patch(f"{server.url}{UC}/permissions/{kind}/{name}", json={"changes": [{"principal": user.name, "add": list(privileges)}]},
                           headers=root, timeout=10)
        assert r.status_code == 200, r.text

    # Creating a volume needs CREATE VOLUME on the schema.
    body = {"catalog_name": "main", "schema_name": "default", "name": "sec"}
    r = requests.post(server.url + UC + "/volumes", json=body, headers=ana, timeout=10)
    assert r.status_code == 403 and "CREATE VOLUME" in r.json()["message"]
    w_root.volumes.create(catalog_name="main", schema_name="default", name="sec", volume_type=VolumeType.MANAGED)
    w_root.files.upload("/Volumes/main/default/sec/a.txt", io.BytesIO(b"secret"))

    # READ VOLUME to read, WRITE VOLUME to write.
    with pytest.raises(PermissionDenied):
        w_ana.files.download("/Volumes/main/default/sec/a.txt").contents.read()
    grant("catalog", "main", "USE_CATALOG")
    grant("schema", "main.default", "USE_SCHEMA")
    grant("volume", "main.default.sec", "READ_VOLUME")
    assert w_ana.files.download("/Volumes/main/default/sec/a.txt").contents.read() == b"secret"
    assert [e.name for e in w_ana.files.list_directory_contents("/Volumes/main/default/sec")] == ["a.txt"]
    with pytest.raises(PermissionDenied):
        w_ana.files.upload("/Volumes/main/default/sec/b.txt", io.BytesIO(b"mine"))
    with pytest.raises(PermissionDenied):
        w_ana.files.delete("/Volumes/main/default/sec/a.txt")
    grant("volume", "main.default.sec", "WRITE_VOLUME")
    w_ana.files.upload("/Volumes/main/default/sec/b.txt", io.BytesIO(b"mine"))
    assert w_root.files.download("/Volumes/main/default/sec/b.txt").contents.read() == b"mine"

    # External locations: administrators only; they are the allow-list for local directories.
    outside = tmp_path / "outside"
    (outside / "landing").mkdir(parents=True)
    (outside / "landing" / "a.csv").write_bytes(csv_bytes(0, 12))
    r = requests.post(server.url + UC + "/external-locations", json={"name": "raw", "url": f"file://{outside}"}, headers=ana, timeout=10)
    assert r.status_code == 403
    r = requests.post(server.url + UC + "/volumes", json={**body, "name": "ext", "volume_type": "EXTERNAL", "storage_location": f"file://{outside}/ext"},
                      headers=root, timeout=10)
    assert r.status_code == 403 and str(outside) in r.json()["message"] and "external-locations" in r.json()["message"]

    pipeline = make_pipeline(tmp_path / "p", "allow_it", "allow_it", str(outside / "landing"))
    p = cli(server, "pipelines", "run", pipeline, token=root_token, check=False)
    assert p.returncode != 0
    pid = next(s["pipeline_id"] for s in requests.get(server.url + "/api/2.0/pipelines", headers=root, timeout=10).json()["statuses"] if s["name"] == "allow_it")
    events = json.dumps(requests.get(f"{server.url}/api/2.0/pipelines/{pid}/events", params={"max_results": 200}, headers=root, timeout=10).json())
    assert str(outside / "landing") in events and "external-locations" in events

    r = requests.post(server.url + UC + "/external-locations", json={"name": "raw", "url": f"file://{outside}", "comment": "landing"},
                      headers=root, timeout=10)
    assert r.status_code == 200 and r.json()["url"] == f"file://{outside}" and r.json()["name"] == "raw", r.text
    assert [x["name"] for x in requests.get(server.url + UC + "/external-locations", headers=root, timeout=10).json()["external_locations"]] == ["raw"]
    cli(server, "pipelines", "run", "allow_it", token=root_token)
    assert sql_count(server, "main.allow_it.bronze", headers=root) == 12
    r = requests.post(server.url + UC + "/volumes", json={**body, "name": "ext", "volume_type": "EXTERNAL", "storage_location": f"file://{outside}/ext"},
                      headers=root, timeout=10)
    assert r.status_code == 200 and r.json()["volume_type"] == "EXTERNAL", r.text
    w_root.files.upload("/Volumes/main/default/ext/x.txt", io.BytesIO(b"external"))
    assert (outside / "ext" / "x.txt").read_bytes() == b"external"
    requests.delete(server.url + UC + "/volumes/main.default.ext", headers=root, timeout=10).raise_for_status()
    assert (outside / "ext" / "x.txt").exists()  # an external volume's files outlive it
