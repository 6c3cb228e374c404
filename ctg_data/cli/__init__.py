"""The command line: `python -m ctg_data COMMAND …`, for people and for a Caf's scripts.

Exit codes: 0 success (warnings are printed), 1 invalid data or a request that cannot be met
(errors printed one per line, in French), 2 unreadable file or unexpected failure. A Python
traceback is never shown: every failure ends as one French message, and a refusal is a
`CliError` whose `code` is its entry in the error catalogue (`ctg_data.errors`).

`main` runs it; `parser` declares the commands; the commands live by concept: `data`
(validate, import, template, export, indicators, versions, restore, demo), `references`
(opendata, references), `bilan`, `accounts` (comptes), `backups` (sauvegarde,
restauration); `common` holds what they share. Modules are imported inside the commands, so
that `--help` is instant and a failure while importing them still ends as a French message.
"""

from ctg_data.cli.common import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, CliError
from ctg_data.cli.main import main
from ctg_data.cli.parser import build_parser

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_UNREADABLE", "CliError", "build_parser", "main"]
