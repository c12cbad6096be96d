"""The store under faults: SIGKILL during an ingest, a read-only file, a store locked by a writer.

Each case runs the real `darkfigure` command in a subprocess, because these are faults of
whole processes. A user must see a clear error (exit 2, no traceback) and the store must
stay readable and unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

store_module = pytest.importorskip("analysis.store", reason="analysis.store has not landed")

CLI = [sys.executable, "-m", "analysis.cli"]


def _write_referrals(path: Path, n_rows: int, seed: int) -> Path:
    from analysis.synth.referrals import simulate_referrals

    frame = simulate_referrals(n_rows, seed=seed)
    frame["record_id"] = [f"S{seed}-{i}" for i in range(len(frame))]  # unique across files
    frame.to_csv(path, index=False)
    return path


def _state(path: Path) -> tuple:
    """What a reader sees: rows per table and the load history."""
    with store_module.Store(path, read_only=True) as store:
        loads = store.loads()
        return (len(store.referrals()), len(loads), tuple(sorted(loads["content_hash"])))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    small = _write_referrals(folder / "small_referrals.csv", 2_000, seed=1)
    large = _write_referrals(folder / "large_referrals.csv", 600_000, seed=2)
    return {"folder": folder, "small": small, "large": large}


@pytest.fixture
def store(files, tmp_path):
    path = tmp_path / "store.duckdb"
    with store_module.Store(path) as s:
        s.ingest([files["small"]], kind="referrals")
    return path


def _ingest(store: Path, path: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "ingest", "--store", str(store), str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _store_files(store: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns)
            for p in store.parent.iterdir() if p.name.startswith(store.name)}


def test_sigkill_during_an_ingest_leaves_the_store_readable_and_unchanged(store, files):
    before = _state(store)
    untouched = _store_files(store)
    process = _ingest(store, files["large"])
    deadline = time.monotonic() + 120
    # Kill as soon as the ingest touches the store files (the file grows, or a WAL appears).
    while _store_files(store) == untouched and process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the ingest never started writing")
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    if process.returncode == 0:
        pytest.skip("the ingest finished before it could be killed; use a larger file")
    assert process.returncode == -signal.SIGKILL
    assert _state(store) == before  # readable, and nothing of the killed load is visible
    # and a later ingest of the same file still works (no stale lock or half a load)
    with store_module.Store(store) as s:
        s.ingest([files["small"]], kind="referrals")  # already loaded: adds nothing
    assert _state(store) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_store_file_gives_a_clear_error(store, files):
    before = _state(store)
    store.chmod(0o444)
    try:
        result = _ingest(store, files["small"])
        out, err = result.communicate(timeout=120)
        assert result.returncode == 2, err
        assert "Traceback" not in err and str(store) in err
        assert _state(store) == before  # still readable
    finally:
        store.chmod(0o644)


def test_store_locked_by_another_writer_gives_a_clear_error(store, files):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from analysis.store import Store; "
         "s = Store(sys.argv[1]); s.__enter__(); print('ready', flush=True); sys.stdin.read()",
         str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = _ingest(store, files["small"])
        _, err = result.communicate(timeout=120)
        assert result.returncode == 2, err
        assert "Traceback" not in err and ("in use" in err or "lock" in err.lower())
    finally:
        holder.communicate("")
        holder.wait()


def test_dashboard_upload_waits_for_a_reading_thread_then_loads(store, files):
    """The dashboard is one process: an upload must not fail because a page is reading."""
    import threading

    fresh = _write_referrals(files["folder"] / "fresh_referrals.csv", 50, seed=7)

    before = _state(store)[0]
    reader = store_module.Store(store, read_only=True)
    threading.Timer(0.5, reader.close).start()  # a page finishing its query
    with store_module.Store(store) as writer:   # waits for the read, then writes
        writer.ingest([fresh], kind="referrals")
        with store_module.Store(store, read_only=True) as second_reader:  # joins the writer
            assert len(second_reader.referrals()) > before
    assert _state(store)[0] > before
