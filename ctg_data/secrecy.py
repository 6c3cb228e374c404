"""Statistical secrecy: every rule that hides small counts of people, in one place.

Exports (tables), charts (points of a figure) and the bilan (tables and sentences) call these
functions; the threshold is the `seuil_secret` setting unless a source overrides it. Places and
rates reveal nobody and are never masked; counts of people strictly between 0 and the threshold
are, with a secondary rule so that no masked cell can be recomputed by difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ctg_data import formatting, settings


SECRET = "s"  # what a masked cell shows, as in INSEE and Caf tables


# Units that count people (or households): such values are subject to statistical secrecy.
# Capacities (places) and rates are not: a place reveals nobody.
_PEOPLE_WORDS = ("habitant", "naissance", "enfant", "jeune", "ménage", "famille", "foyer",
                 "allocataire", "personne", "parent", "demande", "bénéficiaire", "adhérent",
                 "participant", "usager", "questionnaire", "réponse", "répondant")


def secrecy_threshold(override: int | None = None) -> int:
    """The secrecy threshold: `override` (a per-source value) or the `seuil_secret` setting."""
    return int(override) if override is not None else int(settings.get("seuil_secret"))


def is_small_count(value, threshold: int) -> bool:
    """Whether a count of people must be hidden: a number strictly between 0 and `threshold`
    (zero reveals nobody; a missing or non-numeric value is not a count)."""
    number = pd.to_numeric(value, errors="coerce")
    return bool(not pd.isna(number) and 0 < number < threshold)


def is_count_unit(unite) -> bool:
    """Whether a free-text unit counts people (« familles », « enfants »), so that its small
    values are masked; rates (« % », « pour 100 ») and amounts are not counts."""
    text = str(unite or "").lower()
    if not text or any(mark in text for mark in ("%", "‰", "€", "pour ", "par ", "taux")):
        return False
    return any(word in text for word in _PEOPLE_WORDS)


def mask_small_counts(frame: pd.DataFrame, count_columns: Sequence[str],
                      threshold: int | None = None, *, total_columns: Sequence[str] = (),
                      total_rows: Sequence = (), count_rows: Sequence[int] | None = None
                      ) -> tuple[pd.DataFrame, str]:
    """Mask the small counts of `frame` for an export; return the masked copy and a French note
    (empty string when nothing was masked).

    Primary rule: a count of `count_columns` strictly between 0 and `threshold` (default: the
    `seuil_secret` setting; pass a value to override it for one source) is replaced by « s ».
    Zero is kept: it reveals nobody. In a mixed table (key figures: a population is a count, a
    rate is not), `count_rows` gives the positions of the rows that hold counts; the others are
    never masked by this rule.

    Secondary rule, so that no masked value can be recomputed by difference: `total_columns` are
    row sums of the other count columns, `total_rows` (index labels) are column sums of the other
    rows. In every such sum (its parts plus its total), when exactly one cell is masked, the
    smallest visible non-zero part is masked too — or the total, when no part is left. This is
    repeated until no sum has a single masked cell (a new mask in a row may expose a column).
    Missing values (NaN) are left as they are."""
    limit = secrecy_threshold(threshold)
    counts = [c for c in count_columns if c in frame.columns]
    totals_c = [c for c in total_columns if c in frame.columns]
    if totals_c and not set(totals_c) <= set(counts):
        counts += [c for c in totals_c if c not in counts]
    parts_c = [c for c in counts if c not in totals_c]
    # Work on row positions: the index may repeat labels.
    index = list(range(len(frame)))
    wanted_totals = set(total_rows)
    totals_r = [i for i, label in enumerate(frame.index) if label in wanted_totals]
    parts_r = [i for i in index if i not in totals_r]
    position = {c: frame.columns.get_loc(c) for c in counts}

    values = {(r, c): frame.iat[r, position[c]] for r in index for c in counts}
    rows = set(index if count_rows is None else count_rows)
    masked = {key for key, v in values.items() if key[0] in rows and is_small_count(v, limit)}
    primary = set(masked)

    def groups():
        """Each additive relation: (parts, totals) as lists of cell keys."""
        if totals_c:
            for r in index:
                yield [(r, c) for c in parts_c], [(r, c) for c in totals_c]
        if totals_r:
            for c in counts:
                yield [(r, c) for r in parts_r], [(r, c) for r in totals_r]

    def visible_number(key):
        number = pd.to_numeric(values[key], errors="coerce")
        return None if pd.isna(number) or key in masked else float(number)

    changed = True
    while changed:
        changed = False
        for parts, totals in groups():
            members = parts + totals
            if sum(k in masked for k in members) != 1:
                continue
            candidates = [(n, k) for k in parts if (n := visible_number(k)) not in (None, 0.0)]
            if candidates:
                masked.add(min(candidates, key=lambda t: t[0])[1])
            else:
                spare = [k for k in totals if visible_number(k) is not None]
                if not spare:
                    continue
                masked.add(spare[0])
            changed = True

    out = frame.copy()
    if not masked:
        return out, ""
    for c in {c for _, c in masked}:
        out[c] = out[c].astype(object)
    for r, c in masked:
        out.iat[r, position[c]] = SECRET
    note = (f"Effectifs inférieurs à {limit} masqués (secret statistique), "
            f"notés « {SECRET} ».")
    if masked - primary:
        note += (" D'autres cellules ou totaux sont masqués aussi pour qu'on ne puisse pas "
                 "retrouver les valeurs masquées par différence.")
    return out, note


# ---------------------------------------------------------------------------------------------
# Charts

SECRET_HOVER = f"{SECRET} (secret statistique)"


def secret_limit(options: dict) -> int | None:
    """The secrecy threshold asked for by the builder's options, or None on screen.

    ``secret=True`` (every export) uses the `seuil_secret` setting; an int is the threshold
    itself (a per-source override). The screen leaves it out: the editor sees exact values."""
    secret = options.get("secret")
    if secret is None or secret is False:
        return None
    return secrecy_threshold(None if secret is True else secret)


def protect(trace, counts, limit: int | None, hover: str) -> bool:
    """Hide on `trace` the points whose count of people (`counts`, one per point) is under
    `limit`: their text label becomes « s » and their hover text `hover` (a template that does
    not show the value). Returns whether a point was hidden. Places and rates are not people:
    only traces of people counts are passed here."""
    if limit is None:
        return False
    hidden = [is_small_count(v, limit) for v in counts]
    if not any(hidden):
        return False
    n = len(hidden)

    def per_point(value):
        if isinstance(value, (list, tuple)):
            return list(value)
        return [value] * n

    if trace.text is not None:
        trace.text = [SECRET if h else t for t, h in zip(per_point(trace.text), hidden)]
    if trace.customdata is not None:
        # The hover template of the visible points may read it; the hidden ones never do.
        trace.customdata = [None if h else row for row, h in
                            zip(per_point(trace.customdata), hidden)]
    trace.hovertemplate = [hover if h else t for t, h in
                           zip(per_point(trace.hovertemplate), hidden)]
    trace.meta = {"secret": True, "limit": int(limit)}
    return True


def figure_secret_note(fig) -> str:
    """The note added under a figure whose points were hidden by `protect` (empty otherwise)."""
    limits = {t.meta.get("limit") for t in fig.data
              if isinstance(t.meta, dict) and t.meta.get("secret")}
    if not limits:
        return ""
    return (f" Effectifs inférieurs à {max(limits)} masqués (secret statistique), "
            f"notés « {SECRET} ».")


# ---------------------------------------------------------------------------------------------
# Bilan

def mask_count_rows(frame: pd.DataFrame, columns: list[str], is_count: list[bool],
               threshold: int) -> tuple[pd.DataFrame, str]:
    """Mask the small values of `columns` on the rows flagged as counts (a mixed table such as
    the key figures: a population is a count, a rate is not)."""
    return mask_small_counts(frame, columns, threshold,
                                     count_rows=[i for i, flag in enumerate(is_count) if flag])


def mask_plan_values(values: pd.DataFrame, evaluation: pd.DataFrame, annee: int,
                      threshold: int) -> tuple[pd.DataFrame, str]:
    """Mask the small observed values (reference, latest) of the plan indicators that count
    people, in the values table of one axis; on such a row the achievement is masked too, in
    both tables, since with the reference and the target it gives the masked value back.
    The target is an objective, not an observation: it stays. `evaluation` (same rows, same
    order) is changed in place."""
    latest = f"Dernière valeur (≤ {annee})"
    out, note = mask_count_rows(values, ["Valeur de référence", latest],
                           [is_count_unit(u) for u in values["Unité"]], threshold)
    if not note:
        return values, ""
    hidden = [i for i in range(len(out)) if SECRET in
              (out.at[i, "Valeur de référence"], out.at[i, latest])]
    out["Atteinte (%)"] = out["Atteinte (%)"].astype(object)
    for i in hidden:
        out.at[i, "Atteinte (%)"] = SECRET
        # « En retard (42 %) » → « En retard » : the band says enough without the percentage.
        evaluation.iat[i, evaluation.columns.get_loc("Niveau d'atteinte")] = out.at[i, "Niveau"]
    return out, note + " L'atteinte de ces indicateurs est masquée aussi."


def count_text(value, threshold: int, singular: str, plural: str | None = None) -> str:
    """A count in a sentence, « s » when it would break statistical secrecy."""
    if is_small_count(value, threshold):
        return f"{SECRET} (secret statistique)"
    return formatting.fr_count(formatting.as_number(value), singular, plural)
