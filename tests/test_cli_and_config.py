"""The `accent-coach` command and ACCENT_COACH_* settings: clear messages, right exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accent_coach import cli
from accent_coach.config import ENV_VARS, Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]


def test_settings_defaults(monkeypatch):
    for name, _, _ in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert get_settings() == Settings(data_dir=Path("~/.accent_coach").expanduser())
    assert get_settings().model == "embedded" and get_settings().llm_url is None


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCENT_COACH_MODEL", "facebook/wav2vec2-base-960h")
    monkeypatch.setenv("ACCENT_COACH_DEVICE", "CPU")
    monkeypatch.setenv("ACCENT_COACH_DTYPE", "bfloat16")
    monkeypatch.setenv("ACCENT_COACH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ACCENT_COACH_MAX_MODELS", "2")
    monkeypatch.setenv("ACCENT_COACH_LLM_URL", "http://127.0.0.1:8080/v1")
    s = get_settings()
    assert (s.model, s.device, s.dtype, s.data_dir, s.max_loaded_models, s.llm_url) == (
        "facebook/wav2vec2-base-960h", "cpu", "bfloat16", tmp_path, 2, "http://127.0.0.1:8080/v1"
    )


@pytest.mark.parametrize(
    ("var", "value"), [("ACCENT_COACH_DTYPE", "int4"), ("ACCENT_COACH_MAX_MODELS", "0")]
)
def test_bad_settings_name_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=var):
        get_settings()


def test_models_command_lists_registry_and_offline_state(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("accent_coach.speech.registry.EMBEDDED_MODEL_DIR", tmp_path / "none")
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert "embedded" in out and "no trained model installed yet" in out
    assert "accent-coach fetch facebook/wav2vec2-lv-60-espeak-cv-ft" in out


def test_fetch_offline_is_one_line_and_exit_1(capsys):
    assert cli.main(["fetch", "facebook/wav2vec2-base-960h"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "offline" in err


def test_fetch_refuses_a_local_folder(capsys, tmp_path):
    assert cli.main(["fetch", str(tmp_path)]) == 1
    assert "not a Hugging Face id" in capsys.readouterr().err


def test_no_command_prints_help_and_exit_2(capsys):
    assert cli.main([]) == 2
    assert "models" in capsys.readouterr().out


def test_console_script_entry_point_runs():
    """`python -m accent_coach.cli` is what the installed `accent-coach` script calls."""
    done = subprocess.run([sys.executable, "-m", "accent_coach.cli", "--version"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("accent-coach ")


def test_every_variable_the_app_reads_is_documented_and_shown_in_force():
    """Each ACCENT_COACH_* name in the app's code is in ENV_VARS (so in docs/configuration.md)
    and in FIELDS (so the Settings page shows its value in force)."""
    import re

    from accent_coach.config import FIELDS, in_force

    used = set()
    for folder in ("accent_coach", "ui", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r"ACCENT_COACH_[A-Z0-9_]*[A-Z0-9]\b", path.read_text("utf-8")))
    documented = {name for name, _, _ in ENV_VARS}
    assert used <= documented, sorted(used - documented)
    assert set(FIELDS) == documented
    assert set(in_force(get_settings())) == documented
