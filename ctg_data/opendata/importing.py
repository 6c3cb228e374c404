"""Importing an open-data file into the store: Caf coverage rates join the reference table
(streamed in chunks, two editions of a figure both kept and their disagreements reported);
INSEE figures become a new version (kind "opendata") of a territory's Population sheet."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ctg_data.formatting import fr_number
from ctg_data.opendata.caf import CafTally, caf_chunks, caf_file, check_limits
from ctg_data.opendata.common import (LEFT_EMPTY, OpendataError, buffer, count, plural_s,
                                      years_text)
from ctg_data.opendata.detection import KINDS, detect
from ctg_data.opendata.population import apply_population, read_insee


@dataclass
class OpendataOutcome:
    """The result of `import_opendata`."""

    kind: str
    label: str
    message: str
    version_ids: list[int] = field(default_factory=list)
    reference_rows: int = 0
    notes: list[str] = field(default_factory=list)
    duplicate: bool = False                # nothing new: the figures were already stored
    # Figures on which the file's edition and another stored edition disagree (Caf files):
    # storage.CONFLICT_COLUMNS, and one French line each (`conflict_lines`).
    conflicts: pd.DataFrame | None = None
    conflict_lines: list[str] = field(default_factory=list)


def _stored_same(store, rows: pd.DataFrame) -> bool:
    """True when every row is already stored with the same value (missing = missing); only
    the stored rows of the same places are read."""
    stored = store.references(codes={rows["niveau"].iloc[0]: rows["code"].unique()},
                              editions=True)
    key = ["niveau", "code", "annee", "indicateur", "source", "edition"]
    merged = rows.merge(stored[[*key, "valeur"]], on=key, how="left", suffixes=("", "_base"),
                        indicator=True)
    same = (merged["_merge"] == "both") & (
        (merged["valeur"] == merged["valeur_base"])
        | (merged["valeur"].isna() & merged["valeur_base"].isna()))
    return bool(same.all())


def _already_stored(store, chunks) -> bool:
    """True when every row of every chunk is already stored with the same value. A new file
    is told at its first line (one small query), before any chunk is compared whole."""
    for rows in chunks:
        if rows.empty:
            continue
        first = rows.iloc[0]
        line = rows[(rows["code"] == first["code"]) & (rows["annee"] == first["annee"])]
        if not _stored_same(store, line) or not _stored_same(store, rows):
            return False
    return True


# Short French names of the coverage rates, for the conflict lines.
SHORT_LABELS = {
    "taux_couverture_global": "taux global", "taux_couverture_eaje": "taux EAJE",
    "taux_couverture_individuel": "taux accueil individuel",
    "taux_couverture_prescolarisation": "taux préscolarisation",
    "taux_couverture_psu": "taux EAJE PSU", "taux_couverture_hors_psu": "taux EAJE hors PSU",
    "taux_couverture_am": "taux assistantes maternelles",
    "taux_couverture_gad": "taux garde à domicile",
}


def conflict_lines(conflicts: pd.DataFrame | None) -> list[str]:
    """One French line per conflict (`Store.reference_conflicts`): « Nord, 2022, taux
    global : 61,6 (édition hist) → 60,3 (édition courante) », the value not shown first."""
    from ctg_data.references import edition_label

    if conflicts is None or conflicts.empty:
        return []

    def shown(value) -> str:
        return "valeur floutée" if pd.isna(value) else fr_number(float(value), 1)

    lines = []
    for r in conflicts.itertuples(index=False):
        place = str(r.nom).strip() if isinstance(r.nom, str) and r.nom.strip() else r.code
        lines.append(f"{place}, {int(r.annee)}, {SHORT_LABELS.get(r.indicateur, r.indicateur)}"
                     f" : {shown(r.valeur_autre)} (édition {edition_label(r.edition_autre)})"
                     f" → {shown(r.valeur_affichee)} "
                     f"(édition {edition_label(r.edition_affichee)})")
    return lines


def _import_caf(store, content, file_name: str, kind: str, content_hash: str,
                actor) -> OpendataOutcome:
    """Caf coverage rates into the reference table. Read in chunks twice at most (compare,
    then store): never the whole file in memory as rows, whatever its length within the
    limits."""
    check_limits(content, file_name)
    caf = caf_file(content, file_name)
    tally = CafTally()
    imports = store.reference_imports()
    # The same file as the last import: all its values are stored and still the newest.
    latest = bool(imports) and imports[0]["content_hash"] == content_hash
    if latest:
        for _chunk in caf_chunks(content, caf, tally):
            pass   # counted for the message and the notes
    if latest or _already_stored(store, caf_chunks(content, caf, tally)):
        if not tally.values:
            raise OpendataError.of("caf_aucun_taux", file=file_name)
        message = (f"{KINDS[kind]} : ces {count(tally.values, 'valeur')} sont déjà dans "
                   "la base, rien n'a changé.")
        return OpendataOutcome(kind, KINDS[kind], message, notes=tally.notes(),
                               duplicate=True)
    tally = CafTally()
    chunks = caf_chunks(content, caf, tally)
    import_id = store.save_references(chunks, file_name=file_name,
                                      content_hash=content_hash, actor=actor)
    for _chunk in chunks:
        pass   # a file stored before (same bytes) is not stored again: counted all the same
    n = tally.values
    message = (f"{KINDS[kind]}, édition {caf.edition} : {count(n, 'valeur')} "
               f"importée{plural_s(n)} pour {count(len(tally.codes), 'territoire')}, "
               f"années {years_text(tally.years)}.")
    conflicts = store.reference_conflicts(import_id=import_id)
    lines = conflict_lines(conflicts)
    if lines:
        shown = ", ".join(sorted(set(conflicts["edition_affichee"])))
        message += (f" {count(len(lines), 'valeur')} diff{'èrent' if len(lines) > 1 else 'ère'}"
                    " d'une autre édition déjà importée : les deux éditions sont gardées, "
                    f"la valeur affichée est celle de l'édition {shown} (l'édition qui "
                    "couvre l'année la plus récente, sauf choix contraire sur la page "
                    "Données).")
    return OpendataOutcome(kind, KINDS[kind], message, reference_rows=n,
                           notes=tally.notes(), conflicts=conflicts,
                           conflict_lines=lines)


def _target_territory(store, code: str | None) -> str:
    """The territory INSEE figures go to: `code`, or the only territory of the store."""
    if code is None:
        territories = store.territories()
        if not territories:
            raise OpendataError.of("donnees_ouvertes_base_vide")
        if len(territories) > 1:
            listed = ", ".join(f"{t.code} {t.nom}" for t in territories)
            raise OpendataError.of("donnees_ouvertes_territoire_a_preciser",
                                   territoires=listed)
        code = territories[0].code
    return str(code).strip()


def _import_insee(store, content, file_name: str, kind: str, content_hash: str, code,
                  author: str, actor) -> OpendataOutcome:
    """INSEE figures into a new version of the territory's Population sheet."""
    code = _target_territory(store, code)
    current = store.load(code)
    if current is None:
        raise OpendataError.of("donnees_ouvertes_territoire_absent", territoire=code)
    found = read_insee(content, file_name, code)
    if not found.figures:
        raise OpendataError.of("insee_aucune_valeur", file=file_name, commune=code,
                               notes=" ".join(found.notes))
    updated = apply_population(current, found.figures)
    from ctg_data.storage import changes_between

    changes = changes_between(current, updated, sheets={"population"})
    if not changes:
        message = (f"{KINDS[kind]} : les chiffres du fichier sont déjà ceux de la base, "
                   "aucune nouvelle version.")
        return OpendataOutcome(kind, KINDS[kind], message, notes=found.notes)
    filled = sum(len(v) for v in found.figures.values())
    summary = (f"{KINDS[kind]} : {count(filled, 'valeur')} de la feuille Population "
               f"({years_text(found.figures)}) depuis « {file_name} ».")
    left_missing = [n for n in found.notes if n.endswith(LEFT_EMPTY)]
    ids = store.save([updated], kind="opendata", author=author, actor=actor, file_name=file_name,
                     content_hash=content_hash, warnings=left_missing, changes=changes,
                     summary=summary)
    message = f"{summary} Version {ids[0]} créée."
    return OpendataOutcome(kind, KINDS[kind], message, version_ids=ids, notes=found.notes)


def import_opendata(store, content, file_name: str, code: str | None = None,
                    author: str = "", *, actor=None) -> OpendataOutcome:
    """Import an open-data file: Caf coverage rates go to the reference table
    (`store.save_references`); INSEE figures become a new version (kind "opendata") of
    territory `code` (or of the only territory of the store) with its Population filled.
    Raises errors.UnreadableFile (unrecognised file) or OpendataError (unusable as asked)."""
    if isinstance(content, (str, Path)):
        content = Path(content).read_bytes()
    content = buffer(content)
    kind = detect(content, file_name)
    content_hash = hashlib.sha256(content).hexdigest()
    if kind.startswith("caf_"):
        return _import_caf(store, content, file_name, kind, content_hash, actor)
    return _import_insee(store, content, file_name, kind, content_hash, code, author, actor)
