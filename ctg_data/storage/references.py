"""Reference figures (Caf and INSEE open data, long format) in the database: imports in
bulk by chunks, the editions of each source and the one shown where they disagree, reading
a territory's figures filtered in SQL, and the conflicts between editions. The bundled
national table and the comparisons live in `ctg_data.references`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ctg_data.storage.rights import audit_write, authorise_write
from ctg_data.storage.schema import (
    now_utc, reference_editions_t, reference_imports_t, reference_values_t,
)

if TYPE_CHECKING:  # accounts.py imports the storage package
    from ctg_data.accounts import Account

REFERENCE_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "valeur", "source", "edition")
# One published figure: the same key in two editions of a file (`txcouv_pe_dep` and
# `txcouv_pe_dep_hist`) is two stored values, of which one is shown (see Store.references).
REFERENCE_KEY = ("niveau", "code", "annee", "indicateur", "source")
# Within one edition a newer import replaces an older value with this key (a re-download).
EDITION_KEY = (*REFERENCE_KEY, "edition")
# The columns of `Store.reference_conflicts`: one row per edition not shown.
CONFLICT_COLUMNS = ("niveau", "code", "nom", "annee", "indicateur", "source",
                    "valeur_affichee", "edition_affichee", "valeur_autre", "edition_autre")

_REFERENCE_INSERT_COLUMNS = ("import_id", *REFERENCE_COLUMNS)
# Rows per INSERT batch, and bound parameters per SELECT (SQLite's historical limit is 999).
_INSERT_BATCH = 10_000
_MAX_PARAMS = 900
# Stands for a missing value when counting the distinct values of a figure (never a rate).
_MISSING_MARK = -999_999.0


class ReferencesMixin:
    """The reference-figure methods of `Store` (`self.engine` is the store's)."""

    def save_references(self, rows, *, file_name: str,
                        content_hash: str | None, actor: Account | None = None) -> int:
        """Store reference rows (long format, see REFERENCE_COLUMNS) from one file in one
        transaction; return the import id. `rows` is one DataFrame or an iterable of them (the
        chunks of a large file, inserted one after the other: memory stays bounded). A file
        already imported (same hash) is not stored again: its earlier import id is returned.
        Each row keeps its `edition`: two editions of the same figure are both stored (see
        `references` for the one shown). `actor` must be allowed to import reference figures
        (accounts.AccessDenied otherwise)."""
        acting, _ = authorise_write(actor, "references", ())
        chunks = [rows] if isinstance(rows, pd.DataFrame) else rows
        with self.engine.begin() as conn:
            if content_hash:
                earlier = conn.execute(sa.select(reference_imports_t.c.id).where(
                    reference_imports_t.c.content_hash == content_hash)).scalar()
                if earlier is not None:
                    return earlier
            import_id = conn.execute(sa.insert(reference_imports_t).values(
                file_name=file_name or "", content_hash=content_hash, created_at=now_utc(),
                row_count=0)).inserted_primary_key[0]
            count = 0
            spans: dict[tuple[str, str], tuple[int, int]] = {}
            for chunk in chunks:
                records = _reference_records(chunk, import_id)
                _insert_many(conn, reference_values_t, _REFERENCE_INSERT_COLUMNS, records)
                count += len(records)
                _edition_spans(chunk, spans)
            conn.execute(sa.update(reference_imports_t).where(
                reference_imports_t.c.id == import_id).values(row_count=count))
            _record_editions(conn, spans, import_id)
            audit_write(conn, acting, "references", None,
                        f"Import {import_id} : {count} valeurs de « {file_name} ».")
        return import_id

    def references(self, *, niveau: str | None = None, code: str | None = None,
                   codes=None, annee: int | None = None, editions: bool = False
                   ) -> pd.DataFrame:
        """Stored reference figures (columns REFERENCE_COLUMNS), one per niveau, code, année,
        indicateur and source: the value of the edition shown (`edition_ranks`: the edition
        the user prefers, else the one covering the most recent year, else the last imported;
        whatever the import order), and within an edition the newest import. With `editions`,
        one row per edition instead, and a boolean column `retenue` marking the one shown.
        Filtered in SQL by `niveau`, `code`, `annee` and `codes`: an iterable of codes (any
        level), or a mapping {niveau: codes} where None stands for every code of that level
        (`{"commune": ["59367"], "france": None}`). A territory's figures are a few hundred
        rows of a table that can hold a national file: never read the whole table to pick
        some."""
        t = reference_values_t
        query = sa.select(t.c.import_id, t.c.id, *(t.c[c] for c in REFERENCE_COLUMNS))
        if niveau is not None:
            query = query.where(t.c.niveau == niveau)
        if code is not None:
            query = query.where(t.c.code == str(code))
        if annee is not None:
            query = query.where(t.c.annee == int(annee))
        queries = ([query] if codes is None else
                   [query.where(sa.or_(*group)) for group in _code_conditions(codes)])
        found: list = []
        with self.engine.connect() as conn:
            for part in queries:
                found += conn.execute(part.order_by(t.c.import_id, t.c.id)).all()
        ranks = self.edition_ranks()
        frame = _reference_frame(found)
        if len(queries) > 1:
            # Several queries (long code lists): back to the import order, each row once.
            frame = frame.drop_duplicates("id").sort_values(["import_id", "id"], kind="stable")
        return _shown(frame, ranks, editions)

    def edition_ranks(self) -> dict[tuple[str, str], int]:
        """{(source, edition): rank}: for the same figure, the edition of highest rank is
        shown. Rank order: preferred by the user, then the edition covering the most recent
        year, then the one imported last. Read from `reference_editions` (a few rows); a
        database whose imports predate that table gets it filled from the values once."""
        e, i = reference_editions_t, reference_imports_t
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(e.c.source, e.c.edition, e.c.annee_max,
                                          e.c.import_id, e.c.preferred)).all()
            known = max((r.import_id for r in rows), default=0)
            latest = conn.execute(sa.select(sa.func.max(i.c.id)).where(
                i.c.row_count > 0)).scalar() or 0
        if latest > known:
            rows = self._backfill_editions(known)
        ordered = sorted(rows, key=lambda r: (bool(r.preferred), r.annee_max or 0,
                                              r.import_id or 0))
        return {(r.source, r.edition): rank for rank, r in enumerate(ordered)}

    def _backfill_editions(self, after: int) -> list:
        """Fill `reference_editions` from the values of the imports after `after` (imports
        stored before the table existed); return its rows."""
        t, e = reference_values_t, reference_editions_t
        query = (sa.select(t.c.source, t.c.edition, sa.func.min(t.c.annee),
                           sa.func.max(t.c.annee), sa.func.max(t.c.import_id))
                 .where(t.c.import_id > after).group_by(t.c.source, t.c.edition))
        with self.engine.begin() as conn:
            for source, edition, low, high, last in conn.execute(query).all():
                _record_editions(conn, {(source or "", edition or ""): (low, high)}, last)
            return conn.execute(sa.select(e.c.source, e.c.edition, e.c.annee_max,
                                          e.c.import_id, e.c.preferred)).all()

    def reference_editions(self) -> list[dict]:
        """The editions of the stored reference figures: source, edition, annee_min,
        annee_max, import_id (its last import), file_name and created_at (of that import),
        preferred (marked by the user) and shown (the edition whose values are shown when
        editions of the same source disagree), sorted by source then most recent first."""
        ranks = self.edition_ranks()
        e, i = reference_editions_t, reference_imports_t
        query = (sa.select(e.c.source, e.c.edition, e.c.annee_min, e.c.annee_max,
                           e.c.import_id, e.c.preferred, i.c.file_name, i.c.created_at)
                 .select_from(e.outerjoin(i, i.c.id == e.c.import_id)))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        best: dict[str, int] = {}
        for r in rows:
            rank = ranks.get((r["source"], r["edition"]), -1)
            best[r["source"]] = max(best.get(r["source"], -1), rank)
        for r in rows:
            r["preferred"] = bool(r["preferred"])
            r["shown"] = ranks.get((r["source"], r["edition"]), -1) == best[r["source"]]
        return sorted(rows, key=lambda r: (r["source"], -ranks.get((r["source"],
                                                                     r["edition"]), -1)))

    def set_preferred_edition(self, source: str, edition: str | None, *,
                              actor: Account | None = None) -> None:
        """Mark `edition` as the preferred edition of `source` (its values are shown where
        editions disagree), or with None go back to the default (the edition covering the most
        recent year). Changes `reference_version()`. Same right as importing references."""
        acting, _ = authorise_write(actor, "references", ())
        e = reference_editions_t
        with self.engine.begin() as conn:
            names = {r[0] for r in conn.execute(sa.select(e.c.edition).where(
                e.c.source == source))}
            if edition is not None and edition not in names:
                raise ValueError(f"Édition inconnue pour « {source} » : « {edition} ».")
            step = (conn.execute(sa.select(sa.func.max(e.c.changed))).scalar() or 0) + 1
            conn.execute(sa.update(e).where(e.c.source == source).values(
                preferred=False, changed=step))
            if edition is not None:
                conn.execute(sa.update(e).where(e.c.source == source,
                                                e.c.edition == edition).values(preferred=True))
            audit_write(conn, acting, "references", None,
                        f"Édition préférée de « {source} » : « {edition} »." if edition else
                        f"Édition par défaut pour « {source} ».")

    def reference_conflicts(self, *, import_id: int | None = None, codes=None
                            ) -> pd.DataFrame:
        """The figures on which two editions disagree (values differ, or one is missing):
        columns niveau, code, nom, annee, indicateur, source, valeur_affichee,
        edition_affichee, valeur_autre, edition_autre — one row per edition not shown.
        `import_id`: the editions of that import against the other editions of the same
        source, on the years they share (read in SQL by source, edition and year); `codes`
        (as in `references`): the places of a territory."""
        if codes is not None:
            return _conflicts(self.references(codes=codes, editions=True))
        ranks = self.edition_ranks()
        t, e = reference_values_t, reference_editions_t
        parts = []
        with self.engine.connect() as conn:
            editions = conn.execute(sa.select(e.c.source, e.c.edition, e.c.annee_min,
                                              e.c.annee_max, e.c.import_id)).all()
            mine = [r for r in editions if import_id is None or r.import_id == import_id]
            for m in mine:
                others = [o for o in editions if o.source == m.source
                          and o.edition != m.edition and o.annee_min is not None
                          and m.annee_min is not None and o.annee_min <= m.annee_max
                          and m.annee_min <= o.annee_max]
                if not others:
                    continue
                low = max(m.annee_min, min(o.annee_min for o in others))
                high = min(m.annee_max, max(o.annee_max for o in others))
                where = (t.c.source == m.source, t.c.annee.between(low, high),
                         t.c.edition.in_([m.edition, *(o.edition for o in others)]))
                # A national file is half a million rows per edition: the database first
                # finds the places where the stored values of a figure are not all equal (a
                # superset of the conflicts), then only their rows are read, without names.
                differing = (sa.select(t.c.niveau, t.c.code).where(*where)
                             .group_by(t.c.niveau, t.c.code, t.c.annee, t.c.indicateur)
                             .having(sa.func.count(sa.distinct(
                                 sa.func.coalesce(t.c.valeur, _MISSING_MARK))) > 1)
                             .subquery())
                places = conn.execute(sa.select(differing.c.niveau, differing.c.code)
                                      .distinct()).all()
                found = []
                for niveau in sorted({p.niveau for p in places}):
                    wanted = sorted({p.code for p in places if p.niveau == niveau})
                    for i in range(0, len(wanted), _MAX_PARAMS):
                        found += conn.execute(
                            sa.select(t.c.import_id, t.c.id, t.c.niveau, t.c.code, t.c.annee,
                                      t.c.indicateur, t.c.valeur, t.c.edition)
                            .where(*where, t.c.niveau == niveau,
                                   t.c.code.in_(wanted[i:i + _MAX_PARAMS]))).all()
                found.sort(key=lambda r: (r[0], r[1]))          # import order
                names = ["import_id", "id", "niveau", "code", "annee", "indicateur", "valeur",
                         "edition"]
                columns = list(zip(*found)) if found else [()] * len(names)
                part = pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in
                                     zip(names, columns)}).assign(source=m.source, nom="")
                conflicts = _conflicts(_shown(part, ranks, True))
                if len(conflicts):
                    conflicts["nom"] = self._place_names(conn, m.source, conflicts)
                parts.append(conflicts)
        parts = [p for p in parts if len(p)]
        if not parts:
            return _conflicts(pd.DataFrame())
        return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)

    @staticmethod
    def _place_names(conn, source: str, conflicts: pd.DataFrame) -> list[str]:
        """The names of the places of `conflicts` (one source), as the files give them."""
        t = reference_values_t
        names: dict = {}
        for niveau, part in conflicts.groupby("niveau"):
            wanted = sorted(set(part["code"]))
            for i in range(0, len(wanted), _MAX_PARAMS):
                query = (sa.select(t.c.code, t.c.nom).distinct()
                         .where(t.c.source == source, t.c.niveau == niveau,
                                t.c.code.in_(wanted[i:i + _MAX_PARAMS])))
                for code, nom in conn.execute(query):
                    if nom:
                        names.setdefault((niveau, code), nom)
        return [names.get((n, c), "") for n, c in zip(conflicts["niveau"], conflicts["code"])]

    def reference_version(self) -> int:
        """A number that changes with every reference import and every change of preferred
        edition (the last import id plus the number of preference changes; 0 when nothing was
        imported), so that what is computed from the references can be cached on it."""
        with self.engine.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(reference_imports_t.c.id))).scalar()
            changed = conn.execute(sa.select(sa.func.max(reference_editions_t.c.changed))
                                   ).scalar()
        return int(last or 0) + int(changed or 0)

    def reference_places(self, niveaux) -> pd.DataFrame:
        """The distinct places of the stored reference figures of the levels `niveaux`:
        niveau, code, nom and `valeurs` (how many values that are not missing), without
        reading the values themselves (to find an EPCI by its name)."""
        t = reference_values_t
        query = (sa.select(t.c.niveau, t.c.code, t.c.nom, sa.func.count(t.c.valeur))
                 .where(t.c.niveau.in_(list(niveaux))).group_by(t.c.niveau, t.c.code, t.c.nom))
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).all(),
                                columns=["niveau", "code", "nom", "valeurs"])

    def reference_imports(self) -> list[dict]:
        """The reference imports, newest first: id, file_name, content_hash, created_at,
        row_count."""
        t = reference_imports_t
        query = sa.select(t.c.id, t.c.file_name, t.c.content_hash, t.c.created_at,
                          t.c.row_count).order_by(t.c.id.desc())
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


# -- reference rows in bulk (save_references, references) ---------------------------------------


def _text_column(frame: pd.DataFrame, name: str, clean=None) -> list[str]:
    """Column `name` as text, missing values (None, NaN, absent column) as "", `clean`
    applied. Each distinct value is converted once and shared by its rows: a national file
    repeats its source and edition on 500 000 rows."""
    if name not in frame.columns:
        return [clean("") if clean else ""] * len(frame)
    codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
    texts = ["" if v is None or v != v else str(v) for v in uniques.tolist()]
    if clean is not None:
        texts = [clean(v) for v in texts]
    texts.append("")                # index -1: the missing values
    return np.asarray(texts, dtype=object)[codes].tolist()


def _reference_records(rows: pd.DataFrame, import_id: int) -> list[tuple]:
    """Plain tuples (in the order of _REFERENCE_INSERT_COLUMNS) of long reference rows, built
    column by column: a national file has hundreds of thousands of rows."""
    missing = [c for c in ("niveau", "code", "annee", "indicateur", "valeur")
               if c not in rows.columns]
    if missing:
        raise ValueError("Colonnes manquantes dans les données de référence : "
                         + ", ".join(missing) + ".")
    if rows["annee"].isna().any():
        raise ValueError("Chaque donnée de référence doit avoir une année.")
    if rows.empty:
        return []
    niveau = _text_column(rows, "niveau", lambda v: v.strip().lower())
    code = _text_column(rows, "code", str.strip)
    annee = pd.to_numeric(rows["annee"]).astype("int64").tolist()
    valeur = pd.to_numeric(rows["valeur"], errors="coerce").astype("float64")
    if np.isinf(valeur.to_numpy()).any():
        raise ValueError("Valeur infinie impossible à enregistrer.")
    valeur = [None if v != v else v for v in valeur.tolist()]   # NaN -> NULL
    return list(zip([import_id] * len(rows), niveau, code, _text_column(rows, "nom"), annee,
                    _text_column(rows, "indicateur"), valeur, _text_column(rows, "source"),
                    _text_column(rows, "edition")))


def _edition_spans(rows: pd.DataFrame, spans: dict) -> None:
    """Add to `spans` {(source, edition): (first year, last year)} the years of `rows` (one
    chunk), by whole columns."""
    if rows.empty:
        return
    frame = pd.DataFrame({
        name: (rows[name].fillna("").astype(str) if name in rows.columns else "")
        for name in ("source", "edition")} | {"annee": pd.to_numeric(rows["annee"])})
    for (source, edition), low, high in frame.groupby(["source", "edition"])["annee"] \
            .agg(["min", "max"]).itertuples(name=None):
        old = spans.get((source, edition))
        low, high = int(low), int(high)
        spans[(source, edition)] = (low, high) if old is None else \
            (min(old[0], low), max(old[1], high))


def _record_editions(conn, spans: dict, import_id: int) -> None:
    """Create or widen the `reference_editions` rows of `spans` (years of one import)."""
    e = reference_editions_t
    for (source, edition), (low, high) in spans.items():
        row = conn.execute(sa.select(e.c.id, e.c.annee_min, e.c.annee_max).where(
            e.c.source == source, e.c.edition == edition)).first()
        if row is None:
            conn.execute(sa.insert(e).values(source=source, edition=edition, annee_min=low,
                                             annee_max=high, import_id=import_id,
                                             preferred=False, changed=0))
        else:
            conn.execute(sa.update(e).where(e.c.id == row.id).values(
                annee_min=min(low, row.annee_min if row.annee_min is not None else low),
                annee_max=max(high, row.annee_max if row.annee_max is not None else high),
                import_id=max(import_id, 0)))


def _reference_frame(found: list) -> pd.DataFrame:
    """Rows read from `reference_values` (import_id, id, REFERENCE_COLUMNS), built column
    by column: 3× faster than a DataFrame built from row objects."""
    names = ["import_id", "id", *REFERENCE_COLUMNS]
    columns = list(zip(*found)) if found else [()] * len(names)
    return pd.DataFrame({n: pd.Series(c) for n, c in zip(names, columns)})


def _shown(frame: pd.DataFrame, ranks: dict, editions: bool) -> pd.DataFrame:
    """The values shown from rows in import order (see Store.references): the edition of
    highest rank of each figure, and within it the newest import; with `editions`, the newest
    import of every edition and a `retenue` column. By whole columns (a national file is half
    a million rows): one stable sort on the rank, one drop_duplicates."""
    if ranks and len(frame):
        # A few editions for many rows: number the (source, edition) pairs, rank each once.
        pairs = frame[["source", "edition"]].fillna("")
        group = pairs.groupby(["source", "edition"], sort=False).ngroup().to_numpy()
        firsts = pairs.drop_duplicates()          # the groups, in the order ngroup numbers them
        lookup = np.array([ranks.get((s, e), -1) for s, e in firsts.itertuples(index=False)])
        rank = lookup[group]
        if len(set(lookup.tolist())) > 1:
            # Stable: within an edition (same rank) the import order is kept.
            frame = frame.iloc[np.argsort(rank, kind="stable")]
    if editions:
        kept = frame.drop_duplicates(list(EDITION_KEY), keep="last")
        kept = kept.assign(retenue=~kept.duplicated(list(REFERENCE_KEY), keep="last"))
        frame = kept.sort_values(["import_id", "id"], kind="stable")
    else:
        frame = frame.drop_duplicates(list(REFERENCE_KEY), keep="last")
        if frame["import_id"].is_monotonic_increasing is False:
            frame = frame.sort_values(["import_id", "id"], kind="stable")
    frame = frame.drop(columns=["import_id", "id"]).reset_index(drop=True)
    frame["annee"] = frame["annee"].astype("int64")
    frame["valeur"] = pd.to_numeric(frame["valeur"]).astype("float64")
    return frame


def _conflicts(frame: pd.DataFrame) -> pd.DataFrame:
    """From one row per edition (`retenue` marking the shown one), the editions not shown
    whose value differs from the shown one (a missing value against a value differs)."""
    if frame.empty or "retenue" not in frame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CONFLICT_COLUMNS})
    key = list(REFERENCE_KEY)
    shown = frame[frame["retenue"]][[*key, "nom", "valeur", "edition"]].rename(
        columns={"valeur": "valeur_affichee", "edition": "edition_affichee"})
    other = frame[~frame["retenue"]][[*key, "valeur", "edition"]].rename(
        columns={"valeur": "valeur_autre", "edition": "edition_autre"})
    both = shown.merge(other, on=key, how="inner")
    a, b = both["valeur_affichee"], both["valeur_autre"]
    differ = (a != b) & ~(a.isna() & b.isna())
    both = both[differ].sort_values(["niveau", "code", "annee", "indicateur",
                                     "edition_autre"], kind="stable")
    return both[list(CONFLICT_COLUMNS)].reset_index(drop=True)


def _insert_many(conn, table: sa.Table, columns, records: list[tuple]) -> None:
    """Insert plain tuples in batches: through the driver's executemany when its parameter
    style is positional (3× faster than SQLAlchemy's per-row dictionaries), else as dicts."""
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([marker] * len(columns))})") if marker else None
    for start in range(0, len(records), _INSERT_BATCH):
        batch = records[start:start + _INSERT_BATCH]
        if sql is not None:
            conn.exec_driver_sql(sql, batch)
        else:
            conn.execute(sa.insert(table), [dict(zip(columns, r)) for r in batch])


def _code_conditions(codes) -> list[list]:
    """WHERE conditions for `Store.references(codes=...)`, grouped so that one query binds at
    most _MAX_PARAMS codes."""
    t = reference_values_t
    if isinstance(codes, dict):
        wanted = {str(n): None if c is None else sorted({str(x) for x in c})
                  for n, c in codes.items()}
    else:
        wanted = {None: sorted({str(x) for x in codes})}
    groups: list[list] = []
    current: list = []
    size = 0
    for niveau, values in wanted.items():
        level = [] if niveau is None else [t.c.niveau == niveau]
        parts = ([sa.and_(*level)] if values is None else
                 [sa.and_(*level, t.c.code.in_(values[i:i + _MAX_PARAMS]))
                  for i in range(0, len(values), _MAX_PARAMS)])
        for part, count in zip(parts, [1] if values is None else
                               [len(values[i:i + _MAX_PARAMS])
                                for i in range(0, len(values), _MAX_PARAMS)]):
            if current and size + count > _MAX_PARAMS:
                groups.append(current)
                current, size = [], 0
            current.append(part)
            size += count
    if current:
        groups.append(current)
    return groups
