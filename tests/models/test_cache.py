from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_recode import ModelError
from pytest_recode.models import CACHE_FILENAME, CompletionCache, cache_key, clear_cache

ROOT = Path(__file__).resolve().parents[2]


def test_put_then_get(tmp_path: Path) -> None:
    with CompletionCache(tmp_path) as cache:
        cache.put_many("fp", "cfg", {"p1": ["a"], "p2": ["b", "c"]})
        keys = [cache_key("fp", "cfg", p) for p in ("p1", "p2", "p3")]
        assert cache.get_many(keys) == {keys[0]: ["a"], keys[1]: ["b", "c"]}
        assert len(cache) == 2


def test_key_separates_model_config_and_prompt() -> None:
    keys = {cache_key("fp", "cfg", "p"), cache_key("fp2", "cfg", "p"), cache_key("fp", "cfg2", "p"),
            cache_key("fp", "cfg", "p2"), cache_key("f", "pcfg", "p")}
    assert len(keys) == 5


def test_persists_across_instances_and_clears(tmp_path: Path) -> None:
    CompletionCache(tmp_path).put_many("fp", "cfg", {"p": ["x"]})
    cache = CompletionCache(tmp_path)
    assert cache.get_many([cache_key("fp", "cfg", "p")]) == {cache_key("fp", "cfg", "p"): ["x"]}
    assert cache.clear() == 1
    assert len(cache) == 0


def test_many_keys_in_one_lookup(tmp_path: Path) -> None:
    cache = CompletionCache(tmp_path)
    entries = {f"prompt {i}": [str(i)] for i in range(1200)}  # more than one SQL statement's parameters
    cache.put_many("fp", "cfg", entries)
    found = cache.get_many(cache_key("fp", "cfg", p) for p in entries)
    assert len(found) == 1200


def test_wal_mode(tmp_path: Path) -> None:
    cache = CompletionCache(tmp_path)
    cache.put_many("fp", "cfg", {"p": ["x"]})
    assert cache._connect().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_damaged_file_is_a_clear_error_and_clear_cache_repairs_it(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILENAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(ModelError, match="--recode-clear-cache"):
        len(CompletionCache(tmp_path))
    clear_cache(tmp_path)
    assert len(CompletionCache(tmp_path)) == 0


def test_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ModelError, match="--recode-no-cache"):
        CompletionCache(blocker / "cache").put_many("fp", "cfg", {"p": ["x"]})


_WRITER = textwrap.dedent(
    """
    import sys
    from pytest_recode.models import CompletionCache
    cache = CompletionCache(sys.argv[1], timeout_s=60)
    name, rounds = sys.argv[2], int(sys.argv[3])
    for r in range(rounds):
        cache.put_many("fp", "cfg", {f"{name}-{r}-{i}": [f"{name}{r}{i}" * 50] for i in range(10)})
    print("done", flush=True)
    """
)


def _writer(directory: Path, name: str, rounds: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(directory), name, str(rounds)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    writers = [_writer(tmp_path, f"w{k}", 40) for k in range(4)]
    for w in writers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    cache = CompletionCache(tmp_path)
    assert len(cache) == 4 * 40 * 10
    assert cache.check() == "ok"
    key = cache_key("fp", "cfg", "w3-39-9")
    assert cache.get_many([key]) == {key: ["w3399" * 50]}


def test_a_writer_killed_mid_write_leaves_only_whole_entries(tmp_path: Path) -> None:
    CompletionCache(tmp_path).put_many("fp", "cfg", {"before": ["x"]})
    writer = _writer(tmp_path, "k", 100_000)
    time.sleep(1.0)
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=30)
    cache = CompletionCache(tmp_path)
    assert cache.check() == "ok"
    count = len(cache)
    assert count % 10 == 1  # whole transactions of 10, plus the entry written before
    rows = cache._connect().execute("SELECT prompt, completions FROM completions").fetchall()
    for prompt, text in rows:
        if prompt != "before":
            name, r, i = prompt.split("-")
            assert text == f'["{name}{r}{i}' + f"{name}{r}{i}" * 49 + '"]'
    cache.put_many("fp", "cfg", {"after": ["y"]})  # and the cache still takes writes
    assert len(cache) == count + 1


def damage(path: Path, seed: int = 0) -> None:
    """Random bytes over the middle of a database file, as a disk or a careless copy would leave it."""
    import random

    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for i in range(4096, len(data) - 4096):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))


def run_read_only(directory: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code directory *args`` with ``directory`` mounted read-only (a private mount
    namespace: root ignores file modes, so a read-only mount is the only way to test this as root)."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("needs unshare and mount")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(directory), sys.executable, "-c", code,
                           str(directory), *args], env=env, capture_output=True, text=True, timeout=120)
    if "mount:" in done.stderr or "unshare:" in done.stderr:
        pytest.skip(f"cannot mount read-only here: {done.stderr.strip()}")
    return done


_READ_ONLY_ENGINE = textwrap.dedent(
    """
    import json, sys, warnings
    from pytest_recode import ModelError
    from pytest_recode.models import CallableModel, CompletionCache, CompletionEngine, GenerationConfig, clear_cache

    class Upper:
        def __call__(self, prompts): return [p.upper() for p in prompts]
        def fingerprint(self): return "upper-v1"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine = CompletionEngine(CallableModel(Upper()), cache=CompletionCache(sys.argv[1]))
        out = engine.complete(["x", "y"], GenerationConfig())
    try:
        clear_cache(sys.argv[1])
        cleared = "cleared"
    except ModelError as exc:
        cleared = str(exc)
    print(json.dumps({"out": out, "stats": engine.stats.as_dict(), "notes": engine.notes,
                      "read_only": engine.cache.read_only, "cleared": cleared}))
    """
)


def test_a_read_only_cache_directory_is_read_and_not_written(tmp_path: Path) -> None:
    from pytest_recode.models import GenerationConfig

    with CompletionCache(tmp_path) as cache:
        cache.put_many("callable:upper-v1", GenerationConfig().key(), {"x": ["from the cache"]})
    done = run_read_only(tmp_path, _READ_ONLY_ENGINE)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["out"] == [["from the cache"], ["Y"]]
    assert result["stats"] == {"requested": 2, "generated": 1, "cached": 1, "deduplicated": 0, "calls": 1}
    assert result["read_only"] is True
    assert result["notes"] == [f"recode: completion cache {tmp_path / CACHE_FILENAME} is read-only here: read from, "
                               "not written to"]
    assert result["cleared"].startswith(f"cannot clear the completion cache in {tmp_path}: Read-only file system")
    assert len(CompletionCache(tmp_path)) == 1  # nothing was written, nothing was deleted


def test_clear_cache_of_a_path_that_is_not_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ModelError, match=r"cannot clear the completion cache in .*file: Not a directory .*"
                                         r"--recode-cache-dir"):
        clear_cache(tmp_path / "file")
    clear_cache(tmp_path / "missing")  # nothing there: nothing to do


def test_an_entry_that_is_not_a_list_of_strings_is_a_clear_error(tmp_path: Path) -> None:
    with CompletionCache(tmp_path) as cache:
        cache.put_many("fp", "cfg", {"p": ["x"]})
        cache._connect().execute("UPDATE completions SET completions = '{\"a\": 1}'")
        with pytest.raises(ModelError, match=r"cannot be used \(ValueError: an entry is not a list of strings"):
            cache.get_many([cache_key("fp", "cfg", "p")])
