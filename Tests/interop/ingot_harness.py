"""Test harness shared by the interop suites: the real `ingot` binary on a free port with a temporary data dir."""
import fcntl
import http.server
import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import requests

REPO = pathlib.Path(__file__).resolve().parents[2]


def ingot_binary() -> str:
    """The binary under test: $INGOT_BIN, else the debug build."""
    path = os.environ.get("INGOT_BIN") or str(REPO / ".build" / "debug" / "ingot")
    if not os.path.exists(path):
        raise RuntimeError(f"ingot binary not found at {path}; run `swift build` first")
    return path


def output_dir() -> pathlib.Path:
    """Where tests leave screenshots and logs ($INGOT_TEST_OUTPUT, default test-output/)."""
    path = pathlib.Path(os.environ.get("INGOT_TEST_OUTPUT", REPO / "test-output"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# Ports handed out recently, shared by every pytest process on the machine (xdist workers): a port is
# free when `free_port` sees it, but another worker's `free_port` could see the same one before the
# server it was meant for binds it; the list keeps two workers from being handed one port.
_PORTS_FILE = pathlib.Path(tempfile.gettempdir()) / "ingot-interop-ports"
_PORT_MEMORY_SECONDS = 600


def free_port() -> int:
    with open(_PORTS_FILE, "a+") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)
        ledger.seek(0)
        now = time.time()
        recent = {}
        for line in ledger.read().split():
            port, _, stamp = line.partition("@")
            try:
                if now - float(stamp) < _PORT_MEMORY_SECONDS:
                    recent[int(port)] = float(stamp)
            except ValueError:
                continue
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in recent:
                break
        recent[port] = now
        ledger.seek(0)
        ledger.truncate()
        ledger.write("".join(f"{p}@{t}\n" for p, t in recent.items()))
        return port


class IngotServer:
    """A running `ingot serve` process."""

    def __init__(self, data_dir: str, extra_args=(), env=None, name="server"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.log_path = output_dir() / f"ingot-{name}-{worker}-{self.port}.log"
        self._log = open(self.log_path, "wb")
        cmd = [ingot_binary(), "serve", "--port", str(self.port), "--data-dir", data_dir, *extra_args]
        full_env = dict(os.environ)
        full_env.pop("INGOT_CONFIG", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=full_env)
        self.wait_ready()

    def wait_ready(self, timeout=30.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ingot serve exited with {self.proc.returncode}; log: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"ingot serve did not become healthy; log: {self.log_path.read_text()[-2000:]}")

    def stop(self, sig=signal.SIGTERM, timeout=10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()
        return self.proc.returncode

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")


def admin_init(data_dir, user="root") -> str:
    """`ingot admin init` on a fresh data dir: creates the first administrator; returns its token."""
    env = dict(os.environ)
    env.pop("INGOT_CONFIG", None)
    p = subprocess.run([ingot_binary(), "admin", "init", "--data-dir", str(data_dir), "--user", user, "--output", "json"],
                       capture_output=True, text=True, timeout=60, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"ingot admin init failed: {p.stderr}")
    return json.loads(p.stdout)["token"]


def unique(prefix: str) -> str:
    """A name no other test on a shared server uses (letters and digits only, so it is valid everywhere)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class User:
    """A user on an auth-on server: name, password, and (if made) a personal access token."""

    def __init__(self, name: str, password: str, token=None):
        self.name = name
        self.password = password
        self.token = token

    @property
    def basic(self):
        """HTTP Basic credentials for `requests` (`auth=user.basic`)."""
        return (self.name, self.password)

    @property
    def headers(self):
        """The Bearer header for the user's token."""
        return {"Authorization": f"Bearer {self.token}"}


class AuthServer(IngotServer):
    """`ingot serve` with authentication on (INGOT_AUTH_MODE=token) over a data dir bootstrapped by
    `ingot admin init`; `root_token`/`root` are the first administrator's token and Bearer header."""

    def __init__(self, data_dir: str, extra_args=(), env=None, name="secured"):
        self.root_token = admin_init(data_dir)
        self.root = {"Authorization": f"Bearer {self.root_token}"}
        super().__init__(data_dir, extra_args=extra_args, env={"INGOT_AUTH_MODE": "token", **(env or {})}, name=name)

    def add_user(self, name: str, password=None, admin=False, token=False, comment="test") -> User:
        """Creates `name` through SCIM (an administrator if `admin`), with a token of its own if `token`."""
        password = password or f"{name}-password-1"
        body = {"userName": name, "password": password}
        if admin:
            body["entitlements"] = [{"value": "admin"}]
        r = requests.post(self.url + "/api/2.0/preview/scim/v2/Users", json=body, headers=self.root, timeout=30)
        if r.status_code != 201:
            raise RuntimeError(f"creating user {name}: {r.status_code} {r.text}")
        user = User(name, password)
        if token:
            user.token = self.create_token(user, comment)
        return user

    def new_user(self, prefix: str, admin=False, token=True, comment="test") -> User:
        """A user with a unique name starting with `prefix` (for servers shared between tests)."""
        return self.add_user(unique(prefix), admin=admin, token=token, comment=comment)

    def create_token(self, user: User, comment="test") -> str:
        """A personal access token made by `user` itself (HTTP Basic with its password)."""
        r = requests.post(self.url + "/api/2.0/token/create", json={"comment": comment}, auth=user.basic, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"creating a token for {user.name}: {r.status_code} {r.text}")
        return r.json()["token_value"]


class WebhookReceiver:
    """A local webhook receiver on 127.0.0.1: records every POST as (headers, body) in `requests` and
    answers `fail_status` to the first `failures` of them (so retries are exercised), 200 after."""

    def __init__(self, failures=0, fail_status=500):
        self.failures, self.fail_status = failures, fail_status
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests.append((dict(self.headers), body))
                    failed = len(outer.requests) <= outer.failures
                self.send_response(outer.fail_status if failed else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def calls(self):
        return len(self.requests)

    @property
    def delivered(self):
        """The JSON bodies of the requests answered 200."""
        with self.lock:
            return [json.loads(body) for _, body in self.requests[self.failures:]]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
