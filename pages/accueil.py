"""Accueil: the territory at a glance — key figures of the year with their evolution, the
convention (period, signatories), what data are loaded or missing, and where they come from."""

import pandas as pd
import streamlit as st

import ctg_ui
from ctg_data import definitions, indicators, settings
from ctg_data import references as refmod
from ctg_data import formatting as fmt
from ctg_data.schemas import TABLE_SHEETS

page = ctg_ui.require_data()
data, annee = page.data, page.annee
t = data.territoire

st.title(fmt.escape_md(data.nom))
debut, fin = data.ctg_years()
periode = f"{debut}-{fin}" if debut and fin else str(debut or fin or "période non renseignée")
st.markdown(f"**Convention territoriale globale {periode}** — tableau de bord du comité "
            f"technique, année {annee}.")
if t.get("avertissement"):
    st.warning(fmt.escape_md(t["avertissement"]), icon=":material/info:")

# --- Key figures ---------------------------------------------------------------------------
st.header("Chiffres clés", anchor="chiffres-cles")
portrait = indicators.portrait(data)


def portrait_metric(code: str, text, change_text, label: str | None = None) -> None:
    value, year, prev, prev_year = fmt.latest_and_previous(portrait, code, annee)
    definition = definitions.get(code)
    name = label or definition.libelle
    if value is None:
        ctg_ui.metric(name, fmt.MISSING, help="Non renseigné dans le classeur.")
        return
    suffix = f" ({year})" if year != annee else ""
    change = None if prev is None else value - prev
    ctg_ui.metric(name + suffix, text(value),
                  change=change, change_text=None if change is None else change_text(change),
                  since=prev_year, sens=definition.sens, help=definition.definition)


cible = float(st.session_state.get("cible_taux") or settings.get("cible_taux_couverture"))
cov = ctg_ui.computed(page, indicators.coverage, cible=cible)
prev_cov = ctg_ui.computed(page, indicators.previous_coverage)

row1 = st.columns(4)
with row1[0]:
    portrait_metric("population", lambda v: fmt.fr_number(v),
                    lambda d: fmt.fr_signed(d, 0, "habitant"))
with row1[1]:
    portrait_metric("naissances", lambda v: fmt.fr_number(v),
                    lambda d: fmt.fr_signed(d, 0, "naissance"))
with row1[2]:
    portrait_metric("enfants_0_2", lambda v: fmt.fr_number(v),
                    lambda d: fmt.fr_signed(d, 0, "enfant"), label="Enfants de moins de 3 ans")
with row1[3]:
    portrait_metric("allocataires", lambda v: fmt.fr_number(v),
                    lambda d: fmt.fr_signed(d, 0, "foyer"))

row2 = st.columns(4)
with row2[0]:
    ctg_ui.rate_metric("Taux de couverture global", "global", cov, prev_cov,
                       help=definitions.get("taux_couverture_global").definition
                       + " En places pour 100 enfants.")
with row2[1]:
    ctg_ui.metric(f"Places manquantes (cible {fmt.fr_target(cible)})",
                  fmt.fr_number(cov.places_manquantes),
                  help=f"Places à créer pour atteindre {fmt.fr_target_rate(cible)} "
                       "(cible réglable sur la page Offre et besoins).")
with row2[2]:
    portrait_metric("part_familles_monoparentales", lambda v: fmt.fr_percent(v),
                    lambda d: fmt.fr_signed(d))
with row2[3]:
    portrait_metric("taux_pauvrete", lambda v: fmt.fr_percent(v), lambda d: fmt.fr_signed(d))

st.caption("Taux de couverture en places pour 100 enfants de moins de 3 ans ; évolutions "
           "depuis la dernière année renseignée, à composantes égales pour le taux (un mode "
           "d'accueil absent l'année comparée n'entre pas dans la comparaison).")
ctg_ui.methodology(("population", "naissances", "enfants_0_2", "allocataires",
                    "taux_couverture_global", "places_manquantes",
                    "part_familles_monoparentales", "taux_pauvrete"), alertes=cov.alertes)

# --- The convention --------------------------------------------------------------------------
st.header("La convention", anchor="convention")
kind = t.get("type") or "Commune"
collectivite = (f"la commune de {data.nom}" if kind == "Commune" else f"l'EPCI {data.nom}")
# A Caf not named in the workbook is left out, never written « non renseignée ».
signataires = [s for s in (t.get("caf"), collectivite) if s]
left, right = st.columns(2)
with left:
    st.markdown(f"**Période** : {fmt.escape_md(periode)}")
    st.markdown("**Signataires** : " + " et ".join(fmt.escape_md(s) for s in signataires))
with right:
    code_label = "Code INSEE" if kind == "Commune" else "SIREN"
    st.markdown(f"**{code_label}** : {fmt.escape_md(data.code)}")
    if t.get("departement"):
        st.markdown(f"**Département** : {fmt.escape_md(t['departement'])}")
    if t.get("epci"):
        st.markdown(f"**Intercommunalité** : {fmt.escape_md(t['epci'])}")

# --- Data loaded -----------------------------------------------------------------------------
st.header("Données chargées", anchor="donnees-chargees")
rows = []
for sheet in TABLE_SHEETS:
    table = data.table(sheet.key)
    years = sorted({int(y) for y in table["annee"].dropna()}) if "annee" in table else []
    span = (f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])) if years else ""
    rows.append({"Feuille": sheet.name, "Lignes": len(table), "Années": span or None,
                 "État": "chargée" if len(table) else "à compléter"})
loaded = pd.DataFrame(rows)
loaded["Lignes"] = loaded["Lignes"].astype("int64")
missing = [r["Feuille"] for r in rows if r["État"] == "à compléter"]
if missing:
    st.warning("Données manquantes : " + ", ".join(missing) + ". Complétez le classeur puis "
               "importez-le depuis la page Données.", icon=":material/warning:")
else:
    st.success("Toutes les feuilles du classeur sont renseignées.", icon=":material/check:")
ctg_ui.table_block(loaded, "donnees-chargees", formats={"Lignes": "int"}, key="donnees_chargees")
# Only the imports and the territory's own rows are read: a national file holds 500 000 values.
imported = ctg_ui.store().reference_imports()
if imported:
    own = len(refmod.territory_references(ctg_ui.store(), data, national=False))
    st.caption(f"Données de référence importées (Caf, INSEE) : "
               f"{fmt.fr_count(len(imported), 'fichier')} ; "
               f"{fmt.fr_count(own, 'valeur', 'valeurs')} pour ce territoire et ses niveaux de "
               "comparaison. Les valeurs nationales publiées sont intégrées à l'application.")
else:
    st.caption("Aucune donnée de référence importée : seules les valeurs nationales intégrées "
               "à l'application servent de comparaison. Les fichiers de la Caf (data.caf.fr) et "
               "de l'INSEE s'importent depuis la page Données.")

st.subheader("Origine des données", anchor="origine")
versions = ctg_ui.store().versions(data.code)
history = pd.DataFrame([{
    "Version": v.id, "Date": fmt.local_datetime(v.created_at),
    "Type": fmt.VERSION_KINDS.get(v.kind, v.kind), "Fichier": v.file_name or None,
    "Auteur": v.author or None, "Résumé": v.summary or None,
    "Actuelle": "oui" if v.is_current else ""} for v in versions[:10]],
    columns=["Version", "Date", "Type", "Fichier", "Auteur", "Résumé", "Actuelle"])
history["Version"] = history["Version"].astype("int64")
ctg_ui.table_block(history, "origine-des-donnees", formats={"Version": "int"},
                   key="origine_donnees")
if len(versions) > 10:
    st.caption(f"Les 10 dernières versions sur {len(versions)} ; la liste complète est sur la "
               "page Données.")
st.page_link(ctg_ui.DONNEES_PAGE, label="Importer ou restaurer des données",
             icon=":material/upload_file:")
