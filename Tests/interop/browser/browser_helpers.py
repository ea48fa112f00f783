"""Helpers shared by the browser tests (kept out of conftest so they import by a unique name)."""

import os
import pathlib
import subprocess
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[3]


def output_dir() -> pathlib.Path:
    """Where screenshots go: $INGOT_TEST_OUTPUT/browser (default test-output/browser)."""
    path = pathlib.Path(os.environ.get("INGOT_TEST_OUTPUT", "test-output")) / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


def severe_entries(drv):
    """Browser console entries at level SEVERE since the last call (reading drains the log)."""
    return [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


def web_server(name, env=None):
    """A module's own `ingot serve` with the admin pages served from web/ (so page edits show without
    a rebuild); yields it, then stops it and removes its data directory. Use with `yield from`."""
    from ingot_harness import IngotServer

    with tempfile.TemporaryDirectory(prefix=f"ingot-{name}-") as data_dir:
        server = IngotServer(data_dir, extra_args=["--web-root", str(REPO / "web")], env=env, name=name)
        try:
            yield server
        finally:
            server.stop()


def ingest(server, path, table):
    """`ingot tables ingest` of a file into a table on `server`."""
    from ingot_harness import ingot_binary

    p = subprocess.run([ingot_binary(), "tables", "ingest", str(path), table, "--server", server.url, "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"ingest {table}: {p.stderr}"
