"""Shared fixtures: start the real `ingot` binary on a free port with a temporary data dir."""
import os
import tempfile

import pytest

from ingot_harness import IngotServer


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


@pytest.fixture
def start_ingot():
    """Factory for extra servers a test controls itself (stopped at the end of the test)."""
    servers = []
    dirs = []

    def start(extra_args=(), env=None, data_dir=None):
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="ingot-it-")
            dirs.append(tmp)
            data_dir = tmp.name
        server = IngotServer(data_dir, extra_args=extra_args, env=env, name="extra")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    for tmp in dirs:
        tmp.cleanup()
