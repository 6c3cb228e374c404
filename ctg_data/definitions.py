"""Indicator definitions as data (in the spirit of DHIS2 and TolaData).

Each indicator has a code, a French label, a definition, its formula (numerator, denominator,
factor), unit, direction, source and the years it can be computed for. The UI, the bilan and the
CLI read their labels and methodology text from here; `ctg_data.indicators` computes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import re
import unicodedata

from ctg_data.formatting import fr_number
from ctg_data.schemas import PERIODES_ALSH, SHEETS_BY_KEY

# Hours a child spends per day of ALSH opening, to turn places × days into hours offered.
ALSH_HOURS_PER_DAY = 8.0

CNAF_SOURCE = ("Cnaf – Observatoire national de la petite enfance (ONAPE) ; données locales du "
               "classeur CTG")
CLASSEUR = "Classeur CTG du territoire"
INSEE = "INSEE (recensement, état civil) saisi dans le classeur CTG"


@dataclass(frozen=True)
class IndicatorDefinition:
    """One indicator: what it measures, how it is computed, where its inputs come from.

    `sens` is "hausse" (higher is better), "baisse" (lower is better) or None (neither, e.g. a
    population count). `reference_nationale` says whether a published national value exists to
    compare with. `facteur` multiplies numerator / denominator (100 for a rate in %, 1000 for ‰).
    `numerateur` and `denominateur` say the terms in French; a portrait indicator also names
    the Population columns it is computed from: `colonne_numerateur` (the value itself when
    `colonne_denominateur` is None), else `facteur` × numerator / denominator.
    """

    code: str
    libelle: str
    definition: str
    numerateur: str | None
    denominateur: str | None
    facteur: float | None
    unite: str
    sens: str | None
    source: str
    annees: str
    reference_nationale: bool = False
    note: str = ""
    domaine: str = ""
    colonne_numerateur: str | None = None
    colonne_denominateur: str | None = None

    def __post_init__(self):
        assert self.sens in ("hausse", "baisse", None), self.sens
        # A ratio of two columns needs both columns and its factor.
        assert self.colonne_denominateur is None or (
            self.colonne_numerateur and self.facteur), self.code


# Short name for the tables below (positional arguments in field order).
_d = IndicatorDefinition

ENFANTS_0_2 = "enfants de moins de 3 ans (Population, colonne « Enfants 0-2 ans »)"
YEARS_OFFER = ("chaque année où le classeur donne l'offre (Équipements, Assistantes maternelles, "
               "Accueil petite enfance) et une population")
THEORETICAL = ("Taux théorique : une place peut être vacante ou partagée par plusieurs enfants à "
               "temps partiel, et un enfant peut occuper deux places (école le matin, assistante "
               "maternelle l'après-midi). Offre comptée au 31 décembre de l'année.")
PE = "petite enfance"

_PETITE_ENFANCE = (
    _d("taux_couverture_global", "Taux de couverture global",
       "Nombre théorique de places d'accueil formel pour 100 enfants de moins de 3 ans.",
       "places EAJE PSU + places EAJE hors PSU + places d'assistantes maternelles + garde à "
       "domicile + préscolarisation", ENFANTS_0_2, 100, "places pour 100 enfants", "hausse",
       CNAF_SOURCE, YEARS_OFFER, True,
       THEORETICAL + " Les berceaux réservés et les structures situées dans une autre commune "
       "sont montrés à part et ne sont pas ajoutés au taux comparable à celui de la Cnaf.", PE),
    _d("taux_couverture_eaje", "Taux de couverture en accueil collectif (EAJE)",
       "Places en établissements d'accueil du jeune enfant pour 100 enfants de moins de 3 ans.",
       "places EAJE PSU + places EAJE hors PSU (micro-crèches PAJE)", ENFANTS_0_2, 100,
       "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True,
       "Places agréées des structures situées dans le territoire.", PE),
    _d("taux_couverture_individuel", "Taux de couverture en accueil individuel",
       "Places d'assistantes maternelles et de garde à domicile pour 100 enfants de moins de "
       "3 ans.", "places d'assistantes maternelles pour les moins de 3 ans + garde à domicile",
       ENFANTS_0_2, 100, "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True,
       "Les places des MAM font partie des places d'assistantes maternelles : elles ne sont pas "
       "ajoutées une seconde fois.", PE),
    _d("taux_couverture_prescolarisation", "Taux de préscolarisation",
       "Enfants de 2 ans scolarisés en maternelle pour 100 enfants de moins de 3 ans.",
       "enfants scolarisés à 2 ans (Accueil petite enfance)", ENFANTS_0_2, 100,
       "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True, domaine=PE),
    _d("taux_couverture_psu", "Taux de couverture EAJE financés par la PSU",
       "Places d'EAJE financés par la prestation de service unique pour 100 enfants de moins de "
       "3 ans.", "places des multi-accueils, crèches collectives, familiales, parentales et "
       "micro-crèches non financées par la PAJE, situés dans le territoire", ENFANTS_0_2, 100,
       "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True,
       "Une micro-crèche dont le financement n'est pas renseigné est comptée en PSU, avec une "
       "alerte.", PE),
    _d("taux_couverture_hors_psu", "Taux de couverture EAJE hors PSU (micro-crèches PAJE)",
       "Places de micro-crèches financées par la PAJE pour 100 enfants de moins de 3 ans.",
       "places des EAJE dont le financement est « PAJE », situés dans le territoire",
       ENFANTS_0_2, 100, "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True,
       "La Cnaf estime cette composante à partir des enfants accueillis ; le classeur en donne "
       "les places agréées.", PE),
    _d("taux_couverture_am", "Taux de couverture assistantes maternelles",
       "Places d'assistantes maternelles attribuables aux enfants de moins de 3 ans pour 100 "
       "enfants de moins de 3 ans.",
       "« Places pour moins de 3 ans » (à défaut « Places agréées », approximation signalée)",
       ENFANTS_0_2, 100, "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True,
       "La Cnaf ne retient que les assistantes maternelles en activité et un coefficient "
       "d'attribution aux moins de 3 ans qui n'est pas publié : la valeur locale en est une "
       "approximation.", PE),
    _d("taux_couverture_gad", "Taux de couverture garde à domicile",
       "Enfants gardés à domicile pour 100 enfants de moins de 3 ans.",
       "enfants gardés à domicile (Accueil petite enfance)", ENFANTS_0_2, 100,
       "places pour 100 enfants", "hausse", CNAF_SOURCE, YEARS_OFFER, True, domaine=PE),
    _d("enfants_moins_3_ans", "Enfants de moins de 3 ans",
       "Dénominateur du taux de couverture : enfants de 0 à 2 ans révolus domiciliés dans le "
       "territoire.", "Population, colonne « Enfants 0-2 ans »", None, None, "enfants", None,
       INSEE, "années de la feuille Population ; à défaut, la dernière année antérieure",
       note="Quand l'année manque, le chiffre de la dernière année disponible est utilisé et "
            "signalé.", domaine=PE),
    _d("places_eaje_psu", "Places EAJE PSU",
       "Places agréées des EAJE financés par la PSU, situés dans le territoire, ouverts au "
       "31 décembre.", "somme des places", None, None, "places", "hausse", CLASSEUR, YEARS_OFFER,
       domaine=PE),
    _d("places_eaje_hors_psu", "Places EAJE hors PSU",
       "Places agréées des micro-crèches financées par la PAJE, situées dans le territoire, "
       "ouvertes au 31 décembre.", "somme des places", None, None, "places", "hausse", CLASSEUR,
       YEARS_OFFER, domaine=PE),
    _d("places_am", "Places d'assistantes maternelles",
       "Places des assistantes maternelles attribuables aux moins de 3 ans (MAM comprises).",
       "« Places pour moins de 3 ans », à défaut « Places agréées »", None, None, "places",
       "hausse", CLASSEUR, YEARS_OFFER, domaine=PE),
    _d("places_gad", "Garde à domicile", "Enfants gardés à leur domicile.",
       "« Enfants gardés à domicile »", None, None, "places", "hausse", CLASSEUR, YEARS_OFFER,
       domaine=PE),
    _d("places_prescolarisation", "Préscolarisation", "Enfants de 2 ans scolarisés.",
       "« Enfants scolarisés à 2 ans »", None, None, "places", "hausse", CLASSEUR, YEARS_OFFER,
       domaine=PE),
    _d("places_total", "Total des places (taux de couverture)",
       "Somme des cinq composantes du taux de couverture.",
       "EAJE PSU + EAJE hors PSU + AM + garde à domicile + préscolarisation", None, None,
       "places", "hausse", CLASSEUR, YEARS_OFFER, domaine=PE),
    _d("hors_territoire", "Offre mobilisable hors territoire",
       "Berceaux réservés et places des structures situées dans une autre commune.",
       "places des « Berceaux réservés » + places des EAJE et MAM dont la commune est une autre "
       "commune", None, None, "places", "hausse", CLASSEUR, YEARS_OFFER,
       note="Montrée à côté du taux, jamais ajoutée au taux de couverture comparable à celui de "
            "la Cnaf (la Cnaf compte les places là où se trouve la structure).", domaine=PE),
    _d("places_manquantes", "Places manquantes pour atteindre le taux cible",
       "Places à créer pour que le taux de couverture global atteigne la cible T.",
       "max(0, arrondi supérieur de T × enfants de moins de 3 ans / 100 − places)", None, None,
       "places", "baisse", CLASSEUR, YEARS_OFFER, domaine=PE),
    _d("am_par_etp_rpe", "Assistantes maternelles par ETP d'animateur RPE",
       "Assistantes maternelles en activité (à défaut agréées) par équivalent temps plein "
       "d'animation du relais petite enfance.", "AM en activité (à défaut AM agréées)",
       "ETP animateur RPE", 1, "AM par ETP", "baisse", CLASSEUR, YEARS_OFFER,
       note="Repère de la COG 2018-2022 : 1 ETP pour 70 assistantes maternelles.", domaine=PE),
    _d("demandes_pour_100", "Demandes d'accueil en attente pour 100 enfants de moins de 3 ans",
       "Demandes de place en EAJE non satisfaites au 31 décembre, rapportées aux enfants de "
       "moins de 3 ans.", "demandes d'accueil en attente", ENFANTS_0_2, 100,
       "demandes pour 100 enfants", "baisse", CLASSEUR, YEARS_OFFER,
       note="Indicateur local : une famille peut avoir déposé plusieurs demandes.", domaine=PE),
)

EJ = "enfance-jeunesse"
_ALSH_NOTE = ("Indicateur local, sans référence nationale officielle. Les tranches d'âge INSEE "
              "3-5, 6-10 et 11-17 ans sont retenues selon la tranche d'âge de l'ALSH ; une "
              "tranche couverte en partie est comptée au prorata des années couvertes (ex. un "
              "ALSH 3-14 ans compte 3-5, 6-10 et 4/7 des 11-17 ans), ce qui est signalé. Sans "
              "âge renseigné, 3-17 ans.")


def _slug(text: str) -> str:
    """« Petites vacances » -> petites_vacances."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


_PERIOD_CODES = {p: "couverture_alsh_" + _slug(p) for p in PERIODES_ALSH}

_ENFANCE_JEUNESSE = (
    _d("couverture_alsh", "Couverture ALSH",
       "Places d'accueil de loisirs ouvertes sur une période pour 100 enfants des tranches d'âge "
       "accueillies.", "places ALSH ouvertes sur la période",
       "enfants des tranches d'âge INSEE accueillies (3-5, 6-10, 11-17 ans)", 100,
       "places pour 100 enfants", "hausse", CLASSEUR, "années de la feuille ALSH",
       note=_ALSH_NOTE, domaine=EJ),
    *(_d(code, f"Couverture ALSH – {periode}",
         f"Places d'accueil de loisirs ouvertes ({periode.lower()}) pour 100 enfants des "
         "tranches d'âge accueillies.", f"places ALSH de la période « {periode} »",
         "enfants des tranches d'âge INSEE accueillies", 100, "places pour 100 enfants",
         "hausse", CLASSEUR, "années de la feuille ALSH", note=_ALSH_NOTE, domaine=EJ)
      for periode, code in _PERIOD_CODES.items()),
    _d("taux_remplissage_alsh", "Taux de remplissage ALSH",
       "Part des heures offertes réellement utilisées.", "heures réalisées",
       f"places × jours d'ouverture × {ALSH_HOURS_PER_DAY:g} heures par jour", 100, "%", "hausse",
       CLASSEUR, "années de la feuille ALSH où les heures sont renseignées",
       note=f"Hypothèse : une journée d'ouverture offre {ALSH_HOURS_PER_DAY:g} heures par place. "
            "Quand les heures réalisées manquent, l'indicateur devient « enfants accueillis pour "
            "100 places » (enfants différents accueillis / places × 100), qui n'est pas un taux "
            "d'occupation et peut dépasser 100. Indicateur local.", domaine=EJ),
)

PO = "portrait"
_RP = "INSEE, recensement de la population"


def _share(code, libelle, numerateur, denominateur, columns, note="", sens=None, source=_RP):
    """A share in % of two Population columns (`columns`: numerator, denominator)."""
    return _d(code, libelle, f"{libelle} : {numerateur} rapporté(e)s à {denominateur}.",
              numerateur, denominateur, 100, "%", sens, source,
              "années de la feuille Population où les deux termes sont renseignés", note=note,
              domaine=PO, colonne_numerateur=columns[0], colonne_denominateur=columns[1])


def _count(code, libelle, definition, source=_RP, sens=None, note=""):
    column = SHEETS_BY_KEY["population"].column(code).label
    return _d(code, libelle, definition, f"colonne « {column} » de la feuille Population", None,
              None, _COUNT_UNITS.get(code, ""),
              sens, source, "années de la feuille Population", note=note, domaine=PO,
              colonne_numerateur=code)


_COUNT_UNITS = {"population": "habitants", "naissances": "naissances", "enfants_0_2": "enfants",
                "enfants_3_5": "enfants", "enfants_6_10": "enfants", "jeunes_11_17": "jeunes",
                "menages": "ménages", "familles_avec_enfants": "familles",
                "familles_monoparentales": "familles", "familles_nombreuses": "familles",
                "allocataires": "foyers allocataires"}

_PORTRAIT = (
    _count("population", "Population", "Population municipale.",
           source="INSEE, populations légales"),
    _count("naissances", "Naissances", "Naissances domiciliées dans l'année.",
           source="INSEE, état civil"),
    _d("taux_natalite", "Taux de natalité",
       "Naissances de l'année pour 1 000 habitants.", "naissances", "population", 1000, "‰",
       None, "INSEE, état civil et populations légales",
       "années de la feuille Population où les deux termes sont renseignés", domaine=PO,
       colonne_numerateur="naissances", colonne_denominateur="population"),
    _count("enfants_0_2", "Enfants de 0 à 2 ans", "Enfants de moins de 3 ans."),
    _count("enfants_3_5", "Enfants de 3 à 5 ans", "Enfants de 3 à 5 ans."),
    _count("enfants_6_10", "Enfants de 6 à 10 ans", "Enfants de 6 à 10 ans."),
    _count("jeunes_11_17", "Jeunes de 11 à 17 ans", "Jeunes de 11 à 17 ans."),
    _share("part_0_2", "Part des 0-2 ans", "enfants de 0 à 2 ans", "la population",
           ("enfants_0_2", "population")),
    _share("part_3_5", "Part des 3-5 ans", "enfants de 3 à 5 ans", "la population",
           ("enfants_3_5", "population")),
    _share("part_6_10", "Part des 6-10 ans", "enfants de 6 à 10 ans", "la population",
           ("enfants_6_10", "population")),
    _share("part_11_17", "Part des 11-17 ans", "jeunes de 11 à 17 ans", "la population",
           ("jeunes_11_17", "population")),
    _count("menages", "Ménages", "Nombre de ménages."),
    _count("familles_avec_enfants", "Familles avec enfants",
           "Familles avec au moins un enfant de moins de 25 ans."),
    _count("familles_monoparentales", "Familles monoparentales", "Familles monoparentales."),
    _count("familles_nombreuses", "Familles nombreuses", "Familles de 3 enfants ou plus."),
    _share("part_familles_monoparentales", "Part des familles monoparentales",
           "familles monoparentales", "les familles avec enfants",
           ("familles_monoparentales", "familles_avec_enfants"),
           note="Les niveaux de comparaison publiés peuvent retenir un autre dénominateur "
                "(familles avec enfants mineurs, ménages familiaux) : vérifier la source."),
    _share("part_familles_nombreuses", "Part des familles nombreuses", "familles nombreuses",
           "les familles avec enfants", ("familles_nombreuses", "familles_avec_enfants")),
    _d("taux_activite_femmes", "Taux d'activité des femmes de 25 à 54 ans",
       "Part des femmes de 25 à 54 ans actives (en emploi ou au chômage).", None, None, None,
       "%", "hausse", _RP, "années de la feuille Population", domaine=PO,
       colonne_numerateur="taux_activite_femmes"),
    _d("taux_chomage", "Taux de chômage",
       "Part des chômeurs parmi les actifs de 15 à 64 ans, au sens du recensement.", None, None,
       None, "%", "baisse", _RP, "années de la feuille Population", domaine=PO,
       colonne_numerateur="taux_chomage"),
    _d("revenu_median", "Revenu médian",
       "Médiane du revenu disponible par unité de consommation (niveau de vie).", None, None,
       None, "€", "hausse", "INSEE, Filosofi", "années de la feuille Population", domaine=PO,
       colonne_numerateur="revenu_median"),
    _d("taux_pauvrete", "Taux de pauvreté",
       "Part des personnes dont le niveau de vie est inférieur à 60 % du niveau de vie médian.",
       None, None, None, "%", "baisse", "INSEE, Filosofi", "années de la feuille Population",
       reference_nationale=True, domaine=PO, colonne_numerateur="taux_pauvrete"),
    _count("allocataires", "Allocataires Caf", "Foyers allocataires de la Caf.",
           source="Caf, données allocataires"),
    _share("part_allocataires", "Part des ménages allocataires", "foyers allocataires de la Caf",
           "les ménages", ("allocataires", "menages"),
           note="Approximation : un foyer allocataire ne correspond pas exactement à un ménage "
                "INSEE.", source="Caf et INSEE"),
)

PL = "plan d'action"
_PLAN = (
    _d("atteinte_plan", "Niveau d'atteinte d'un indicateur du plan d'action",
       "Chemin parcouru entre la valeur de référence et la cible.",
       "dernière valeur − valeur de référence", "cible − valeur de référence", 100, "%", "hausse",
       "Plan d'action du classeur CTG", "années du plan d'action (colonnes 2021, 2022…)",
       note="Sans valeur de référence : dernière valeur / cible (cible / dernière valeur pour un "
            "indicateur en baisse). Le calcul respecte le sens (Hausse ou Baisse). Paliers : "
            "atteint à partir de 100 %, en bonne voie à partir de la marge (85 % par défaut, "
            "réglage marge_en_bonne_voie), en retard en dessous, non renseigné sans valeur. Un "
            "indicateur sans aucun chiffre (livrable, oui/non) est suivi par son statut : "
            "« Réalisée » = atteint, « Abandonnée » = en retard (l'action n'a pas produit son "
            "résultat), autre statut = non renseigné.", domaine=PL),
    _d("part_actions_realisees", "Part des actions réalisées",
       "Actions dont tous les indicateurs portent le statut « Réalisée », parmi les actions de "
       "l'axe.", "actions réalisées", "actions de l'axe", 100, "%", "hausse",
       "Plan d'action du classeur CTG", "années du plan d'action", domaine=PL),
)

DEFINITIONS: tuple[IndicatorDefinition, ...] = (_PETITE_ENFANCE + _ENFANCE_JEUNESSE + _PORTRAIT
                                                + _PLAN)
BY_CODE: dict[str, IndicatorDefinition] = {d.code: d for d in DEFINITIONS}
assert len(BY_CODE) == len(DEFINITIONS), "duplicate indicator code"

# Codes of the coverage rates in the order the Cnaf publishes them.
COVERAGE_CODES = ("taux_couverture_global", "taux_couverture_eaje", "taux_couverture_individuel",
                  "taux_couverture_prescolarisation", "taux_couverture_psu",
                  "taux_couverture_hors_psu", "taux_couverture_am", "taux_couverture_gad")
PORTRAIT_CODES = tuple(d.code for d in _PORTRAIT)


def alsh_period_code(periode: str) -> str:
    """The indicator code of the ALSH coverage of one period (e.g. couverture_alsh_juillet)."""
    return _PERIOD_CODES[periode]


def get(code: str) -> IndicatorDefinition:
    """The definition of indicator `code` (KeyError naming the code when unknown)."""
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"Indicateur inconnu : {code}") from None


def formula_text(code: str) -> str:
    """The formula of `code` in words, e.g. « 100 × places … / enfants … »."""
    d = get(code)
    if d.numerateur and d.denominateur:
        factor = f"{fr_number(d.facteur)} × " if d.facteur not in (None, 1) else ""
        return f"{factor}({d.numerateur}) / ({d.denominateur})"
    return (d.numerateur or "valeur saisie dans le classeur").rstrip(".")


_SENS = {"hausse": "une hausse est favorable", "baisse": "une baisse est favorable"}


def methodology_text(code: str) -> str:
    """The French methodology paragraph of `code`, for the UI and the bilan."""
    d = get(code)
    lines = [f"{d.libelle} : {d.definition}", f"Calcul : {formula_text(code)}.",
             f"Unité : {d.unite}." if d.unite else ""]
    if d.sens:
        lines.append(f"Sens : {_SENS[d.sens]}.")
    lines.append(f"Source : {d.source}.")
    lines.append(f"Années : {d.annees}.")
    if d.reference_nationale:
        lines.append("Une valeur nationale publiée permet la comparaison (même année, même "
                     "définition).")
    if d.note:
        lines.append(d.note)
    return "\n".join(line for line in lines if line)
