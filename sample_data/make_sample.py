"""Build the example CTG workbook for Lys-lez-Lannoy (59367): sample_data/ctg_lys_lez_lannoy.xlsx.

Public facts come from the CTG 2021-2023 between the Caf du Nord and the commune (offer, age
ranges, axes and fiches actions) and from INSEE (population, births, families, activity).
Every other figure is invented for the example: its cell carries the comment « Valeur inventée
pour l'exemple » and the `Sources` sheet (ignored by the reader) lists, per sheet, what is public
and what is invented. Headers are the labels declared in ctg_data.schemas, never retyped here.

Run: .venv/bin/python sample_data/make_sample.py  (the output is byte-for-byte reproducible).
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ctg_data.schemas import SHEETS, SHEETS_BY_KEY  # noqa: E402

OUTPUT = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
INVENTED = "Valeur inventée pour l'exemple"
AUTHOR = "Exemple CTG"
# Fixed dates so that two runs give the same bytes (openpyxl stamps "now" otherwise).
FIXED_DATETIME = datetime(2024, 1, 1, 0, 0, 0)
ZIP_DATETIME = (2024, 1, 1, 0, 0, 0)

CONVENTION = "Convention territoriale globale 2021-2023 Caf du Nord – Lys-lez-Lannoy"
PLAN_YEARS = (2021, 2022, 2023)


@dataclass(frozen=True)
class V:
    """A cell value with the comment that says where it comes from."""

    value: object
    note: str


def inv(value, detail: str = "") -> V:
    """An invented figure: its cell gets the « Valeur inventée pour l'exemple » comment."""
    return V(value, INVENTED + (f" ({detail})" if detail else "") + ".")


def pub(value, source: str) -> V:
    """A public figure with its source."""
    return V(value, f"Source : {source}.")


def derived(value, how: str) -> V:
    """A figure computed from public ones."""
    return V(value, f"Valeur déduite de chiffres publics : {how}.")


# --------------------------------------------------------------------------------------------
# Territoire
# --------------------------------------------------------------------------------------------
TERRITOIRE = {
    "code_insee": "59367",
    "nom": "Lys-lez-Lannoy",
    "type": "Commune",
    "departement": "59",
    "epci": "Métropole Européenne de Lille",
    "debut_ctg": 2021,
    "fin_ctg": 2023,
    "caf": "Caf du Nord",
    "avertissement": "Données d'exemple : les structures et capacités viennent de la convention "
                     "publique ; les autres chiffres sont en partie inventés.",
}

# --------------------------------------------------------------------------------------------
# Population: INSEE public figures where known, invented elsewhere.
# --------------------------------------------------------------------------------------------
RP2019 = "INSEE, recensement 2019 (dernier chiffre public, rattaché à la ligne 2020)"
POPULATION = [
    dict(annee=2020, population=inv(13712), enfants_0_2=inv(488), enfants_3_5=inv(531),
         enfants_6_10=inv(902), jeunes_11_17=inv(1236), naissances=inv(158), menages=inv(5860),
         familles_avec_enfants=inv(2570), familles_monoparentales=inv(690),
         familles_nombreuses=inv(388), allocataires=inv(2870),
         taux_activite_femmes=pub(88.1, RP2019), taux_chomage=pub(14.1, RP2019),
         revenu_median=inv(19250), taux_pauvrete=inv(20.1)),
    dict(annee=2021, population=pub(13793, "INSEE, population municipale 2021"),
         enfants_0_2=inv(482), enfants_3_5=inv(526), enfants_6_10=inv(897),
         jeunes_11_17=inv(1244), naissances=inv(161),
         menages=inv(5905, "cohérent avec 2,33 personnes par ménage, INSEE 2021"),
         familles_avec_enfants=derived(2553, "697 familles monoparentales = 27,3 % des familles "
                                             "avec enfants (INSEE 2021)"),
         familles_monoparentales=pub(697, "INSEE, recensement 2021"),
         familles_nombreuses=inv(384), allocataires=inv(2895),
         revenu_median=inv(19580), taux_pauvrete=inv(19.8)),
    dict(annee=2022, population=pub(13987, "INSEE, population municipale 2022"),
         enfants_0_2=inv(476), enfants_3_5=inv(520), enfants_6_10=inv(889),
         jeunes_11_17=inv(1251), naissances=pub(164, "INSEE, état civil 2022"),
         menages=inv(5950), familles_avec_enfants=inv(2560), familles_monoparentales=inv(702),
         familles_nombreuses=inv(381), allocataires=inv(2930),
         taux_activite_femmes=inv(88.6), taux_chomage=inv(13.6),
         revenu_median=inv(19900), taux_pauvrete=inv(19.5)),
    dict(annee=2023, population=inv(14040), enfants_0_2=inv(471), enfants_3_5=inv(515),
         enfants_6_10=inv(880), jeunes_11_17=inv(1258), naissances=inv(155), menages=inv(5985),
         familles_avec_enfants=inv(2565), familles_monoparentales=inv(708),
         familles_nombreuses=inv(379), allocataires=inv(2950)),
    # 2024: census figures not published yet; only births and allocataires are known.
    dict(annee=2024, naissances=inv(152), allocataires=inv(2965)),
]

# --------------------------------------------------------------------------------------------
# Équipements: the offer listed in the convention (public), invented details marked.
# --------------------------------------------------------------------------------------------
CTG_OFFER = "convention CTG 2021-2023, offre petite enfance"
CTG_ALSH = "convention CTG 2021-2023, offre enfance-jeunesse"
PEPINIERE_ADDRESS = "Maison de la Petite Enfance, 201/203 rue Paul Bert, 59390 Lys-lez-Lannoy"
GPS = "coordonnées approximatives"
EQUIPEMENTS = [
    dict(nom="Multi-accueil La Pépinière", type="Multi-accueil", places=pub(44, CTG_OFFER),
         gestionnaire=pub("Municipal", CTG_OFFER),
         financement=inv("PSU", "hypothèse : EAJE municipal cofinancé par la Caf"),
         adresse=PEPINIERE_ADDRESS, latitude=inv(50.6663, GPS), longitude=inv(3.2128, GPS),
         age_min=inv(0), age_max=inv(4), annee=2020,
         horaires=pub("Lun-ven 8h-18h", "site de la ville, 2017"),
         remarques="Maison de la Petite Enfance ; accueille aussi le relais et la PMI."),
    dict(nom="Multi-accueil La Pépinière", type="Multi-accueil",
         places=inv(48, "extension de 4 places en septembre 2023"),
         gestionnaire="Municipal", financement=inv("PSU"), adresse=PEPINIERE_ADDRESS,
         latitude=inv(50.6663, GPS), longitude=inv(3.2128, GPS), age_min=inv(0), age_max=inv(4),
         annee=2023, horaires="Lun-ven 8h-18h",
         remarques=inv("Extension de 4 places en septembre 2023")),
    dict(nom="Micro-crèche Ma Cachette", type="Micro-crèche", places=pub(10, CTG_OFFER),
         gestionnaire=pub("Privé", CTG_OFFER),
         financement=inv("PAJE", "micro-crèche financée par la PAJE, hors PSU"),
         latitude=inv(50.6701, GPS), longitude=inv(3.2205, GPS), age_min=inv(0), age_max=inv(3)),
    dict(nom="Micro-crèche Au pays des Merveilles", type="Micro-crèche", places=pub(10, CTG_OFFER),
         gestionnaire=pub("Privé", CTG_OFFER),
         financement=inv("PSU", "micro-crèche conventionnée PSU"),
         latitude=inv(50.6642, GPS), longitude=inv(3.2071, GPS), age_min=inv(0), age_max=inv(3)),
    dict(nom="MAM Les Joyeux Bambins", type="MAM", places=pub(8, CTG_OFFER),
         gestionnaire=inv("Associatif"), latitude=inv(50.6688, GPS), longitude=inv(3.2164, GPS),
         age_min=inv(0), age_max=inv(6),
         remarques="Places comptées avec celles des assistantes maternelles."),
    dict(nom="Berceaux réservés – Les Petits Chaperons Rouges", type="Berceaux réservés",
         places=pub(5, CTG_OFFER), gestionnaire="Privé",
         commune=pub("Leers", CTG_OFFER + " : zone de Roubaix Est – Leers"),
         latitude=inv(50.6824, GPS), longitude=inv(3.2398, GPS),
         remarques="Crèche située hors de la commune : offre mobilisable hors territoire."),
    dict(nom="Berceaux réservés – Multi-accueil du centre social des 3 villes",
         type="Berceaux réservés", places=pub(2, CTG_OFFER), gestionnaire="Associatif",
         commune=pub("Hem", CTG_OFFER), latitude=inv(50.6551, GPS), longitude=inv(3.1885, GPS),
         remarques="Centre social des 3 villes (Roubaix / Hem / Lys-lez-Lannoy), situé à Hem."),
    dict(nom="Relais petite enfance La Pépinière", type="Relais petite enfance",
         gestionnaire=pub("Municipal", "convention CTG 2021-2023, annexe 1"),
         adresse=PEPINIERE_ADDRESS, latitude=inv(50.6663, GPS), longitude=inv(3.2128, GPS),
         remarques="Ancien relais d'assistants maternels (RAM), devenu relais petite enfance."),
    dict(nom="Consultations PMI La Pépinière", type="Consultation PMI", gestionnaire="Autre",
         adresse=PEPINIERE_ADDRESS, latitude=inv(50.6663, GPS), longitude=inv(3.2128, GPS),
         horaires=pub("Environ 6 demi-journées par semaine", CTG_OFFER),
         remarques="Consultations infantiles du Département ; organisation variable."),
    dict(nom="ALSH Parc Maréchal", type="ALSH", places=inv(140), gestionnaire="Municipal",
         latitude=inv(50.6719, GPS), longitude=inv(3.2102, GPS),
         age_min=pub(3, CTG_ALSH), age_max=pub(17, CTG_ALSH),
         remarques="Juillet et août 3-17 ans ; petites vacances et mercredis 3-14 ans ; "
                   "écoles Marie Curie et maternelle Paul Bert si besoin."),
    dict(nom="ALSH ferme du Gauquier", type="ALSH", places=inv(36), gestionnaire="Municipal",
         latitude=inv(50.6612, GPS), longitude=inv(3.2241, GPS),
         age_min=pub(9, CTG_ALSH), age_max=pub(17, CTG_ALSH), horaires="Juillet"),
    dict(nom="ALSH périscolaire", type="ALSH", places=inv(150),
         gestionnaire=pub("Municipal", "convention CTG 2021-2023, annexe 1"),
         latitude=inv(50.6690, GPS), longitude=inv(3.2181, GPS), age_min=inv(3), age_max=inv(11),
         horaires="Avant et après la classe",
         remarques="Écoles publiques Marie Curie et maternelle Paul Bert."),
    dict(nom="Accueil jeunes « au 21 »", type="Accueil jeunes", places=inv(24),
         gestionnaire="Municipal", latitude=inv(50.6679, GPS), longitude=inv(3.2150, GPS),
         age_min=pub(14, CTG_ALSH), age_max=pub(17, CTG_ALSH),
         horaires=pub("Mercredis et samedis après-midi, vendredis soir, première semaine des "
                      "petites vacances", CTG_ALSH)),
]

# --------------------------------------------------------------------------------------------
# Assistantes maternelles and Accueil petite enfance.
# --------------------------------------------------------------------------------------------
AM = [
    dict(annee=2020, am_agreees=inv(73), am_en_activite=inv(63), places_agreees=inv(262),
         places_moins_3_ans=inv(184)),
    dict(annee=2021, am_agreees=pub(71, CTG_OFFER), am_en_activite=inv(61),
         places_agreees=inv(255), places_moins_3_ans=inv(180)),
    dict(annee=2022, am_agreees=inv(68), am_en_activite=inv(58), places_agreees=inv(244),
         places_moins_3_ans=inv(172)),
    dict(annee=2023, am_agreees=inv(66), am_en_activite=inv(56), places_agreees=inv(236),
         places_moins_3_ans=inv(166)),
    dict(annee=2024, am_agreees=inv(64), am_en_activite=inv(54), places_agreees=inv(229),
         places_moins_3_ans=inv(160)),
]

ACCUEIL = [
    dict(annee=2020, enfants_scolarises_2_ans=inv(14), enfants_gardes_domicile=inv(5),
         demandes_en_attente=inv(62), etp_animateur_rpe=inv(0.8)),
    dict(annee=2021, enfants_scolarises_2_ans=inv(12), enfants_gardes_domicile=inv(6),
         demandes_en_attente=inv(58), etp_animateur_rpe=inv(1.0)),
    dict(annee=2022, enfants_scolarises_2_ans=inv(15), enfants_gardes_domicile=inv(4),
         demandes_en_attente=inv(51), etp_animateur_rpe=inv(1.0)),
    dict(annee=2023, enfants_scolarises_2_ans=inv(13), enfants_gardes_domicile=inv(5),
         demandes_en_attente=inv(43), etp_animateur_rpe=inv(1.0)),
    # 2024: garde à domicile not known yet (component missing: the rate is flagged).
    dict(annee=2024, enfants_scolarises_2_ans=inv(11), demandes_en_attente=inv(40),
         etp_animateur_rpe=inv(1.0)),
]

# --------------------------------------------------------------------------------------------
# ALSH: periods and age ranges from the convention, every figure invented.
# --------------------------------------------------------------------------------------------
# (nom, période, âge min, âge max, places, jours, enfants accueillis, heures réalisées, lieu)
_ALSH_BASE = [
    ("ALSH Parc Maréchal", "Mercredis", 3, 14, 80, 36, 118, 20100, "Parc Maréchal"),
    ("ALSH Parc Maréchal", "Petites vacances", 3, 14, 100, 32, 205, 21300, "Parc Maréchal"),
    ("ALSH Parc Maréchal", "Juillet", 3, 17, 140, 21, 262, 19400, "Parc Maréchal"),
    ("ALSH Parc Maréchal", "Août", 3, 17, 110, 20, 171, 14200, "Parc Maréchal"),
    ("ALSH ferme du Gauquier", "Juillet", 9, 17, 36, 20, 58, 4700, "Ferme du Gauquier"),
    ("ALSH périscolaire", "Périscolaire", 3, 11, 150, 140, 212, None,
     "Écoles Marie Curie et maternelle Paul Bert"),
    ("Accueil jeunes « au 21 »", "Année", 14, 17, 24, 150, None, None, "Au 21"),
]
# Attendance factor by year: 2020 reduced by the health crisis (invented).
_ALSH_YEARS = {2020: 0.62, 2021: 0.88, 2022: 0.96, 2023: 1.0, 2024: 1.03}
_AU21_ACCUEILLIS = {2020: 85, 2021: 92, 2022: 104, 2023: 111, 2024: 115}
PUBLIC_AGES = {("ALSH Parc Maréchal", "Mercredis"), ("ALSH Parc Maréchal", "Petites vacances"),
               ("ALSH Parc Maréchal", "Juillet"), ("ALSH Parc Maréchal", "Août"),
               ("ALSH ferme du Gauquier", "Juillet"), ("Accueil jeunes « au 21 »", "Année")}


def _alsh_rows() -> list[dict]:
    rows = []
    for year, factor in _ALSH_YEARS.items():
        for nom, periode, a0, a1, places, jours, enfants, heures, lieu in _ALSH_BASE:
            ages_public = (nom, periode) in PUBLIC_AGES
            if nom.startswith("Accueil jeunes"):
                enfants_v = _AU21_ACCUEILLIS[year]
            else:
                enfants_v = round(enfants * factor)
            rows.append(dict(
                annee=year, nom=nom, periode=periode,
                places=inv(places),
                age_min=pub(a0, CTG_ALSH) if ages_public else inv(a0),
                age_max=pub(a1, CTG_ALSH) if ages_public else inv(a1),
                jours_ouverture=inv(jours), enfants_accueillis=inv(enfants_v),
                heures_realisees=inv(round(heures * factor / 10) * 10) if heures else None,
                lieu=lieu))
    return rows


ALSH = _alsh_rows()

# --------------------------------------------------------------------------------------------
# Besoins: survey results and the waiting list by age, all invented.
# --------------------------------------------------------------------------------------------
QUESTIONNAIRE = "Questionnaire familles 2022 (exemple)"
BESOINS = [
    dict(annee=2021, indicateur="Familles accompagnées par le relais dans leur recherche d'accueil",
         valeur=inv(96), theme="Petite enfance", unite="familles",
         source="Bilan d'activité du relais petite enfance (exemple)"),
    dict(annee=2022, indicateur="Questionnaires familles reçus", valeur=inv(212), theme="Autre",
         unite="questionnaires", source=QUESTIONNAIRE),
    dict(annee=2022, indicateur="Familles déclarant des difficultés à trouver un mode d'accueil",
         valeur=inv(41), theme="Petite enfance", unite="%", source=QUESTIONNAIRE),
    dict(annee=2022, indicateur="Familles souhaitant des horaires élargis (avant 8 h, après 18 h)",
         valeur=inv(34), theme="Petite enfance", unite="%", source=QUESTIONNAIRE),
    dict(annee=2022, indicateur="Familles souhaitant un accueil le samedi", valeur=inv(18),
         theme="Petite enfance", unite="%", source=QUESTIONNAIRE),
    dict(annee=2022, indicateur="Parents intéressés par des ateliers parents-enfants",
         valeur=inv(37), theme="Parentalité", unite="%", source=QUESTIONNAIRE),
    dict(annee=2022, indicateur="Jeunes de 11-17 ans souhaitant plus d'activités le week-end",
         valeur=inv(52), theme="Jeunesse", unite="%", source=QUESTIONNAIRE),
    dict(annee=2023, indicateur="Demandes en attente pour un enfant de moins d'un an",
         valeur=inv(27), theme="Petite enfance", unite="demandes",
         source="Liste d'attente de la Maison de la Petite Enfance (exemple)"),
    dict(annee=2023, indicateur="Demandes en attente pour un enfant de 1 à 2 ans",
         valeur=inv(12), theme="Petite enfance", unite="demandes",
         source="Liste d'attente de la Maison de la Petite Enfance (exemple)"),
    dict(annee=2023, indicateur="Demandes en attente pour un enfant de 2 à 3 ans",
         valeur=inv(4), theme="Petite enfance", unite="demandes",
         source="Liste d'attente de la Maison de la Petite Enfance (exemple)"),
]

# --------------------------------------------------------------------------------------------
# Plan d'action: the three axes of the convention (annexes 5-6 and evaluation tables), plus
# petite-enfance and jeunesse actions with numeric indicators (invented).
# --------------------------------------------------------------------------------------------
AXE1 = "Axe 1 : Réaliser le diagnostic de territoire"
AXE2 = "Axe 2 : Dégager des pistes d'actions sur le territoire d'intervention"
AXE3 = "Axe 3 : Piloter le dispositif"
ACTION1 = "Co-construire un diagnostic avec les partenaires d'action (états des lieux et besoins)"
ACTION2 = "Élaborer un plan d'action en lien avec les conclusions du diagnostic"
ACTION3 = ("Définir les modalités de mise en œuvre, de suivi et d'évaluation de la Convention "
           "Territoriale Globale")
ACTION4 = "Développer l'offre d'accueil du jeune enfant"
ACTION5 = "Renforcer l'offre en direction des jeunes de 14 à 17 ans"
ATTENDUS1 = ("Faire émerger des besoins sur le territoire ; apporter un éclairage sur la commune ; "
             "partager un diagnostic pouvant déboucher sur des pistes concrètes d'actions et des "
             "priorités ciblées.")
ATTENDUS2 = ("Réponse aux besoins exprimés et satisfaction des familles ; développement de "
             "nouvelles actions/services ; amélioration de la qualité de service, optimisation, "
             "mutualisation ; cohérence des actions sur le territoire.")
ATTENDUS3 = ("Faciliter les échanges, le partenariat et la dynamique locale ; identifier des "
             "référents selon les thématiques ; construction d'outils de suivi et d'évaluation.")
PARTENAIRES_CTG = ("Services de la commune, associations locales, UTPAS, État, gestionnaires "
                   "privés ; Éducation nationale, Région, ARS, France Travail selon les thèmes")
CHEF = inv("Chef de projet CTG")


def _plan(axe, action, indicateur, numero, champ, type_indicateur, *, unite=None, sens=None,
          reference=None, cible=None, values=(None, None, None), attendus=None, obtenus=None,
          analyse=None, statut=None, referent=CHEF, partenaires=None, calendrier=None) -> dict:
    row = dict(axe=axe, action=action, indicateur=indicateur, champ=champ,
               numero_action=str(numero), type_indicateur=type_indicateur, unite=unite, sens=sens,
               valeur_reference=None if reference is None else inv(reference),
               annee_reference=None if reference is None else 2020,
               cible=None if cible is None else inv(cible),
               annee_cible=None if cible is None else 2023,
               resultats_attendus=attendus, resultats_obtenus=obtenus, analyse=analyse,
               statut=statut, referent=referent, partenaires=partenaires, calendrier=calendrier)
    for year, value in zip(PLAN_YEARS, values):
        row[year] = None if value is None else inv(value)
    return row


PLAN = [
    _plan(AXE1, ACTION1, "Diagnostic de territoire sur les thématiques", 1, "Tous champs",
          "Réalisation", attendus=pub(ATTENDUS1, "convention CTG, tableau d'évaluation de l'axe 1"),
          obtenus=inv("Diagnostic partagé présenté au comité de pilotage de juin 2022"),
          analyse=inv("Objectif atteint : le diagnostic couvre la petite enfance, l'enfance-"
                      "jeunesse et la parentalité."),
          statut=inv("Réalisée"), partenaires=PARTENAIRES_CTG, calendrier="2021/2023"),
    _plan(AXE1, ACTION1, "Temps de concertation avec les partenaires et les habitants", 1,
          "Tous champs", "Réalisation", unite="réunions", sens="Hausse", reference=0, cible=6,
          values=(2, 5, 7), attendus=pub(ATTENDUS1, "convention CTG, tableau d'évaluation de "
                                                    "l'axe 1"),
          obtenus=inv("Sept temps de concertation, dont deux réunions d'habitants"),
          statut=inv("Réalisée"), partenaires=PARTENAIRES_CTG, calendrier="2021/2023"),
    _plan(AXE2, ACTION2, "Élaboration d'un plan d'action", 2, "Tous champs", "Réalisation",
          attendus=pub(ATTENDUS2, "convention CTG, tableau d'évaluation de l'axe 2"),
          obtenus=inv("Pistes d'actions partagées en comité technique ; plan en cours de "
                      "rédaction"),
          statut=inv("En cours"), partenaires=PARTENAIRES_CTG,
          calendrier="2023 (après partage du diagnostic)"),
    _plan(AXE2, ACTION4, "Places d'accueil collectif (EAJE) sur la commune", 4, "Petite enfance",
          "Résultat", unite="places", sens="Hausse", reference=64, cible=70, values=(64, 64, 68),
          attendus=inv("Augmenter l'offre d'accueil collectif pour répondre aux demandes en "
                       "attente"),
          obtenus=inv("Extension de 4 places du multi-accueil La Pépinière en septembre 2023"),
          analyse=inv("Cible non atteinte : un projet de micro-crèche est à l'étude."),
          statut=inv("En cours"), partenaires=inv("Caf du Nord, PMI, gestionnaires privés"),
          calendrier="2021-2023"),
    _plan(AXE2, ACTION4, "Demandes d'accueil en attente au 31 décembre", 4, "Petite enfance",
          "Résultat", unite="demandes", sens="Baisse", reference=62, cible=40, values=(58, 51, 43),
          attendus=inv("Réduire la liste d'attente de la Maison de la Petite Enfance"),
          obtenus=inv("La liste d'attente passe de 62 à 43 demandes"),
          statut=inv("En cours"), partenaires=inv("Caf du Nord, relais petite enfance"),
          calendrier="2021-2023"),
    _plan(AXE2, ACTION5, "Jeunes différents accueillis à l'accueil jeunes « au 21 »", 5,
          "Jeunesse", "Résultat", unite="jeunes", sens="Hausse", reference=85, cible=120,
          values=(92, 104, 111),
          attendus=inv("Toucher davantage de jeunes de 14 à 17 ans"),
          obtenus=inv("Fréquentation en hausse régulière"), statut=inv("En cours"),
          partenaires=inv("Caf du Nord, associations sportives et culturelles"),
          calendrier="2021-2023"),
    _plan(AXE2, ACTION5, "Jeunes engagés dans un projet (séjour, chantier, junior association)", 5,
          "Jeunesse", "Réalisation", unite="jeunes", sens="Hausse", reference=0, cible=20,
          attendus=inv("Accompagner des projets portés par les jeunes"),
          statut=inv("Non démarrée"), partenaires=inv("Caf du Nord"), calendrier="2022-2023"),
    _plan(AXE3, ACTION3, "Organisation des différentes instances partenariales : comité "
          "pilotage, comité technique, commissions thématiques", 3, "Tous champs", "Moyens",
          unite="réunions par an", sens="Hausse", reference=0, cible=5, values=(3, 4, 5),
          attendus=pub(ATTENDUS3, "convention CTG, tableau d'évaluation de l'axe 3"),
          obtenus=inv("Comités techniques et comités de pilotage tenus chaque année"),
          statut=inv("Réalisée"), partenaires="La collectivité signataire et la Caf du Nord",
          calendrier="2021-2023"),
    _plan(AXE3, ACTION3, "Outils de suivi et d'évaluation", 3, "Tous champs", "Réalisation",
          attendus=pub(ATTENDUS3, "convention CTG, tableau d'évaluation de l'axe 3"),
          obtenus=inv("Tableau de bord CTG et classeur de suivi annuel"),
          statut=inv("Réalisée"), partenaires="La collectivité signataire et la Caf du Nord",
          calendrier="2021-2023"),
]

FICHE_SRC = "convention CTG 2021-2023, fiche action n°"
FICHES = [
    dict(numero_action="1", intitule=ACTION1, axe=AXE1,
         cadre_strategique=pub("Avoir une vision globale et partagée des forces et des besoins "
                               "sur le territoire par rapport aux tendances et dynamiques "
                               "repérées à l'échelle de la MEL", FICHE_SRC + "1"),
         objectif_strategique="Avoir une vision globale et partagée des forces et des besoins "
                              "sur le territoire par rapport aux tendances et dynamiques "
                              "repérées à l'échelle de la MEL",
         objectifs_operationnels="Réaliser un état des lieux de l'offre sur le territoire ; "
                                 "réaliser un état des lieux des besoins sur le territoire",
         referent=CHEF, publics_cibles="Tous les habitants de la commune",
         partenaires=PARTENAIRES_CTG,
         moyens="Données statistiques du territoire ; analyse des besoins sociaux (si l'étude "
                "existe) ; échanges entre les partenaires, récolte de la parole des habitants",
         resultats_attendus=ATTENDUS1,
         modalites="Temps de concertation avec les partenaires et les habitants selon les "
                   "thématiques ; analyse des données récoltées ; point d'étape à mi-parcours ; "
                   "questionnaire, réunions d'habitants",
         debut=2021, fin=2023),
    dict(numero_action="2", intitule=ACTION2, axe=AXE2,
         objectif_strategique="Dégager des priorités d'actions sur le territoire",
         objectifs_operationnels="Partager avec les partenaires concernés les pistes d'actions "
                                 "retenues selon les thématiques ciblées ; définir les actions "
                                 "à mener",
         referent=CHEF, publics_cibles="Les habitants de la commune", partenaires=PARTENAIRES_CTG,
         moyens="Les conclusions du diagnostic territorial ; la coopération entre les acteurs ; "
                "mise en réseau des partenaires et gestionnaires",
         resultats_attendus=ATTENDUS2,
         modalites="Temps de concertation avec les partenaires et les habitants ; validation des "
                   "priorités d'actions sur le territoire ; élaboration du plan d'actions à venir "
                   "et rétroplanning",
         debut=2023, fin=2023),
    dict(numero_action="3", intitule=ACTION3, axe=AXE3,
         objectif_strategique="Formaliser sur le temps de la première Convention Territoriale "
                              "Globale signée les conditions du suivi du dispositif",
         objectifs_operationnels="Définir les modalités de co-portage entre le signataire et la "
                                 "Caf ; expliciter le rôle du ou des chargés de coopération ; "
                                 "clarifier le fonctionnement des instances d'échanges ; calibrer "
                                 "le nombre d'ETP nécessaire en vue de la prochaine CTG",
         referent=CHEF,
         publics_cibles="La collectivité signataire et les partenaires",
         partenaires="La collectivité signataire et la Caf du Nord",
         moyens="Le ou les chargés de coopération CTG ; les attendus de la fiche de poste "
                "« chargé de coopération » définie par la Cnaf",
         resultats_attendus=ATTENDUS3, debut=2021, fin=2023),
    dict(numero_action="4", intitule=ACTION4, axe=AXE2,
         cadre_strategique=inv("Aider les familles à concilier vie familiale, vie professionnelle "
                               "et vie sociale"),
         objectif_strategique=inv("Poursuivre la structuration d'une offre diversifiée en "
                                  "direction de la petite enfance"),
         objectifs_operationnels=inv("Créer des places d'accueil collectif ; réduire la liste "
                                     "d'attente ; mieux informer les familles via le relais"),
         referent=inv("Responsable du service petite enfance"),
         publics_cibles=inv("Familles avec enfants de moins de 3 ans"),
         partenaires=inv("Caf du Nord, PMI, gestionnaires privés, relais petite enfance"),
         moyens=inv("Bonus territoire CTG, aide à l'investissement de la Caf"),
         resultats_attendus=inv("Un taux de couverture qui se rapproche de la moyenne "
                                "nationale ; moins de demandes en attente"),
         modalites=inv("Extension du multi-accueil La Pépinière ; étude d'une micro-crèche"),
         debut=2021, fin=2023),
    dict(numero_action="5", intitule=ACTION5, axe=AXE2,
         cadre_strategique=inv("Faciliter la relation parentale, favoriser le développement de "
                               "l'enfant et soutenir les jeunes"),
         objectif_strategique=inv("Faciliter l'autonomie des jeunes, élément de passage à l'âge "
                                  "adulte"),
         objectifs_operationnels=inv("Élargir les horaires de l'accueil jeunes « au 21 » ; "
                                     "accompagner des projets de jeunes"),
         referent=inv("Responsable du service jeunesse"),
         publics_cibles=inv("Jeunes de 14 à 17 ans"),
         partenaires=inv("Caf du Nord, associations sportives et culturelles"),
         moyens=inv("Un animateur supplémentaire le samedi ; prestation de service jeunes"),
         resultats_attendus=inv("Davantage de jeunes accueillis ; des projets portés par des "
                                "jeunes"),
         modalites=inv("Ouverture le samedi toute l'année ; appel à projets jeunes"),
         debut=2021, fin=2023),
]

# --------------------------------------------------------------------------------------------
# Financements, Comités, Décisions: all invented.
# --------------------------------------------------------------------------------------------
def _financements() -> list[dict]:
    base = [
        ("Multi-accueil La Pépinière", "Caf du Nord", 238000, "PSU"),
        ("Multi-accueil La Pépinière", "Caf du Nord", 41000, "Bonus territoire CTG"),
        ("Multi-accueil La Pépinière", "Commune de Lys-lez-Lannoy", 312000,
         "Subvention communale"),
        ("Relais petite enfance La Pépinière", "Caf du Nord", 28500, "Prestation de service RPE"),
        ("ALSH Parc Maréchal", "Caf du Nord", 46000, "Prestation de service ALSH"),
        ("ALSH Parc Maréchal", "Caf du Nord", 18500, "Bonus territoire CTG"),
        ("Accueil jeunes « au 21 »", "Caf du Nord", 9800, "Prestation de service jeunes"),
    ]
    growth = {2021: 1.0, 2022: 1.03, 2023: 1.07}
    rows = []
    for year, g in growth.items():
        for structure, financeur, montant, dispositif in base:
            rows.append(dict(annee=year, structure=structure, financeur=financeur,
                             montant=inv(round(montant * g, -2)), dispositif=dispositif))
    return rows


FINANCEMENTS = _financements()

COTECH, COPIL, GROUPE = "Comité technique", "Comité de pilotage", "Groupe thématique"
PARTICIPANTS_COTECH = "Chef de projet, Caf du Nord, services de la ville, UTPAS"
PARTICIPANTS_COPIL = "Maire, élus, Caf du Nord, UTPAS, État, conseil citoyen"
COMITES = [
    ("2021-03-18", COTECH, "Lancement de la démarche, calendrier du diagnostic"),
    ("2021-06-24", COPIL, "Installation du comité de pilotage"),
    ("2021-11-16", COTECH, "Premiers éléments de diagnostic"),
    ("2022-02-15", COTECH, "Questionnaire familles"),
    ("2022-05-17", COTECH, "Résultats du questionnaire familles"),
    ("2022-06-28", COPIL, "Présentation du diagnostic partagé"),
    ("2022-10-11", COTECH, "Pistes d'actions petite enfance et jeunesse"),
    ("2023-01-24", COTECH, "Priorisation des pistes d'actions"),
    ("2023-04-04", COTECH, "Extension de La Pépinière, liste d'attente"),
    ("2023-06-27", COPIL, "Bilan 2022 et plan d'action"),
    ("2023-09-19", COTECH, "Accueil jeunes : ouverture le samedi"),
    ("2023-11-28", GROUPE, "Groupe petite enfance : information des familles"),
    ("2024-03-12", COTECH, "Préparation de l'évaluation finale"),
    ("2024-06-25", COPIL, "Évaluation finale de la CTG 2021-2023"),
]


def _comites() -> list[dict]:
    rows = []
    for date, instance, odj in COMITES:
        rows.append(dict(date=inv(date), instance=instance,
                         lieu="Mairie de Lys-lez-Lannoy" if instance == COPIL else "La Pépinière",
                         participants=PARTICIPANTS_COPIL if instance == COPIL
                         else PARTICIPANTS_COTECH,
                         ordre_du_jour=inv(odj), compte_rendu=inv("Compte rendu diffusé aux "
                                                                  "membres")))
    return rows


DECISIONS = [
    dict(date_comite=inv("2021-06-24"), decision=inv("Lancer un questionnaire auprès des familles"),
         responsable="Chef de projet CTG", echeance=inv("2022-03-31"), statut="Réalisée",
         suivi=inv("212 questionnaires reçus")),
    dict(date_comite=inv("2022-06-28"), decision=inv("Étudier l'extension du multi-accueil La "
                                                     "Pépinière"),
         responsable="Service petite enfance", echeance=inv("2023-06-30"), statut="Réalisée",
         suivi=inv("4 places ouvertes en septembre 2023")),
    dict(date_comite=inv("2022-10-11"), decision=inv("Ouvrir l'accueil jeunes « au 21 » le samedi "
                                                     "toute l'année"),
         responsable="Service jeunesse", echeance=inv("2023-09-30"), statut="Réalisée",
         suivi=inv("Ouverture le samedi depuis la rentrée 2023")),
    dict(date_comite=inv("2023-06-27"), decision=inv("Étudier l'implantation d'une micro-crèche"),
         responsable="Service petite enfance", echeance=inv("2024-06-30"), statut="Ouverte",
         suivi=inv("Étude de besoins en cours")),
    dict(date_comite=inv("2023-06-27"), decision=inv("Créer une junior association"),
         responsable="Service jeunesse", echeance=inv("2023-12-31"), statut="Abandonnée",
         suivi=inv("Pas de groupe de jeunes porteur en 2023")),
    dict(date_comite=inv("2024-03-12"), decision=inv("Préparer l'évaluation finale avec la Caf"),
         responsable="Chef de projet CTG", echeance=inv("2024-06-25"), statut="Ouverte"),
]

# --------------------------------------------------------------------------------------------
# Sources sheet: what is public and what is invented, sheet by sheet.
# --------------------------------------------------------------------------------------------
SOURCES = [
    ("Territoire", "Code INSEE, nom, département, EPCI, Caf, période de la CTG", "Public",
     CONVENTION + " ; INSEE (code officiel géographique)"),
    ("Population", "Population 2021 (13 793) et 2022 (13 987)", "Public",
     "INSEE, populations légales"),
    ("Population", "Naissances 2022 (164)", "Public", "INSEE, état civil"),
    ("Population", "Familles monoparentales 2021 (697)", "Public", "INSEE, recensement 2021"),
    ("Population", "Familles avec enfants 2021 (2 553 = 697 / 27,3 %)", "Déduit",
     "INSEE, recensement 2021"),
    ("Population", "Taux d'activité des femmes 25-54 ans (88,1 %) et taux de chômage (14,1 %), "
     "ligne 2020", "Public", "INSEE, recensement 2019"),
    ("Population", "Toutes les autres valeurs (tranches d'âge, naissances hors 2022, ménages, "
     "familles, allocataires, revenu médian, taux de pauvreté, populations 2020 et 2023)",
     "Inventé", "Valeurs inventées pour l'exemple"),
    ("Équipements", "Structures, types, capacités (44, 10, 10, 8, 5 et 2 places), gestionnaires "
     "municipal/privé, berceaux situés à Leers et à Hem, adresse de La Pépinière, âges des ALSH "
     "et de l'accueil jeunes, horaires publiés", "Public", CONVENTION),
    ("Équipements", "Financement PSU/PAJE des micro-crèches (Ma Cachette en PAJE, Au pays des "
     "Merveilles en PSU), extension de La Pépinière à 48 places en 2023, coordonnées GPS, âges "
     "des EAJE, de la MAM et du périscolaire, capacités des ALSH et de l'accueil jeunes",
     "Inventé",
     "Valeurs inventées pour l'exemple"),
    ("Assistantes maternelles", "71 assistantes maternelles agréées (ligne 2021)", "Public",
     CONVENTION),
    ("Assistantes maternelles", "Toutes les autres valeurs", "Inventé",
     "Valeurs inventées pour l'exemple"),
    ("Accueil petite enfance", "Toutes les valeurs (préscolarisation, garde à domicile, liste "
     "d'attente, ETP du relais)", "Inventé", "Valeurs inventées pour l'exemple"),
    ("ALSH", "Noms, périodes, lieux et tranches d'âge (3-17 ans en juillet-août, 3-14 ans "
     "mercredis et petites vacances, 9-17 ans à la ferme du Gauquier, 14-17 ans à l'accueil "
     "jeunes)", "Public", CONVENTION),
    ("ALSH", "Places, jours, enfants accueillis, heures réalisées ; tranche d'âge du périscolaire",
     "Inventé", "Valeurs inventées pour l'exemple"),
    ("Besoins", "Toutes les valeurs (questionnaire familles, liste d'attente par âge)", "Inventé",
     "Valeurs inventées pour l'exemple"),
    ("Plan d'action", "Axes 1 à 3, actions, indicateurs retenus, résultats attendus et "
     "calendriers des fiches 1 à 3", "Public", CONVENTION + ", annexes 5 et 6 et tableaux "
     "d'évaluation"),
    ("Plan d'action", "Actions 4 et 5 (petite enfance, jeunesse), valeurs de référence, cibles, "
     "valeurs observées 2021-2023, résultats obtenus, analyses, statuts, référents", "Inventé",
     "Valeurs inventées pour l'exemple"),
    ("Fiches actions", "Fiches 1 à 3", "Public", CONVENTION + ", fiches actions"),
    ("Fiches actions", "Fiches 4 et 5, référents", "Inventé", "Valeurs inventées pour l'exemple"),
    ("Financements", "Tous les montants", "Inventé", "Valeurs inventées pour l'exemple"),
    ("Comités", "Dates, ordres du jour et comptes rendus (rythme conforme à l'annexe 2 : 3 à 4 "
     "comités techniques et 1 comité de pilotage par an)", "Inventé",
     "Valeurs inventées pour l'exemple"),
    ("Décisions", "Toutes les décisions", "Inventé", "Valeurs inventées pour l'exemple"),
]

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
TITLE_FONT = Font(bold=True, size=13)

# Sheets that get a title row above their header (real files often have one).
TITLES = {
    "population": "Lys-lez-Lannoy — population et familles (exemple : voir la feuille Sources)",
    "equipements": "Lys-lez-Lannoy — structures d'accueil (exemple : voir la feuille Sources)",
}


def _put(ws, row: int, col: int, value) -> None:
    """Write one value; a V value also gets its comment."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, V):
        cell.value = value.value
        cell.comment = Comment(value.note, AUTHOR, width=260, height=80)
    else:
        cell.value = value


def _as_date(value):
    """An ISO date string (possibly inside a V) as a date object."""
    if isinstance(value, V):
        return V(date.fromisoformat(value.value), value.note)
    return date.fromisoformat(value)


def _columns(sheet_key: str) -> list[tuple[object, str]]:
    """(key, header) pairs of a sheet in order; plan year columns follow `Année cible`."""
    pairs: list[tuple[object, str]] = []
    for col in SHEETS_BY_KEY[sheet_key].columns:
        pairs.append((col.key, col.label))
        if sheet_key == "plan_action" and col.key == "annee_cible":
            pairs.extend((year, year) for year in PLAN_YEARS)
    return pairs


def write_table(ws, sheet_key: str, rows: list[dict]) -> None:
    """A table sheet: optional title row, the schema's headers, one row per dict."""
    start = 1
    if sheet_key in TITLES:
        ws.cell(row=1, column=1, value=TITLES[sheet_key]).font = TITLE_FONT
        start = 3  # title, blank row, header
    columns = _columns(sheet_key)
    sheet = SHEETS_BY_KEY[sheet_key]
    # Real workbooks hold dates as date cells, not text: write them so.
    date_keys = {c.key for c in sheet.columns if c.type == "date"}
    for j, (_, header) in enumerate(columns, start=1):
        cell = ws.cell(row=start, column=j, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for i, row in enumerate(rows, start=start + 1):
        for j, (key, _) in enumerate(columns, start=1):
            value = row.get(key)
            if key in date_keys and value is not None:
                value = _as_date(value)
                ws.cell(row=i, column=j).number_format = "DD/MM/YYYY"
            if value is not None:
                _put(ws, i, j, value)
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    for j, (_, header) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(45, len(str(header)) + 4))


def write_territoire(ws) -> None:
    """The key-value Territoire sheet: Champ / Valeur."""
    for j, header in enumerate(("Champ", "Valeur"), start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    # A commune has no « Communes membres »: only the fields the example fills are written.
    fields = [col for col in SHEETS_BY_KEY["territoire"].columns if col.key in TERRITOIRE]
    for i, col in enumerate(fields, start=2):
        ws.cell(row=i, column=1, value=col.label)
        ws.cell(row=i, column=2, value=TERRITOIRE[col.key])
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 36


def write_sources(ws) -> None:
    """The Sources sheet (skipped by the reader): public vs invented values per sheet."""
    ws.cell(row=1, column=1, value="Classeur d'exemple : Lys-lez-Lannoy (59367). Les chiffres "
            "publics sont sourcés ; toute autre valeur est inventée pour l'exemple et porte le "
            "commentaire « " + INVENTED + " ».").font = Font(bold=True)
    headers = ("Feuille", "Valeurs", "Statut", "Source")
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=3, column=j, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for i, line in enumerate(SOURCES, start=4):
        for j, value in enumerate(line, start=1):
            ws.cell(row=i, column=j, value=value)
    for letter, width in zip("ABCD", (24, 90, 10, 70)):
        ws.column_dimensions[letter].width = width


TABLES = {
    "population": POPULATION,
    "equipements": EQUIPEMENTS,
    "assistantes_maternelles": AM,
    "accueil_petite_enfance": ACCUEIL,
    "alsh": ALSH,
    "besoins": BESOINS,
    "plan_action": PLAN,
    "fiches_actions": FICHES,
    "financements": FINANCEMENTS,
    "comites": _comites(),
    "decisions": DECISIONS,
}


def build() -> bytes:
    """The example workbook as .xlsx bytes (reproducible: fixed dates, fixed zip times)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet.key_value:
            write_territoire(ws)
        else:
            write_table(ws, sheet.key, TABLES[sheet.key])
    write_sources(wb.create_sheet("Sources"))
    wb.properties.creator = AUTHOR
    wb.properties.title = "Classeur CTG d'exemple — Lys-lez-Lannoy"
    wb.properties.created = FIXED_DATETIME
    buffer = io.BytesIO()
    wb.save(buffer)
    return _reproducible(buffer.getvalue())


def _reproducible(content: bytes) -> bytes:
    """Rewrite the zip with fixed entry times and a fixed `modified` date in docProps/core.xml."""
    stamp = FIXED_DATETIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATETIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def main() -> None:
    """Write the example workbook next to this script."""
    OUTPUT.write_bytes(build())
    print(f"Écrit : {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
