"""Territoires: the Caf adviser's view — every territory of the database for one year (coverage,
places missing, evolution, waiting list, plan, data freshness, published Caf rate), filters,
sorting, exports, the distribution of the coverage rate against France and the département,
the comparison of chosen territories over the years; picking a territory makes it current."""

import pandas as pd
import streamlit as st

import ctg_ui
from ctg_data import charts, territories
from ctg_data import formatting as fmt
from ctg_data.model import CtgData
from ctg_data.references import national_references

ACCUEIL = "pages/accueil.py"

ctg_ui.ensure_frame()
infos = ctg_ui.territories()
if not infos:
    ctg_ui.empty_state()
st.title("Territoires")
if len(infos) < 2:
    st.info("La base ne contient qu'un territoire : cette page compare les territoires d'une "
            "même base. Un classeur multi-territoires (une ligne par territoire dans la feuille "
            "Territoire) s'importe depuis la page Données.", icon=":material/info:")
    st.page_link(ctg_ui.DONNEES_PAGE, label="Aller à la page Données",
                 icon=":material/upload_file:")
    st.stop()


@st.cache_resource(show_spinner="Calcul des indicateurs de tous les territoires…",
                   max_entries=4)
def _computed(url: str, version: int, reference_version: int, cible: float):
    # Keyed on the newest version id and the reference version: an import, an edit or a
    # restore anywhere makes a new version, hence a new computation. Shared and read-only.
    store = ctg_ui.store()
    tables = territories.load(store)
    series = territories.coverage_table(tables, cible=cible)
    refs = territories.stored_references(store, tables)
    frames = [f for f in (refs, national_references()) if len(f)]
    refs = pd.concat(frames, ignore_index=True) if frames else refs
    return tables, series, refs


@st.cache_data(show_spinner=False, max_entries=32)
def _table(url: str, version: int, reference_version: int, cible: float,
           annee: int) -> pd.DataFrame:
    tables, series, refs = _computed(url, version, reference_version, cible)
    return territories.territory_table(tables, annee, cible, refs, series=series)


store = ctg_ui.store()
key = (store.url, max(i.version_id for i in infos), store.reference_version(),
       float(st.session_state.get("cible_taux") or 60.0))
tables, series, refs = _computed(*key)
years = sorted({int(y) for y in series.loc[series["enfants_moins_3_ans"].notna(), "annee"]},
               reverse=True) or sorted(set(series["annee"].astype(int)), reverse=True)
if not years:
    ctg_ui.empty_state("Les territoires de la base ne contiennent aucune année.")

st.markdown("Un territoire par ligne : offre d'accueil du jeune enfant, taux de couverture et "
            "écart à la cible, évolution, liste d'attente, avancement du plan d'action et "
            "fraîcheur des données. Cliquez sur une ligne pour ouvrir ce territoire.")

# --- Year, filters, sorting ------------------------------------------------------------------
if st.session_state.get("w_territoires_annee") not in years:
    shared = st.session_state.get("annee")
    st.session_state["w_territoires_annee"] = shared if shared in years else years[0]
top = st.columns([1, 1, 1, 1])
annee = int(top[0].selectbox("Année", years, key="w_territoires_annee", format_func=str))
table = _table(*key, annee)
visible = {i.code for i in infos}
table = table[table["code_insee"].isin(visible)]
options = territories.filter_options(table)
departements = top[1].multiselect("Département", options["departement"],
                                  key="w_territoires_departement", placeholder="Tous")
epci = top[2].multiselect("EPCI", options["epci"], key="w_territoires_epci",
                          placeholder="Toutes")
types = top[3].multiselect("Type", options["type"], key="w_territoires_type",
                           placeholder="Tous")
row = st.columns([2, 1, 1])
texte = row[0].text_input("Rechercher (nom ou code)", key="w_territoires_texte", max_chars=80)
sortable = [c for c in territories.COLUMNS if c not in ("annee",)]
tri = row[1].selectbox("Trier par", sortable, key="w_territoires_tri",
                       index=sortable.index("taux_couverture_global"),
                       format_func=territories.LABELS.get)
descending = row[2].toggle("Ordre décroissant", value=False, key="w_territoires_decroissant")

shown = territories.sort_table(
    territories.filter_table(table, departements=departements, epci=epci, types=types,
                             texte=texte), tri, ascending=not descending).reset_index(drop=True)

# --- The table -------------------------------------------------------------------------------
st.header(f"Indicateurs {annee}", anchor="indicateurs")
cible = key[3]
st.caption(f"{fmt.fr_number(len(shown))} territoire{'s' if len(shown) > 1 else ''} sur "
           f"{fmt.fr_number(len(table))}. Taux en places pour 100 enfants de moins de 3 ans, "
           f"calculés localement depuis chaque classeur ; places manquantes pour une cible de "
           f"{fmt.fr_target(cible)} (réglable sur la page Offre et besoins) ; le taux publié par "
           "la Cnaf, quand il est importé, est dans sa propre colonne, jamais mélangé.")
event = ctg_ui.table_block(
    territories.french_headers(shown), f"territoires_{annee}", key="territoires",
    formats=territories.french_formats(), selection=True,
    counts=tuple(territories.LABELS[c] for c in territories.COUNT_COLUMNS),
    title=f"Indicateurs des territoires, {annee}", source=territories.SOURCE,
    height=min(38 + 35 * max(len(shown), 1), 600))
picked = list(getattr(getattr(event, "selection", None), "rows", None) or [])
if picked and picked[0] < len(shown):
    ctg_ui.select_territory(shown.loc[picked[0], "code_insee"])
    st.switch_page(ACCUEIL)

names = dict(zip(table["code_insee"], table["nom"]))
choice = st.columns([3, 1], vertical_alignment="bottom")
if len(shown):
    code = choice[0].selectbox("Ouvrir un territoire", shown["code_insee"].tolist(),
                               key="w_territoires_ouvrir",
                               format_func=lambda c: f"{names.get(c, c)} ({c})")
    if choice[1].button("Ouvrir ce territoire", key="territoires_ouvrir",
                        icon=":material/open_in_new:"):
        ctg_ui.select_territory(code)
        st.switch_page(ACCUEIL)

# --- Distribution and comparison ---------------------------------------------------------------
# A figure that is not one territory's: its file names say « territoires ».
label = CtgData({"code_insee": None, "nom": "territoires"})
st.header("Répartition du taux de couverture", anchor="repartition")
ctg_ui.figure_block(charts.distribution_figure(shown, annee, refs), label,
                    f"repartition_{annee}", key="territoires_repartition")

st.header("Comparer des territoires", anchor="comparer")
default = [c for c in [st.session_state.get("territoire"), *shown["code_insee"][:2]]
           if c in names]
# Proposed once (the current territory and the first rows), then as the user leaves it.
kept = [c for c in st.session_state.get("w_territoires_comparer") or [] if c in names]
st.session_state["w_territoires_comparer"] = kept if "w_territoires_comparer" in \
    st.session_state else list(dict.fromkeys(default))[:3]
chosen = st.multiselect("Territoires à comparer", list(names), key="w_territoires_comparer",
                        max_selections=8, format_func=lambda c: f"{names.get(c, c)} ({c})")
if chosen:
    ctg_ui.figure_block(charts.comparison_figure(
        series, {c: names[c] for c in chosen}, annee, refs), label, "comparaison",
        key="territoires_comparaison")
else:
    st.caption("Choisissez un ou plusieurs territoires pour voir l'évolution de leur taux.")
