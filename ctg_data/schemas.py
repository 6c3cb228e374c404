"""The CTG workbook format, declared once as data: sheets, columns, synonyms, types, rules.

The reader, the validator, the template generator, the workbook export and the README's
data-format section all read these declarations; nothing else lists columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

FORMAT_VERSION = 1

# Value types a column can hold. Canonical in-memory values (see ctg_data.model):
#   int, float, percent -> float (NaN when missing); year -> Int64 (<NA> when missing)
#   text, choice, code -> str or None; date -> "YYYY-MM-DD" str or None
#   date_or_year -> "YYYY" or "YYYY-MM-DD" str or None
TYPES = ("int", "float", "percent", "year", "text", "choice", "code", "date", "date_or_year")

MISSING_MARKERS = ("", "-", "–", "—", "nc", "nd", "n.d.", "s", "ns", "so", "n/a", "na", "#n/a")

# Safety bounds: every number and every text of the format has a finite, declared limit, so that
# no value can break a page, a chart or a bilan (1e308, infinity, a 1 MB name). The validator
# refuses what exceeds them with the usual sheet/row/column message; the README and the
# template's Instructions show them (see `Column.bounds` and `Column.text_limit`).
COUNT_MAX = 1_000_000          # places, assistantes maternelles, children counted by a service
POPULATION_MAX = 100_000_000   # inhabitants, children, households of a territory
AMOUNT_MAX = 1e12              # euros, hours
VALUE_MAX = 1e12               # any other number (plan values, besoins), of either sign
NAME_LENGTH = 200              # names, short labels, units (one line)
TITLE_LENGTH = 500             # axes, actions, indicators, titles (line breaks allowed)
LONG_TEXT_LENGTH = 5_000       # analyses, results, descriptions, minutes (line breaks allowed)
LIST_LENGTH = 20_000           # the member communes of an EPCI
CODE_LENGTH = 20               # codes (INSEE, département, action numbers)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its canonical key, French header, type and rules."""

    key: str
    label: str
    type: str = "text"
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    # Synonyms of allowed values, normalised spelling -> canonical choice ("ram" -> "Relais…").
    choice_synonyms: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    help: str = ""
    example: object = None
    # Safety bounds: the largest absolute value of a number, the longest text (characters;
    # None = NAME_LENGTH for text and choice columns, CODE_LENGTH for codes).
    largest: float = VALUE_MAX
    max_length: int | None = None

    def __post_init__(self):
        assert self.type in TYPES, self.type

    @property
    def bounds(self) -> tuple[float, float]:
        """The finite range a number of this column must lie in: the declared minimum and
        maximum, within ± `largest`."""
        low = -self.largest if self.minimum is None else max(self.minimum, -self.largest)
        high = self.largest if self.maximum is None else min(self.maximum, self.largest)
        return low, high

    @property
    def text_limit(self) -> int | None:
        """The most characters a text, choice or code cell may hold (None for other types)."""
        if self.max_length is not None:
            return self.max_length
        if self.type == "code":
            return CODE_LENGTH
        return NAME_LENGTH if self.type in ("text", "choice") else None

    @property
    def multiline(self) -> bool:
        """Whether line breaks and tabs are accepted (long texts only, not names or codes)."""
        return self.type == "text" and (self.text_limit or 0) > NAME_LENGTH


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook."""

    key: str
    name: str
    columns: tuple[Column, ...]
    help: str
    synonyms: tuple[str, ...] = ()
    # Columns that identify a row: two rows with the same values are a duplicate (error).
    unique: tuple[str, ...] = ()
    # Plan d'action: extra columns whose header is a year hold the observed value of that year.
    year_columns: bool = False
    # Territoire: a two-column Champ/Valeur sheet (or a table, for several territories).
    key_value: bool = False
    optional: bool = True

    def column(self, key: str) -> Column:
        """The column declared under `key`."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.key}.{key}")

    @property
    def required_columns(self) -> tuple[Column, ...]:
        """The columns a file must give for this sheet."""
        return tuple(c for c in self.columns if c.required)


def normalise(text: object) -> str:
    """Fold a header, sheet name or choice for matching: case, accents, spaces, punctuation,
    a trailing unit in brackets ("Places (nb)") and typographic ligatures do not matter."""
    s = str(text or "").strip()
    s = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]\s*$", "", s) or s
    s = s.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.lower()
    return re.sub(r"[^a-z0-9]+", "", s)


def _c(key, label, type="text", **kw) -> Column:
    return Column(key=key, label=label, type=type, **kw)


CODE_INSEE = _c(
    "code_insee", "Code INSEE", "code",
    synonyms=("Code commune", "CODGEO", "Code territoire", "Code", "Code EPCI", "SIREN"),
    help="Code INSEE de la commune (5 caractères, ex. 59367) ou SIREN de l'EPCI (9 chiffres). "
         "Dans un classeur multi-territoires, indique le territoire de chaque ligne.",
    example="59367",
)

EQUIPEMENT_TYPES = (
    "Multi-accueil", "Crèche collective", "Crèche familiale", "Crèche parentale", "Micro-crèche",
    "MAM", "Berceaux réservés", "Relais petite enfance", "LAEP", "Consultation PMI", "ALSH",
    "Accueil jeunes", "Centre social", "Espace de vie sociale", "Autre",
)
EAJE_TYPES = ("Multi-accueil", "Crèche collective", "Crèche familiale", "Crèche parentale",
              "Micro-crèche")
# Types whose rows must give a number of places.
TYPES_WITH_CAPACITY = EAJE_TYPES + ("MAM", "Berceaux réservés", "ALSH", "Accueil jeunes")

PERIODES_ALSH = ("Mercredis", "Petites vacances", "Juillet", "Août", "Périscolaire", "Année")

TERRITOIRE = Sheet(
    key="territoire",
    name="Territoire",
    key_value=True,
    optional=False,
    help="Le territoire de la CTG : deux colonnes Champ / Valeur (ou un tableau, une ligne par "
         "territoire, pour un classeur qui couvre plusieurs CTG).",
    columns=(
        replace(CODE_INSEE, required=True),
        _c("nom", "Nom", required=True, synonyms=("Nom du territoire", "Commune", "Libellé"),
           help="Nom de la commune ou de l'EPCI.", example="Lys-lez-Lannoy"),
        _c("type", "Type", "choice", choices=("Commune", "EPCI"), default="Commune",
           help="Commune ou EPCI.", example="Commune"),
        _c("departement", "Département", "code", synonyms=("Dép", "Dept", "Code département"),
           help="Code du département (ex. 59).", example="59"),
        _c("epci", "EPCI", synonyms=("Intercommunalité",),
           help="Nom ou SIREN de l'intercommunalité.", example="Métropole Européenne de Lille"),
        _c("debut_ctg", "Début CTG", "date_or_year", synonyms=("Début", "Date de début"),
           help="Début de la convention (date ou année).", example="2021"),
        _c("fin_ctg", "Fin CTG", "date_or_year", synonyms=("Fin", "Date de fin"),
           help="Fin de la convention (date ou année).", example="2023"),
        _c("caf", "Caf", synonyms=("Caisse",), help="La Caf signataire.", example="Caf du Nord"),
        _c("communes_membres", "Communes membres", synonyms=("Communes de l'EPCI",),
           max_length=LIST_LENGTH,
           help="Pour un EPCI : les communes membres (noms ou codes INSEE séparés par « ; »). "
                "Une structure dont la colonne Commune en nomme une est dans le territoire ; "
                "sans cette liste, toute structure d'un EPCI y est comptée (sauf les berceaux "
                "réservés).", example=""),
        _c("avertissement", "Avertissement", synonyms=("Mise en garde", "Note sur les données"),
           max_length=LONG_TEXT_LENGTH,
           help="Mise en garde affichée avec les chiffres et dans le bilan (données d'exemple, "
                "provisoires…).", example=""),
    ),
)

_PCT = dict(type="percent", minimum=0, maximum=100)

POPULATION = Sheet(
    key="population",
    name="Population",
    unique=("annee",),
    help="Une ligne par année : population, tranches d'âge, familles, activité, revenus.",
    columns=(
        _c("annee", "Année", "year", required=True, synonyms=("An", "Millésime"),
           help="Année des chiffres.", example=2022),
        _c("population", "Population", "int", minimum=0, largest=POPULATION_MAX,
           synonyms=("Population municipale",),
           help="Population municipale (INSEE).", example=13987),
        _c("enfants_0_2", "Enfants 0-2 ans", "int", minimum=0, largest=POPULATION_MAX,
           synonyms=("Enfants de moins de 3 ans", "0-2 ans", "Moins de 3 ans"),
           help="Enfants de moins de 3 ans (dénominateur du taux de couverture).", example=520),
        _c("enfants_3_5", "Enfants 3-5 ans", "int", minimum=0, largest=POPULATION_MAX,
           synonyms=("3-5 ans",),
           help="Enfants de 3 à 5 ans.", example=540),
        _c("enfants_6_10", "Enfants 6-10 ans", "int", minimum=0, largest=POPULATION_MAX,
           synonyms=("6-10 ans",),
           help="Enfants de 6 à 10 ans.", example=900),
        _c("jeunes_11_17", "Jeunes 11-17 ans", "int", minimum=0, largest=POPULATION_MAX,
           synonyms=("11-17 ans",),
           help="Jeunes de 11 à 17 ans.", example=1250),
        _c("naissances", "Naissances", "int", minimum=0, largest=POPULATION_MAX,
           help="Naissances domiciliées dans l'année.",
           example=164),
        _c("menages", "Ménages", "int", minimum=0, largest=POPULATION_MAX,
           help="Nombre de ménages.", example=5900),
        _c("familles_avec_enfants", "Familles avec enfants", "int", minimum=0,
           largest=POPULATION_MAX,
           help="Familles avec au moins un enfant de moins de 25 ans.", example=2550),
        _c("familles_monoparentales", "Familles monoparentales", "int", minimum=0,
           largest=POPULATION_MAX,
           help="Familles monoparentales.", example=697),
        _c("familles_nombreuses", "Familles nombreuses", "int", minimum=0, largest=POPULATION_MAX,
           help="Familles de 3 enfants ou plus.", example=380),
        _c("allocataires", "Allocataires Caf", "int", minimum=0, largest=POPULATION_MAX,
           synonyms=("Allocataires",),
           help="Foyers allocataires de la Caf.", example=2900),
        _c("taux_activite_femmes", "Taux d'activité des femmes 25-54 ans (%)",
           synonyms=("Taux d'activité des femmes",), help="Part des femmes de 25 à 54 ans actives.",
           example=88.1, **_PCT),
        _c("taux_chomage", "Taux de chômage (%)", help="Taux de chômage (recensement, 15-64 ans).",
           example=14.1, **_PCT),
        _c("revenu_median", "Revenu médian (€)", "float", minimum=0, largest=AMOUNT_MAX,
           synonyms=("Revenu médian", "Niveau de vie médian"),
           help="Médiane du revenu disponible par unité de consommation (Filosofi).",
           example=19500),
        _c("taux_pauvrete", "Taux de pauvreté (%)", help="Taux de pauvreté au seuil de 60 %.",
           example=19.0, **_PCT),
    ),
)

EQUIPEMENTS = Sheet(
    key="equipements",
    name="Équipements",
    synonyms=("Equipements", "Structures", "Offre"),
    unique=("nom", "annee"),
    help="Une ligne par structure (crèches, MAM, relais, ALSH…). Ajouter une ligne par année "
         "seulement quand la capacité change (colonne Année).",
    columns=(
        _c("nom", "Nom", required=True, synonyms=("Structure", "Nom de la structure"),
           help="Nom de la structure.", example="Multi-accueil La Pépinière"),
        _c("type", "Type", "choice", required=True, choices=EQUIPEMENT_TYPES,
           synonyms=("Type de structure",),
           choice_synonyms={"ram": "Relais petite enfance", "rpe": "Relais petite enfance",
                            "relaisassistantsmaternels": "Relais petite enfance",
                            "relaisassistantesmaternelles": "Relais petite enfance",
                            "creche": "Crèche collective", "microcreche": "Micro-crèche",
                            "multiaccueil": "Multi-accueil", "eaje": "Multi-accueil",
                            "maisondassistantsmaternels": "MAM", "berceaux": "Berceaux réservés",
                            "accueildeloisirs": "ALSH", "csx": "Centre social",
                            "evs": "Espace de vie sociale", "pmi": "Consultation PMI"},
           help="Type de structure : " + ", ".join(EQUIPEMENT_TYPES) + ".",
           example="Multi-accueil"),
        _c("places", "Places", "int", minimum=0, largest=COUNT_MAX,
           synonyms=("Nombre de places", "Capacité", "Places agréées", "Nb places"),
           help="Capacité (places agréées). Obligatoire pour les EAJE, MAM, berceaux réservés, "
                "ALSH et accueils jeunes.", example=44),
        _c("gestionnaire", "Gestionnaire", "choice",
           choices=("Municipal", "Intercommunal", "Associatif", "Privé", "Autre"),
           choice_synonyms={"commune": "Municipal", "ville": "Municipal", "mairie": "Municipal",
                            "association": "Associatif", "prive": "Privé",
                            "entreprise": "Privé", "epci": "Intercommunal"},
           help="Type de gestionnaire.", example="Municipal"),
        _c("financement", "Financement", "choice", choices=("PSU", "PAJE", "Autre"),
           choice_synonyms={"horspsu": "PAJE", "cmg": "PAJE"},
           help="PSU (prestation de service unique) ou PAJE (micro-crèche hors PSU).",
           example="PSU"),
        _c("adresse", "Adresse", help="Adresse postale.", example="201 rue Paul Bert"),
        _c("commune", "Commune",
           help="Commune où se trouve la structure (nom ou code INSEE) ; vide = dans le "
                "territoire.", example=""),
        _c("latitude", "Latitude", "float", minimum=-90, maximum=90, synonyms=("Lat",),
           help="Latitude en degrés décimaux (WGS 84).", example=50.667),
        _c("longitude", "Longitude", "float", minimum=-180, maximum=180,
           synonyms=("Lon", "Long", "Lng"), help="Longitude en degrés décimaux (WGS 84).",
           example=3.214),
        _c("age_min", "Âge min", "float", minimum=0, maximum=30, synonyms=("Age minimum",),
           help="Âge minimal accueilli (années).", example=0),
        _c("age_max", "Âge max", "float", minimum=0, maximum=30, synonyms=("Age maximum",),
           help="Âge maximal accueilli (années).", example=3),
        _c("ouverture", "Ouverture", "date_or_year", synonyms=("Date d'ouverture",),
           help="Date ou année d'ouverture.", example="2008"),
        _c("fermeture", "Fermeture", "date_or_year", synonyms=("Date de fermeture",),
           help="Date ou année de fermeture (vide si ouverte).", example=""),
        _c("annee", "Année", "year",
           help="Année décrite par la ligne, quand la structure a une ligne par année.",
           example=None),
        _c("horaires", "Horaires", max_length=TITLE_LENGTH,
           help="Jours et heures d'ouverture.", example="Lun-ven 8h-18h"),
        _c("remarques", "Remarques", max_length=LONG_TEXT_LENGTH,
           synonyms=("Commentaire", "Observations"),
           help="Remarques libres.", example=""),
    ),
)

ASSISTANTES_MATERNELLES = Sheet(
    key="assistantes_maternelles",
    name="Assistantes maternelles",
    synonyms=("Assistants maternels", "AM"),
    unique=("annee",),
    help="Une ligne par année : assistantes maternelles agréées et leurs places.",
    columns=(
        _c("annee", "Année", "year", required=True, help="Année.", example=2022),
        _c("am_agreees", "AM agréées", "int", required=True, minimum=0, largest=COUNT_MAX,
           synonyms=("Assistantes maternelles agréées", "Nombre d'AM"),
           help="Assistantes maternelles agréées.", example=71),
        _c("am_en_activite", "AM en activité", "int", minimum=0, largest=COUNT_MAX,
           synonyms=("AM actives",),
           help="Assistantes maternelles en activité (ayant accueilli un enfant).", example=60),
        _c("places_agreees", "Places agréées", "int", minimum=0, largest=COUNT_MAX,
           help="Places agréées de toutes les AM.", example=250),
        _c("places_moins_3_ans", "Places pour moins de 3 ans", "int", minimum=0, largest=COUNT_MAX,
           synonyms=("Places moins de 3 ans",),
           help="Places attribuables aux enfants de moins de 3 ans (composante du taux).",
           example=180),
    ),
)

ACCUEIL_PETITE_ENFANCE = Sheet(
    key="accueil_petite_enfance",
    name="Accueil petite enfance",
    unique=("annee",),
    help="Une ligne par année : composantes d'usage du taux de couverture et ratios du relais.",
    columns=(
        _c("annee", "Année", "year", required=True, help="Année.", example=2022),
        _c("enfants_scolarises_2_ans", "Enfants scolarisés à 2 ans", "int", minimum=0,
           largest=COUNT_MAX,
           synonyms=("Préscolarisation",), help="Enfants de 2 ans scolarisés en maternelle.",
           example=12),
        _c("enfants_gardes_domicile", "Enfants gardés à domicile", "int", minimum=0,
           largest=COUNT_MAX,
           synonyms=("Garde à domicile", "GAD"), help="Enfants gardés à domicile (GAD).",
           example=6),
        _c("demandes_en_attente", "Demandes d'accueil en attente", "int", minimum=0,
           largest=COUNT_MAX,
           synonyms=("Liste d'attente", "Demandes en attente"),
           help="Demandes de place en EAJE non satisfaites au 31 décembre.", example=45),
        _c("etp_animateur_rpe", "ETP animateur RPE", "float", minimum=0, largest=COUNT_MAX,
           synonyms=("ETP RPE", "ETP animateur RAM"),
           help="Équivalents temps plein d'animation du relais petite enfance.", example=1.0),
    ),
)

ALSH = Sheet(
    key="alsh",
    name="ALSH",
    synonyms=("Accueils de loisirs",),
    unique=("annee", "nom", "periode"),
    help="Une ligne par accueil de loisirs, période et année.",
    columns=(
        _c("annee", "Année", "year", required=True, help="Année.", example=2022),
        _c("nom", "Nom", required=True, synonyms=("Structure", "ALSH"),
           help="Nom de l'accueil de loisirs.", example="ALSH Parc Maréchal"),
        _c("periode", "Période", "choice", required=True, choices=PERIODES_ALSH,
           choice_synonyms={"mercredi": "Mercredis", "vacances": "Petites vacances",
                            "petitesvacances": "Petites vacances", "ete": "Juillet",
                            "aout": "Août", "periscolaire": "Périscolaire",
                            "annee": "Année", "annuel": "Année"},
           help="Mercredis, Petites vacances, Juillet, Août, Périscolaire ou Année.",
           example="Juillet"),
        _c("places", "Places", "int", required=True, minimum=0, largest=COUNT_MAX,
           synonyms=("Capacité", "Nombre de places"), help="Places ouvertes sur la période.",
           example=120),
        _c("age_min", "Âge min", "float", minimum=0, maximum=30, help="Âge minimal.", example=3),
        _c("age_max", "Âge max", "float", minimum=0, maximum=30, help="Âge maximal.", example=17),
        _c("jours_ouverture", "Jours d'ouverture", "int", minimum=0, maximum=366,
           help="Jours d'ouverture sur la période.", example=20),
        _c("enfants_accueillis", "Enfants accueillis", "int", minimum=0, largest=COUNT_MAX,
           help="Enfants différents accueillis.", example=180),
        _c("heures_realisees", "Heures réalisées", "float", minimum=0, largest=AMOUNT_MAX,
           help="Heures enfants réalisées (pour le taux d'occupation).", example=19000),
        _c("lieu", "Lieu", help="Lieu d'accueil.", example="Parc Maréchal"),
    ),
)

THEMES = ("Petite enfance", "Enfance", "Jeunesse", "Parentalité", "Accès aux droits", "Logement",
          "Autre")

BESOINS = Sheet(
    key="besoins",
    name="Besoins",
    unique=("annee", "indicateur", "theme"),
    help="Format long, une ligne par observation : enquêtes, listes d'attente, besoins locaux.",
    columns=(
        _c("annee", "Année", "year", required=True, help="Année de l'observation.", example=2022),
        _c("indicateur", "Indicateur", required=True, synonyms=("Besoin", "Question"),
           max_length=TITLE_LENGTH,
           help="Ce qui est mesuré.", example="Familles souhaitant un accueil le samedi"),
        _c("valeur", "Valeur", "float", required=True, help="La valeur observée.", example=38),
        _c("theme", "Thème", "choice", choices=THEMES, help="Thème du besoin.",
           example="Petite enfance"),
        _c("unite", "Unité", help="Unité de la valeur (%, familles, enfants…).", example="%"),
        _c("source", "Source", max_length=TITLE_LENGTH,
           help="Origine de la donnée (enquête, service…).",
           example="Questionnaire familles 2022"),
    ),
)

STATUTS_ACTION = ("Non démarrée", "En cours", "Réalisée", "Abandonnée")

PLAN_ACTION = Sheet(
    key="plan_action",
    name="Plan d'action",
    synonyms=("Plan d'actions", "Evaluation", "Indicateurs"),
    unique=("axe", "action", "indicateur"),
    year_columns=True,
    help="Une ligne par indicateur d'une action (tableaux d'évaluation par axe). Une colonne par "
         "année (en-tête = l'année, ex. 2022) porte la valeur observée cette année-là.",
    columns=(
        _c("axe", "Axe", required=True, max_length=TITLE_LENGTH, help="Axe du plan d'action.",
           example="Axe 1 : Réaliser le diagnostic de territoire"),
        _c("action", "Action", required=True, synonyms=("Intitulé de l'action",),
           max_length=TITLE_LENGTH,
           help="Intitulé de l'action.", example="Co-construire un diagnostic partagé"),
        _c("indicateur", "Indicateur", required=True, synonyms=("Indicateur retenu",),
           max_length=TITLE_LENGTH,
           help="Indicateur retenu.", example="Nombre de réunions partenariales"),
        _c("champ", "Champ d'intervention", synonyms=("Champ",),
           help="Champ d'intervention (petite enfance, enfance-jeunesse, parentalité…).",
           example="Tous champs"),
        _c("numero_action", "N° action", "code", synonyms=("Numéro action", "Action n°", "N°"),
           help="Numéro de la fiche action.", example="1"),
        _c("type_indicateur", "Type d'indicateur", "choice",
           choices=("Réalisation", "Résultat", "Moyens"), help="Réalisation, Résultat ou Moyens.",
           example="Réalisation"),
        _c("unite", "Unité", help="Unité de l'indicateur.", example="réunions"),
        _c("sens", "Sens", "choice", choices=("Hausse", "Baisse"), default="Hausse",
           choice_synonyms={"augmentation": "Hausse", "diminution": "Baisse",
                            "+": "Hausse", "-": "Baisse"},
           help="Sens de l'amélioration : Hausse (plus est mieux) ou Baisse.", example="Hausse"),
        _c("valeur_reference", "Valeur de référence", "float", synonyms=("Référence",),
           help="Valeur de départ.", example=0),
        _c("annee_reference", "Année de référence", "year", help="Année de la valeur de référence.",
           example=2020),
        _c("cible", "Cible", "float", synonyms=("Valeur cible", "Objectif"),
           help="Valeur visée.", example=6),
        _c("annee_cible", "Année cible", "year", help="Année où la cible doit être atteinte.",
           example=2023),
        _c("resultats_attendus", "Résultats attendus", max_length=LONG_TEXT_LENGTH,
           help="Résultats attendus (texte).",
           example="Faire émerger les besoins du territoire"),
        _c("resultats_obtenus", "Résultats obtenus", max_length=LONG_TEXT_LENGTH,
           help="Résultats réellement obtenus (texte).",
           example=""),
        _c("analyse", "Analyse", synonyms=("Analyse globale",), max_length=LONG_TEXT_LENGTH,
           help="Analyse du niveau d'atteinte.", example=""),
        _c("statut", "Statut", "choice", choices=STATUTS_ACTION,
           choice_synonyms={"realise": "Réalisée", "termine": "Réalisée", "terminee": "Réalisée",
                            "encours": "En cours", "nondemarre": "Non démarrée",
                            "abandonne": "Abandonnée", "afaire": "Non démarrée"},
           help="Non démarrée, En cours, Réalisée ou Abandonnée.", example="En cours"),
        _c("referent", "Référent", help="Référent de l'action.", example="Chef de projet CTG"),
        _c("partenaires", "Partenaires", max_length=LONG_TEXT_LENGTH,
           help="Partenaires de l'action.", example="Caf, UTPAS"),
        _c("calendrier", "Calendrier", max_length=TITLE_LENGTH,
           help="Calendrier prévisionnel.", example="2021-2023"),
    ),
)

FICHES_ACTIONS = Sheet(
    key="fiches_actions",
    name="Fiches actions",
    synonyms=("Fiches action", "Fiches"),
    unique=("numero_action",),
    help="Une ligne par action : le texte de la fiche action.",
    columns=(
        _c("numero_action", "N° action", "code", required=True,
           synonyms=("Numéro action", "Action n°", "N°"), help="Numéro de la fiche.", example="1"),
        _c("intitule", "Intitulé", required=True, synonyms=("Intitulé de l'action", "Action"),
           max_length=TITLE_LENGTH,
           help="Intitulé de l'action.", example="Co-construire un diagnostic partagé"),
        _c("axe", "Axe", max_length=TITLE_LENGTH, help="Axe du plan d'action.",
           example="Axe 1 : Réaliser le diagnostic"),
        _c("cadre_strategique", "Cadre stratégique", max_length=LONG_TEXT_LENGTH,
           help="Cadre stratégique.", example=""),
        _c("objectif_strategique", "Objectif stratégique", max_length=LONG_TEXT_LENGTH,
           synonyms=("Objectifs stratégiques", "Objectif(s) stratégique(s)"),
           help="Objectif(s) stratégique(s).", example=""),
        _c("objectifs_operationnels", "Objectifs opérationnels", max_length=LONG_TEXT_LENGTH,
           synonyms=("Objectif opérationnel", "Objectif(s) opérationnel(s)"),
           help="Objectif(s) opérationnel(s).", example=""),
        _c("referent", "Référent", synonyms=("Référent de l'action",), max_length=TITLE_LENGTH,
           help="Référent.",
           example=""),
        _c("publics_cibles", "Publics cibles", max_length=LONG_TEXT_LENGTH,
           synonyms=("Public cible",), help="Publics cibles.",
           example="Tous les habitants"),
        _c("partenaires", "Partenaires", max_length=LONG_TEXT_LENGTH,
           help="Partenaires.", example=""),
        _c("moyens", "Moyens", max_length=LONG_TEXT_LENGTH,
           synonyms=("Moyens à mobiliser",), help="Moyens à mobiliser.",
           example=""),
        _c("resultats_attendus", "Résultats attendus", max_length=LONG_TEXT_LENGTH,
           help="Résultats attendus.", example=""),
        _c("modalites", "Modalités de mise en œuvre", max_length=LONG_TEXT_LENGTH,
           synonyms=("Modalités",),
           help="Modalités de mise en œuvre.", example=""),
        _c("debut", "Début", "year", help="Année de début.", example=2021),
        _c("fin", "Fin", "year", help="Année de fin.", example=2023),
    ),
)

FINANCEMENTS = Sheet(
    key="financements",
    name="Financements",
    unique=("annee", "structure", "financeur", "dispositif"),
    help="Facultatif : une ligne par structure, financeur et année.",
    columns=(
        _c("annee", "Année", "year", required=True, help="Année.", example=2022),
        _c("structure", "Structure", required=True, help="Structure financée.",
           example="Multi-accueil La Pépinière"),
        _c("financeur", "Financeur", required=True, help="Qui finance.", example="Caf du Nord"),
        _c("montant", "Montant (€)", "float", required=True, minimum=0, largest=AMOUNT_MAX,
           synonyms=("Montant",),
           help="Montant en euros.", example=120000),
        _c("dispositif", "Dispositif", help="Bonus territoire CTG, PSU, subvention…",
           example="PSU"),
    ),
)

INSTANCES = ("Comité technique", "Comité de pilotage", "Groupe thématique")

COMITES = Sheet(
    key="comites",
    name="Comités",
    synonyms=("Comites", "Instances", "Réunions"),
    unique=("date", "instance"),
    help="Facultatif : une ligne par réunion d'instance (comité technique, comité de pilotage).",
    columns=(
        _c("date", "Date", "date", required=True, help="Date de la réunion.", example="2022-03-15"),
        _c("instance", "Instance", "choice", required=True, choices=INSTANCES,
           choice_synonyms={"cotech": "Comité technique", "copil": "Comité de pilotage",
                            "comitetechnique": "Comité technique",
                            "comitedepilotage": "Comité de pilotage"},
           help="Comité technique, Comité de pilotage ou Groupe thématique.",
           example="Comité technique"),
        _c("lieu", "Lieu", help="Lieu de la réunion.", example="Mairie"),
        _c("participants", "Participants", max_length=LONG_TEXT_LENGTH,
           help="Participants.", example="Caf, ville, UTPAS"),
        _c("ordre_du_jour", "Ordre du jour", max_length=LONG_TEXT_LENGTH,
           help="Ordre du jour.", example="Point d'étape"),
        _c("compte_rendu", "Compte rendu", max_length=LONG_TEXT_LENGTH,
           synonyms=("Synthèse",), help="Synthèse des échanges.",
           example=""),
    ),
)

STATUTS_DECISION = ("Ouverte", "Réalisée", "Abandonnée")

DECISIONS = Sheet(
    key="decisions",
    name="Décisions",
    synonyms=("Decisions", "Relevé de décisions"),
    unique=("date_comite", "decision"),
    help="Facultatif : une ligne par décision d'un comité, suivie jusqu'à sa réalisation.",
    columns=(
        _c("date_comite", "Date du comité", "date", required=True, synonyms=("Date",),
           help="Date du comité qui a pris la décision.", example="2022-03-15"),
        _c("decision", "Décision", required=True, max_length=LONG_TEXT_LENGTH, help="La décision.",
           example="Lancer le questionnaire familles"),
        _c("responsable", "Responsable", help="Qui la met en œuvre.", example="Chef de projet"),
        _c("echeance", "Échéance", "date", help="Date limite.", example="2022-06-30"),
        _c("statut", "Statut", "choice", choices=STATUTS_DECISION, default="Ouverte",
           choice_synonyms={"encours": "Ouverte", "afaire": "Ouverte", "fait": "Réalisée",
                            "faite": "Réalisée", "realise": "Réalisée"},
           help="Ouverte, Réalisée ou Abandonnée.", example="Ouverte"),
        _c("suivi", "Suivi", max_length=LONG_TEXT_LENGTH, help="Suite donnée.", example=""),
    ),
)

SHEETS: tuple[Sheet, ...] = (
    TERRITOIRE, POPULATION, EQUIPEMENTS, ASSISTANTES_MATERNELLES, ACCUEIL_PETITE_ENFANCE, ALSH,
    BESOINS, PLAN_ACTION, FICHES_ACTIONS, FINANCEMENTS, COMITES, DECISIONS,
)
SHEETS_BY_KEY: dict[str, Sheet] = {s.key: s for s in SHEETS}
# Tabs a workbook may carry for people (the template's instructions, sources): skipped silently.
IGNORED_SHEETS = ("Instructions", "Lisez-moi", "Sources", "À propos", "Notes")
# Every sheet except Territoire is a table of rows; these are the keys of CtgData.tables.
TABLE_SHEETS: tuple[Sheet, ...] = tuple(s for s in SHEETS if not s.key_value)


def find_sheet(name: str) -> Sheet | None:
    """The sheet a workbook tab name designates, by name or synonym, or None."""
    wanted = normalise(name)
    for sheet in SHEETS:
        if wanted in {normalise(n) for n in (sheet.name, sheet.key, *sheet.synonyms)}:
            return sheet
    return None


def match_column(sheet: Sheet, header: object) -> Column | None:
    """The column a header designates in `sheet` (label, key or synonym), or None.
    The `Code INSEE` column is accepted on every table sheet (multi-territory workbooks)."""
    wanted = normalise(header)
    if not wanted:
        return None
    candidates = sheet.columns if sheet.key_value else (*sheet.columns, CODE_INSEE)
    for col in candidates:
        if wanted in {normalise(n) for n in (col.label, col.key, *col.synonyms)}:
            return col
    return None


def match_choice(column: Column, value: object) -> str | None:
    """The allowed value `value` stands for (case/accent-insensitive, synonyms), or None."""
    wanted = normalise(value)
    for choice in column.choices:
        if normalise(choice) == wanted:
            return choice
    return column.choice_synonyms.get(wanted) or column.choice_synonyms.get(str(value).strip())


YEAR_HEADER = re.compile(r"^\s*((?:19|20)\d{2})(?:\.0)?\s*$")


def year_of_header(header: object) -> int | None:
    """The year a Plan d'action header like `2022` (or 2022.0 from a numeric cell) names."""
    m = YEAR_HEADER.match(str(header))
    return int(m.group(1)) if m else None


# A comité's comment on a chart obeys the rules of a long text of the workbook (control
# characters refused, bounded length): checked by the store, whoever calls it.
COMMENT = Column(key="commentaire", label="Commentaire", max_length=2000)
