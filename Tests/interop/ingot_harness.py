"""Test harness shared by the interop suites: the real `ingot` binary on a free port with a temporary data dir."""
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class IngotServer:
    """A running `ingot serve` process."""

    def __init__(self, data_dir: str, extra_args=(), env=None, name="server"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = output_dir() / f"ingot-{name}-{self.port}.log"
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
