"""Helpers shared by the browser tests (kept out of conftest so they import by a unique name)."""

import os
import pathlib


def output_dir() -> pathlib.Path:
    """Where screenshots go: $INGOT_TEST_OUTPUT/browser (default test-output/browser)."""
    path = pathlib.Path(os.environ.get("INGOT_TEST_OUTPUT", "test-output")) / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


def severe_entries(drv):
    """Browser console entries at level SEVERE since the last call (reading drains the log)."""
    return [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
