"""`main`: parse the command line, run the command, turn every failure into one French line
and an exit code."""

from __future__ import annotations

import sys
import warnings

from ctg_data.cli.common import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, CliError, say
from ctg_data.cli.parser import build_parser


def _database_errors() -> tuple:
    """The store's exceptions whose message is for people (StorageError, EditConflict)."""
    try:
        from ctg_data.storage import EditConflict, StorageError
    except Exception:  # noqa: BLE001 — storage itself failed to import: the generic message
        return ()
    return (StorageError, EditConflict)


def _unexpected(exc: Exception) -> int:
    """An exception no command expected: one French line, never a traceback."""
    message = getattr(exc, "message", None)
    try:
        from ctg_data.errors import UnreadableFile

        if isinstance(exc, UnreadableFile):
            say(message or str(exc), file=sys.stderr)
            return EXIT_UNREADABLE
    except Exception:  # noqa: BLE001 — errors.py itself may be what failed
        pass
    say(f"Erreur inattendue ({type(exc).__name__}) : {message or exc}", file=sys.stderr)
    return EXIT_UNREADABLE


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (never raises, never prints a traceback)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:          # --help (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None \
            else EXIT_UNREADABLE
    except Exception as exc:  # noqa: BLE001 — e.g. the bilan's formats failed to load
        return _unexpected(exc)
    # Library warnings (pandas, openpyxl) are for developers; users get French messages.
    warnings.simplefilter("ignore")
    try:
        return args.func(args)
    except CliError as exc:
        say(exc.message, file=sys.stderr)
        return exc.exit_code
    except _database_errors() as exc:  # read-only, full, locked, corrupt, stale: French
        say(exc.message, file=sys.stderr)
        return EXIT_INVALID if type(exc).__name__ in ("EditConflict", "StalePreview") \
            else EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 — the promise: one French line, never a traceback
        return _unexpected(exc)
