"""`accent-coach models …`, `cache …`, `worker` from the command line (real files, real cache)."""

from __future__ import annotations

import pytest

from accent_coach import cli
from accent_coach.service import result_cache


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    store = result_cache.ResultCache(tmp_path / "results")
    monkeypatch.setattr(result_cache, "_DEFAULT", store)
    return store


def test_plain_models_still_lists_and_list_is_the_same(capsys):
    assert cli.main(["models"]) == 0
    plain = capsys.readouterr().out
    assert cli.main(["models", "list"]) == 0
    assert capsys.readouterr().out == plain and "embedded" in plain


def test_models_status_shows_files_on_disk(capsys):
    assert cli.main(["models", "status"]) == 0
    out = capsys.readouterr().out
    assert "embedded" in out and "MB" in out


def test_models_remove_refuses_what_is_not_downloaded(capsys, tmp_path):
    assert cli.main(["models", "remove", "embedded", "--yes"]) == 1
    assert "not a downloaded Hugging Face model" in capsys.readouterr().err
    assert cli.main(["models", "remove", "someone/never-downloaded", "--yes"]) == 1
    assert "not in the local Hugging Face cache" in capsys.readouterr().err


def test_models_download_offline_is_one_line(capsys):
    assert cli.main(["models", "download", "facebook/wav2vec2-base-960h"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "offline" in err and "Traceback" not in err


def test_cache_info_and_clear_asks_unless_yes(capsys, cache, monkeypatch):
    cache.put("a" * 64, {"x": 1})
    assert cli.main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "Model files:" in out and "Result cache: 1 results" in out
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["cache", "clear"]) == 1  # no terminal to confirm on: nothing deleted
    assert "pass --yes" in capsys.readouterr().err and cache.stats()["disk_items"] == 1
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli.main(["cache", "clear"]) == 1 and cache.stats()["disk_items"] == 1
    assert cli.main(["cache", "clear", "--yes"]) == 0
    assert "Removed 1 cached results" in capsys.readouterr().out
    assert cache.stats()["disk_items"] == 0


def test_worker_needs_a_broker(capsys, monkeypatch):
    monkeypatch.delenv("ACCENT_COACH_BROKER_URL", raising=False)
    assert cli.main(["worker"]) == 1
    assert "ACCENT_COACH_BROKER_URL is not set" in capsys.readouterr().err
