"""The `accent-coach` command and ACCENT_COACH_* settings: clear messages, right exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accent_coach import cli
from accent_coach.config import ENV_VARS, Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize(("var", "value", "says"), [
    ("ACCENT_COACH_DTYPE", "int4", "must be one of auto, float32"),
    ("ACCENT_COACH_MAX_MODELS", "0", "must be a whole number of at least 1"),
    ("ACCENT_COACH_MAX_MODELS", "lots", "must be a whole number of at least 1"),
    ("ACCENT_COACH_LLM_TIMEOUT", "601", "must be a number greater than 0 and at most 600"),
    ("ACCENT_COACH_SAVE_AUDIO", "maybe", "must be 1 or 0"),
    ("ACCENT_COACH_CACHE_TTL", "nan", "must be a number of at least 0"),
    ("ACCENT_COACH_IDLE_UNLOAD", "recognizer=soon", "kind=seconds pairs"),
    ("ACCENT_COACH_WEBHOOK_ALLOW", "10.0.0.0/8,intranet", "'intranet' is not an IP address"),
    ("ACCENT_COACH_MAX_SECONDS", "-1", "must be a number greater than 0"),
])
def test_bad_settings_name_the_variable(monkeypatch, var, value, says):
    """One line naming the variable, its value and what it must be; pydantic's report
    (several lines, a link) never reaches the user."""
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError) as caught:
        get_settings()
    message = str(caught.value)
    assert type(caught.value) is ValueError and message.startswith(f"{var}={value!r}")
    assert says in message and "\n" not in message and "pydantic" not in message


def test_blank_values_mean_the_default_and_spaces_are_dropped(monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_MODEL", "   ")
    monkeypatch.setenv("ACCENT_COACH_MAX_MODELS", " 3 ")
    monkeypatch.setenv("ACCENT_COACH_API_WORKERS", "0")  # counts as one worker
    s = get_settings()
    assert (s.model, s.max_loaded_models, s.api_workers) == ("embedded", 3, 1)


def test_only_the_declared_variable_sets_a_field(monkeypatch):
    """No second spelling: the field name and derived fields are not variables."""
    monkeypatch.setenv("ACCENT_COACH_MAX_LOADED_MODELS", "5")
    monkeypatch.setenv("ACCENT_COACH_PRELOAD_MODELS", "other/model")
    s = get_settings()
    assert (s.max_loaded_models, s.preload_models) == (1, ())


def test_settings_made_in_code_ignore_the_environment(monkeypatch):
    """The model manager's fallback after a bad variable is built from defaults."""
    monkeypatch.setenv("ACCENT_COACH_MAX_MODELS", "lots")
    monkeypatch.setenv("ACCENT_COACH_DEVICE", "cuda")
    assert Settings(model="x").max_loaded_models == 1 and Settings().device == "auto"


def test_limits_and_data_dir_stay_usable_with_a_bad_setting(monkeypatch, tmp_path):
    """Lenient readers: a bad limit keeps its default, the others still apply."""
    from accent_coach.config import data_dir, limits

    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "long")
    monkeypatch.setenv("ACCENT_COACH_MAX_TEXT_WORDS", "7")
    monkeypatch.setenv("ACCENT_COACH_DTYPE", "int4")
    monkeypatch.setenv("ACCENT_COACH_DATA_DIR", str(tmp_path))
    assert (limits().max_seconds, limits().max_text_words) == (600.0, 7)
    assert data_dir() == tmp_path
    with pytest.raises(ValueError, match="ACCENT_COACH_MAX_SECONDS"):
        get_settings()


def test_configuration_reference_is_generated_from_the_declarations(tmp_path):
    """docs/configuration.md is what `python -m accent_coach.config --markdown` writes;
    regenerate it after changing a declaration."""
    from accent_coach.config import markdown
    from accent_coach.config.__main__ import main

    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == markdown(), "run: python -m accent_coach.config --markdown"
    assert main(["--markdown", str(tmp_path / "c.md")]) == 0
    assert (tmp_path / "c.md").read_text(encoding="utf-8") == committed
    for name, default, meaning in ENV_VARS:
        assert f"| `{name}` | {default} |" in committed and meaning in committed


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


def test_every_variable_the_app_reads_is_declared_once_and_shown_in_force():
    """Each ACCENT_COACH_* name in the app's code is declared (so in docs/configuration.md),
    exactly once, and the Settings page shows its value in force with secrets masked."""
    import re

    from accent_coach.config import SECRETS, in_force, variables

    used = set()
    for folder in ("accent_coach", "ui", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r"ACCENT_COACH_[A-Z0-9_]*[A-Z0-9]\b", path.read_text("utf-8")))
    declared = [v.name for v in variables()]
    assert len(declared) == len(set(declared))
    assert used <= set(declared), sorted(used - set(declared))
    settings = Settings(api_key="do-not-show", llm_key="nor-this")
    shown = in_force(settings)
    assert list(shown) == declared
    assert SECRETS == {"ACCENT_COACH_API_KEY", "ACCENT_COACH_LLM_KEY"}
    assert all(shown[name] == "(set)" for name in SECRETS)
