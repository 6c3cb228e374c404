"""The like-for-like change of a coverage rate between an earlier year and this one: on the
components counted in both years only; the year compared; the change in one French phrase."""

from __future__ import annotations

from dataclasses import dataclass

from ctg_data.formatting import fr_number, fr_signed
from ctg_data.indicators.coverage import Coverage, coverage
from ctg_data.model import CtgData

# The components of each rate, in the order the global rate adds them (rates_from_components).
RATE_COMPONENTS = {
    "global": ("eaje_psu", "eaje_hors_psu", "prescolarisation", "am", "gad"),
    "eaje": ("eaje_psu", "eaje_hors_psu"),
    "individuel": ("am", "gad"),
    "prescolarisation": ("prescolarisation",),
}
# Short French names of the components in an evolution's explanation (both EAJE parts are
# « EAJE »: they are always counted, 0 when there is none).
_SHORT_NAMES = {"eaje_psu": "EAJE", "eaje_hors_psu": "EAJE", "am": "assistantes maternelles",
                "gad": "garde à domicile", "prescolarisation": "préscolarisation"}
_FEMININE_ARTICLE = {"garde à domicile": "la ", "préscolarisation": "la ",
                     "assistantes maternelles": "les ", "EAJE": "les "}
# The sheets whose rows hold the inputs of a year's coverage (the years an evolution compares).
COVERAGE_SHEETS = ("population", "equipements", "assistantes_maternelles",
                   "accueil_petite_enfance")


def _names(keys) -> str:
    """« EAJE, assistantes maternelles et garde à domicile » (each name once)."""
    names = list(dict.fromkeys(_SHORT_NAMES[k] for k in keys))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _with_articles(keys) -> str:
    names = list(dict.fromkeys(_SHORT_NAMES[k] for k in keys))
    parts = [_FEMININE_ARTICLE.get(n, "") + n for n in names]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


@dataclass(frozen=True)
class RateChange:
    """The change of one coverage rate between an earlier year and this one, like for like.

    `value` (points) compares the same components in both years: those present in both
    (`components`); None when no comparison is honest (`reason` says why). `partial` is True
    when the rate shown this year counts components left out of the comparison; `before`
    and `now` are the two rates on the compared components."""

    value: float | None
    annee_precedente: int | None
    components: tuple[str, ...] = ()
    comparable: bool = False
    partial: bool = False
    before: float | None = None
    now: float | None = None
    reason: str | None = None

    @property
    def qualifier(self) -> str:
        """« à composantes égales (EAJE et assistantes maternelles) » when partial, else «»."""
        return f"à composantes égales ({_names(self.components)})" if self.partial else ""


def _rate_on(cov: Coverage, keys) -> float | None:
    """100 × the places of `keys` / children, added in the global rate's order (so that on
    all the components it is the very float of `cov.taux`)."""
    parts = [100 * cov.places[k] / cov.enfants_moins_3_ans for k in keys]
    return sum(parts) if parts else None


def coverage_change(now: Coverage, before: Coverage | None,
                    key: str = "global") -> RateChange:
    """The like-for-like change of rate `key` (global, eaje, individuel, prescolarisation)
    from `before` to `now`: on the components counted in both years only, never a rate that
    counts a component against one that lacks it. The reason (French) says which components
    were left out, or why no change is given."""
    if before is None:
        return RateChange(None, None, reason="aucune année antérieure renseignée")
    y0, y1 = before.annee, now.annee
    if now.taux.get(key) is None:
        return RateChange(None, y0, reason=f"taux de {y1} non calculable")
    if not before.enfants_moins_3_ans:
        return RateChange(None, y0, reason=f"taux de {y0} non calculable")
    keys = RATE_COMPONENTS[key]
    present_now = [k for k in keys if now.places.get(k) is not None]
    present_before = [k for k in keys if before.places.get(k) is not None]
    common = tuple(k for k in present_now if k in present_before)
    lacking = [k for k in present_now if k not in present_before]   # missing earlier
    dropped = [k for k in present_before if k not in present_now]   # missing this year
    missing_text = []
    for keys, there, absent, where, gone in ((lacking, "compté", "renseigné", y1, y0),
                                             (dropped, "renseigné", "compté", y0, y1)):
        if keys:
            # The optional components are feminine (garde, préscolarisation, assistantes).
            many = len({_SHORT_NAMES[k] for k in keys}) > 1
            end, verb = ("es", "ne sont") if many else ("e", "n'est")
            missing_text.append(f"{_with_articles(keys)}, {there}{end} en {where}, {verb} "
                                f"pas {absent}{end} en {gone}")
    missing = " ; ".join(missing_text)
    if not common:
        return RateChange(None, y0, reason=f"pas de comparaison possible : {missing}")
    partial = bool(lacking or dropped)
    rate_now = now.taux[key] if not lacking and not dropped else _rate_on(now, common)
    rate_before = before.taux[key] if not lacking and not dropped else _rate_on(before, common)
    if not partial:
        return RateChange(rate_now - rate_before, y0, common, True, False, rate_before, rate_now)
    reason = (f"évolution calculée à composantes égales ({_names(common)} : "
              f"{fr_number(rate_before, 1)} en {y0}, {fr_number(rate_now, 1)} en {y1}) car "
              f"{missing}")
    return RateChange(rate_now - rate_before, y0, common, True, True, rate_before, rate_now,
                      reason)


def previous_year(data: CtgData, annee: int) -> int | None:
    """The latest year before `annee` for which a coverage sheet (Population, Équipements
    with an `Année`, Assistantes maternelles, Accueil petite enfance) has a row: the year
    an evolution compares with (the same rule as the cross-territory table)."""
    years = set()
    for key in COVERAGE_SHEETS:
        years.update(int(y) for y in data.table(key)["annee"].dropna() if int(y) < int(annee))
    return max(years) if years else None


def previous_coverage(data: CtgData, annee: int, cible=None) -> Coverage | None:
    """The coverage of `previous_year(data, annee)`, or None when there is none."""
    year = previous_year(data, annee)
    return None if year is None else coverage(data, year, cible)


def change_sentence(change: RateChange, unit: str = "point") -> str:
    """The change in one French phrase for a text: « −0,2 point depuis 2022, évolution
    calculée à composantes égales (…) car … », « stable depuis 2022 », or why there is none."""
    if change.value is None:
        return (f"évolution depuis {change.annee_precedente} non calculée : {change.reason}"
                if change.annee_precedente else "pas d'année antérieure pour comparer")
    rounded = round(change.value, 1)
    if rounded == 0:
        text = f"stable depuis {change.annee_precedente}"
    else:
        text = f"{fr_signed(change.value, 1, unit)} depuis {change.annee_precedente}"
    if change.partial:
        text += f", {change.reason}"
    return text

