"""The commands on the territories' data: `validate`, `import`, `template`, `export`,
`indicators`, `versions`, `restore`, `demo`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ctg_data.cli.common import (EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, CliError, actor,
                                 audit_export, code_option, load, open_store, plural,
                                 read_file, report_problems, say, territory, when, write_file)


def cmd_validate(args) -> int:
    """`validate FILE…`: 0 valid (warnings printed), 1 invalid, 2 unreadable."""
    from ctg_data.errors import UnreadableFile
    from ctg_data.workbook import load_workbook

    worst = EXIT_OK
    for path in args.files:
        name = Path(path).name
        try:
            report = load_workbook(read_file(path), name, territoire=code_option(args))
        except (UnreadableFile, CliError) as exc:
            say(f"{name} : {exc.message}")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        report_problems(report)
        if report.errors:
            say(f"{name} : {plural(len(report.errors), 'erreur')}, classeur non valide.")
            worst = max(worst, EXIT_INVALID)
        else:
            extra = f" ({plural(len(report.warnings), 'avertissement')})" if report.warnings \
                else ""
            territories = ", ".join(f"{d.nom} ({d.code})" for d in report.datasets)
            say(f"{name} : classeur valide{extra}"
                + (f" — {territories}." if territories else "."))
    return worst


def cmd_import(args) -> int:
    """`import FILE…`: same exit codes as validate; prints the new version's id."""
    from ctg_data.errors import UnreadableFile
    from ctg_data.importing import import_file

    store = open_store(args)
    # A file without a Territoire sheet (a one-sheet CSV) updates this stored territory.
    territoire = territory(store, args.territoire) if args.territoire else None
    worst = EXIT_OK
    for path in args.files:
        name = Path(path).name
        try:
            outcome = import_file(store, read_file(path), name, author=args.auteur,
                                  actor=actor(args), territoire=territoire)
        except (UnreadableFile, CliError) as exc:
            say(f"{name} : {exc.message}")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        if not outcome.report.ok:
            report_problems(outcome.report)
            say(f"{name} : {outcome.message}")
            worst = max(worst, EXIT_INVALID)
            continue
        for problem in outcome.report.warnings:
            say(f"Avertissement : {problem.as_line()}")
        say(f"{name} : {outcome.message}")
        for version_id in outcome.version_ids:
            print(f"Version créée : {version_id}")
    return worst


def cmd_template(args) -> int:
    """`template --out PATH`: the empty workbook with its instructions sheet."""
    from ctg_data.writing import template_workbook

    write_file(args.out, template_workbook(), "Modèle vide du classeur CTG")
    return EXIT_OK


def cmd_export(args) -> int:
    """`export --out PATH`: the stored data of a territory in the workbook format."""
    from ctg_data.writing import write_workbook

    store = open_store(args)
    if args.territoire:
        codes = [territory(store, args.territoire)]
    else:
        codes = [t.code for t in store.territories()]
        if not codes:
            territory(store, None)   # raises the "empty database" message
    datasets = [load(store, code) for code in codes]
    write_file(args.out, write_workbook(datasets),
               "Classeur de " + ", ".join(f"{d.nom} ({d.code})" for d in datasets))
    audit_export(store, [d.code for d in datasets], f"Classeur exporté : {args.out}")
    return EXIT_OK


def _latest_population_year(data) -> int | None:
    """The latest year whose Population row gives the population or the under-3s."""
    table = data.tables["population"]
    if table.empty:
        return None
    filled = table[table[["population", "enfants_0_2"]].notna().any(axis=1)]
    years = filled["annee"].dropna()
    return int(years.max()) if len(years) else None


def _indicators_all(args) -> int:
    """`indicators --tous`: the cross-territory table of one year (ctg_data.territories)."""
    from ctg_data import exports, secrecy, territories

    store = open_store(args)
    if not store.territories():
        territory(store, None)   # raises the "empty database" message
    tables = territories.load(store)
    annee = args.annee or territories.latest_population_year(tables)
    if annee is None:
        raise CliError.of("annee_population_absente", where="dans la base")
    table = territories.territory_table(tables, annee, args.cible,
                                        territories.stored_references(store, tables))
    if args.format == "json":
        content = json.dumps(territories.table_records(table), ensure_ascii=False, indent=2,
                             allow_nan=False).encode() + b"\n"
    else:
        # Files to share: small counts of people masked, as in the page's downloads.
        table, note = secrecy.mask_small_counts(table, territories.COUNT_COLUMNS)
        if note:
            say(note, file=sys.stderr)
        content = exports.table_to_csv(table) if args.format == "csv" else \
            exports.table_to_xlsx(table, title=f"Indicateurs des territoires, {annee}",
                                  source=territories.SOURCE,
                                  formats=territories.export_formats(), note=note or None)
    if args.out:
        write_file(args.out, content, f"Tableau des {plural(len(table), 'territoire')} ({annee})")
    elif args.format == "xlsx":
        raise CliError.of("xlsx_sans_fichier")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return EXIT_OK


def cmd_indicators(args) -> int:
    """`indicators --format json`: coverage, alerts and plan of one year; with `--tous`, the
    cross-territory table (one row per territory) as json, csv or xlsx."""
    from ctg_data.indicators import indicators_json

    if args.tous:
        if args.territoire:
            raise CliError.of("tous_avec_territoire")
        return _indicators_all(args)
    if args.format != "json":
        raise CliError.of("format_sans_tous")
    store = open_store(args)
    data = load(store, territory(store, args.territoire))
    annee = args.annee or _latest_population_year(data)
    if annee is None:
        raise CliError.of("annee_population_absente", where=f"pour {data.nom}")
    result = indicators_json(data, annee, args.cible)
    # indicators_json gives plain Python values, None for anything not computable.
    print(json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False))
    return EXIT_OK


def cmd_versions(args) -> int:
    """`versions`: the stored versions, newest first."""
    store = open_store(args)
    versions = store.versions()
    if not versions:
        print("Aucune version dans la base.")
        return EXIT_OK
    for v in versions:
        parts = [f"{v.id:>5}", when(v.created_at), f"{v.code} {v.nom}", v.kind]
        if v.file_name:
            parts.append(f"« {v.file_name} »")
        if v.author:
            parts.append(f"par {v.author}")
        if v.is_current:
            parts.append("(actuelle)")
        say("  ".join(parts))
    return EXIT_OK


def cmd_restore(args) -> int:
    """`restore VERSION`: a new current version copying an earlier one."""
    store = open_store(args)
    known = {v.id: v for v in store.versions()}
    old = known.get(args.version)
    if old is None:
        raise CliError.of("version_introuvable", version=args.version)
    new_id = store.restore(args.version, author=args.auteur, actor=actor(args))
    say(f"Version {args.version} rétablie pour {old.nom} ({old.code}) : "
        f"nouvelle version {new_id}.")
    print(f"Version créée : {new_id}")
    return EXIT_OK


def cmd_demo(args) -> int:
    """`demo`: load the Lys-lez-Lannoy example into the database."""
    from ctg_data.importing import import_example

    store = open_store(args)
    present = store.territories()
    if present:
        say(f"La base contient déjà {plural(len(present), 'territoire')} "
            f"({', '.join(f'{t.code} {t.nom}' for t in present)}) : l'exemple n'est pas "
            "importé.")
        return EXIT_OK
    outcome = import_example(store, actor=actor(args))
    if outcome is None:
        raise CliError.of("exemple_introuvable", EXIT_UNREADABLE)
    if not outcome.version_ids and not outcome.duplicate:
        report_problems(outcome.report)
        raise CliError.of("exemple_non_importe", detail=outcome.message)
    say(f"Base vide : classeur d'exemple importé. {outcome.message}")
    return EXIT_OK
