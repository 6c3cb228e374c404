"""Caf-scale benchmark data: a multi-territory CTG workbook and a national commune coverage file.

Writes, into `bench/data/` (git-ignored), deterministic (seeded) synthetic files:
- `caf_650.xlsx`: a CTG workbook in the multi-territory format (a Territoire table, a `Code INSEE`
  column on every other sheet) for 650 Nord communes (codes 59xxx, invented names), 5 years
  (2019-2023), every sheet filled with realistic shapes: ~20,000 Équipements rows, ~25,000 ALSH
  rows, ~8,000 plan indicators, population and childcare figures per year, fiches, funding,
  committees and decisions (68,669 rows). A few ALSH missing from Équipements and actions
  without a fiche give realistic warnings (no error: the file imports).
- `txcouv_pe_com.csv`: the national commune-level coverage-rate file in the data.caf.fr layout
  (field codes, `;`, UTF-8 with BOM, CRLF, decimal point), ~35,000 communes × 2 years (2022,
  2023), the 650 Nord communes of the workbook included, some blank (blurred) values and a few
  `XX` numepci rows (communes outside any EPCI).
All figures are invented. Every run gives the same cells and lines (only the timestamps inside
the .xlsx container differ). Files are rebuilt only when absent (or with `--force`).

Run: `.venv/bin/python bench/make_caf_data.py [--territoires N] [--communes N] [--force]`.
From Python: `caf_workbook_path()` and `commune_file_path()` build if missing and return the path.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ctg_data.schemas import CODE_INSEE, SHEETS_BY_KEY, TERRITOIRE  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
SEED = 20240609
YEARS = (2019, 2020, 2021, 2022, 2023)
OPENDATA_YEARS = (2022, 2023)
TERRITORIES = 650
COMMUNES = 35_000
CAF = "Caf du Nord"

# ~15 intercommunalities of the Nord (SIREN-shaped codes; names and codes illustrative).
EPCI = (
    ("200093201", "Métropole Européenne de Lille"),
    ("245900428", "CU de Dunkerque"),
    ("245901160", "CA Valenciennes Métropole"),
    ("200044196", "Douaisis Agglo"),
    ("245901079", "CA de la Porte du Hainaut"),
    ("245901038", "CA Maubeuge Val de Sambre"),
    ("200068500", "CA de Cambrai"),
    ("200040947", "CC de Flandre Intérieure"),
    ("200041960", "CC Pévèle Carembault"),
    ("200018083", "CC des Hauts de Flandre"),
    ("245900758", "CC Cœur d'Ostrevent"),
    ("200030385", "CC du Caudrésis et du Catésis"),
    ("200043354", "CC du Pays de Mormal"),
    ("200043396", "CC du Cœur de l'Avesnois"),
    ("200041556", "CC du Sud Avesnois"),
)
# Share of the Nord's communes in each EPCI (the metropolis is the largest).
EPCI_WEIGHTS = (95, 17, 35, 35, 46, 43, 55, 50, 38, 40, 20, 46, 53, 43, 12)

_PREFIXES = ("Saint-", "Sainte-", "", "", "", "", "", "Le ", "La ", "Les ", "Haut-", "Neuf-")
_ROOTS = ("Ann", "Bail", "Berg", "Bouch", "Cap", "Cour", "Esqu", "Flin", "Fourm", "Gond", "Haz",
          "Hon", "Lann", "Linsel", "Marc", "Merv", "Mons", "Orch", "Quesn", "Rou", "Seclin",
          "Somain", "Templ", "Tourc", "Vill", "Wambr", "Watt", "Wasqu", "Caud", "Bav", "Hem",
          "Sail", "Ronch", "Lomm", "Wav", "Haub", "Erq", "Frel", "Leers", "Sequed")
_SUFFIXES = ("ain", "elle", "ies", "ghem", "hout", "ecques", "ignies", "in", "on", "ville",
             "court", "berghe", "bais", "y", "eau", "ennes")
_QUALIFIERS = ("", "", "", "", "-lez-Lannoy", "-en-Pévèle", "-sur-Sambre", "-sur-la-Lys",
               "-en-Barœul", "-en-Ostrevent", "-Cappel", "-Saint-Amand", "-sur-Escaut")
_STREETS = ("rue de la Gare", "rue Jean Jaurès", "place de la Mairie", "rue Pasteur",
            "avenue de la République", "rue du Général de Gaulle", "rue Victor Hugo",
            "rue des Écoles", "chemin du Moulin", "rue Roger Salengro")
_ACTIONS = {
    "Axe 1 — Petite enfance": (
        "Développer l'offre d'accueil du jeune enfant", "Soutenir l'accueil individuel",
        "Améliorer l'information des familles", "Créer une micro-crèche"),
    "Axe 2 — Enfance et jeunesse": (
        "Renforcer l'offre ALSH des mercredis", "Développer l'accueil des adolescents",
        "Structurer le périscolaire", "Former les animateurs"),
    "Axe 3 — Parentalité": (
        "Ouvrir un lieu d'accueil enfants-parents", "Développer les actions REAAP",
        "Soutenir les familles monoparentales"),
    "Axe 4 — Accès aux droits et animation de la vie sociale": (
        "Créer un espace France services", "Accompagner les démarches en ligne",
        "Soutenir l'espace de vie sociale"),
}
_INDICATORS = (
    ("Nombre de places créées", "places", "Hausse", "Réalisation"),
    ("Taux d'occupation", "%", "Hausse", "Résultat"),
    ("Nombre de familles accompagnées", "familles", "Hausse", "Résultat"),
    ("Délai moyen d'attente", "mois", "Baisse", "Résultat"),
    ("Nombre de réunions partenariales", "réunions", "Hausse", "Moyens"),
    ("Nombre d'enfants accueillis", "enfants", "Hausse", "Réalisation"),
    ("Part des familles satisfaites", "%", "Hausse", "Résultat"),
    ("Nombre d'animateurs formés", "personnes", "Hausse", "Moyens"),
)
_BESOINS = (
    ("Demandes en liste d'attente EAJE", "Petite enfance", "demandes"),
    ("Familles souhaitant un accueil le mercredi", "Enfance", "familles"),
    ("Jeunes sans activité de loisirs", "Jeunesse", "jeunes"),
    ("Parents demandant un soutien à la parentalité", "Parentalité", "familles"),
    ("Ménages en difficulté d'accès aux droits", "Accès aux droits", "ménages"),
)


# -- territories ------------------------------------------------------------------------------

def nord_codes() -> list[str]:
    """The 650 commune codes of the workbook, ascending (59xxx, a few numbers skipped as in the
    real code list)."""
    rng = random.Random(f"{SEED}-codes")
    numbers = list(range(1, 671))
    for skipped in rng.sample(numbers, 670 - TERRITORIES):
        numbers.remove(skipped)
    return [f"59{n:03d}" for n in numbers]


def commune_name(rng: random.Random) -> str:
    """An invented, French-looking commune name."""
    return (rng.choice(_PREFIXES) + rng.choice(_ROOTS) + rng.choice(_SUFFIXES)
            + rng.choice(_QUALIFIERS))


def nord_territories() -> list[dict]:
    """Each Nord commune of the workbook: code, name, EPCI, population of 2023 (invented)."""
    rng = random.Random(f"{SEED}-territories")
    seen: set[str] = set()
    out = []
    for code in nord_codes():
        name = commune_name(rng)
        while name in seen:
            name = commune_name(rng)
        seen.add(name)
        siren, epci_name = rng.choices(EPCI, weights=EPCI_WEIGHTS)[0]
        # Lognormal populations: median ~1,900, a heavy tail of towns (Nord ~2.6 M in total).
        population = int(min(235_000, max(120, rng.lognormvariate(7.55, 1.25))))
        out.append({"code": code, "nom": name, "epci": siren, "epci_nom": epci_name,
                    "population": population})
    return out


# -- the workbook -----------------------------------------------------------------------------

def _opening(rng: random.Random):
    """An opening: a bare year, or a real date (the two spellings users write)."""
    year = rng.randint(1985, 2022)
    if rng.random() < 0.5:
        return year
    return date(year, rng.randint(1, 12), rng.randint(1, 28))


def territory_rows(t: dict) -> dict[str, list[dict]]:
    """Every table row of one territory, keyed by sheet key (row dicts keyed by column key)."""
    rng = random.Random(f"{SEED}-rows-{t['code']}")
    pop23 = t["population"]
    scale = pop23 / 2500
    rows: dict[str, list[dict]] = {k: [] for k in SHEETS_BY_KEY if k != TERRITOIRE.key}
    growth = rng.uniform(-0.012, 0.015)
    lat0, lon0 = rng.uniform(50.05, 50.95), rng.uniform(2.45, 4.15)

    # Population, AM and usage components: one row per year.
    for year in YEARS:
        pop = round(pop23 * (1 + growth) ** (year - 2023))
        kids = max(1, round(pop * rng.uniform(0.028, 0.041)))
        rows["population"].append({
            "annee": year, "population": pop, "enfants_0_2": kids,
            "enfants_3_5": round(kids * rng.uniform(1.0, 1.15)),
            "enfants_6_10": round(kids * rng.uniform(1.7, 2.0)),
            "jeunes_11_17": round(kids * rng.uniform(2.3, 2.8)),
            "naissances": round(kids / 3 * rng.uniform(0.9, 1.1)),
            "menages": round(pop / rng.uniform(2.1, 2.5)),
            "familles_avec_enfants": round(pop * rng.uniform(0.12, 0.16)),
            "familles_monoparentales": round(pop * rng.uniform(0.025, 0.05)),
            "familles_nombreuses": round(pop * rng.uniform(0.015, 0.03)),
            "allocataires": round(pop * rng.uniform(0.13, 0.2)),
            "taux_activite_femmes": round(rng.uniform(68, 86), 1),
            "taux_chomage": round(rng.uniform(6, 22), 1),
            "revenu_median": round(rng.uniform(16_500, 27_000), -1),
            # Filosofi leaves small communes' poverty rate secret.
            "taux_pauvrete": round(rng.uniform(6, 30), 1) if pop >= 1000 else None,
        })
        am = max(1, round(kids * rng.uniform(0.09, 0.14)))
        rows["assistantes_maternelles"].append({
            "annee": year, "am_agreees": am, "am_en_activite": round(am * rng.uniform(0.8, 0.95)),
            "places_agreees": am * rng.choice((3, 4)),
            "places_moins_3_ans": round(am * rng.uniform(2.2, 2.9))})
        rows["accueil_petite_enfance"].append({
            "annee": year, "enfants_scolarises_2_ans": round(kids / 3 * rng.uniform(0.02, 0.2)),
            "enfants_gardes_domicile": round(kids * rng.uniform(0.0, 0.02)),
            "demandes_en_attente": round(kids * rng.uniform(0.02, 0.12)),
            "etp_animateur_rpe": round(rng.uniform(0.2, 1.5) * max(1.0, scale ** 0.5), 1)})

    # Équipements: about 16 structures for a median commune, more for towns; one structure in
    # eight changed capacity and has one row per year.
    n_structures = 10 + round(scale * rng.uniform(5.5, 9.0))
    kinds = (("Multi-accueil", 14), ("Crèche collective", 4), ("Crèche familiale", 2),
             ("Crèche parentale", 1), ("Micro-crèche", 12), ("MAM", 10),
             ("Berceaux réservés", 4), ("Relais petite enfance", 4), ("LAEP", 4),
             ("Consultation PMI", 4), ("ALSH", 3), ("Accueil jeunes", 8), ("Centre social", 4),
             ("Espace de vie sociale", 3), ("Autre", 3))
    names, weights = zip(*kinds)
    alsh_names = []
    for s in range(n_structures):
        kind = rng.choices(names, weights=weights)[0] if s else "ALSH"
        name = f"{kind} {t['nom']} {s + 1}"
        places = {"Multi-accueil": rng.randint(15, 60), "Crèche collective": rng.randint(20, 60),
                  "Crèche familiale": rng.randint(15, 40), "Crèche parentale": rng.randint(8, 20),
                  "Micro-crèche": rng.choice((10, 11, 12)), "MAM": rng.choice((8, 12, 16)),
                  "Berceaux réservés": rng.randint(2, 10), "ALSH": rng.randrange(24, 160, 4),
                  "Accueil jeunes": rng.randint(12, 40)}.get(kind)
        if kind == "Micro-crèche":
            funding = "PAJE" if rng.random() < 0.8 else "PSU"
        elif kind in names[:4]:
            funding = "PSU" if rng.random() < 0.93 else "Autre"
        else:
            funding = None
        ages = {"ALSH": (3, 11) if rng.random() < 0.6 else (6, 14),
                "Accueil jeunes": (11, 17), "LAEP": (0, 6), "Relais petite enfance": (0, 3)}
        age_min, age_max = ages.get(kind, (0, 3) if kind in names[:7] else (None, None))
        opened = _opening(rng)
        closed = None
        if rng.random() < 0.04:
            closed = rng.randint(max(2019, opened if isinstance(opened, int) else opened.year),
                                 2023)
        base = {
            "nom": name, "type": kind, "places": places,
            "gestionnaire": rng.choice(("Municipal", "Intercommunal", "Associatif", "Privé",
                                        "Autre")),
            "financement": funding,
            "adresse": f"{rng.randint(1, 250)} {rng.choice(_STREETS)}",
            # Reserved cradles are bought in a neighbouring commune.
            "commune": (f"59{rng.randint(1, 670):03d}" if kind == "Berceaux réservés" else None),
            "latitude": round(lat0 + rng.uniform(-0.03, 0.03), 5),
            "longitude": round(lon0 + rng.uniform(-0.04, 0.04), 5),
            "age_min": age_min, "age_max": age_max, "ouverture": opened, "fermeture": closed,
            "annee": None,
            "horaires": rng.choice(("7 h 30 - 18 h 30", "8 h - 18 h", "Mercredis et vacances",
                                    None)),
            "remarques": rng.choice((None, None, None, "Projet d'extension",
                                     "Agrément modifié en 2022")),
        }
        if kind == "ALSH":
            alsh_names.append((name, places, age_min, age_max))
        if places is not None and rng.random() < 1 / 8:
            for year in YEARS:
                rows["equipements"].append(base | {
                    "annee": year, "places": max(1, places + rng.randint(-4, 6) * (year - 2019))})
        else:
            rows["equipements"].append(base)

    # ALSH: one row per accueil × period × year (four periods in general).
    if rng.random() < 0.3:
        # Declared in the ALSH sheet only (a warning: absent from Équipements).
        alsh_names.append((f"Accueil de loisirs {t['nom']}", rng.randrange(24, 100, 4), 3, 11))
    for name, places, age_min, age_max in alsh_names:
        periods = rng.sample(("Mercredis", "Petites vacances", "Juillet", "Août",
                              "Périscolaire", "Année"), rng.choice((3, 4, 4, 4)))
        for year in YEARS:
            for period in periods:
                days = {"Mercredis": 36, "Petites vacances": 30, "Juillet": 21, "Août": 15,
                        "Périscolaire": 140, "Année": 180}[period]
                children = round(places * rng.uniform(0.8, 2.5))
                rows["alsh"].append({
                    "annee": year, "nom": name, "periode": period, "places": places,
                    "age_min": age_min, "age_max": age_max, "jours_ouverture": days,
                    "enfants_accueillis": children,
                    "heures_realisees": round(places * days * rng.uniform(4.0, 7.5), 1),
                    "lieu": rng.choice(("École Jules Ferry", "Salle des sports",
                                        "Centre social", None))})

    # Plan d'action: ~12 indicators across ~5 actions; year columns inside the CTG only.
    debut = rng.choice((2019, 2020, 2021))
    fin = debut + rng.choice((3, 4))
    t["debut_ctg"], t["fin_ctg"] = debut, fin
    n_actions = rng.choice((4, 5, 5, 6))
    every_action = [(axe, action) for axe, titles in _ACTIONS.items() for action in titles]
    actions = [(axe, action, f"{a + 1}") for a, (axe, action)
               in enumerate(sorted(rng.sample(every_action, n_actions)))]
    for axe, action, number in actions:
        for indicator, unit, sens, kind in rng.sample(_INDICATORS, rng.choice((2, 2, 3))):
            ref = round(rng.uniform(5, 80)) if unit != "%" else round(rng.uniform(30, 70), 1)
            target = ref * (1.3 if sens == "Hausse" else 0.7)
            row = {"axe": axe, "action": action, "indicateur": indicator,
                   "champ": axe.split("— ")[1], "numero_action": number,
                   "type_indicateur": kind, "unite": unit, "sens": sens,
                   "valeur_reference": ref, "annee_reference": debut, "cible": round(target, 1),
                   "annee_cible": min(fin, 2023),
                   "resultats_attendus": "Améliorer la réponse aux besoins des familles",
                   "resultats_obtenus": rng.choice((None, "Objectif en partie atteint")),
                   "analyse": None,
                   "statut": rng.choice(("Non démarrée", "En cours", "En cours", "Réalisée",
                                         "Abandonnée")),
                   "referent": f"Service enfance de {t['nom']}",
                   "partenaires": "Caf du Nord ; Département du Nord",
                   "calendrier": f"{debut}-{fin}"}
            value = ref
            for year in YEARS:
                if debut <= year <= fin and rng.random() < 0.85:
                    value = value + (target - ref) * rng.uniform(0.05, 0.4)
                    row[str(year)] = round(value, 1)
            rows["plan_action"].append(row)
    # Fiches: most actions have one; one action in five has none (a warning).
    for axe, action, number in actions:
        if rng.random() < 0.8:
            rows["fiches_actions"].append({
                "numero_action": number, "intitule": action, "axe": axe,
                "cadre_strategique": "Schéma départemental des services aux familles",
                "objectif_strategique": "Mieux répondre aux besoins des familles",
                "objectifs_operationnels": "Augmenter l'offre ; informer les familles",
                "referent": f"Service enfance de {t['nom']}",
                "publics_cibles": "Familles avec enfants de 0 à 17 ans",
                "partenaires": "Caf du Nord ; PMI",
                "moyens": "Bonus territoire CTG ; moyens municipaux",
                "resultats_attendus": "Taux de couverture en hausse",
                "modalites": "Comité technique semestriel", "debut": debut, "fin": fin})

    # Besoins, Financements, Comités, Décisions: a few rows, not in every territory.
    for indicator, theme, unit in rng.sample(_BESOINS, rng.choice((0, 1, 1, 2, 3))):
        for year in rng.sample(YEARS, 1):
            rows["besoins"].append({"annee": year, "indicateur": indicator,
                                    "valeur": rng.randint(5, 120), "theme": theme,
                                    "unite": unit, "source": "Enquête auprès des familles"})
    funded = list(dict.fromkeys(r["nom"] for r in rows["equipements"]
                                if r["type"] in names[:5]))
    for structure in rng.sample(funded, min(len(funded), rng.choice((0, 1, 1, 2)))):
        rows["financements"].append({
            "annee": rng.choice(YEARS), "structure": structure,
            "financeur": rng.choice(("Caf du Nord", f"Ville de {t['nom']}")),
            "montant": round(rng.uniform(5_000, 180_000), -2),
            "dispositif": rng.choice(("Bonus territoire CTG", "PSU", "Subvention communale"))})
    meetings = sorted({date(rng.randint(max(debut, 2019), 2023), rng.randint(1, 12),
                            rng.randint(1, 28)) for _ in range(rng.choice((0, 1, 1, 2)))})
    for day in meetings:
        instance = rng.choice(("Comité technique", "Comité de pilotage"))
        rows["comites"].append({"date": day, "instance": instance, "lieu": f"Mairie de {t['nom']}",
                                "participants": "Ville, Caf, Département",
                                "ordre_du_jour": "Bilan de l'année ; plan d'action",
                                "compte_rendu": "Points d'étape validés"})
        if rng.random() < 0.5:
            rows["decisions"].append({
                "date_comite": day, "decision": "Étudier l'ouverture d'une micro-crèche",
                "responsable": "Service enfance", "echeance": date(min(day.year + 1, 2024), 6, 30),
                "statut": rng.choice(("Ouverte", "Réalisée", "Abandonnée")), "suivi": None})
    return rows


def write_caf_workbook(path: Path, territories: int = TERRITORIES) -> dict[str, int]:
    """Write the multi-territory workbook of the first `territories` Nord communes; return the
    row count of each sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    chosen = nord_territories()[:territories]
    per_sheet: dict[str, list[tuple[str, dict]]] = {}
    for t in chosen:
        for key, rows in territory_rows(t).items():
            per_sheet.setdefault(key, []).extend((t["code"], r) for r in rows)

    # Write-only mode streams the rows: the regular openpyxl writer of ctg_data.writing holds
    # every cell in memory and takes minutes for a million cells.
    wb = Workbook(write_only=True)

    def text_cell(ws, value):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "@"
        return cell

    ws = wb.create_sheet(TERRITOIRE.name)
    labels = {c.key: c.label for c in TERRITOIRE.columns}
    keys = ["code_insee", "nom", "type", "departement", "epci", "debut_ctg", "fin_ctg", "caf",
            "avertissement"]
    ws.append([labels[k] for k in keys])
    for t in chosen:
        ws.append([text_cell(ws, t["code"]), t["nom"], "Commune", text_cell(ws, "59"),
                   text_cell(ws, t["epci"]), t["debut_ctg"], t["fin_ctg"], CAF,
                   "Données synthétiques (banc d'essai Caf) : chiffres inventés."])
    counts = {TERRITOIRE.key: len(chosen)}
    for key, rows in per_sheet.items():
        if not rows:
            continue
        sheet = SHEETS_BY_KEY[key]
        columns = [c.key for c in sheet.columns]
        if sheet.year_columns:
            columns += [str(y) for y in YEARS]
        headers = [CODE_INSEE.label] + [
            sheet.column(c).label if c in {k.key for k in sheet.columns} else int(c)
            for c in columns]
        code_columns = {c.key for c in sheet.columns if c.type == "code"}
        ws = wb.create_sheet(sheet.name)
        ws.append(headers)
        for code, row in rows:
            ws.append([text_cell(ws, code)] + [
                text_cell(ws, row[c]) if c in code_columns and row.get(c) is not None
                else row.get(c) for c in columns])
        counts[key] = len(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return counts


# -- the national commune file ----------------------------------------------------------------

_DEPARTEMENTS = ([f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]
                 + ["971", "972", "973", "974", "976"])


def write_commune_file(path: Path, communes: int = COMMUNES) -> int:
    """Write the national commune coverage file (`txcouv_pe_com`, field codes); return its
    number of data lines. The Nord communes of the workbook are always in it."""
    rng = random.Random(f"{SEED}-communes")
    nord = nord_territories()
    # Overseas départements get a few communes (two-digit numbers); the rest is shared evenly
    # among the other metropolitan départements (three-digit numbers, all distinct).
    metropolitan = [d for d in _DEPARTEMENTS if len(d) == 2 and d != "59"]
    overseas = [d for d in _DEPARTEMENTS if len(d) == 3]
    others = communes - len(nord)
    counts = {d: min(30, others // 100) for d in overseas}
    rest = others - sum(counts.values())
    for i, d in enumerate(metropolitan):
        counts[d] = min(999, rest // len(metropolitan) + (i < rest % len(metropolitan)))
    places: list[tuple[str, str, str, str, int]] = [
        (t["code"], t["nom"], t["epci"], t["epci_nom"], t["population"]) for t in nord]
    epci_serial = 0
    for dep, n in counts.items():
        width = 2 if len(dep) == 3 else 3
        limit = 10 ** width - 1
        epci = None
        for k in range(n):
            number = 1 + (k * limit) // max(n, 1)
            code = f"{dep}{number:0{width}d}"
            if epci is None or rng.random() < 1 / 28:
                epci_serial += 1
                epci = (f"2{epci_serial:08d}", f"CC fictive n° {epci_serial}")
            # A few communes are outside any EPCI (islands): numepci "XX".
            siren, epci_name = (("XX", "XX") if rng.random() < 0.002 else epci)
            population = int(min(500_000, max(30, rng.lognormvariate(6.6, 1.3))))
            places.append((code, commune_name(rng), siren, epci_name, population))
    fields = ["numcom", "nomcom", "numepci", "nomepci", "annee", "txcouv_psu_col_com",
              "txcouv_hors_psu_col_com", "txcouv_eaje_com", "txcouv_prescol_com",
              "txcouv_am_ind_com", "txcouv_gad_ind_com", "txcouv_ind_com", "txcouv_com"]
    lines = [";".join(fields)]
    for year in OPENDATA_YEARS:
        for code, name, siren, epci_name, population in places:
            psu = rng.uniform(0, 35) if population > 800 or rng.random() < 0.3 else 0.0
            hors = rng.uniform(0, 12) if rng.random() < 0.5 else 0.0
            prescol = rng.uniform(0, 8)
            am = rng.uniform(10, 55)
            gad = rng.uniform(0, 3)
            values = [psu, hors, psu + hors, prescol, am, gad, am + gad,
                      psu + hors + prescol + am + gad]
            cells = [f"{v:.1f}" for v in values]
            # Small communes: blurred (blank) values under the secrecy threshold.
            if population < 500 and rng.random() < 0.35:
                for j in rng.sample(range(8), rng.randint(1, 4)):
                    cells[j] = ""
            lines.append(";".join([code, name, siren, epci_name, str(year), *cells]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    tmp.replace(path)
    return len(lines) - 1


# -- entry points -----------------------------------------------------------------------------

def caf_workbook_path(territories: int = TERRITORIES, *, force: bool = False) -> Path:
    """The Caf-scale workbook (`bench/data/caf_650.xlsx`, or `caf_N.xlsx` for N territories),
    written when missing (or when `force`)."""
    path = DATA / f"caf_{territories}.xlsx"
    if force or not path.is_file():
        write_caf_workbook(path, territories)
    return path


def _commune_path(communes: int) -> Path:
    return DATA / ("txcouv_pe_com.csv" if communes == COMMUNES
                   else f"txcouv_pe_com_{communes}.csv")


def commune_file_path(communes: int = COMMUNES, *, force: bool = False) -> Path:
    """The national commune coverage file (`bench/data/txcouv_pe_com.csv`, or
    `txcouv_pe_com_N.csv` for another number of communes), written when missing (or when
    `force`)."""
    path = _commune_path(communes)
    if force or not path.is_file():
        write_commune_file(path, communes)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territoires", type=int, default=TERRITORIES,
                        help=f"number of Nord communes in the workbook (≤ {TERRITORIES})")
    parser.add_argument("--communes", type=int, default=COMMUNES,
                        help="number of communes in the national file (≥ 650)")
    parser.add_argument("--force", action="store_true", help="rebuild existing files")
    args = parser.parse_args(argv)
    if not 1 <= args.territoires <= TERRITORIES or args.communes < TERRITORIES:
        parser.error(f"--territoires between 1 and {TERRITORIES}; --communes ≥ {TERRITORIES}")

    start = time.perf_counter()
    path = DATA / f"caf_{args.territoires}.xlsx"
    if args.force or not path.is_file():
        counts = write_caf_workbook(path, args.territoires)
        print(f"{path.relative_to(REPO)}: {sum(counts.values()):,} rows "
              f"({', '.join(f'{k} {v:,}' for k, v in counts.items())}), "
              f"{path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - start:.1f} s")
    else:
        print(f"{path.relative_to(REPO)}: present (use --force to rebuild)")
    start = time.perf_counter()
    path = _commune_path(args.communes)
    if args.force or not path.is_file():
        lines = write_commune_file(path, args.communes)
        print(f"{path.relative_to(REPO)}: {lines:,} lines, {path.stat().st_size / 1e6:.1f} MB, "
              f"{time.perf_counter() - start:.1f} s")
    else:
        print(f"{path.relative_to(REPO)}: present (use --force to rebuild)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
