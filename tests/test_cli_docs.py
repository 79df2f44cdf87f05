"""docs/cli.md equals the program's --help, and every command's help ends with an example."""

from pathlib import Path

from terminal.clidoc import commands, help_text, render

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_cli_reference_is_the_programs_own_help():
    assert DOC.read_text() == render(), "docs/cli.md is out of date: run 'make docs'"


def test_every_command_help_ends_with_an_example():
    missing = [name for name, parser in commands()
               if "\nexample:\n  terminal " not in "\n" + help_text(parser).split("\n\n")[-1]]
    assert missing == [], "end these commands' help with terminal.cliopts.example(parser, ...):\n" + "\n".join(missing)
