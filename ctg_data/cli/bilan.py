"""The `bilan` command: the yearly bilan report of a territory, in one of the formats of
`ctg_data.bilan`."""

from __future__ import annotations

from ctg_data.cli.common import (EXIT_OK, audit_export, load, open_store, territory,
                                 write_file)


def bilan_formats() -> tuple[str, ...]:
    """The formats the bilan can be produced in: the names of its renderers
    (`ctg_data.bilan.RENDERERS`), in their order."""
    from ctg_data import bilan

    return tuple(r.name for r in bilan.RENDERERS)


def cmd_bilan(args) -> int:
    """`bilan --format FORMAT` (a name of `bilan.RENDERERS`): the yearly bilan report."""
    store = open_store(args)
    data = load(store, territory(store, args.territoire))
    from ctg_data.bilan import build_bilan

    content = build_bilan(data, args.annee, args.format, store=store)
    write_file(args.out, content, f"Bilan {args.annee} ({args.format.upper()}) de {data.nom}")
    audit_export(store, [data.code], f"Bilan {args.annee} ({args.format}) : {args.out}")
    return EXIT_OK
