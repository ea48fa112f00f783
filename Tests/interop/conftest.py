"""Shared fixtures: start the real `ingot` binary on a free port with a temporary data dir."""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from ingot_harness import REPO, AuthServer, IngotServer, free_port, output_dir


# Parallel runs: scripts/test.sh runs `pytest -n 2 --dist loadfile`. Every file is one unit of work, so a
# file's tests run in order on one worker with its module fixtures (each worker has its own session
# fixtures: servers, data dirs). On top of plain loadfile, the scheduler below (a) runs the files in
# SERIAL_FILES as one unit, one after another on one worker, so they never run against each other: they
# measure time (bake windows, rate limits, latency bounds) or keep both cores busy (kill -9 loops, model
# servers); and (b) starts the longest units first so the two workers finish together.
# (`--dist loadgroup` cannot express this: with pytest 9.2 it silently stops grouping, pytest-xdist#1386.)
SERIAL_GROUP = "serial"
SERIAL_FILES = {"test_serving.py", "test_serving_rollout.py", "test_serving_inference_table.py", "test_pipelines_crash.py",
                "browser/test_serving_rollout_page.py"}
# Measured sequentially (s): serial group ~280, test_tables 180, test_jobs 78, test_registry 62,
# browser/test_sql_editor 30, test_foundation 27, test_tracking 26, test_parquet 19; every other file < 20.
LONGEST_FIRST = [SERIAL_GROUP, "test_tables.py", "test_jobs.py", "test_registry.py", "browser/test_sql_editor.py",
                 "test_foundation.py", "test_tracking.py", "test_parquet.py"]

try:
    from xdist.scheduler import LoadFileScheduling
except ImportError:  # pytest-xdist not installed: sequential runs need none of this
    LoadFileScheduling = None

if LoadFileScheduling is not None:
    class InteropScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return SERIAL_GROUP if _interop_relative(path) in SERIAL_FILES else path

        def _assign_work_unit(self, node):
            if not getattr(self, "_ordered", False):
                self._ordered = True
                rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
                for scope in sorted(self.workqueue, key=lambda s: rank.get(_interop_relative(s), len(rank))):
                    self.workqueue.move_to_end(scope)
            super()._assign_work_unit(node)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadfile":
            return InteropScheduling(config, log)
        return None


def _interop_relative(path):
    """`Tests/interop/browser/test_x.py` -> `browser/test_x.py` (SERIAL_GROUP stays itself)."""
    marker = "Tests/interop/"
    return path.split(marker, 1)[1] if marker in path else path


@pytest.fixture(autouse=True, scope="module")
def fresh_mlflow_uris():
    """Modules point the mlflow client at their own servers (`set_tracking_uri`/`set_registry_uri`, often
    in a module fixture). mlflow also exports both to the environment for subprocesses, and
    `set_registry_uri(None)` leaves MLFLOW_REGISTRY_URI behind: a later module in the same process (on an
    xdist worker, in any order) would then register models on a server that is gone. After each module
    both are back to what they were before it."""
    names = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    saved = {name: os.environ.get(name) for name in names}
    yield
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def fresh_mlflow_client_state():
    """The mlflow client keeps its active experiment and run in module globals; a test that set an
    experiment on one server must not leave the next test (talking to another server, where that
    id does not exist) pointing at it."""
    yield
    try:
        import mlflow
        import mlflow.tracking.fluent as fluent
    except ImportError:
        return
    while mlflow.active_run() is not None:
        try:
            mlflow.end_run()
        except Exception:
            # The run's server is gone (the test stopped it): forget the run locally.
            fluent._active_run_stack.set([])
            break
    fluent._active_experiment_id = None
    # `mlflow.set_experiment` also exports the id to the environment, where start_run looks first.
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)


@pytest.fixture(scope="session")
def ingot_server():
    """One server for the whole session (modules' tests share it; use unique names)."""
    with tempfile.TemporaryDirectory(prefix="ingot-it-") as data_dir:
        server = IngotServer(data_dir, name="session")
        yield server
        server.stop()


@pytest.fixture(scope="session")
def secured_server():
    """One auth-on server for the session (per xdist worker), shared by every module that needs
    authentication on: `.root` is the administrator's Bearer header, `.new_user(prefix)` makes a user
    with a unique name and a token. Tests use unique users and object names on it, and never change
    server-wide settings. It serves the pages from the tree (`--web-root web/`) for the browser tests."""
    with tempfile.TemporaryDirectory(prefix="ingot-it-auth-") as data_dir:
        server = AuthServer(data_dir, extra_args=["--web-root", str(REPO / "web")], name="secured")
        yield server
        server.stop()


def _server_factory(cls, prefix, name):
    """Yields a function starting servers of `cls` (in a fresh directory unless `data_dir` is given);
    every server is stopped and every directory removed at the end of the test."""
    servers = []
    dirs = []

    def start(extra_args=(), env=None, data_dir=None):
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix=prefix)
            dirs.append(tmp)
            data_dir = tmp.name
        server = cls(data_dir, extra_args=extra_args, env=env, name=name)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    for tmp in dirs:
        tmp.cleanup()


@pytest.fixture
def start_secured():
    """Factory for auth-on servers a test needs to itself (for instance whole-audit-log or throttling
    checks); stopped at the end of the test."""
    yield from _server_factory(AuthServer, "ingot-it-auth-", "secured-own")


@pytest.fixture
def start_ingot():
    """Factory for extra servers a test controls itself (stopped at the end of the test)."""
    yield from _server_factory(IngotServer, "ingot-it-", "extra")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """One real `mlflow server` (SQLite store) for the differential tests of every module; it takes
    seconds to start, so it is started once, on first use. Tests use unique names on it."""
    tmp = tmp_path_factory.mktemp("mlflow-reference")
    venv_bin = pathlib.Path(sys.executable).parent
    port = free_port()
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ.get('PATH', '')}")
    log = open(output_dir() / f"mlflow-server-{port}.log", "wb")
    proc = subprocess.Popen(
        [str(venv_bin / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}",
         "--artifacts-destination", str(tmp / "mlartifacts"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mlflow server exited early")
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("mlflow server did not start")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()

