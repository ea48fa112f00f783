"""The appliance end to end: the real binary, its HTTP surface, CLI, config handling and durability."""
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import time

import pytest
import requests

from ingot_harness import IngotServer, ingot_binary


def run_cli(*args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.pop("INGOT_CONFIG", None)
    full_env.update(env or {})
    return subprocess.run([ingot_binary(), *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def test_health(ingot_server):
    r = requests.get(ingot_server.url + "/health", timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["schema_version"].startswith("core.") or "." in body["schema_version"]
    assert body["stores"]["metadata"] == {"status": "ok", "backend": "sqlite"}
    assert body["stores"]["objects"] == {"status": "ok", "backend": "local"}
    assert os.path.samefile(body["data_dir"], ingot_server.data_dir)


def test_metrics_are_prometheus_text(ingot_server):
    requests.get(ingot_server.url + "/health", timeout=5)
    r = requests.get(ingot_server.url + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert any(l.startswith("# TYPE hb_requests counter") for l in lines)
    assert any(l.startswith("hb_requests{") and 'http_route="/health"' in l for l in lines)
    assert any(l.startswith("http_server_request_duration_bucket{") for l in lines)


def test_admin_page_is_served(ingot_server):
    r = requests.get(ingot_server.url + "/", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<!doctype html>" in r.text.lower()
    # Deep links to pages load the same shell; the browser routes them.
    deep = requests.get(ingot_server.url + "/ui/experiments", timeout=5)
    assert deep.status_code == 200 and deep.text == r.text


def test_json_error_shape_and_request_id(ingot_server):
    r = requests.post(ingot_server.url + "/api/2.0/mlflow/definitely/not/here", json={}, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/json"
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "message" in r.json()
    assert r.headers.get("X-Request-Id")
    echoed = requests.get(ingot_server.url + "/health", headers={"X-Request-Id": "trace-42"}, timeout=5)
    assert echoed.headers["X-Request-Id"] == "trace-42"


def test_garbage_requests_do_not_crash_the_server(ingot_server):
    for method, path, data in [
        ("POST", "/api/2.0/mlflow/experiments/create", b"{not json"),
        ("POST", "/api/2.0/mlflow/runs/search", b"\xff\xfe\x00"),
        ("GET", "/ui/%2e%2e/%2e%2e/etc/passwd", None),
        ("DELETE", "/health", None),
        ("GET", "/" + "a" * 4000, None),
    ]:
        r = requests.request(method, ingot_server.url + path, data=data, timeout=5)
        assert r.status_code < 500 or r.status_code == 501, (method, path, r.status_code, r.text)
        if r.headers.get("Content-Type") == "application/json":
            assert "error_code" in r.json()
    assert requests.get(ingot_server.url + "/health", timeout=5).status_code == 200


def test_sigterm_shuts_down_cleanly(start_ingot):
    server = start_ingot()
    assert requests.get(server.url + "/health", timeout=5).status_code == 200
    started = time.time()
    server.proc.send_signal(signal.SIGTERM)
    code = server.proc.wait(timeout=5)
    assert code == 0, server.log_text()[-2000:]
    assert time.time() - started < 5
    log = server.log_text()
    assert '"msg":"stopped"' in log
    # Every log line is one JSON object.
    for line in log.splitlines():
        if line.strip():
            json.loads(line)
    # The database was closed cleanly and is intact.
    conn = sqlite3.connect(os.path.join(server.data_dir, "metadata.sqlite"))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_logfmt_logs(start_ingot):
    server = start_ingot(extra_args=["--log-format", "logfmt"])
    requests.get(server.url + "/health", timeout=5)
    server.stop()
    lines = [l for l in server.log_text().splitlines() if "msg=request" in l]
    assert lines and "status=200" in lines[0] and "request_id=" in lines[0]


def test_config_file_and_precedence(start_ingot, tmp_path):
    data_from_file = tmp_path / "from-file"
    cfg = tmp_path / "ingot.yaml"
    cfg.write_text(f"data_dir: {data_from_file}\nlog:\n  format: logfmt\n")
    # --data-dir is given by the fixture and wins over the file; the file's log format applies.
    server = start_ingot(extra_args=["--config", str(cfg)])
    assert requests.get(server.url + "/health", timeout=5).json()["data_dir"] == os.path.realpath(server.data_dir)
    server.stop()
    assert "msg=request" in server.log_text() or "msg=starting" in server.log_text()


@pytest.mark.parametrize(
    "yaml_text,needle",
    [
        ("server:\n  prot: 1\n", "server.prot"),
        ("server:\n  port: many\n", "server.port"),
        ("log:\n  format: xml\n", "log.format"),
        ("storage:\n  objects:\n    backend: ftp\n", "storage.objects.backend"),
    ],
)
def test_bad_config_is_rejected_at_start(tmp_path, yaml_text, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text)
    result = run_cli("serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--port", "0", timeout=20)
    assert result.returncode != 0
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_environment_is_rejected(tmp_path):
    result = run_cli("serve", "--data-dir", str(tmp_path / "d"), env={"INGOT_LOG_LEVEL": "loud"}, timeout=20)
    assert result.returncode != 0 and "INGOT_LOG_LEVEL" in result.stderr


def test_cli_status(ingot_server):
    table = run_cli("status", "--server", ingot_server.url)
    assert table.returncode == 0, table.stderr
    assert "status   ok" in table.stdout
    as_json = run_cli("status", "--output", "json", env={"INGOT_SERVER": ingot_server.url})
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["status"] == "ok"


def test_cli_status_unreachable_is_one_line():
    result = run_cli("status", "--server", "http://127.0.0.1:1")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot reach" in result.stderr


def test_cli_version_migrate_completion_help(tmp_path):
    version = run_cli("version", "--output", "json")
    assert version.returncode == 0
    info = json.loads(version.stdout)
    assert info["version"] and info["schema_version"]
    data = tmp_path / "data"
    migrate = run_cli("migrate", "--data-dir", str(data))
    assert migrate.returncode == 0 and "core.v1" in migrate.stdout
    again = run_cli("migrate", "--data-dir", str(data))
    assert "up to date" in again.stdout
    with_dir = run_cli("version", "--data-dir", str(data), "--output", "json")
    assert json.loads(with_dir.stdout)["data_dir_schema_version"] == info["schema_version"]
    for shell in ("bash", "zsh", "fish"):
        out = run_cli("completion", shell)
        assert out.returncode == 0 and "ingot" in out.stdout
    assert run_cli("completion", "tcsh").returncode != 0
    help_text = run_cli("--help").stdout
    for sub in ("serve", "migrate", "version", "status", "completion"):
        assert sub in help_text


def test_acknowledged_metadata_writes_survive_kill9(tmp_path):
    """A child commits transactions and prints an ack after each; SIGKILL it at random points.

    Every time, the database must open, pass integrity_check and hold every acknowledged write.
    """
    trials = int(os.environ.get("INGOT_CRASH_TRIALS", "50"))
    rng = random.Random(int(os.environ.get("INGOT_CRASH_SEED", "7")))
    for trial in range(trials):
        db = tmp_path / f"probe-{trial // 10}.sqlite"  # each file takes ten kills in a row
        proc = subprocess.Popen(
            [ingot_binary(), "admin", "write-probe", "--db", str(db), "--count", "1000000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + rng.uniform(0.05, 0.6)
        out = b""
        while time.time() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.01)
            if ready:
                out += os.read(proc.stdout.fileno(), 65536)
        proc.send_signal(signal.SIGKILL)
        rest, err = proc.communicate(timeout=10)
        out += rest  # acks still in the pipe were written before the kill: they count
        assert proc.returncode == -signal.SIGKILL, err.decode()
        acked = [int(line.split()[1]) for line in out.decode().splitlines() if line.startswith("ack ")]
        if not db.exists():
            assert not acked
            continue
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not acked and "probe_item" not in tables:
                continue  # killed before the probe committed its schema (a slow start on a busy machine): nothing acknowledged
            if acked:
                top = max(acked)
                present = conn.execute("SELECT COUNT(*) FROM probe_batch WHERE id <= ?", (top,)).fetchone()[0]
                assert present == top, f"trial {trial}: {top - present} acknowledged writes lost"
                items = conn.execute("SELECT COUNT(*) FROM probe_item WHERE batch_id <= ?", (top,)).fetchone()[0]
                assert items == 8 * top
            # No half-applied transaction: every batch has all its items.
            partial = conn.execute(
                "SELECT COUNT(*) FROM (SELECT batch_id FROM probe_item GROUP BY batch_id HAVING COUNT(*) != 8)").fetchone()[0]
            assert partial == 0
        finally:
            conn.close()


def test_sigterm_lets_in_flight_requests_finish(start_ingot):
    """An upload that is half sent when SIGTERM arrives still completes and is stored."""
    import socket

    server = start_ingot()
    body = os.urandom(256 * 1024)
    path = "/api/2.0/mlflow-artifacts/artifacts/0/inflight/artifacts/slow.bin"
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.proc.poll() is None, "server exited with a request in flight"
        sock.sendall(body[len(body) // 2:])
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
        assert response.startswith(b"HTTP/1.1 200"), response[:200]
    finally:
        sock.close()
    assert server.proc.wait(timeout=10) == 0
    stored = os.path.join(server.data_dir, "artifacts", "0", "inflight", "artifacts", "slow.bin")
    with open(stored, "rb") as f:
        assert f.read() == body
