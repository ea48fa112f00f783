"""Authentication end to end: bootstrap, tokens, HTTP Basic, the mlflow client, and the refusals."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
import requests

from ingot_harness import ingot_binary


def cli(*args, env=None):
    full = dict(os.environ)
    full.pop("INGOT_CONFIG", None)
    full.update(env or {})
    return subprocess.run([ingot_binary(), *args], capture_output=True, text=True, timeout=60, env=full)


@pytest.fixture
def secured(start_secured):
    """An auth-on server of the test's own: the audit-log checks read the whole log."""
    server = start_secured()
    return server, server.root_token


def mlflow_script(server_url, env, body):
    code = "import mlflow\nmlflow.set_tracking_uri(%r)\n" % server_url + textwrap.dedent(body)
    full = dict(os.environ)
    for key in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        full.pop(key, None)
    full.update(env)
    full["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=full)


def test_requests_need_credentials_but_public_paths_do_not(secured):
    server, token = secured
    assert requests.get(server.url + "/health", timeout=5).status_code == 200
    assert requests.get(server.url + "/", timeout=5).status_code == 200
    r = requests.post(server.url + "/api/2.0/mlflow/experiments/search", json={}, timeout=5)
    assert r.status_code == 401
    assert r.json()["error_code"] == "UNAUTHENTICATED"
    assert r.headers.get("WWW-Authenticate", "").startswith("Basic")
    bad = requests.post(server.url + "/api/2.0/mlflow/experiments/search", json={},
                        headers={"Authorization": "Bearer ingot_" + "0" * 40}, timeout=5)
    assert bad.status_code == 401
    ok = requests.post(server.url + "/api/2.0/mlflow/experiments/search", json={},
                       headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert ok.status_code == 200


def test_mlflow_client_with_token_and_with_basic_auth(secured):
    server, token = secured
    with_token = mlflow_script(server.url, {"MLFLOW_TRACKING_TOKEN": token}, """
        mlflow.set_experiment("auth-token")
        with mlflow.start_run():
            mlflow.log_metric("m", 1.0)
        print("ok")
    """)
    assert with_token.returncode == 0, with_token.stderr[-2000:]

    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(server.url + "/api/2.0/preview/scim/v2/Users",
                            json={"userName": "ana", "password": "ana-password-1"}, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    with_basic = mlflow_script(server.url, {"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": "ana-password-1"}, """
        mlflow.set_experiment("auth-basic")
        with mlflow.start_run():
            mlflow.log_param("p", "v")
        print("ok")
    """)
    assert with_basic.returncode == 0, with_basic.stderr[-2000:]

    anonymous = mlflow_script(server.url, {}, """
        from mlflow.exceptions import MlflowException
        try:
            mlflow.set_experiment("auth-none")
        except MlflowException as e:
            print("refused", e.error_code)
    """)
    assert "refused" in anonymous.stdout, anonymous.stdout + anonymous.stderr[-2000:]
    # Secrets never reach the log.
    log = server.log_text()
    assert token not in log and "ana-password-1" not in log


def test_tokens_and_users_through_the_cli(secured):
    server, token = secured
    env = {"INGOT_SERVER": server.url, "INGOT_TOKEN": token}
    created = cli("tokens", "create", "--comment", "ci", "--lifetime", "3600", "--output", "json", env=env)
    assert created.returncode == 0, created.stderr
    new = json.loads(created.stdout)
    listed = json.loads(cli("tokens", "list", "--output", "json", env=env).stdout)
    assert new["token_info"]["token_id"] in [t["token_id"] for t in listed]
    assert requests.get(server.url + "/api/2.0/token/list", headers={"Authorization": "Bearer " + new["token_value"]},
                        timeout=5).status_code == 200
    assert cli("tokens", "delete", new["token_info"]["token_id"], env=env).returncode == 0
    # A deleted token stops working at once.
    assert requests.get(server.url + "/api/2.0/token/list", headers={"Authorization": "Bearer " + new["token_value"]},
                        timeout=5).status_code == 401

    made = cli("users", "create", "bea", env=dict(env, INGOT_NEW_USER_PASSWORD="bea-password-1"))
    assert made.returncode == 0, made.stderr
    users = json.loads(cli("users", "list", "--output", "json", env=env).stdout)
    assert {"root", "bea"} <= {u["userName"] for u in users}
    # A non-admin cannot manage users: 403 with the standard body.
    r = requests.get(server.url + "/api/2.0/preview/scim/v2/Users", auth=("bea", "bea-password-1"), timeout=30)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    me = requests.get(server.url + "/api/2.0/preview/scim/v2/Me", auth=("bea", "bea-password-1"), timeout=30)
    assert me.json()["userName"] == "bea"
    denied = cli("users", "list", env={"INGOT_SERVER": server.url})
    assert denied.returncode != 0 and "UNAUTHENTICATED" in denied.stderr


def test_bootstrap_runs_once(tmp_path):
    data = tmp_path / "d"
    assert cli("admin", "init", "--data-dir", str(data)).returncode == 0
    again = cli("admin", "init", "--data-dir", str(data))
    assert again.returncode != 0 and "already initialised" in again.stderr


def test_unauthenticated_network_listener_is_refused(tmp_path):
    result = cli("serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert result.returncode != 0
    assert "auth.mode" in result.stderr


def test_audit_log_records_changes_refusals_and_failed_sign_ins(secured):
    server, token = secured
    auth = {"Authorization": f"Bearer {token}"}
    url = server.url
    assert requests.post(f"{url}/api/2.0/mlflow/experiments/create", json={"name": "audited"}, headers=auth, timeout=5).status_code == 200
    assert requests.post(f"{url}/api/2.0/mlflow/experiments/search", json={}, headers=auth, timeout=5).status_code == 200
    assert requests.post(f"{url}/api/2.1/unity-catalog/schemas", json={"name": "aud", "catalog_name": "main"}, headers=auth, timeout=5).status_code == 200
    assert requests.delete(f"{url}/api/2.1/unity-catalog/tables/main.aud.missing", headers=auth, timeout=5).status_code == 404
    bad = "ingot_" + "x" * 40
    assert requests.post(f"{url}/api/2.0/mlflow/runs/create", json={}, headers={"Authorization": f"Bearer {bad}"}, timeout=5).status_code == 401
    assert requests.get(f"{url}/api/2.1/unity-catalog/catalogs", timeout=5).status_code == 401
    # Only admins read it; anonymous callers are refused (and that is audited too).
    assert requests.get(f"{url}/api/2.0/ingot/audit", timeout=5).status_code == 401

    p = subprocess.run([ingot_binary(), "audit", "list", "--server", url, "--token", token, "--limit", "50", "--output", "json"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    events = json.loads(p.stdout)
    actions = [(e["principal"], e["action"], e["outcome"], e["status"]) for e in events]
    assert ("root", "POST /api/2.0/mlflow/experiments/create", "success", 200) in actions
    assert ("root", "POST /api/2.1/unity-catalog/schemas", "success", 200) in actions
    assert ("root", "DELETE /api/2.1/unity-catalog/tables/main.aud.missing", "failure", 404) in actions
    assert ("anonymous", "POST /api/2.0/mlflow/runs/create", "unauthenticated", 401) in actions
    assert ("anonymous", "GET /api/2.1/unity-catalog/catalogs", "unauthenticated", 401) in actions
    # Reads are not audited; searches sent as POST are reads.
    assert not any(a[1].endswith("/experiments/search") for a in actions)
    assert all(e["source"] == "127.0.0.1" for e in events)
    assert any(e["object"] == "table:main.aud.missing" for e in events)
    # Credentials never reach the audit log.
    assert token not in p.stdout and bad not in p.stdout
    filtered = json.loads(subprocess.run(
        [ingot_binary(), "audit", "list", "--server", url, "--token", token, "--outcome", "unauthenticated", "--output", "json"],
        capture_output=True, text=True, timeout=60).stdout)
    assert filtered and all(e["outcome"] == "unauthenticated" for e in filtered)
