"""The commands on open data and reference values: `opendata` (import a Caf or INSEE file),
`references` (the values as the application shows them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ctg_data.cli.common import (EXIT_OK, CliError, actor, open_store, read_file, say,
                                 territory)

CONFLICT_LINES_SHOWN = 100


def cmd_opendata(args) -> int:
    """`opendata FILE`: import a Caf or INSEE open-data file."""
    from ctg_data.opendata import OpendataError, detect, import_opendata

    content = read_file(args.file)
    name = Path(args.file).name
    kind = detect(content, name)
    store = open_store(args)
    code = territory(store, args.territoire) if kind.startswith("insee_") else None
    try:
        outcome = import_opendata(store, content, name, code=code, author=args.auteur,
                                  actor=actor(args))
    except OpendataError as exc:
        raise CliError.wrap(exc) from None
    for note in outcome.notes:
        say(f"  {note}")
    say(outcome.message)
    # Values on which this edition and a stored one disagree (the value not shown first).
    for line in outcome.conflict_lines[:CONFLICT_LINES_SHOWN]:
        say(f"  {line}")
    if len(outcome.conflict_lines) > CONFLICT_LINES_SHOWN:
        say(f"  … et {len(outcome.conflict_lines) - CONFLICT_LINES_SHOWN} autres (python -m "
            "ctg_data references donne les valeurs affichées).")
    for version_id in outcome.version_ids:
        print(f"Version créée : {version_id}")
    return EXIT_OK


def cmd_references(args) -> int:
    """`references [--niveau N] [--code C] [--annee A] --format json|csv`: the reference
    values as the application shows them (one edition per figure), one object per value with
    the keys niveau, code, nom, annee, indicateur, valeur, source, edition."""
    from ctg_data import exports
    from ctg_data.opendata import caf_code
    from ctg_data.references import NIVEAU_NAMES, shown_references

    store = open_store(args)
    code = (args.code or "").strip() or None
    if code is not None and args.niveau in ("commune", "departement", "region"):
        code = caf_code(NIVEAU_NAMES[args.niveau], code)   # 1065 -> 01065, 1 -> 01
    elif code is not None and args.niveau == "national":
        code = code.upper()
    frame = shown_references(store, niveau=args.niveau, code=code, annee=args.annee)
    columns = ["niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition"]
    frame = frame[columns]
    if args.format == "json":
        records = [{"niveau": r.niveau, "code": r.code, "nom": r.nom or "",
                    "annee": int(r.annee), "indicateur": r.indicateur,
                    "valeur": None if r.valeur != r.valeur else float(r.valeur),
                    "source": r.source or "", "edition": r.edition or ""}
                   for r in frame.itertuples(index=False)]
        content = json.dumps(records, ensure_ascii=False, indent=2,
                             allow_nan=False).encode() + b"\n"
    else:
        # For French Excel, as every CSV of the application: `;`, decimal comma; a rate keeps
        # its published tenth (60,0, not 60), no digit is lost.
        frame = frame.assign(valeur=[
            None if v != v else (f"{v:.1f}" if round(v, 1) == v else repr(float(v)))
            .replace(".", ",") for v in frame["valeur"]])
        content = exports.table_to_csv(frame)
    sys.stdout.buffer.write(content)
    sys.stdout.flush()
    return EXIT_OK
