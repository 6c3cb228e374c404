"""Données: upload a CTG workbook (or a Caf / INSEE open-data file), read the validation report
and the preview of what will change, confirm to store; download the template and the current
data; list the versions and restore one."""

import hashlib

import pandas as pd
import streamlit as st

import ctg_ui
from ctg_data import exports, importing, opendata, settings, writing
from ctg_data import references as refmod
from ctg_data import formatting as fmt
from ctg_data.accounts import AccessDenied
from ctg_data.errors import UnreadableFile, problems_table
from ctg_data.storage import StorageError
from ctg_data.schemas import TABLE_SHEETS
from ctg_data.workbook import load_workbook

ctg_ui.ensure_frame()
store = ctg_ui.store()
infos = ctg_ui.territories()
data = ctg_ui.current_data()

st.title("Données")
st.markdown("Importer le classeur CTG du territoire (ou une partie de ses feuilles), des données "
            "ouvertes de la Caf ou de l'INSEE, télécharger le modèle et les données, retrouver "
            "une version antérieure.")


def flash(kind: str, text: str) -> None:
    """Keep a message for the next run (the page reruns after each stored change). Messages
    quote file and territory names: made inert for markdown."""
    st.session_state["_message_donnees"] = (kind, fmt.escape_md(text))


message = st.session_state.pop("_message_donnees", None)
if message:
    getattr(st, message[0])(message[1])
conflicts = st.session_state.pop("_conflits_editions", None)
if conflicts:
    # The import report of a Caf file whose edition disagrees with a stored one: one line per
    # value, shown in a table (inert: place names come from the file).
    with st.expander(f"Valeurs qui diffèrent d'une autre édition ({fmt.fr_number(len(conflicts))})",
                     expanded=True):
        st.dataframe(pd.DataFrame({"Valeur (autre édition) → valeur affichée": conflicts}),
                     hide_index=True, width="stretch", key="conflits_import")

if ctg_ui.presentation():
    st.info("Le mode présentation masque l'import et la restauration des données.",
            icon=":material/slideshow:")
    st.stop()

# --- Empty database ------------------------------------------------------------------------
if not infos:
    st.info("La base ne contient encore aucun territoire. Importez le classeur de votre "
            "territoire ci-dessous, ou chargez l'exemple de Lys-lez-Lannoy pour découvrir le "
            "tableau de bord.", icon=":material/info:")
    if ctg_ui.import_allowed() and st.button(
            "Charger l'exemple (Lys-lez-Lannoy)", key="charger_exemple", type="primary",
            icon=":material/download:"):
        with st.status("Chargement du classeur d'exemple…") as status:
            outcome = importing.import_example(store, actor=ctg_ui.actor())
            status.update(label="Exemple chargé.", state="complete")
        if outcome is None:
            flash("warning", "Le classeur d'exemple est introuvable ou la base n'est plus vide.")
        else:
            flash("success" if outcome.version_ids else "error", outcome.message)
        st.rerun()

# --- Import --------------------------------------------------------------------------------
st.header("Importer un fichier", anchor="importer")
uploaded = None
if not ctg_ui.import_allowed():
    # Shared mode: a reader, or an editor of other territories (the core refuses it anyway).
    st.info("Votre compte ne permet pas d'importer des données pour ce territoire : "
            "adressez-vous à un administrateur.", icon=":material/lock:")
else:
    st.markdown("Déposez un **classeur CTG** (.xlsx, .xlsm, .xls, .ods — toutes les feuilles "
                "ou seulement celles à mettre à jour), une feuille du classeur en **CSV**, ou un "
                "fichier de **données ouvertes** (taux de couverture de la Caf, fichiers "
                "communaux de l'INSEE). Rien n'est enregistré tant que vous n'avez pas "
                "confirmé, et jamais si le fichier contient une erreur.")
    # The browser refuses a larger file before sending it (its message is made French by
    # ctg_ui's CSS); below that limit the app refuses what exceeds its own limits in French.
    uploaded = st.file_uploader("Fichier à importer", key="fichier",
                                type=["xlsx", "xlsm", "xls", "ods", "csv"],
                                max_upload_size=ctg_ui.upload_limit_mb())
    st.caption(f"Formats acceptés : .xlsx, .xlsm, .xls, .ods, .csv — "
               f"{settings.get('max_file_mb')} Mo au plus ; fichier de taux de couverture "
               f"de la Caf : {settings.get('max_opendata_mb')} Mo et "
               f"{fmt.fr_number(settings.get('max_opendata_rows'))} lignes au plus.")
csv_sheet = None
if uploaded is not None and uploaded.name.lower().endswith(".csv"):
    choices = ["(deviner d'après les colonnes)"] + [s.name for s in TABLE_SHEETS]
    picked = st.selectbox("Feuille du classeur que contient ce CSV", choices, key="feuille_csv",
                          help="Ignoré pour un fichier de données ouvertes.")
    csv_sheet = None if picked == choices[0] else picked


def analyse(content: bytes, name: str, sheet: str | None, digest: str) -> dict:
    """What the file is and what importing it would do (kept for the next runs)."""
    result = {"hash": digest, "sheet": sheet, "name": name}
    if name.lower().endswith(".csv"):
        try:
            result.update(kind="opendata", opendata_kind=opendata.detect(content, name))
        except UnreadableFile:
            pass  # not open data: a sheet of the CTG workbook
        else:
            if result["opendata_kind"].startswith("caf_"):
                try:   # stored whole: refused at once above the open-data limits
                    opendata.check_limits(content, name)
                except UnreadableFile as error:
                    return result | {"kind": "unreadable", "error": str(error.message)}
            return result
    try:
        report = load_workbook(content, name, sheet=sheet,
                               territoire=data.code if data is not None else None)
    except UnreadableFile as error:
        return result | {"kind": "unreadable", "error": str(error.message)}
    result.update(kind="workbook", report=report)
    if report.ok and report.datasets:
        # The versions the preview compares with: the import refuses if they moved on.
        result["versions"] = importing.current_versions(store, report)
        result["preview"] = importing.preview(store, report, result["versions"])
        result["values"] = importing.preview_values(store, report, result["versions"])
    return result


if uploaded is not None:
    content = uploaded.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    found = st.session_state.get("_analyse")
    if not found or found["hash"] != digest or found["sheet"] != csv_sheet \
            or found["name"] != uploaded.name:
        name = fmt.escape_md(uploaded.name)
        with st.status(f"Lecture et vérification de « {name} »…") as status:
            found = analyse(content, uploaded.name, csv_sheet, digest)
            st.session_state["_analyse"] = found
            status.update(label=f"Fichier « {name} » lu.", state="complete")

    if st.session_state.get("_importe") == digest:
        st.success("Ce fichier vient d'être importé. Déposez un autre fichier pour continuer.",
                   icon=":material/check_circle:")
    elif found["kind"] == "unreadable":
        st.error(fmt.escape_md(found["error"]), icon=":material/error:")
    elif found["kind"] == "opendata":
        label = opendata.KINDS[found["opendata_kind"]]
        st.success(f"Fichier reconnu : {label}.", icon=":material/dataset:")
        if found["opendata_kind"].startswith("caf_"):
            st.markdown("Ses valeurs rejoindront les **données de référence** (comparaisons par "
                        "niveau) ; les données des territoires ne changent pas.")
            target = None
        elif data is None:
            st.warning("Importez d'abord le classeur d'un territoire : ce fichier de l'INSEE "
                       "complète sa feuille Population.")
            target = False
        else:
            st.markdown(f"Ses chiffres compléteront la feuille **Population** de "
                        f"**{fmt.escape_md(data.nom)}** (nouvelle version, l'ancienne reste "
                        "dans l'historique).")
            target = data.code
        if target is not False and st.button("Importer ces données", key="confirmer_opendata",
                                             type="primary", icon=":material/save:"):
            with st.status("Import des données ouvertes…") as status:
                try:
                    outcome = opendata.import_opendata(store, content, uploaded.name, code=target,
                                                       author=ctg_ui.author(),
                                                       actor=ctg_ui.actor())
                    flash("success", outcome.message)
                    st.session_state["_conflits_editions"] = outcome.conflict_lines
                    st.session_state["_importe"] = digest
                except (opendata.OpendataError, UnreadableFile, AccessDenied) as error:
                    flash("error", str(getattr(error, "message", error)))
                status.update(label="Import terminé.", state="complete")
            st.rerun()
    else:
        report = found["report"]
        st.subheader("Rapport de vérification", anchor="rapport")
        if report.errors:
            st.error(f"Le fichier contient {fmt.fr_count(len(report.errors), 'erreur')} : rien "
                     "ne sera enregistré. Corrigez le fichier puis déposez-le à nouveau.",
                     icon=":material/error:")
        elif report.warnings:
            st.warning(f"Le fichier est valide, avec "
                       f"{fmt.fr_count(len(report.warnings), 'avertissement')} à lire.",
                       icon=":material/warning:")
        else:
            st.success("Le fichier est valide.", icon=":material/check_circle:")
        if report.problems:
            ctg_ui.table_block(problems_table(report.problems), "rapport-de-verification",
                               formats={"Ligne": "int"}, key="rapport",
                               title=f"Vérification de « {uploaded.name} »")
        if report.ok and "preview" in found:
            st.subheader("Ce que l'import va changer", anchor="apercu")
            ctg_ui.table_block(found["preview"], "apercu-import", key="apercu",
                               formats={c: "int" for c in importing.PREVIEW_COLUMNS[2:]})
            values = found.get("values") or []
            if values:
                shown_codes = len({label for label, *_ in values})
                more = (f" (les {shown_codes} premiers territoires du fichier)"
                        if len(report.datasets) > shown_codes else "")
                st.markdown(f"**Valeurs lues**{more} : les {importing.PREVIEW_ROWS} premières "
                            "lignes de chaque feuille, telles que l'application les a "
                            "comprises, et ce que l'import change sur chacune.")
                for number, (label, sheet_name, count, frame) in enumerate(values):
                    title = (f"{sheet_name} — {label} ({fmt.fr_count(count, 'ligne')} dans le "
                             "fichier)")
                    with st.expander(fmt.escape_md(title), icon=":material/visibility:"):
                        st.html(fmt.inert_table_html(frame))
            if st.button("Confirmer l'import", key="confirmer_import", type="primary",
                         icon=":material/save:"):
                with st.status("Enregistrement des données…") as status:
                    # The report already read is the one previewed: store it as it is.
                    try:
                        outcome = importing.import_report(store, report, author=ctg_ui.author(),
                                                          actor=ctg_ui.actor(),
                                                          versions=found.get("versions"))
                    except (AccessDenied, StorageError) as refused:
                        outcome = importing.ImportOutcome(report, [], False, refused.message)
                    if outcome.stale:  # someone saved since the preview: compute it again
                        st.session_state.pop("_analyse", None)
                    kind = ("success" if outcome.version_ids else
                            "info" if outcome.duplicate else "error")
                    flash(kind, outcome.message)
                    if outcome.version_ids:
                        st.session_state["_importe"] = digest
                        st.session_state["territoire"] = report.datasets[0].code
                    status.update(label="Enregistrement terminé.", state="complete")
                st.rerun()

# --- Downloads -----------------------------------------------------------------------------
st.header("Télécharger", anchor="telecharger")
row = st.container(horizontal=True)
row.download_button("Modèle de classeur vide", writing.template_workbook,
                        file_name="modele_classeur_ctg.xlsx", key="telecharger_modele",
                        mime=exports.XLSX_MIME,
                        icon=":material/description:", on_click="ignore",
                        help="Toutes les feuilles avec leurs colonnes et une feuille "
                             "d'instructions.")
if data is not None and ctg_ui.can("export", data.code):
    row.download_button(
        f"Données actuelles de {fmt.escape_md(data.nom)}",
        ctg_ui.audited_export(lambda: writing.write_workbook([data]),
                              "Classeur du territoire (données actuelles)."),
        file_name=f"classeur_ctg_{data.code}.xlsx", key="telecharger_donnees",
        mime=exports.XLSX_MIME,
        icon=":material/download:", on_click="ignore",
        help="Le classeur au format d'import : modifiez-le puis importez-le à nouveau.")
if len(infos) > 1 and all(ctg_ui.can("export", t.code) for t in infos):
    row.download_button(
        "Tous les territoires", ctg_ui.audited_export(lambda: writing.write_workbook(
            [store.load(t.code) for t in infos]), "Classeur de tous les territoires.", ""),
        file_name="classeur_ctg_tous_territoires.xlsx", key="telecharger_tout",
        mime=exports.XLSX_MIME,
        icon=":material/download:", on_click="ignore")

# --- Versions ------------------------------------------------------------------------------
if data is not None:
    st.header(f"Versions de {fmt.escape_md(data.nom)}", anchor="versions")
    versions = store.versions(data.code)
    table = pd.DataFrame([{
        "Version": v.id, "Date": fmt.local_datetime(v.created_at),
        "Type": fmt.VERSION_KINDS.get(v.kind, v.kind), "Auteur": v.author or None,
        "Fichier": v.file_name or None, "Résumé": v.summary or None,
        "Avertissements": len(v.warnings), "Actuelle": "oui" if v.is_current else ""}
        for v in versions])
    table["Version"] = table["Version"].astype("int64")
    table["Avertissements"] = table["Avertissements"].astype("int64")
    ctg_ui.table_block(table, f"versions-{data.code}", key="versions",
                       formats={"Version": "int", "Avertissements": "int"})
    # The warnings of each import stay readable once it is confirmed.
    warned = [v for v in versions if v.warnings]
    if warned:
        with st.expander(f"Avertissements des imports ({fmt.fr_count(len(warned), 'version')})",
                         icon=":material/warning:"):
            for v in warned[:20]:
                origin = f" — « {v.file_name} »" if v.file_name else ""
                st.markdown(fmt.escape_md(f"Version {v.id} du "
                                             f"{fmt.local_datetime(v.created_at)}{origin} :"))
                st.markdown("\n".join(f"- {fmt.escape_md(w)}" for w in v.warnings))
    older = [v for v in versions if not v.is_current]
    if older and not ctg_ui.can("restore"):
        st.caption("La restauration d'une version est réservée aux administrateurs.")
    elif older:
        labels = {v.id: f"Version {v.id} du {fmt.local_datetime(v.created_at)} — "
                        f"{fmt.VERSION_KINDS.get(v.kind, v.kind)}" for v in older}
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("Version à restaurer", list(labels), key="version_a_restaurer",
                                format_func=labels.get)
        if right.button("Restaurer…", key="restaurer", icon=":material/history:"):
            st.session_state["_restauration"] = chosen
        pending = st.session_state.get("_restauration")
        if pending in labels:
            st.warning(f"Restaurer la version {pending} ? Une nouvelle version, copie de la "
                       f"version {pending}, deviendra la version actuelle ; les autres restent "
                       "dans l'historique et pourront être restaurées à leur tour.",
                       icon=":material/warning:")
            yes, no = st.columns(2)
            if yes.button("Confirmer la restauration", key="confirmer_restauration",
                          type="primary"):
                with st.status(f"Restauration de la version {pending}…") as status:
                    try:
                        new_id = store.restore(pending, author=ctg_ui.author(),
                                               actor=ctg_ui.actor())
                        flash("success", f"Version {pending} restaurée : elle est devenue la "
                                         f"version {new_id}, version actuelle.")
                    except AccessDenied as refused:
                        flash("error", refused.message)
                    status.update(label="Restauration terminée.", state="complete")
                st.session_state.pop("_restauration", None)
                st.rerun()
            if no.button("Annuler", key="annuler_restauration"):
                st.session_state.pop("_restauration", None)
                st.rerun()
    else:
        st.caption("Une seule version pour l'instant : rien à restaurer.")

# --- References ----------------------------------------------------------------------------
st.header("Données de référence", anchor="references")
# The list of imports and the current territory's rows only: a national file holds hundreds
# of thousands of values, never read whole to draw this page.
imported = store.reference_imports()
if not imported:
    st.caption("Aucune donnée de référence importée. Les valeurs nationales publiées par la Cnaf "
               "sont intégrées à l'application ; les taux des communes, EPCI et départements "
               "s'importent ci-dessus depuis les fichiers de data.caf.fr.")
else:
    files = pd.DataFrame([{"Import": i["id"], "Date": fmt.local_datetime(i["created_at"]),
                           "Fichier": i["file_name"] or None, "Valeurs": i["row_count"]}
                          for i in imported])
    files[["Import", "Valeurs"]] = files[["Import", "Valeurs"]].astype("int64")
    ctg_ui.table_block(files, "fichiers-de-reference", key="fichiers_reference",
                       formats={"Import": "int", "Valeurs": "int"},
                       title="Fichiers de données de référence importés")
    # Editions: both are kept; where they disagree the preferred one is shown (by default the
    # one covering the most recent year, whatever the import order).
    editions = store.reference_editions()
    st.subheader("Éditions", anchor="editions")
    st.markdown("Un même taux peut être publié par deux éditions d'un fichier de la Caf (le "
                "fichier courant et le fichier `_hist`, révisé ou non). Les deux sont gardées ; "
                "quand elles diffèrent, la valeur affichée partout (graphiques, tableaux, bilan, "
                "ligne de commande) est celle de l'édition retenue : par défaut celle qui couvre "
                "l'année la plus récente, ou celle que vous choisissez ci-dessous.")
    ctg_ui.table_block(pd.DataFrame([{
        "Source": e["source"] or None, "Édition": refmod.edition_text(e["edition"]) or None,
        "Années": (f"{e['annee_min']} à {e['annee_max']}" if e["annee_min"] != e["annee_max"]
                   else str(e["annee_min"])),
        "Dernier fichier": e["file_name"] or None,
        "Importé le": fmt.local_datetime(e["created_at"]) if e["created_at"] else None,
        "Choisie": "oui" if e["preferred"] else "",
        "Retenue en cas de désaccord": "oui" if e["shown"] else ""} for e in editions]),
        "editions-de-reference", key="editions_reference", title="Éditions des données de "
        "référence")
    by_source: dict = {}
    for e in editions:
        by_source.setdefault(e["source"], []).append(e)
    several = {source: items for source, items in by_source.items() if len(items) > 1}
    if several and ctg_ui.can("references"):
        with st.form("form_edition_preferee"):
            picked = {}
            for i, (source, items) in enumerate(sorted(several.items())):
                default = "(par défaut : l'édition de l'année la plus récente)"
                options = [default] + [e["edition"] for e in items]
                current = next((e["edition"] for e in items if e["preferred"]), default)
                picked[source] = st.selectbox(
                    f"Édition retenue pour « {source} »", options, index=options.index(current),
                    key=f"edition_preferee_{i}",
                    format_func=lambda v: v if v.startswith("(") else refmod.edition_text(v))
            if st.form_submit_button("Enregistrer le choix des éditions",
                                     icon=":material/save:"):
                for source, choice in picked.items():
                    try:
                        store.set_preferred_edition(
                            source, None if choice.startswith("(") else choice,
                            actor=ctg_ui.actor())
                    except AccessDenied as refused:
                        flash("error", refused.message)
                        break
                else:
                    flash("success", "Choix des éditions enregistré : les valeurs affichées "
                                     "suivent l'édition retenue.")
                st.rerun()
    if several and data is not None:
        differ = store.reference_conflicts(codes=refmod.territory_places(store, data))
        if len(differ):
            with st.expander(f"Valeurs qui diffèrent entre éditions pour "
                             f"{fmt.escape_md(data.nom)} et ses niveaux de comparaison "
                             f"({fmt.fr_number(len(differ))})"):
                st.dataframe(pd.DataFrame({"Valeur (autre édition) → valeur affichée":
                                           opendata.conflict_lines(differ)}),
                             hide_index=True, width="stretch", key="conflits_territoire")
    if data is not None:
        refs = refmod.territory_references(store, data, national=False)
        shown = refs.rename(columns={"niveau": "Niveau", "code": "Code", "nom": "Nom",
                                     "annee": "Année", "indicateur": "Indicateur",
                                     "valeur": "Valeur", "source": "Source",
                                     "edition": "Édition"})
        with st.expander(f"{fmt.fr_count(len(refs), 'valeur', 'valeurs')} de référence pour "
                         f"{fmt.escape_md(data.nom)} et ses niveaux de comparaison"):
            ctg_ui.table_block(shown, "donnees-de-reference", key="references",
                               formats={"Année": "year", "Valeur": "decimal"})

# --- Audit log (administrators) ------------------------------------------------------------
if ctg_ui.can("accounts"):
    from ctg_data import audit

    st.header("Journal d'audit", anchor="journal")
    st.markdown("Qui a fait quoi, quand et sur quel territoire : imports, modifications, "
                "restaurations, commentaires, exports de tableaux d'effectifs, connexions et "
                "changements de droits. Le journal ne se modifie pas depuis l'application.")
    journal = audit.entries_frame(store, limit=1000)
    journal["Date"] = [fmt.local_datetime(d) for d in journal["Date"]]
    with st.expander(f"Dernières opérations ({fmt.fr_number(len(journal))})", expanded=False):
        st.dataframe(journal, hide_index=True, width="stretch", key="journal_audit")
