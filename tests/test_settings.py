"""The run settings are declared once (engine/settings.py): the command line's options, the
language server's configuration and the VS Code extension's manifest are derived from it."""

import json
import math

import pytest

from anvil.cli import build_parser
from engine.settings import SETTINGS, RunSettings, cli_flag, editor_key, editor_schema, from_args, from_editor
from tests.conftest import ROOT


def test_the_generated_setting_lists_are_in_sync():
    from scripts.sync_settings import targets

    stale = [str(path.relative_to(ROOT)) for path, wanted in targets()
             if not path.exists() or path.read_text(encoding="utf-8") != wanted]
    assert stale == [], "run scripts/sync_settings.py"


def test_the_extension_manifest_declares_exactly_the_editor_settings():
    manifest = json.loads((ROOT / "vscode-client" / "package.json").read_text())
    properties = manifest["contributes"]["configuration"]["properties"]
    mine = {k: v for k, v in properties.items() if not k.startswith(("anvil.server.", "anvil.trace."))}
    assert mine == editor_schema(), "run scripts/sync_settings.py"
    assert "anvil.server.path" in properties and "anvil.trace.server" in properties


def test_every_setting_is_a_generate_option_with_its_default_and_help():
    parser = build_parser()
    generate = next(a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith("generate"))
    options = {a.dest: a for a in generate._actions}
    for f in SETTINGS:
        action = options[f.name]
        assert cli_flag(f) in action.option_strings and action.default == f.default and action.help
    args = parser.parse_args(["generate", "x.md", "--samples", "6", "--feedback", "summary", "--call-timeout", "9"])
    settings = from_args(args)
    assert (settings.samples, settings.feedback, settings.call_timeout) == (6, "summary", 9.0)


@pytest.mark.parametrize("argv, words", [
    (["--temperature", "nan"], "finite"), (["--samples", "0"], ">= 1"), (["--timeout", "0"], "> 0"),
    (["--samples", "2.5"], "whole number"), (["--provider", "gpt"], "invalid choice"),
])
def test_bad_option_values_are_refused_with_the_limit(argv, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["generate", "x.md", *argv])
    assert exit_.value.code == 2 and words in capsys.readouterr().err


def test_the_editor_section_takes_every_key_with_its_default():
    raw = {editor_key(f): (f.default if f.default is not None else None) for f in SETTINGS if f.metadata["editor"]}
    settings, problems = from_editor(raw)
    assert problems == [] and settings == RunSettings()
    settings, problems = from_editor({"anvil": {"repairWidth": 3, "baseUrl": "http://h/v1", "budget": None}})
    assert problems == [] and settings.repair_width == 3 and settings.base_url == "http://h/v1"


@pytest.mark.parametrize("raw, words", [
    ({"samples": -3}, ">= 1"), ({"provider": "gpt"}, "one of local"), ({"timeout": 0}, "> 0"),
    ({"temperature": math.inf}, "finite"), ({"samples": True}, "whole number"), ({"model": 7}, "string"),
    ({"record": "x"}, "unknown setting"), ({"x" * 500: 1}, "unknown setting"),
])
def test_bad_editor_values_fall_back_and_say_why(raw, words):
    settings, problems = from_editor(raw)
    assert settings == RunSettings() and len(problems) == 1 and words in problems[0]
    assert len(problems[0]) < 200
