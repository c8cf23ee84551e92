"""The command line's front door: version and help text."""

import argparse

import pytest

import xner
from xner.cli import build_parser, main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"xner {xner.__version__}"


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [parser, *action.choices.values()]


@pytest.mark.parametrize("parser", subcommands(), ids=lambda p: p.prog)
def test_every_option_has_help_and_shows_its_default(parser):
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
            continue
        assert action.help, f"{parser.prog} {action.dest}: no help text"
        shown = action.required or action.default is None or action.default is False or f"(default: {action.default})" in " ".join(text.split())
        assert shown, f"{parser.prog} {action.dest}: default {action.default!r} not shown"
