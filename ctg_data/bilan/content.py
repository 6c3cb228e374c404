"""The content of the bilan, assembled once for every format: one function per chapter, in
reading order (`CHAPTERS`), all reading the same inputs (`inputs.BilanInputs`).

Every figure comes from `ctg_data.indicators`, every table from its `ctg_data.tables` spec
(the same title, source, frame and formats as on the pages), every chart from `ctg_data.charts`
and the methodology from `ctg_data.definitions`; nothing is recomputed here. Small counts are
masked (`TableSpec.mask`, `ctg_data.secrecy`) when a table block is created, so every format
prints the same values.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ctg_data import (charts, definitions, exports, formatting, indicators, plan_views, secrecy,
                      settings, tables)
from ctg_data.bilan.document import (Bilan, Bullets, Heading, Orientation, Paragraph, Table,
                                     without_control_characters)
from ctg_data.bilan.inputs import (BilanInputs, Draft, Progress, comment_line, compute_inputs,
                                   reporter)
from ctg_data.model import CtgData
from ctg_data.references import REFERENCES_VERSION
from ctg_data.secrecy import count_text, mask_plan_values

# Charts of the bilan per chapter, in reading order: declared on each ChartSpec (`bilan=`).
CHART_KEYS = {chapter: charts.bilan_charts(chapter) for chapter in charts.BILAN_CHAPTERS}
METHODOLOGY_CODES = ("taux_couverture_global", "taux_couverture_eaje",
                     "taux_couverture_individuel", "taux_couverture_prescolarisation",
                     "places_manquantes", "am_par_etp_rpe", "demandes_pour_100",
                     "couverture_alsh", "taux_remplissage_alsh", "atteinte_plan",
                     "part_actions_realisees")
EVALUATION_WEIGHTS = [17, 15, 17, 19, 20, 12]

def band_count_text(count, niveau: str) -> str:
    """A band count with agreement: « 4 atteints », « 1 en bonne voie »…"""
    n = int(count)
    plural = "s" if n > 1 else ""
    words = {"atteint": f"atteint{plural}", "en bonne voie": "en bonne voie",
             "en retard": "en retard", "non renseigné": f"non renseigné{plural}"}
    return f"{n} {words.get(niveau, niveau)}"


def _table(spec: tables.TableSpec, inp: BilanInputs, frame: pd.DataFrame, note: str,
           sheet_name: str, *, axe: str | None = None, **layout) -> Table:
    """The block of a `tables` spec's table: the spec's title, formats and source, `frame`
    already masked, `note` under it; `layout` is the print layout (slide, weights…)."""
    title = spec.title(inp.annee) if axe is None else spec.title(inp.annee, axe=axe)
    return Table(title, frame, spec.formats_for(frame), note, spec.source, sheet_name, **layout)


def _territory_lines(data: CtgData, annee: int, today: dt.date) -> list[str]:
    """The cover page: the territory, its convention, the year and the generation date."""
    t = data.territoire
    code, nom = t.get("code_insee") or "", t.get("nom") or ""
    kind = t.get("type") or "Commune"
    first = (f"{nom} — EPCI, SIREN {code}" if kind == "EPCI"
             else f"Commune de {nom} — code INSEE {code}")
    lines = [first]
    where = " — ".join(x for x in (f"Département {t['departement']}" if t.get("departement")
                                   else "", t.get("epci") or "") if x)
    if where:
        lines.append(where)
    debut, fin = data.ctg_years()
    periode = f"{debut}-{fin}" if debut and fin else str(debut or fin or
                                                        "(période non renseignée)")
    lines.append(f"Convention territoriale globale {periode}"
                 + (f" avec la {t['caf']}" if t.get("caf") else ""))
    lines.append(f"Bilan de l'année {annee}")
    lines.append(f"Document généré le {formatting.fr_date(today)}")
    if t.get("avertissement"):
        lines.append(str(t["avertissement"]))
    return lines


# ---------------------------------------------------------------------------------------------
# 1. Key figures

def _key_figures_table(inp: BilanInputs) -> Table:
    """The key figures as a table: XLSX only, the bullets already say them."""
    spec = tables.TABLES["chiffres_cles"]
    frame = spec.build(inp.data, inp.annee, inp.references, coverage=inp.cov, cible=inp.cible,
                       status=inp.status)
    frame, note = spec.mask(frame, inp.threshold)
    return _table(spec, inp, frame, note, "Chiffres clés", weights=[40, 14, 26, 10],
                  printed=False)


def _key_figures(inp: BilanInputs, out: Draft) -> None:
    """Chiffres clés: population, children, coverage rate and its change, missing places,
    the plan's bands and actions — as bullets (and a slide), the data alerts, the table."""
    cov, annee, cible, threshold, summary = (inp.cov, inp.annee, inp.cible, inp.threshold,
                                             inp.summary)
    out.add(Heading(f"Chiffres clés {annee}"))
    population, annee_pop = tables.latest_population(inp.data, annee)
    counts = summary[list(indicators.NIVEAUX)].sum() if len(summary) else None
    actions = int(summary["actions"].sum()) if len(summary) else 0
    done = int(summary["actions_realisees"].sum()) if len(summary) else 0

    bullets = []
    if population is not None:
        bullets.append(f"Population ({annee_pop}) : "
                       f"{count_text(population, threshold, 'habitant')}")
    if cov.enfants_moins_3_ans is not None:
        bullets.append(f"Enfants de moins de 3 ans ({cov.annee_population}) : "
                       f"{count_text(cov.enfants_moins_3_ans, threshold, 'enfant')}")
    rate, change = inp.rate, inp.change
    bullets.append("Taux de couverture global : "
                   + (formatting.fr_rate(rate) if rate is not None else "non calculable")
                   + ("" if cov.complet else " (calcul incomplet, voir les alertes)")
                   + (f", {indicators.change_sentence(change)}"
                      if rate is not None and change is not None else ""))
    if cov.places_manquantes is not None:
        bullets.append(
            f"Places manquantes pour atteindre la cible de {formatting.fr_target_rate(cible)} : "
            + (formatting.fr_count(cov.places_manquantes, "place") if cov.places_manquantes
               else "aucune, la cible est atteinte"))
    if counts is not None:
        total = int(counts.sum())
        bullets.append(f"Plan d'action : {formatting.fr_count(total, 'indicateur')} suivis — "
                       + ", ".join(band_count_text(counts[n], n) for n in indicators.NIVEAUX)
                       + f" ; {done} action{'s' if done > 1 else ''} "
                         f"réalisée{'s' if done > 1 else ''} sur {actions}")
    out.add(Bullets(bullets, slide=f"Chiffres clés {annee}"))
    if cov.alertes:
        out.add(Paragraph("Points d'attention sur les données :", "strong"),
                Bullets(list(cov.alertes)))
    out.add(_key_figures_table(inp))


# ---------------------------------------------------------------------------------------------
# 2. Diagnostic

def _diagnostic(inp: BilanInputs, out: Draft) -> None:
    """Diagnostic du territoire: the portrait's latest values, then the diagnostic charts."""
    out.add(Heading("Diagnostic du territoire"))
    spec = tables.TABLES["portrait_derniere_annee"]
    frame = spec.build(inp.data, inp.annee, inp.references)
    if len(frame):
        frame, note = spec.mask(frame, inp.threshold)
        out.add(_table(spec, inp, frame, note, "Portrait", weights=[40, 10, 14, 20]))
    for key in CHART_KEYS["diagnostic"]:
        out.chart(key)


# ---------------------------------------------------------------------------------------------
# 3. Offer and coverage

def _places_section(inp: BilanInputs, out: Draft) -> None:
    """Places par mode d'accueil: the table, the offer outside the rate, the missing places
    and the RPE and waiting-list ratios."""
    cov, cible = inp.cov, inp.cible
    out.add(Heading("Places par mode d'accueil", 2))
    out.add(_table(tables.TABLES["places_modes"], inp, inp.places, inp.places_note,
                   "Places par mode", slide=True, weights=[40, 12]))
    hors = cov.places.get("hors_territoire")
    if hors:
        out.add(Paragraph(
            f"Offre mobilisable hors territoire (berceaux réservés, structures voisines) : "
            f"{formatting.fr_count(hors, 'place')}, non comptée dans le taux."))
    autre = cov.places.get("hors_taux_autre")
    if autre:
        named = next((a.message for a in cov.problems
                      if a.code == "couverture_financement_autre"), "")
        out.add(Paragraph(
            f"Offre hors du taux comparable à la Cnaf : {formatting.fr_count(autre, 'place')} "
            "d'EAJE au financement « Autre » (ni PSU ni PAJE), non comptées dans le taux. "
            + named))
    if cov.places_manquantes is not None:
        out.add(Paragraph(
            f"Pour atteindre la cible de {formatting.fr_target_rate(cible)}, "
            + (f"il manque {formatting.fr_count(cov.places_manquantes, 'place')}."
               if cov.places_manquantes else "aucune place ne manque : la cible est atteinte.")))
    ratios = []
    if cov.am_par_etp_rpe is not None:
        ratios.append("Assistantes maternelles par ETP d'animateur de relais petite enfance : "
                      f"{formatting.fr_number(cov.am_par_etp_rpe, 1)} (objectif national de la "
                      "COG 2018-2022 : 1 ETP pour 70)")
    if cov.demandes_pour_100 is not None:
        ratios.append("Demandes d'accueil en attente pour 100 enfants de moins de 3 ans : "
                      f"{formatting.fr_number(cov.demandes_pour_100, 1)}")
    if ratios:
        out.add(Bullets(ratios))


def _evolution_section(inp: BilanInputs, out: Draft) -> None:
    """Évolution de l'offre: the change of the rate and the places year by year."""
    rate, change, annee = inp.rate, inp.change, inp.annee
    out.add(Heading("Évolution de l'offre", 2))
    if rate is not None and change is not None:
        out.add(Paragraph(
            f"Taux de couverture global en {annee} : {formatting.fr_rate(rate)}, "
            f"{indicators.change_sentence(change)}."))
    spec = tables.TABLES["evolution_offre"]
    evolution = spec.build(inp.data, annee, inp.references, series=inp.series)
    if not len(evolution):
        return
    evolution, note = spec.mask(evolution, inp.threshold)
    out.add(_table(spec, inp, evolution, note, "Évolution de l'offre"))


def _needs_section(inp: BilanInputs, out: Draft) -> None:
    """Besoins exprimés: the Besoins sheet's rows of the year, when there are any."""
    spec = tables.TABLES["besoins_annee"]
    frame = spec.build(inp.data, inp.annee, inp.references)
    if not len(frame):
        return
    out.add(Heading("Besoins exprimés", 2))
    frame, note = spec.mask(frame, inp.threshold)
    out.add(_table(spec, inp, frame, note, "Besoins", weights=[14, 40, 9, 12, 25]))


def _offer(inp: BilanInputs, out: Draft) -> None:
    """Offre d'accueil du jeune enfant et taux de couverture: places, references, evolution,
    the offer charts and the needs."""
    cov, rate, annee = inp.cov, inp.rate, inp.annee
    out.add(Heading("Offre d'accueil du jeune enfant et taux de couverture"))
    if rate is not None:
        out.add(Paragraph(
            f"En {annee}, le territoire compte {formatting.fr_rate(rate)} de moins de 3 ans "
            f"({formatting.fr_count(cov.places.get('total'), 'place')} comptées dans le taux "
            f"pour {count_text(cov.enfants_moins_3_ans, inp.threshold, 'enfant')}). Ce taux est "
            "théorique : une place peut être vacante ou partagée par plusieurs enfants."))
    _places_section(inp, out)
    out.add(Heading("Comparaison avec les références", 2))
    # The local rates that would give a masked count of places back are « s » (inputs.py).
    spec = tables.TABLES["references_niveaux"]
    frame = spec.build(inp.data, annee, inp.references, coverage=cov, hidden=inp.hidden_rates)
    out.add(_table(spec, inp, frame, "Les références sont celles de l'année du bilan ou, à "
                   "défaut, de la dernière année publiée (colonne Année).", "Références",
                   slide=True, weights=[17, 15, 7, 9, 8, 10, 15, 24]))
    _evolution_section(inp, out)
    for key in CHART_KEYS["offre"]:
        out.chart(key)
    _needs_section(inp, out)


# ---------------------------------------------------------------------------------------------
# 4. Enfance-jeunesse (ALSH)

def _alsh(inp: BilanInputs, out: Draft) -> None:
    """Enfance-jeunesse: the ALSH coverage and occupancy table of the year, then its charts."""
    alsh, annee = inp.alsh, inp.annee
    out.add(Heading("Enfance-jeunesse : accueils de loisirs"))
    if len(alsh):
        out.add(Paragraph(
            "Indicateur local, sans référence nationale officielle : places ouvertes sur la "
            "période pour 100 enfants des tranches d'âge accueillies.", "note"))
        # The page's columns (ctg_data.tables): « Remplissage (pour 100) » and the measure
        # used, since where hours are missing the value is not an occupancy rate.
        spec = tables.TABLES["alsh"]
        frame = spec.build(inp.data, annee, inp.references, alsh=alsh, compact=True)
        frame, note = spec.mask(frame, inp.threshold)
        approx = [a for a in alsh["approximations"].dropna().astype(str) if a]
        if approx:
            note = " ".join(x for x in (note, "Approximations : " + " ; ".join(approx) + ".")
                            if x)
        out.add(_table(spec, inp, frame, note, "ALSH", slide=True,
                       weights=[11, 12, 16, 7, 9, 8, 9, 9, 21]))
    else:
        out.add(Paragraph(f"Aucune donnée d'accueil de loisirs pour {annee}."))
    for key in CHART_KEYS["alsh"]:
        out.chart(key)


# ---------------------------------------------------------------------------------------------
# 5. Plan d'action and evaluation

def _axis_tables(inp: BilanInputs, axe: str, number: int) -> list[Table]:
    """The convention's evaluation table of one axis and the values of its indicators
    against their targets, small counts masked in both (`secrecy.mask_plan_values`)."""
    evaluation_spec = tables.TABLES["evaluation_axe"]
    values_spec = tables.TABLES["indicateurs_axe"]
    evaluation = evaluation_spec.build(inp.data, inp.annee, inp.references, axe=axe,
                                       status=inp.status)
    values = values_spec.build(inp.data, inp.annee, inp.references, axe=axe, status=inp.status,
                               compact=True)
    values, values_note = mask_plan_values(values, evaluation, inp.annee, inp.threshold)
    return [_table(evaluation_spec, inp, evaluation, "", f"Évaluation axe {number}", axe=axe,
                   slide=True, weights=EVALUATION_WEIGHTS),
            _table(values_spec, inp, values, values_note, f"Indicateurs axe {number}", axe=axe,
                   weights=[30, 11, 10, 8, 8, 10, 8, 9, 12])]


def _axis_evaluation(inp: BilanInputs, out: Draft, number: int, axe: str) -> None:
    """One axis: its bands and actions in a sentence, the convention's evaluation table and
    the values of its indicators."""
    out.add(Heading(axe, 2))
    row = inp.summary[inp.summary["axe"].astype(str) == axe]
    if len(row):
        r = row.iloc[0]
        part = r["part_actions_realisees"]
        out.add(Paragraph(
            f"{formatting.fr_count(r['indicateurs'], 'indicateur')} : "
            + ", ".join(band_count_text(r[n], n) for n in indicators.NIVEAUX)
            + f". Actions réalisées : {int(r['actions_realisees'])} sur {int(r['actions'])}"
            + (f" ({formatting.fr_percent(part, 0)})." if formatting.as_number(part) is not None else ".")))
    out.add(*_axis_tables(inp, axe, number))


def _plan(inp: BilanInputs, out: Draft) -> None:
    """Plan d'action et évaluation: the summary per axis, the plan charts, then each axis's
    evaluation on landscape pages."""
    out.add(Heading("Plan d'action et évaluation"))
    if len(inp.status):
        out.add(Paragraph(indicators.band_explanation(), "note"))
    if len(inp.summary):
        spec = tables.TABLES["synthese_axes"]
        frame = spec.build(inp.data, inp.annee, inp.references, status=inp.status)
        out.add(_table(spec, inp, frame, "", "Synthèse par axe", slide=True,
                       weights=[34, 10, 9, 10, 9, 11, 8, 10, 11]))
    else:
        out.add(Paragraph("Le plan d'action est vide."))
    for key in CHART_KEYS["plan"]:
        out.chart(key)
    inp.report(0.06, "Tableaux d'évaluation")
    if inp.axes:
        out.add(Orientation(landscape=True))
    for number, axe in enumerate(inp.axes, start=1):
        _axis_evaluation(inp, out, number, axe)
    if inp.axes:
        out.add(Orientation(landscape=False))


# ---------------------------------------------------------------------------------------------
# 6. Analyses and comments

def _analyses_and_comments(inp: BilanInputs, out: Draft) -> None:
    """Analyses et commentaires du comité: the plan's analyses per axis, then every comment of
    the year (those of the charts shown first)."""
    from ctg_data import charts

    status = inp.status
    out.add(Heading("Analyses et commentaires du comité"), Heading("Analyses du plan d'action", 2))
    written = False
    for axe in inp.axes:
        rows = status[(status["axe"].astype(str) == axe)
                      & status["analyse"].map(lambda v: not formatting.is_missing(v))]
        if rows.empty:
            continue
        written = True
        out.add(Paragraph(axe, "strong"))
        for r in rows.itertuples():
            out.add(Paragraph(f"{plan_views.action_label(r.numero_action, r.action)} — "
                              f"{r.indicateur} : {r.analyse}"))
    if not written:
        out.add(Paragraph("Aucune analyse n'a été saisie dans le plan d'action."))
    out.add(Heading("Commentaires du comité", 2))
    if inp.store is None:
        out.add(Paragraph("Commentaires non repris : bilan produit sans base de données."))
        return
    shown = [f"« {charts.CHARTS[k].titre} » : " + comment_line(c)
             for k in sorted(out.shown_keys) for c in inp.comments.get(k, [])]
    others = [f"« {charts.CHARTS[k].titre if k in charts.CHARTS else k} » : "
              + comment_line(c) for k, cs in inp.comments.items() if k not in out.shown_keys
              for c in cs]
    if shown or others:
        out.add(Paragraph("Les commentaires figurent aussi sous chaque graphique.", "note"),
                Bullets(shown + others))
    else:
        out.add(Paragraph(f"Aucun commentaire du comité enregistré pour {inp.annee}."))


# ---------------------------------------------------------------------------------------------
# 7. Pilotage

def _pilotage(inp: BilanInputs, out: Draft) -> None:
    """Pilotage (only when there is something): the comités of the year, the open decisions."""
    held_spec, open_spec = tables.TABLES["comites_annee"], tables.TABLES["decisions_ouvertes"]
    held = held_spec.build(inp.data, inp.annee, inp.references, compact=True)
    decisions = inp.data.table("decisions")
    if len(held) or len(decisions):
        out.add(Heading("Pilotage"))
    if len(held):
        out.add(_table(held_spec, inp, held, "", "Comités", weights=[13, 16, 34, 28]))
    if len(decisions):
        pending = open_spec.build(inp.data, inp.annee, inp.references, today=inp.today,
                                  compact=True)
        if len(pending):
            out.add(_table(open_spec, inp, pending, "", "Décisions en cours",
                           weights=[12, 46, 20, 12]))


# ---------------------------------------------------------------------------------------------
# 8. Methodology and sources

def _coverage_computation(inp: BilanInputs) -> list:
    """How the coverage rate was computed — the rates only when a count is masked."""
    cov = inp.cov
    if inp.places_note:
        # The line-by-line computation would print the masked count: give the rates only.
        return [Paragraph("Le détail du calcul n'est pas reproduit : il ferait apparaître "
                          "un effectif masqué (secret statistique)."),
                Bullets([f"{label} : " + (f"{secrecy.SECRET} (secret statistique)"
                                          if k in inp.hidden_rates else
                                          formatting.fr_number(cov.taux.get(k), 1))
                         for k, label in (("global", "Taux global"), ("eaje", "Taux EAJE"),
                                          ("individuel", "Taux individuel"),
                                          ("prescolarisation", "Taux de préscolarisation"))
                         if cov.taux.get(k) is not None])]
    if cov.detail:
        return [Bullets([
            f"{label} : " + (formatting.MISSING if value is None else
                             formatting.fr_number(value, 1 if label.startswith("Taux") else 0))
            for label, value in cov.detail])]
    return []


def _sources(inp: BilanInputs) -> list[str]:
    """The sources of the figures: the workbook version, INSEE, Cnaf, the references used."""
    version_date = inp.options.get("version_date")
    sources = ["Classeur CTG du territoire" + (
        f" (version du {formatting.fr_short_date(version_date)})" if version_date else "")]
    sources += ["INSEE : recensement de la population, état civil, Filosofi (saisis dans le "
                "classeur)", "Cnaf : taux de couverture publiés (data.caf.fr, ONAPE)",
                "Valeurs nationales de référence : table intégrée au tableau de bord, version "
                f"{REFERENCES_VERSION} (valeurs non confirmées écartées)"]
    references = inp.references
    if references is not None and len(references):
        used = references.dropna(subset=["source"])
        sources += sorted({f"{s}" + (f" (édition {e})" if not formatting.is_missing(e) else "")
                           for s, e in zip(used["source"], used["edition"])})
    if inp.data.territoire.get("avertissement"):
        sources.append(str(inp.data.territoire["avertissement"]))
    return sources


def _methodology(inp: BilanInputs, out: Draft) -> None:
    """Méthodologie et sources: the coverage computation, the indicators' definitions, the
    secrecy rule, the sources."""
    inp.report(0.08, "Méthodologie")
    out.add(Heading("Méthodologie et sources"),
            Heading(f"Calcul du taux de couverture {inp.annee}", 2),
            *_coverage_computation(inp),
            Heading("Définitions des indicateurs", 2))
    for code in METHODOLOGY_CODES:
        if code in definitions.BY_CODE:
            label = definitions.get(code).libelle
            text = definitions.methodology_text(code)
            # The text opens with « Libellé : définition »: the label becomes a bold line.
            text = text.removeprefix(f"{label} : ")
            out.add(Paragraph(label, "strong"), Paragraph(text))
    out.add(Heading("Secret statistique", 2))
    out.add(Paragraph(
        f"Les effectifs de personnes inférieurs à {inp.threshold} (enfants, familles, "
        f"demandes…) sont remplacés par « {secrecy.SECRET} » dans ce document. Quand un total "
        "permettrait de retrouver une valeur masquée par différence, une autre valeur de la "
        "même ligne ou colonne (la plus petite) est masquée aussi, ou à défaut le total. Les "
        "capacités d'accueil (places) et les taux ne sont pas des effectifs de personnes et "
        "restent affichés."))
    out.add(Heading("Sources", 2), Bullets(_sources(inp)))
    out.add(Paragraph(f"Document produit le {formatting.fr_date(inp.today)} par le tableau de "
                      "bord CTG à partir des données enregistrées.", "note"))


# The chapters in reading order; each appends its blocks to the draft.
CHAPTERS = (_key_figures, _diagnostic, _offer, _alsh, _plan, _analyses_and_comments, _pilotage,
            _methodology)


def bilan_content(data: CtgData, annee: int, *, store=None, cible=None,
                  progress: Progress | None = None, images: bool = True) -> Bilan:
    """Assemble the bilan of `annee`: every figure from ctg_data.indicators, every table from
    its ctg_data.tables spec, every chart from ctg_data.charts (rendered to PNG when
    `images` and a browser are available), comments from `store`, small counts masked."""
    report = reporter(progress)
    if images:
        exports.warm_up()  # the browser starts while the indicators are computed
    annee = int(annee)
    cible = float(settings.get("cible_taux_couverture") if cible is None else cible)
    today = dt.date.today()
    nom = data.nom or data.code or "territoire"
    bilan = Bilan(title=f"Bilan {annee} de la CTG — {nom}", territoire=nom, annee=annee,
                  cover_lines=_territory_lines(data, annee, today), generated=today)
    report(0.02, "Calcul des indicateurs")
    inputs = compute_inputs(data, annee, store=store, cible=cible, today=today, images=images,
                            report=report)
    out = Draft(inputs, bilan.blocks)
    if not inputs.use_images:
        reason = exports.image_export_message() if images else ""
        out.add(Paragraph("Les graphiques ne sont pas inclus dans ce document. " + reason,
                          "note"))
    for chapter in CHAPTERS:
        chapter(inputs, out)
    out.render_images()
    report(1.0, "Contenu du bilan prêt")
    return without_control_characters(bilan)
