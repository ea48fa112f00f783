"""Web sign-in end to end: session cookie, CSRF, logout, fixation, throttling, expiry, deletion,
secrets kept out of logs and the audit log, and `system.access.audit` through SQL."""
import json
import os
import subprocess
import sys
import time

import pytest
import requests

from ingot_harness import admin_init, ingot_binary

LOGIN = "/api/2.0/ingot/login"
LOGOUT = "/api/2.0/ingot/logout"
ME = "/api/2.0/ingot/me"


def make_user(url, token, name, password, admin=False):
    body = {"userName": name, "password": password}
    if admin:
        body["entitlements"] = [{"value": "admin"}]
    r = requests.post(url + "/api/2.0/preview/scim/v2/Users", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def login(url, name, password):
    s = requests.Session()
    r = s.post(url + LOGIN, json={"username": name, "password": password}, timeout=30)
    return s, r


@pytest.fixture
def secured(start_secured):
    """An auth-on server of the test's own: login throttling and the whole audit log are checked."""
    server = start_secured()
    make_user(server.url, server.root_token, "ana", "ana-password-1")
    return server, server.root_token


def test_login_me_csrf_and_logout(secured):
    server, token = secured
    url = server.url
    # The pages' API calls get a 401 without the Basic challenge that would pop up the browser's dialog.
    r = requests.get(url + ME, headers={"X-Ingot-Client": "web"}, timeout=5)
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers
    s, r = login(url, "ana", "wrong-password")
    assert r.status_code == 401 and "ingot_session" not in s.cookies

    s, r = login(url, "ana", "ana-password-1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_name"] == "ana" and body["is_admin"] is False and body["csrf_token"]
    cookie = r.headers["Set-Cookie"]
    assert "ingot_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; the TLS test checks Secure
    session_id = s.cookies["ingot_session"]
    assert len(session_id) >= 43  # 256 bits

    me = s.get(url + ME, timeout=5).json()
    assert me["user_name"] == "ana" and me["csrf_token"] == body["csrf_token"] and me["auth_mode"] == "token"
    # GETs need no CSRF token; every POST/PUT/PATCH/DELETE made with the cookie does.
    assert s.get(url + "/api/2.0/token/list", timeout=5).status_code == 200
    assert s.post(url + "/api/2.0/mlflow/experiments/search", json={}, timeout=5).status_code == 403
    refused = s.post(url + "/api/2.0/mlflow/experiments/create", json={"name": "csrf"}, timeout=5)
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
    wrong = s.post(url + "/api/2.0/mlflow/experiments/create", json={"name": "csrf"}, headers={"X-CSRF-Token": "x" * 43}, timeout=5)
    assert wrong.status_code == 403
    ok = s.post(url + "/api/2.0/mlflow/experiments/create", json={"name": "csrf"}, headers={"X-CSRF-Token": body["csrf_token"]}, timeout=5)
    assert ok.status_code == 200, ok.text
    # Bearer requests need none, and /me works for them too.
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(url + "/api/2.0/mlflow/experiments/create", json={"name": "bearer"}, headers=auth, timeout=5).status_code == 200
    assert requests.get(url + ME, headers=auth, timeout=5).json() | {"csrf_token": None} == {
        "user_name": "root", "kind": "user", "groups": [], "is_admin": True, "auth_mode": "token", "csrf_token": None}

    out = s.post(url + LOGOUT, headers={"X-CSRF-Token": body["csrf_token"]}, timeout=5)
    assert out.status_code == 204 and "Max-Age=0" in out.headers["Set-Cookie"]
    # The session is gone server-side: replaying the old cookie fails.
    assert requests.get(url + ME, cookies={"ingot_session": session_id}, timeout=5).status_code == 401


def test_session_fixation_and_deleted_user(secured):
    server, token = secured
    url = server.url
    user_id = make_user(url, token, "bo", "bo-password-1")
    planted = "A" * 43
    # A login that arrives with an id the attacker chose gets a new one; the planted id never works.
    r = requests.post(url + LOGIN, json={"username": "bo", "password": "bo-password-1"}, cookies={"ingot_session": planted}, timeout=30)
    assert r.status_code == 200
    fresh = r.cookies["ingot_session"]
    assert fresh != planted
    assert requests.get(url + ME, cookies={"ingot_session": planted}, timeout=5).status_code == 401
    assert requests.get(url + ME, cookies={"ingot_session": fresh}, timeout=5).json()["user_name"] == "bo"
    # Signing in again from that browser gets another id and ends the previous session.
    again = requests.post(url + LOGIN, json={"username": "bo", "password": "bo-password-1"}, cookies={"ingot_session": fresh}, timeout=30)
    current = again.cookies["ingot_session"]
    assert current != fresh
    assert requests.get(url + ME, cookies={"ingot_session": fresh}, timeout=5).status_code == 401
    assert requests.get(url + ME, cookies={"ingot_session": current}, timeout=5).json()["user_name"] == "bo"
    # Deleting the user ends the session at once.
    d = requests.delete(url + f"/api/2.0/preview/scim/v2/Users/{user_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert d.status_code == 204
    assert requests.get(url + ME, cookies={"ingot_session": current}, timeout=5).status_code == 401


def test_failed_logins_are_throttled_and_audited_without_secrets(secured):
    server, token = secured
    url = server.url
    make_user(url, token, "cy", "cy-password-1")
    for _ in range(5):
        assert login(url, "cy", "not-it")[1].status_code == 401
    # Even the right password is refused while throttled.
    s, r = login(url, "cy", "cy-password-1")
    assert r.status_code == 429 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "ingot_session" not in s.cookies

    s, r = login(url, "ana", "ana-password-1")
    session_id = s.cookies["ingot_session"]
    csrf = r.json()["csrf_token"]
    auth = {"Authorization": f"Bearer {token}"}
    events = requests.get(url + "/api/2.0/ingot/audit", params={"action": "/ingot/login", "limit": 50}, headers=auth, timeout=5).json()["events"]
    outcomes = [(e["principal"], e["outcome"]) for e in events]
    assert ("ana", "success") in outcomes and ("cy", "unauthenticated") in outcomes and ("cy", "failure") in outcomes

    # The audit log as a SQL table, through the statements API and `ingot sql`.
    q = ("SELECT user_identity, action_name, response, service_name, event_time FROM system.access.audit "
         "WHERE action_name LIKE '%/ingot/login' ORDER BY CAST(event_id AS BIGINT)")
    st = requests.post(url + "/api/2.0/sql/statements", json={"statement": q, "wait_timeout": "30s"}, headers=auth, timeout=60).json()
    assert st["status"]["state"] == "SUCCEEDED", st
    rows = st["result"]["data_array"]
    assert len(rows) == 7 and all(r[3] == "accounts" for r in rows)
    assert json.loads(rows[-1][0]) == {"email": "ana"} and json.loads(rows[-1][2])["status_code"] == 200
    env = dict(os.environ, INGOT_TOKEN=token)
    p = subprocess.run([ingot_binary(), "sql", "--server", url, "--output", "json",
                        "SELECT count(*) AS n FROM system.access.audit WHERE outcome = 'unauthenticated'"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert int(json.loads(p.stdout)[0]["n"]) >= 5
    # Non-admins may not read it (the seam where the permission service's SELECT check goes).
    denied = s.post(url + "/api/2.0/sql/statements", json={"statement": "SELECT * FROM system.access.audit", "wait_timeout": "30s"},
                    headers={"X-CSRF-Token": csrf}, timeout=60).json()
    assert denied["status"]["state"] == "FAILED" and denied["status"]["error"]["error_code"] == "PERMISSION_DENIED"

    # Secrets never reach the server log or the audit log.
    dump = requests.get(url + "/api/2.0/ingot/audit", params={"limit": 10000}, headers=auth, timeout=5).text
    log = server.log_text()
    for secret in (token, session_id, csrf, "cy-password-1", "ana-password-1", "not-it"):
        assert secret not in dump and secret not in log


def test_expired_session_is_refused(start_secured):
    server = start_secured(env={"INGOT_AUTH_SESSION_TTL": "2s"})
    token = server.root_token
    make_user(server.url, token, "di", "di-password-1")
    s, r = login(server.url, "di", "di-password-1")
    assert r.status_code == 200 and "Max-Age=2" in r.headers["Set-Cookie"]
    assert s.get(server.url + ME, timeout=5).status_code == 200
    time.sleep(2.2)
    # The browser would drop the cookie; a client that keeps sending it is refused.
    assert requests.get(server.url + ME, cookies={"ingot_session": r.cookies["ingot_session"]}, timeout=5).status_code == 401


@pytest.fixture
def tls_server(tmp_path):
    """`ingot serve` over HTTPS with a self-signed certificate made for the test."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    data = tmp_path / "data"
    token = admin_init(data)
    config = tmp_path / "ingot.yaml"
    config.write_text(f"auth:\n  mode: token\ntls:\n  certificate: {cert}\n  key: {key}\n")
    from ingot_harness import free_port, output_dir
    port = free_port()
    env = dict(os.environ)
    env.pop("INGOT_CONFIG", None)
    log = open(output_dir() / f"ingot-tls-{port}.log", "wb")
    proc = subprocess.Popen([ingot_binary(), "serve", "--config", str(config), "--port", str(port), "--data-dir", str(data)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            assert proc.poll() is None, "ingot serve exited"
            try:
                if requests.get(url + "/health", verify=str(cert), timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                assert time.time() < deadline, "TLS server did not become healthy"
                time.sleep(0.05)
        yield url, token, cert, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_tls_serves_https_the_mlflow_client_and_secure_cookies(tls_server):
    url, token, cert, tmp_path = tls_server
    assert requests.get(url + "/health", verify=str(cert), timeout=5).json()["status"] == "ok"
    # Plain HTTP on the TLS port gets no answer.
    with pytest.raises(requests.RequestException):
        requests.get(url.replace("https", "http") + "/health", timeout=2)
    r = requests.post(url + "/api/2.0/preview/scim/v2/Users", json={"userName": "eve", "password": "eve-password-1"},
                      headers={"Authorization": f"Bearer {token}"}, verify=str(cert), timeout=30)
    assert r.status_code == 201, r.text
    login = requests.post(url + LOGIN, json={"username": "eve", "password": "eve-password-1"}, verify=str(cert), timeout=30)
    assert login.status_code == 200
    assert "Secure" in login.headers["Set-Cookie"] and "HttpOnly" in login.headers["Set-Cookie"]

    code = ("import mlflow\nmlflow.set_tracking_uri(%r)\nmlflow.set_experiment('tls')\n"
            "with mlflow.start_run():\n    mlflow.log_metric('m', 1.0)\n"
            "print(len(mlflow.search_runs(experiment_names=['tls'])))\n") % url
    env = dict(os.environ, MLFLOW_TRACKING_TOKEN=token, MLFLOW_TRACKING_INSECURE_TLS="true", MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
    for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        env.pop(k, None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip().splitlines()[-1] == "1"


def test_tls_files_missing_is_one_line_at_startup(tmp_path):
    config = tmp_path / "ingot.yaml"
    config.write_text(f"tls:\n  certificate: {tmp_path}/nope.pem\n  key: {tmp_path}/nope.key\n")
    env = dict(os.environ)
    env.pop("INGOT_CONFIG", None)
    p = subprocess.run([ingot_binary(), "serve", "--config", str(config), "--data-dir", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=30, env=env)
    assert p.returncode != 0
    lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and "tls.certificate" in lines[0] and "nope.pem" in lines[0], p.stderr


def test_scim_groups_and_service_principals(secured):
    server, token = secured
    url, auth = server.url + "/api/2.0/preview/scim/v2", {"Authorization": f"Bearer {token}"}
    users = requests.get(url + "/Users", headers=auth, timeout=5).json()["Resources"]
    ana = next(u for u in users if u["userName"] == "ana")
    sp = requests.post(url + "/ServicePrincipals", json={"applicationId": "etl-bot", "displayName": "ETL"}, headers=auth, timeout=5)
    assert sp.status_code == 201 and sp.json()["applicationId"] == "etl-bot"
    inner = requests.post(url + "/Groups", json={"displayName": "inner", "members": [{"value": ana["id"]}]}, headers=auth, timeout=5).json()
    outer = requests.post(url + "/Groups", json={"displayName": "outer"}, headers=auth, timeout=5).json()
    patched = requests.patch(url + f"/Groups/{outer['id']}", headers=auth, timeout=5, json={
        "Operations": [{"op": "add", "path": "members", "value": [{"value": sp.json()["id"]}, {"value": inner["id"], "$ref": f"Groups/{inner['id']}"}]}]})
    assert patched.status_code == 200, patched.text
    assert sorted(m["display"] for m in patched.json()["members"]) == ["etl-bot", "inner"]
    groups = {g["displayName"]: g for g in requests.get(url + "/Groups", headers=auth, timeout=5).json()["Resources"]}
    assert [m["display"] for m in groups["inner"]["members"]] == ["ana"]
    # Nested membership reaches ana's principal.
    s, r = login(server.url, "ana", "ana-password-1")
    assert sorted(r.json()["groups"]) == ["inner", "outer"]
    # Only admins manage principals; a non-admin session gets 403 (with its CSRF token).
    denied = s.post(url + "/Groups", json={"displayName": "x"}, headers={"X-CSRF-Token": r.json()["csrf_token"]}, timeout=5)
    assert denied.status_code == 403
    assert requests.delete(url + f"/Groups/{outer['id']}", headers=auth, timeout=5).status_code == 204
    assert requests.delete(url + f"/ServicePrincipals/{sp.json()['id']}", headers=auth, timeout=5).status_code == 204
    assert [p["applicationId"] for p in requests.get(url + "/ServicePrincipals", headers=auth, timeout=5).json()["Resources"]] == []
