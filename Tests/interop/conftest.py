"""Shared fixtures: start the real `ingot` binary on a free port with a temporary data dir."""
import tempfile

import pytest

from ingot_harness import IngotServer


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
