"""Cold start (exec -> /health 200) and idle RSS: `ingot serve` vs `mlflow server` (SQLite backend).

Both run on this machine in the same run; medians over BENCH_STARTS starts (default 5, 2 in smoke mode).
Memory is the whole process tree's (mlflow server forks workers) proportional set size (PSS, so
pages shared between forked workers count once), read from /proc after 2 s idle.
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
RUNS = int(os.environ.get("BENCH_STARTS", "2" if SMOKE else "5"))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INGOT = os.environ.get("INGOT_BIN") or os.path.join(REPO, ".build", "release", "ingot")
VENV_BIN = os.path.join(REPO, ".venv", "bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_kb(pid):
    """Proportional resident memory (PSS) of a process and all its descendants, in KiB."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def measure(cmd, url, env=None, timeout=120):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{cmd[0]} did not answer within {timeout}s")
            time.sleep(0.005)
        ready_ms = (time.perf_counter() - start) * 1000
        time.sleep(2)
        rss_mb = tree_rss_kb(proc.pid) / 1024
        return ready_ms, rss_mb
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def run_ingot():
    data = tempfile.mkdtemp(prefix="bench-ingot-")
    try:
        port = free_port()
        return measure([INGOT, "serve", "--port", str(port), "--data-dir", data], f"http://127.0.0.1:{port}/health")
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run_mlflow():
    data = tempfile.mkdtemp(prefix="bench-mlflow-")
    try:
        port = free_port()
        env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
        cmd = [os.path.join(VENV_BIN, "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{data}/mlflow.db", "--artifacts-destination", f"{data}/artifacts"]
        return measure(cmd, f"http://127.0.0.1:{port}/health", env=env)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main():
    results = {}
    for name, fn in (("ingot serve", run_ingot), ("mlflow server", run_mlflow)):
        samples = [fn() for _ in range(RUNS)]
        results[name] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
    print(f"startup benchmark: {RUNS} runs each, medians, 1 machine ({os.cpu_count()} cores)")
    print(f"{'server':<16}{'cold start (ms)':>18}{'idle PSS (MB)':>16}")
    for name, (ms, rss) in results.items():
        print(f"{name:<16}{ms:>18.0f}{rss:>16.1f}")
    (ims, irss), (mms, mrss) = results["ingot serve"], results["mlflow server"]
    print(f"ratio mlflow/ingot: start {mms / ims:.1f}x faster, memory {mrss / irss:.1f}x smaller")
    print(f"targets: start < 300 ms: {'met' if ims < 300 else 'MISSED'}; memory < 60 MB: {'met' if irss < 60 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
