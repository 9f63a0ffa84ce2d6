"""One accent table: the engine, the API (assessments and jobs), batch manifests and the
CLI accept the same names and refuse every other with the same code, ``accent_unknown``."""

from __future__ import annotations

import json

import pytest

from accent_coach.accents import ACCENTS, NAMES, get_accent
from accent_coach.cli import assess as assess_cli
from accent_coach.engine.assess import assess
from accent_coach.engine.batch import ManifestError, parse_line
from accent_coach.engine.g2p import reference
from accent_coach.errors import AccentCoachError, InputError
from accent_coach.speech.espeak import synthesize
from tests.support.service_helpers import live_api, settings_for

TEXT = "I think so too."
NOT_AUDIO = b"RIFF not really audio at all" * 10  # every accepted accent ends here
NOT_ACCENTS = ["fr", "", "US", "en", "en_GB", "british"]


def _engine_code(accent: str) -> str:
    """The code the engine's own entry point answers: the accent is checked before the
    audio, so an accepted accent gets as far as ``audio_unusable``."""
    with pytest.raises(AccentCoachError) as caught:
        assess(NOT_AUDIO, TEXT, accent=accent, loaded=object())
    return caught.value.code


def test_names_keys_and_aliases() -> None:
    assert set(NAMES) == {"us", "uk", "en-us", "en-gb"}
    assert {n: get_accent(n).key for n in NAMES} == {
        "us": "us", "en-us": "us", "uk": "uk", "en-gb": "uk"}
    for bad in [*NOT_ACCENTS, None, 1]:
        with pytest.raises(InputError) as caught:
            get_accent(bad)
        assert caught.value.code == "accent_unknown" and caught.value.http_status == 422


def test_an_alias_reads_and_speaks_as_its_accent() -> None:
    for accent in ACCENTS.values():
        for alias in accent.aliases:
            assert reference(TEXT, alias) == reference(TEXT, accent.key)
            speech, rate = synthesize(TEXT, voice=alias)
            same, same_rate = synthesize(TEXT, voice=accent.key)
            assert rate == same_rate and speech.tobytes() == same.tobytes()
    assert reference("tomato", "us") != reference("tomato", "uk")


def test_engine_batch_and_cli_agree() -> None:
    for name in [*NAMES, *NOT_ACCENTS]:
        code = _engine_code(name)
        assert (code == "accent_unknown") == (name not in NAMES), (name, code)
        line = json.dumps({"id": "a", "audio": "a.wav", "text": TEXT, "accent": name})
        if name in NAMES:
            assert parse_line(line.encode(), 1, "us").accent == name
        else:
            with pytest.raises(ManifestError) as caught:
                parse_line(line.encode(), 1, "us")
            assert caught.value.code == code and "line 1" in str(caught.value)


def test_cli_refuses_an_unknown_accent_with_the_engines_code(tmp_path, capsys) -> None:
    missing = str(tmp_path / "none.wav")
    for name in NAMES:  # accepted: fails later, on the missing file
        assert assess_cli.main(["assess", missing, "--text", TEXT, "--accent", name]) == \
            assess_cli.EXIT_INPUT
    capsys.readouterr()
    for name in NOT_ACCENTS:
        argv = ["assess", missing, "--text", TEXT, "--accent", name, "--json"]
        assert assess_cli.main(argv) == assess_cli.EXIT_USAGE
        error = json.loads(capsys.readouterr().out)["error"]
        assert error["code"] == _engine_code(name) == "accent_unknown"


@pytest.mark.slow
def test_api_and_engine_agree(tmp_path) -> None:
    with live_api(settings_for(tmp_path)) as client:
        for name in [*NAMES, *NOT_ACCENTS]:
            engine = _engine_code(name or "us")  # an empty form field is one not sent
            answer = client.post("/v1/assess", files={"audio": ("a.wav", NOT_AUDIO)},
                                 data={"text": TEXT, "accent": name})
            assert (answer.status_code, answer.json()["code"]) == (422, engine), name
            job = client.post("/v1/jobs", data={"accent": name})  # no files: refused after
            expected = "accent_unknown" if engine == "accent_unknown" else "invalid_request"
            assert (job.status_code, job.json()["code"]) == (422, expected), name
