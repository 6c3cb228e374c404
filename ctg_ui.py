"""Streamlit helpers shared by every page of the CTG dashboard.

Sections, in order:
1. Application state (non-widget keys that survive page changes), the frame and the sidebar.
2. The store and the loaded data (cached), `require_data()` for the empty state.
3. French display helpers (escaping, numbers, dates, tables).
4. Blocks: chart block (figure, source, méthodologie, exports, comments), table block, metric.
5. Editing forms (Plan d'action, Fiches actions, Évaluation, Pilotage).
Pages call these; they never compute a figure themselves: every number comes from ctg_data.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import weakref
from collections import OrderedDict

import pandas as pd
import streamlit as st

from ctg_data import charts, definitions, exports, schemas, secrecy, settings
from ctg_data import formatting as fmt
from ctg_data.model import CtgData

DONNEES_PAGE = "pages/donnees.py"
PRESENTATION_PAGE = "pages/presentation.py"

# ---------------------------------------------------------------------------------------------
# 1. Application state, frame and sidebar
# ---------------------------------------------------------------------------------------------

# Non-widget keys: Streamlit drops a widget's key when the widget is not drawn, these stay.
STATE_DEFAULTS = {"territoire": None, "annee": None, "auteur": "", "presentation": False,
                  "cible_taux": None, "diapo": 0}


def init_state() -> None:
    """Create the application state keys that do not exist yet; at the first run of a session
    (a new tab, a reload, a shared link), take the territory and year from the address and,
    in local mode, the author's name from the browser."""
    for key, value in STATE_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if st.session_state["cible_taux"] is None:
        st.session_state["cible_taux"] = float(settings.get("cible_taux_couverture"))
    if not st.session_state.get("_etat_initial_lu"):
        st.session_state["_etat_initial_lu"] = True
        _read_address()
        _read_remembered_author()


# The view's state in the address (`?territoire=59367&annee=2023`): shareable, kept by a
# reload. The sidebar checks them against the database like any choice (an unknown territory
# or year falls back to the defaults).
URL_PARAMS = ("territoire", "annee")
# The author's name is remembered by the browser in a cookie (local mode only), not in the
# address: a link shared with a colleague must not sign their edits with the sender's name.
AUTHOR_COOKIE = "ctg_auteur"
AUTHOR_MAX_CHARS = 80
_AUTHOR_COLUMN = schemas.Column(key="auteur", label="Votre nom", max_length=AUTHOR_MAX_CHARS)


def _read_address() -> None:
    params = st.query_params
    code = (params.get("territoire") or "").strip()
    if code and len(code) <= 20:
        st.session_state["territoire"] = code
    annee = (params.get("annee") or "").strip()
    if annee.isdigit() and len(annee) == 4:
        st.session_state["annee"] = int(annee)


def _write_address() -> None:
    """Put the current territory and year in the address (only when they differ: each change
    is a message to the browser); Streamlit drops the query string on a page change, so every
    run of the frame writes it again."""
    wanted = {"territoire": st.session_state.get("territoire"),
              "annee": st.session_state.get("annee")}
    for name, value in wanted.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != str(value):
            st.query_params[name] = str(value)


def _valid_author(name) -> str | None:
    from urllib.parse import unquote

    from ctg_data import validation

    text = unquote(str(name or "")).strip()
    if not text or validation.text_problem(_AUTHOR_COLUMN, text) is not None:
        return None
    return text


def _read_remembered_author() -> None:
    if shared_mode() or st.session_state.get("auteur"):
        return
    try:
        cookie = st.context.cookies.get(AUTHOR_COOKIE)
    except Exception:  # no browser request (a script run on its own)
        cookie = None
    name = _valid_author(cookie)
    if name:
        st.session_state["auteur"] = name


def _remember_author() -> None:
    """Ask the browser to keep the typed name (a year) or to forget it (empty name). The
    name goes to the script as a JSON string, « < » escaped: it cannot end the script."""
    name = _valid_author(st.session_state.get("auteur")) or ""
    literal = json.dumps(name).replace("<", "\\u003c").replace(">", "\\u003e")
    age = 365 * 24 * 3600 if name else 0
    st.html(f"<script>document.cookie = '{AUTHOR_COOKIE}=' + encodeURIComponent({literal}) + "
            f"'; path=/; max-age={age}; SameSite=Strict' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


def frame() -> None:
    """The shared frame of every page: state, page configuration, sidebar and, in presentation
    mode, the projector styling. app.py draws it once per run before the page."""
    init_state()
    sign_in_gate()
    st.set_page_config(page_title="CTG — tableau de bord", page_icon=":material/family_restroom:",
                       layout="wide",
                       initial_sidebar_state="collapsed" if presentation() else "auto")
    french_interface()
    sidebar()
    if presentation():
        presentation_frame()


def _frame_drawn_this_run() -> bool:
    # The sidebar's presentation toggle is drawn on every run of the frame; Streamlit records the
    # widget keys of the current run (reset at each run), which tells whether app.py drew the
    # frame before this page.
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    shared = getattr(ctx, "shared", None)
    keys = getattr(shared, "widget_user_keys_this_run", None)
    return keys is not None and "w_presentation" in keys


def ensure_frame() -> None:
    """Make sure the page runs inside the app's frame (sidebar, state, navigation).

    Streamlit's older multipage mode runs a file of `pages/` directly, without app.py: a
    server does so when its very first request is a deep link (/offre_besoins), AppTest after
    every switch_page. On a server, register a navigation (which ends that mode for the
    process) and rerun the same page, now through app.py. Under AppTest (which restores that
    mode at each run, and where a rerun would swallow button clicks) or for a page run on its
    own, draw the frame here."""
    if _frame_drawn_this_run():
        return
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if PagesManager.uses_pages_directory and ctx is not None \
            and not config.get_option("global.appTest"):
        # The requested page must be in this navigation too, else Streamlit says « page not
        # found »; app.py registers the full menu on the rerun.
        current = ctx.pages_manager.get_pages().get(ctx.page_script_hash, {})
        pages = [st.Page(ctx.main_script_path, default=True)]
        if current.get("script_path") and current["script_path"] != ctx.main_script_path:
            pages.append(st.Page(current["script_path"]))
        st.navigation(pages, position="hidden")
        st.rerun()
    frame()


def presentation() -> bool:
    """Whether the app is in presentation mode (no editing controls, large text)."""
    return bool(st.session_state.get("presentation"))


def author() -> str:
    """The name recorded with every change and comment: the signed-in account's in shared
    mode (never a typed name), the name typed in the sidebar in local mode."""
    from ctg_data import accounts

    account = actor()
    if account is not None:
        return accounts.author_name(account)
    return (st.session_state.get("auteur") or "").strip()


# -- shared mode: sign-in, acting account, rights ----------------------------------------------

def shared_mode() -> bool:
    """True when the app runs in shared mode (setting `mode` = partage): sign-in required."""
    from ctg_data import accounts

    return accounts.shared()


def actor():
    """The signed-in account (accounts.Account) in shared mode; None in local mode, where the
    core acts as the local account. Pass it to every write of the store."""
    return st.session_state.get("_compte") if shared_mode() else None


def can(action: str, code: str | None = None) -> bool:
    """Whether the person may do `action` (a key of accounts.ACTIONS) on territory `code`
    (default: the selected one). Always true in local mode. Only decides what is drawn: the
    core checks the rights again on every write."""
    from ctg_data import accounts

    if not shared_mode():
        return True
    account = actor()
    if account is None:
        return False
    if code is None:
        info = current_territory()
        code = info.code if info is not None else None
    return accounts.allowed(account, action, [code] if code else [])


def import_allowed() -> bool:
    """Whether the import form is drawn: the selected territory may be imported, or (an
    editor) one of the editor's territories is not in the database yet."""
    if can("import"):
        return True
    account = actor()
    if account is None or account.role != "editeur" or not account.territoires:
        return False
    return bool(set(account.territoires) - {t.code for t in territories()})


def _oidc_configured() -> bool:
    # An [auth] section in .streamlit/secrets.toml means an identity provider (st.login).
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _signed_in(account) -> None:
    from ctg_data.storage import now_utc

    st.session_state["_compte"] = account
    st.session_state["_connexion_at"] = now_utc()


def sign_out(message: str | None = None) -> None:
    """End the session's sign-in (and the identity provider's cookie, when there is one)."""
    for key in ("_compte", "_connexion_at"):
        st.session_state.pop(key, None)
    if message:
        st.session_state["_message_connexion"] = message
    if _oidc_configured():
        st.logout()


def sign_in_gate(pages: dict | None = None) -> None:
    """In shared mode, before anything is drawn: go on when a signed-in session is still valid
    (the account is read again from the database at each run, so that a disabled account or
    a changed role counts at once); otherwise draw the sign-in form — or the identity
    provider's button — and stop the run. Nothing to do in local mode. `pages` (app.py's
    sections) are registered hidden meanwhile: no menu, and a deep link stays valid."""
    if not shared_mode():
        return
    from ctg_data import accounts

    account = st.session_state.get("_compte")
    if account is not None:
        fresh = accounts.get_account(store(), account.login)
        if accounts.session_expired(st.session_state.get("_connexion_at")):
            sign_out("Votre session a expiré : reconnectez-vous.")
        elif fresh is None:
            sign_out("Ce compte a été désactivé : adressez-vous à un administrateur.")
        else:
            st.session_state["_compte"] = fresh
            return
    if pages:
        st.navigation(pages, position="hidden")
    st.set_page_config(page_title="CTG — connexion", page_icon=":material/lock:",
                       layout="centered")
    st.title("Tableau de bord CTG")
    st.markdown("Connectez-vous pour consulter les données de la convention.")
    message = st.session_state.pop("_message_connexion", None)
    if message:
        st.info(message, icon=":material/info:")
    if _oidc_configured():
        _identity_provider_sign_in()
    else:
        _password_sign_in()
    st.stop()


def _identity_provider_sign_in() -> None:
    from ctg_data import accounts

    if not st.user.is_logged_in:
        if st.button("Se connecter", key="se_connecter_oidc", type="primary",
                     icon=":material/login:"):
            st.login()
        return
    login = st.user.get("email") or st.user.get("preferred_username") or ""
    try:
        account = accounts.record_identity_sign_in(store(), str(login))
    except accounts.SignInRefused as refused:
        st.error(escape_md(refused.message), icon=":material/block:")
        if st.button("Se déconnecter", key="se_deconnecter_oidc"):
            st.logout()
        return
    _signed_in(account)
    st.rerun()


def _password_sign_in() -> None:
    from ctg_data import accounts

    with st.form("connexion", clear_on_submit=True):
        login = st.text_input("Identifiant", key="connexion_login", max_chars=200)
        password = st.text_input("Mot de passe", key="connexion_mdp", type="password",
                                 max_chars=200)
        submitted = st.form_submit_button("Se connecter", key="se_connecter", type="primary",
                                          icon=":material/login:")
    if not submitted:
        return
    try:
        account = accounts.authenticate(store(), login, password)
    except accounts.SignInRefused as refused:
        st.error(escape_md(refused.message), icon=":material/block:")
        return
    _signed_in(account)
    st.rerun()


def consume_presentation_request() -> bool:
    """True once after presentation mode was switched on (the app then opens that page)."""
    return bool(st.session_state.pop("_ouvrir_presentation", False))


def _copy_widget(widget_key: str, state_key: str):
    def callback():
        st.session_state[state_key] = st.session_state[widget_key]
        if state_key == "presentation" and st.session_state[widget_key]:
            st.session_state["_ouvrir_presentation"] = True
        if state_key == "auteur":
            st.session_state["_memoriser_auteur"] = True
    return callback


def set_presentation(on: bool) -> None:
    """Switch presentation mode on or off (buttons of the Présentation page)."""
    st.session_state["presentation"] = on


def bind(widget_key: str, state_key: str) -> dict:
    """Tie a page widget to an application-state key: the widget shows the state and writes
    it back when changed. Use as `st.selectbox(…, key=k, **ctg_ui.bind(k, "annee"))`."""
    _sync(widget_key, state_key)
    return {"on_change": _copy_widget(widget_key, state_key)}


def _sync(widget_key: str, state_key: str) -> None:
    # The widget shows the application state, which may have been changed elsewhere
    # (another page, a test, a territory change); set before the widget is drawn, and always:
    # the same key on another page is another widget, which would start from its default.
    st.session_state[widget_key] = st.session_state[state_key]


def target_input(key: str) -> float:
    """The target coverage rate, tied to the application state `cible_taux` (shared by the
    pages), typed in French (« 55,5 »)."""
    if presentation():
        return float(st.session_state["cible_taux"])
    return number_field(
        "Taux de couverture visé (places pour 100 enfants de moins de 3 ans)", key,
        state_key="cible_taux", minimum=0, maximum=200, decimals=1,
        help="Sert à calculer les places manquantes. La valeur proposée est celle des "
             "réglages de l'application ; décimales avec une virgule (55,5).")


# What a number field lets through in the browser (Streamlit checks it before sending, with
# the French message): digits, spaces between thousands, one decimal comma or point, a sign.
# The server reads it again with the workbook's rules (formatting.parse_input_number).
_NUMBER_PATTERN = r"^\s*[-+\u2212]?\s*[0-9][0-9\s]*([,.][0-9]+)?\s*$"
_NUMBER_MESSAGE = "Saisissez un nombre, par exemple 55,5 ou 1 234."


def number_field(label: str, key: str, *, state_key: str | None = None, value: float = 0.0,
                 minimum: float | None = None, maximum: float | None = None,
                 decimals: int = 0, help: str | None = None) -> float:
    """A number typed the French way (« 55,5 », « 1 234 ») in place of `st.number_input`,
    whose browser part reads « 55,5 » as 555 and answers in English. Returns the last valid
    value, kept under `state_key` (default `_nombre_<key>`, created with `value`): a value
    that is not a number or is outside [minimum, maximum] is refused with a French message
    under the field, and the previous value stays in use. The value survives page changes
    (the state key is not a widget key); `reset_number_field` forgets it."""
    state_key = state_key or f"_nombre_{key}"
    st.session_state.setdefault(state_key, value)
    error_key = f"_erreur_nombre_{key}"
    if key not in st.session_state or error_key not in st.session_state:
        # Show the current value (it may have been changed on another page or reset).
        st.session_state[key] = fmt.input_number(st.session_state[state_key], decimals)
    st.text_input(label, key=key, help=help, max_chars=24,
                  validate=(_NUMBER_PATTERN, _NUMBER_MESSAGE), on_change=_read_number,
                  args=(key, state_key, minimum, maximum, decimals))
    error = st.session_state.get(error_key)
    if error:
        kept = fmt.input_number(st.session_state[state_key], decimals)
        st.error(escape_md(f"{label} : {error}. La valeur {kept} reste utilisée."),
                 icon=":material/error:")
    return float(st.session_state[state_key])


def _read_number(key: str, state_key: str, minimum, maximum, decimals: int) -> None:
    try:
        value = fmt.parse_input_number(st.session_state.get(key), minimum=minimum,
                                       maximum=maximum, decimals=decimals)
    except ValueError as refused:
        st.session_state[f"_erreur_nombre_{key}"] = str(refused)
        return
    st.session_state.pop(f"_erreur_nombre_{key}", None)
    st.session_state[state_key] = value


def reset_number_field(key: str, state_key: str | None = None) -> None:
    """Forget what was typed in number field `key`: it shows its initial value again."""
    for k in (key, state_key or f"_nombre_{key}", f"_erreur_nombre_{key}"):
        st.session_state.pop(k, None)


def sidebar() -> None:
    """Draw the shared sidebar and keep `territoire` and `annee` valid for the database."""
    infos = read_territories()
    bar = st.sidebar
    if not infos:
        st.session_state["territoire"] = None
        st.session_state["annee"] = None
        bar.info("Aucune donnée chargée.")
        bar.page_link(DONNEES_PAGE, label="Charger des données", icon=":material/upload_file:")
    else:
        codes = [t.code for t in infos]
        names = {t.code: t.nom for t in infos}
        if st.session_state["territoire"] not in codes:
            st.session_state["territoire"] = codes[0]
        if len(codes) > 1:
            _sync("w_territoire", "territoire")
            bar.selectbox("Territoire", codes, key="w_territoire", placeholder="Choisir…",
                          format_func=lambda c: f"{names.get(c, c)} ({c})",
                          on_change=_copy_widget("w_territoire", "territoire"))
        else:
            bar.subheader(escape_md(names[codes[0]]))
        data = current_data()
        years = year_choices(data) if data is not None else []
        if st.session_state["annee"] not in years:
            st.session_state["annee"] = default_year(data) if data is not None else None
        if years:
            _sync("w_annee", "annee")
            bar.selectbox("Année", years, key="w_annee", format_func=str, placeholder="Choisir…",
                          on_change=_copy_widget("w_annee", "annee"))
        else:
            bar.caption("Aucune année renseignée.")
    _write_address()
    account = actor()
    if account is not None:
        bar.caption(f"Connecté : {escape_md(account.label)}")
        if bar.button("Se déconnecter", key="se_deconnecter", icon=":material/logout:"):
            sign_out("Vous êtes déconnecté.")
            st.rerun()
    else:
        _sync("w_auteur", "auteur")
        bar.text_input("Votre nom (pour l'historique)", key="w_auteur",
                       max_chars=AUTHOR_MAX_CHARS, on_change=_copy_widget("w_auteur", "auteur"),
                       help="Enregistré avec chaque modification et chaque commentaire ; ce "
                            "navigateur le retient (cookie), même après un rechargement.")
        if st.session_state.pop("_memoriser_auteur", False):
            with bar:
                _remember_author()
    _sync("w_presentation", "presentation")
    bar.toggle("Mode présentation", key="w_presentation",
               help="Masque les commandes d'édition et la barre latérale, agrandit le texte et "
                    "fait défiler les graphiques clés un par un.",
               on_change=_copy_widget("w_presentation", "presentation"))


# Static CSS only (no user text). Streamlit writes its file uploader in English (« Upload »,
# « 50MB per file • XLSX… », « 49.5KB »); it offers no setting for that, so the English words
# are hidden and French ones drawn in their place. The accepted formats and the size limit are
# said in French by each page beside its uploader.
_FRENCH_WIDGETS_CSS = """
<style>
div[data-testid="stElementContainer"]:has(> .stHtml > script:only-child),
div[data-testid="stElementContainer"]:has(> .stHtml > style + script:last-child)
  { display: none !important; }
section[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]
  div[data-testid="stMarkdownContainer"] p { font-size: 0 !important; }
section[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]
  div[data-testid="stMarkdownContainer"] p::after { content: "Parcourir"; font-size: 0.875rem; }
div[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0 !important; }
div[data-testid="stFileUploaderDropzoneInstructions"] span::after
  { content: "ou glissez-déposez le fichier ici"; font-size: 0.875rem; }
div[data-testid="stFileChipName"] + div { display: none !important; }
div[data-testid="stFileChip"] [role="alert"] { font-size: 0 !important; }
div[data-testid="stFileChip"] [role="alert"]::after { font-size: 0.875rem;
  content: "Fichier refusé : trop volumineux (voir la taille maximale indiquée), \
d'un type non accepté, ou envoi interrompu."; }
</style>
"""

# Streamlit and plotly write some of their interface in English in the browser, with no
# setting to change it: input hints (« Press Enter to apply »), the number and date fields,
# the select boxes' « No results », the tables' and charts' toolbars (tooltips, menus), the
# file uploader, the « Running… » indicator. This static script (no user text) puts a French
# text in their place as soon as the browser draws them, on every page: it rewrites only the
# exact strings (and patterns) listed here, in text nodes and in the aria-label, title,
# placeholder and data-title attributes. Installed once per browser tab.
_FRENCH_UI = {
    "Press Enter to apply": "Entrée pour valider",
    "Press Enter to submit form": "Entrée pour envoyer le formulaire",
    "Press Ctrl+Enter to apply": "Ctrl+Entrée pour valider",
    "Press ⌘+Enter to apply": "⌘+Entrée pour valider",
    "Press Ctrl+Enter to submit form": "Ctrl+Entrée pour envoyer le formulaire",
    "Press ⌘+Enter to submit form": "⌘+Entrée pour envoyer le formulaire",
    "Choose an option": "Choisir…", "Choose options": "Choisir…",
    "No results": "Aucun résultat", "Select all": "Tout sélectionner",
    "Clear all": "Tout effacer", "Clear": "Effacer", "Clear value": "Effacer",
    "Clear selection": "Effacer la sélection", "Remove": "Retirer",
    "Open": "Ouvrir", "Close": "Fermer", "Dismiss": "Fermer",
    "Skip to main content": "Aller au contenu principal",
    "Sidebar": "Barre latérale", "Collapse sidebar": "Replier la barre latérale",
    "Expand sidebar": "Déplier la barre latérale", "App pages": "Pages de l'application",
    "View more": "Voir plus", "View less": "Voir moins",
    "Link to heading": "Lien vers ce titre",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Download as CSV": "Télécharger en CSV", "Search": "Rechercher",
    "Search...": "Rechercher…", "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran", "Exit fullscreen": "Quitter le plein écran",
    "Show data": "Afficher les données", "Copy": "Copier",
    "Copy to clipboard": "Copier dans le presse-papiers", "Copied": "Copié",
    "Sort ascending": "Trier par ordre croissant",
    "Sort descending": "Trier par ordre décroissant",
    "Pin column": "Épingler la colonne", "Unpin column": "Détacher la colonne",
    "Hide column": "Masquer la colonne", "Autosize": "Largeur automatique",
    "Format": "Format", "Automatic": "Automatique", "Localized": "Local",
    "Plain": "Brut", "Percent": "Pourcentage", "Scientific": "Scientifique",
    "Accounting": "Comptabilité", "Relative": "Relative",
    "Decrement": "Diminuer", "Increment": "Augmenter",
    "Choose date": "Choisir une date", "Choose date range": "Choisir une période",
    "Previous": "Précédent", "Next": "Suivant", "Previous month": "Mois précédent",
    "Next month": "Mois suivant", "Previous year": "Année précédente",
    "Next year": "Année suivante", "Today": "Aujourd'hui",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
        "Flèches pour changer de date, Entrée pour choisir, Échap pour fermer.",
    "file upload": "envoi de fichier", "Upload": "Parcourir", "Browse files": "Parcourir",
    "Drag and drop file here": "ou glissez-déposez le fichier ici",
    "Drag and drop files here": "ou glissez-déposez les fichiers ici",
    "Delete": "Supprimer", "Running...": "Calcul en cours…", "Stop": "Arrêter",
    "Rerun": "Relancer", "Connecting": "Connexion…", "Please wait...": "Patientez…",
    "Error": "Erreur", "Page not found": "Page introuvable",
    "Download plot as a PNG": "Télécharger l'image (PNG)",
    "Download plot as a png": "Télécharger l'image (PNG)",
    "Download plot": "Télécharger l'image", "Zoom": "Zoomer", "Pan": "Déplacer",
    "Zoom in": "Zoom avant", "Zoom out": "Zoom arrière", "Reset axes": "Réinitialiser les axes",
    "Autoscale": "Échelle automatique", "Reset view": "Réinitialiser la vue",
    "Reset camera to default": "Réinitialiser la vue", "Toggle Spike Lines": "Lignes de repère",
    "Show closest data on hover": "Valeur la plus proche au survol",
    "Compare data on hover": "Comparer les valeurs au survol",
    "Box Select": "Sélection rectangulaire", "Lasso Select": "Sélection au lasso",
    "Double-click to zoom back out": "Double-cliquez pour revenir au zoom initial",
}
_FRENCH_UI_PATTERNS = (
    (r"^Help for (.+)$", "Aide : $1"),
    (r"^Shortcut (.+)$", "Raccourci $1"),
    (r"^day, (.*)$", "jour, $1"), (r"^month, (.*)$", "mois, $1"),
    (r"^year, (.*)$", "année, $1"),
    # « Error: Number is… »: the message first (the rules are applied again on the result).
    (r"^(Error: )?Number is outside the allowed range\. Please enter a value between (.+) "
     r"and (.+)\.$", "$1Nombre hors des limites : saisissez une valeur entre $2 et $3."),
    (r"^(Error: )?Number is below the allowed range\. Please enter a value greater than or "
     r"equal to (.+)\.$", "$1Nombre trop petit : saisissez une valeur d'au moins $2."),
    (r"^(Error: )?Number is above the allowed range\. Please enter a value less than or equal "
     r"to (.+)\.$", "$1Nombre trop grand : saisissez une valeur d'au plus $2."),
    (r"^(Error: )?Number is (below|above) the allowed range\.$", "$1Nombre hors des limites."),
    (r"^Error: (.*)$", "Erreur : $1"),
    (r"^Choose date, (.*)$", "Choisir une date, $1"),
    (r"^Limit (\d+)MB per file(.*)$", "Limite : $1 Mo par fichier$2"),
    (r"^(\d+)MB per file(.*)$", "$1 Mo par fichier$2"),
    (r"^Remove (.+)$", "Retirer $1"), (r"^Delete (.+)$", "Supprimer $1"),
    (r"^(\d+)\.(\d+)(K|M|G)B$", "$1,$2 $3o"), (r"^(\d+)(K|M|G)?B$", "$1 $2o"),
    (r"^You have requested page .*$",
     "Cette page n'existe pas : la page d'accueil de l'application s'ouvre."),
    (r"^Running the app's main page\.?$", "La page d'accueil de l'application s'ouvre."),
)
# The empty date field: day, month and year boxes (« dd / mm / yyyy »).
_FRENCH_DATE_SEGMENTS = {"dd": "jj", "mm": "mm", "yyyy": "aaaa"}


def _french_script() -> str:
    """The <script> that writes Streamlit's and plotly's English interface texts in French."""
    table = json.dumps(_FRENCH_UI, ensure_ascii=False)
    patterns = json.dumps([[p, r] for p, r in _FRENCH_UI_PATTERNS], ensure_ascii=False)
    segments = json.dumps(_FRENCH_DATE_SEGMENTS)
    return """<script>
(() => {
  if (window.__ctgFrancais) return;
  window.__ctgFrancais = true;
  const TABLE = %s;
  const PATTERNS = %s.map(([p, r]) => [new RegExp(p), r]);
  const SEGMENTS = %s;
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "data-title", "aria-roledescription"];
  function french(text) {
    const core = text.trim();
    if (!core || core.length > 300) return null;
    let out = core;
    for (let round = 0; round < 3; round++) {   // « Error: Number is… »: two rules in turn
      let next = TABLE[out];
      if (next === undefined) {
        for (const [re, rep] of PATTERNS) { if (re.test(out)) { next = out.replace(re, rep); break; } }
      }
      if (next === undefined || next === out) break;
      out = next;
    }
    return out === core ? null : text.replace(core, out);
  }
  function fix(node) {
    if (node.nodeType === 3) {
      const parent = node.parentElement;
      if (!parent || parent.closest("style,script")) return;
      let out = french(node.nodeValue);
      if (out === null && parent.closest('[role="spinbutton"]')) {
        const seg = SEGMENTS[node.nodeValue.trim()];
        if (seg && seg !== node.nodeValue.trim()) out = seg;
      }
      if (out !== null) node.nodeValue = out;
      return;
    }
    if (node.nodeType !== 1) return;
    for (const name of ATTRIBUTES) {
      const value = node.getAttribute(name);
      if (value) { const out = french(value); if (out !== null) node.setAttribute(name, out); }
    }
  }
  function walk(root) {
    fix(root);
    if (root.nodeType !== 1) return;
    const it = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    let node;
    while ((node = it.nextNode())) fix(node);
  }
  walk(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "childList") r.addedNodes.forEach(walk); else fix(r.target);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ATTRIBUTES});
})();
</script>""" % (table, patterns, segments)


# Static CSS only (no user text): hide the sidebar and its toggle, enlarge text for a projector;
# the way out sits in the top right corner, over the page, so that a slide keeps the height of
# the screen; no plotly toolbar over the charts.
_PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"],
div.modebar-container { display: none !important; }
div[data-testid="stMainBlockContainer"] { max-width: 100% !important;
  padding: 0.75rem 2rem 0.75rem 2rem !important; }
.st-key-quitter_presentation { position: fixed !important; top: 0.5rem; right: 1rem;
  z-index: 999990; width: auto !important; background: #FFFFFF; border-radius: 0.5rem; }
div[data-testid="stMarkdownContainer"] p, div[data-testid="stMarkdownContainer"] li
  { font-size: 1.45rem !important; line-height: 1.5; }
div[data-testid="stMetricValue"] { font-size: 3.2rem !important; }
div[data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
h1 { font-size: 2.8rem !important; } h2 { font-size: 2.2rem !important; }
</style>
"""


def upload_limit_mb() -> int:
    """The size (Mo) above which the Données uploader refuses a file in the browser: the
    largest the app itself accepts (a workbook, `max_file_mb`, or a Caf open-data file,
    `max_opendata_mb`), so that every smaller file reaches the app's French checks. Keep
    Streamlit's `server.maxUploadSize` (.streamlit/config.toml) at least this large."""
    import math
    return max(1, math.ceil(max(float(settings.get("max_file_mb")),
                                float(settings.get("max_opendata_mb")))))


def french_interface() -> None:
    """The French styling of Streamlit's widgets (`_FRENCH_WIDGETS_CSS`) and the script that
    writes their English texts in French (`_french_script`), first thing of every page (the
    block that holds them is hidden: it takes no room)."""
    st.html(french_interface_html(), unsafe_allow_javascript=True)


def french_interface_html() -> str:
    """The static HTML `french_interface` draws (no user text in it)."""
    return _FRENCH_WIDGETS_CSS + _french_script()


def presentation_frame() -> None:
    """In presentation mode: the projector CSS and the one way out (the sidebar is hidden)."""
    st.html(_PRESENTATION_CSS)
    st.button("Quitter le mode présentation", key="quitter_presentation",
              icon=":material/close_fullscreen:", type="tertiary", shortcut="Esc",
              on_click=set_presentation, args=(False,))


def presentation_config() -> dict:
    """The plotly `config` of a chart in presentation mode: no toolbar over the chart (nothing
    to zoom or save in front of the comité), French, resized with its frame."""
    return {"displayModeBar": False, "displaylogo": False, "locale": "fr", "responsive": True}


def slide_chart(spec_key: str, data: CtgData, annee: int, references=None, **options) -> None:
    """One chart of the registry as a slide: the same figure as the chart block (cached per
    data version, year and options) with its title, fitted to the height the Présentation
    page gives it (`charts.presentation(fit=True)`), no toolbar; its source line under it."""
    info = current_territory()
    if info is not None and info.code == data.code:
        options.setdefault("version_date", info.updated_at)
    fig = _figure(spec_key, data, annee, references, options)
    st.plotly_chart(charts.presentation(fig, fit=True), key=f"diapo_graphique_{spec_key}",
                    config=presentation_config(), theme=None, height="stretch")
    with st.container(key="diapo_source"):
        st.markdown(escape_md(charts.slide_source(fig)))


# ---------------------------------------------------------------------------------------------
# 2. Store and data
# ---------------------------------------------------------------------------------------------

def database_url() -> str:
    """The database URL (CTG_DATABASE_URL, else the settings default)."""
    return settings.get("database_url")


@st.cache_resource(show_spinner=False)
def _open_store(url: str):
    from ctg_data.storage import Store
    # Only the default database may be created here (`make run` creates the others through
    # `demo`): a mistyped CTG_DATABASE_URL is refused, not silently created empty.
    default = next(s.default for s in settings.SETTINGS if s.name == "database_url")
    return Store(url, create=url == default)


def store():
    """The one Store of this process for the configured database. A database that is
    missing, corrupt or unreachable stops the page with the French message (never a trace)."""
    from ctg_data.storage import StorageError
    try:
        return _open_store(database_url())
    except StorageError as error:
        st.error(escape_md(error.message), icon=":material/database:")
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=32)
def _load(url: str, code: str, version_id: int) -> CtgData | None:
    # Keyed by version: a new import or edit makes a new version, hence a fresh load.
    # The object is shared, so pages must treat it as read-only.
    return _open_store(url).load(code, version_id)


def territories() -> list:
    """The territories stored in the database (TerritoryInfo: code, nom, version_id…), as read
    at the start of this run by `read_territories`."""
    infos = st.session_state.get("_territoires")
    return infos if infos is not None else read_territories()


def read_territories() -> list:
    """Query the store for the territories and keep the answer for the rest of the run: the
    sidebar calls it first thing in every run, so that the helpers needing the current version
    (each chart block, twice) do not each query the database. A callback that stores a change
    calls it too, before reading the data it edits."""
    infos = list(store().territories())
    st.session_state["_territoires"] = infos
    return infos


def current_territory():
    """The TerritoryInfo of the selected territory, or None when the database is empty."""
    infos = territories()
    for info in infos:
        if info.code == st.session_state.get("territoire"):
            return info
    return infos[0] if infos else None


def current_data() -> CtgData | None:
    """The data of the selected territory (current version), or None."""
    info = current_territory()
    if info is None:
        return None
    return _load(database_url(), info.code, info.version_id)


def select_territory(code: str) -> None:
    """Make territory `code` the current one, as when it is picked in the sidebar (the
    sidebar then keeps the year if the territory has it, else takes its default year)."""
    st.session_state["territoire"] = code


def references(data: CtgData | None = None) -> pd.DataFrame:
    """The reference figures to compare the territory of `data` (default: the current one)
    with: the imported figures (Caf, INSEE) that concern it — filtered in the database and
    kept across reruns until the next reference import — and the confirmed bundled national
    values (`references.territory_references`)."""
    from ctg_data.references import territory_references

    return territory_references(store(), current_data() if data is None else data)


def empty_state(message: str = "Aucune donnée n'est encore chargée.") -> None:
    """Say what to load, link to the Données page and stop the page."""
    st.info(message + " Chargez le classeur CTG de votre territoire (ou l'exemple fourni) "
            "depuis la page Données.", icon=":material/info:")
    st.page_link(DONNEES_PAGE, label="Aller à la page Données", icon=":material/upload_file:")
    st.stop()


def require_data() -> CtgData:
    """The selected territory's data; on an empty database, the empty-state message and stop.
    Also makes sure the shared frame (sidebar, state) is drawn."""
    ensure_frame()
    data = current_data()
    if data is None:
        empty_state()
    return data


def require_year(data: CtgData) -> int:
    """The selected year; when the data hold no year at all, say so and stop."""
    annee = st.session_state.get("annee")
    if annee is None:
        empty_state("Les données de ce territoire ne contiennent aucune année.")
    return int(annee)


def year_choices(data: CtgData) -> list[int]:
    """The years some table holds data for, newest first (the year select's options)."""
    return sorted(data.years(), reverse=True)


def default_year(data: CtgData) -> int | None:
    """The latest year with a population figure, else the latest year with any data."""
    pop = data.table("population")
    known = pop.loc[pop["population"].notna() | pop["enfants_0_2"].notna(), "annee"].dropna()
    if len(known):
        return int(known.max())
    years = data.years()
    return years[-1] if years else None


# ---------------------------------------------------------------------------------------------
# 3. French display helpers
# ---------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>#|~$&])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+=>])|(\d+)([.)]))", re.MULTILINE)
# Streamlit's Markdown also turns text into links, emoji and icons after parsing, where a
# backslash no longer counts: bare URLs (`http://…`, `www.…`), e-mail addresses, `:smile:`,
# `:material/home:`, `:red[…]`. A WORD JOINER (U+2060, invisible, no width) after the `:` or
# `@`, or inside `www.`, breaks those patterns without changing what the reader sees.
_WORD_JOINER = "\u2060"
_MD_AUTOLINKS = re.compile(r":(?=[\w/+-])|@(?=\w)|(?<![\w.])(www)(?=\.)", re.IGNORECASE)


def escape_md(text: object) -> str:
    """Text from a user file made inert for st.markdown, headings and widget labels: no
    emphasis, links, images, autolinks, HTML, entities, maths, emoji or icon shortcodes, list
    or heading markers (the text reads exactly as typed)."""
    text = _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))
    text = _MD_AUTOLINKS.sub(lambda m: (m.group(1) or m.group()) + _WORD_JOINER, text)

    def inert(m: re.Match) -> str:
        if m.group(2):
            return m.group(1) + "\\" + m.group(2)
        return m.group(1) + m.group(3) + "\\" + m.group(4)
    return _MD_LINE_START.sub(inert, text)


def _paris(moment):
    try:
        from zoneinfo import ZoneInfo
        return moment.astimezone(ZoneInfo("Europe/Paris"))
    except Exception:  # no time zone database: the UTC date is still right to a few hours
        return moment


def local_date(moment) -> str:
    """A stored UTC timestamp as the French date of Paris (« 12 mars 2024 »)."""
    return fmt.MISSING if moment is None else fmt.fr_date(_paris(moment))


def local_datetime(moment) -> str:
    """« 12/03/2024 à 9 h 05 », Paris time."""
    if moment is None:
        return fmt.MISSING
    moment = _paris(moment)
    return f"{moment:%d/%m/%Y} à {moment.hour} h {moment:%M}"


# How a version came to be, as the version tables say it (storage `kind`).
VERSION_KINDS = {"import": "Import d'un classeur", "edit": "Modification dans l'application",
                 "restore": "Restauration", "opendata": "Données ouvertes"}


# Display kinds, the same vocabulary as exports.table_to_xlsx `formats` so that one dict
# describes a table on screen and in its Excel download.
_DISPLAY = {
    "int": lambda v: fmt.fr_number(v, 0),
    "decimal": lambda v: fmt.fr_number(v, 1),
    "decimal2": lambda v: fmt.fr_number(v, 2),
    # As many decimals as the value needs, up to one: an age of 3 years, or of 2,5.
    "number": lambda v: fmt.fr_number(v, 0 if fmt.is_missing(v) or float(v).is_integer() else 1),
    "percent": lambda v: fmt.fr_percent(v, 1),
    "rate": lambda v: fmt.fr_number(v, 1),
    "euro": lambda v: fmt.fr_euro(v, 0),
    "year": lambda v: fmt.MISSING if fmt.is_missing(v) else str(int(v)),
    "date": fmt.fr_short_date,
}
_EXPORT_KIND = {"decimal2": "decimal", "rate": "decimal", "date": "text", "number": "decimal"}


def latest_and_previous(portrait: pd.DataFrame, code: str, year: int) -> tuple:
    """(value, year, previous value, previous year) of indicator `code` in a long table
    (indicateur, annee, valeur — `indicators.portrait`): the value of `year` or of the latest
    earlier year holding it, and the one before, for a key figure and its evolution. Nones
    when the indicator has no value up to `year`."""
    rows = portrait[(portrait["indicateur"] == code) & (portrait["annee"] <= year)
                    & portrait["valeur"].notna()].sort_values("annee")
    if rows.empty:
        return None, None, None, None
    last = rows.iloc[-1]
    prev = rows.iloc[-2] if len(rows) > 1 else None
    return (float(last["valeur"]), int(last["annee"]),
            None if prev is None else float(prev["valeur"]),
            None if prev is None else int(prev["annee"]))


def display_frame(frame: pd.DataFrame, formats: dict | None = None) -> pd.DataFrame:
    """A copy of `frame` whose numeric columns are French text (« 1 234,5 », « 12,3 % »,
    « — » when missing): Streamlit's own number formats follow the browser's locale, not French.
    `formats` maps a column to int, decimal, decimal2, number (decimals only when needed),
    percent, rate, euro, year, date or text;
    other numeric columns are shown as whole numbers when they hold only integers, else with
    one decimal."""
    formats = dict(formats or {})
    out = frame.copy()
    for col in out.columns:
        kind = formats.get(col)
        series = out[col]
        if kind is None:
            if pd.api.types.is_bool_dtype(series):
                out[col] = series.map(lambda v: "oui" if v is True else "non" if v is False
                                      else fmt.MISSING).astype(object)
                continue
            if not pd.api.types.is_numeric_dtype(series):
                out[col] = series.astype(object).where(series.notna(), fmt.MISSING)
                continue
            whole = series.dropna()
            kind = "int" if whole.empty or (whole == whole.round()).all() else "decimal"
        if kind == "text":
            out[col] = series.astype(object).where(series.notna(), fmt.MISSING)
        else:
            out[col] = series.astype(object).map(_DISPLAY[kind]).astype(object)
    return out


def indicator_kind(code: str) -> str:
    """The display kind of an indicator's values, from its unit in the definitions."""
    d = definitions.get(code)
    if d.unite == "%":
        return "percent"
    if "€" in d.unite:
        return "euro"
    if d.facteur is None and d.unite != "AM par ETP":
        return "int"
    return "decimal"


def format_indicator(value, code: str) -> str:
    """A value of indicator `code` in French, by its unit (« 12,3 % », « 1 234 », « 19 500 € »,
    « 11,2 ‰ »)."""
    if definitions.get(code).unite == "‰" and not fmt.is_missing(value):
        return f"{fmt.fr_number(value, 1)}{fmt.NNBSP}‰"
    return _DISPLAY[indicator_kind(code)](value)


def _export_formats(formats: dict | None) -> dict:
    return {col: _EXPORT_KIND.get(kind, kind) for col, kind in (formats or {}).items()}


# ---------------------------------------------------------------------------------------------
# 4. Blocks
# ---------------------------------------------------------------------------------------------

def methodology(codes=(), *, alertes=(), detail=(), title: str = "Méthodologie") -> None:
    """An expander with the definition, formula and source of each indicator code, the alerts
    (missing or approximated inputs) and, when given, the computation line by line."""
    codes = [c for c in codes if c]
    if not codes and not alertes and not detail:
        return
    with st.expander(title, icon=":material/menu_book:"):
        for code in codes:
            try:
                text = definitions.methodology_text(code)
            except KeyError:
                continue
            first, *rest = text.split("\n")
            st.markdown(f"**{escape_md(first)}**")
            for line in rest:
                st.markdown(escape_md(line))
        if alertes:
            st.markdown("**Alertes**")
            for alerte in alertes:
                st.markdown("- " + escape_md(alerte))
        if detail:
            st.markdown("**Calcul détaillé**")
            # Counts and rates mixed in one column: each value with the decimals it needs.
            lines = pd.DataFrame(
                [(label, fmt.fr_number(v, 0 if fmt.is_missing(v) or float(v).is_integer()
                                       else 1)) for label, v in detail],
                columns=["Étape", "Valeur"])
            st.dataframe(lines, hide_index=True, width="stretch")


def metric(label: str, value: str, *, change: float | None = None, change_text: str | None = None,
           since: int | None = None, sens: str | None = None, help: str | None = None,
           qualifier: str | None = None) -> None:
    """st.metric with a French value and evolution: the arrow follows the sign of `change`, the
    colour says whether it is good (`sens` « hausse »/« baisse », as in the definitions) or
    neutral (no `sens`). Streamlit cannot read the French minus sign, hence the explicit arrow.
    `qualifier` completes « depuis 2022 » (« à composantes égales »). Only like-for-like
    changes may be given (see `rate_metric`)."""
    if change is None or change_text is None:
        st.metric(label, value, help=help)
        return
    arrow = "up" if change > 0 else "down" if change < 0 else "off"
    good = (change > 0) if sens == "hausse" else (change < 0) if sens == "baisse" else None
    colour = "gray" if good is None or change == 0 else "green" if good else "red"
    description = f"depuis {since}" if since else None
    if qualifier:
        description = f"{description}, {qualifier}" if description else qualifier
    st.metric(label, value, delta=change_text, delta_color=colour, delta_arrow=arrow, help=help,
              delta_description=description)


def previous_coverage(data: CtgData, annee: int):
    """The coverage of the year an evolution compares with (`indicators.previous_year`: the
    latest earlier year of the coverage sheets), None when `annee` is the first."""
    from ctg_data import indicators
    return stored_result(("couverture precedente",),
                         lambda: indicators.previous_coverage(data, annee), data, annee)


def _joined(*texts) -> str | None:
    return " ".join(t for t in texts if t) or None


def rate_metric(label: str, key: str, cov, prev, *, help: str | None = None) -> None:
    """A coverage rate of `cov` (`key`: global, eaje, individuel, prescolarisation) with its
    change since `prev` (`previous_coverage`), in points, higher is better — like for like
    (`indicators.coverage_change`): on the components of both years, said in the delta and
    the help; no arrow at all, with the reason in the help, when no honest comparison is
    possible."""
    from ctg_data import indicators
    value = fmt.fr_number(cov.taux.get(key), 1)
    if prev is None or cov.taux.get(key) is None:
        metric(label, value, help=help)
        return
    change = indicators.coverage_change(cov, prev, key)
    if change.value is None:
        metric(label, value, help=_joined(
            help, f"Évolution depuis {prev.annee} non affichée : {change.reason}."))
        return
    metric(label, value, change=change.value, change_text=fmt.fr_signed(change.value),
           since=change.annee_precedente, sens="hausse",
           qualifier="à composantes égales" if change.partial else None,
           help=_joined(help, change.reason[:1].upper() + change.reason[1:] + "."
                        if change.partial else None))


def chart_block(spec_key: str, data: CtgData, annee: int, references: pd.DataFrame | None = None,
                *, key: str | None = None, alertes=(), detail=(), comments: bool = True,
                **options) -> None:
    """One chart of the registry with everything that goes with it: the figure (the same
    builder as the bilan), its source line, the methodology, PNG/SVG downloads and the
    comité's comments (with a form to add one outside presentation mode).

    `key` distinguishes two blocks of the same chart on one page; `options` go to the builder
    (cible, delta_places, contour…)."""
    spec = charts.CHARTS[spec_key]
    wkey = key or spec_key
    info = current_territory()
    if info is not None and info.code == data.code:
        options.setdefault("version_date", info.updated_at)
    fig = _figure(spec_key, data, annee, references, options)
    shown = charts.presentation(fig) if presentation() else fig
    file_name = charts.figure_file_name(spec_key, data, annee)
    config = charts.plotly_config(file_name) | {"locale": "fr"}
    with st.container(border=True, key=f"bloc_{wkey}"):
        st.plotly_chart(shown, key=f"graphique_{wkey}", config=config, theme=None)
        # The source line and the data date are written under the chart by its builder (so
        # that they follow the image into exports): no second copy here.
        methodology(spec.indicateurs, alertes=alertes, detail=detail)
        # A chart that says « Données non disponibles » has no image worth downloading.
        if not presentation() and can("export") and not no_data(fig):
            # The images leave the app: built again with small counts of people hidden.
            build = spec.build
            _image_downloads(lambda: build(data, annee, references, **options, secret=True),
                             file_name, wkey)
        if comments:
            comments_block(spec_key, data, annee, key=wkey)


def no_data(fig) -> bool:
    """Whether `fig` is the « Données non disponibles » figure (`charts.no_data_figure`)."""
    return any(getattr(a, "name", None) == "no_data" for a in fig.layout.annotations)


_FIGURES: OrderedDict = OrderedDict()
_FIGURES_MAX = 128
_FIGURES_LOCK = threading.Lock()


# The digest of the last reference table seen: a page passes the same table to each of its
# charts, and hashing a large one (a Caf file of many communes) takes tenths of a second.
_REFERENCES_DIGEST: tuple = (lambda: None, "")


def _references_digest(references) -> str:
    global _REFERENCES_DIGEST
    if references is None or references.empty:
        return ""
    seen, digest = _REFERENCES_DIGEST
    if seen() is not references:
        digest = str(int(pd.util.hash_pandas_object(references.astype(str), index=False).sum()))
        _REFERENCES_DIGEST = (weakref.ref(references), digest)
    return digest


def _fingerprint(version_id: int, data: CtgData, annee: int, references, options: dict) -> str:
    refs = _references_digest(references)
    opts = json.dumps(options, sort_keys=True, default=repr)
    return hashlib.sha1(f"{database_url()}|{data.code}|{version_id}|{annee}|{refs}|{opts}"
                        .encode()).hexdigest()


def stored_result(key: tuple, compute, data: CtgData, annee: int, references=None,
                  options: dict | None = None):
    """`compute()` — a figure, a coverage, a comparison table of `data` for `annee` — kept for
    the next runs and sessions when `data` is the stored current version (a rerun after a click
    does not compute it again); other data (an edit being previewed) is computed each time.
    `key` names what is computed; `references` and `options` are what else it depends on. The
    result is shared: callers treat it as read-only."""
    info = current_territory()
    if info is None or info.code != data.code or data is not current_data():
        return compute()
    full_key = (key, _fingerprint(info.version_id, data, annee, references, options or {}))
    with _FIGURES_LOCK:   # one cache for every session of the server
        if full_key in _FIGURES:
            _FIGURES.move_to_end(full_key)
            return _FIGURES[full_key]
    result = compute()
    with _FIGURES_LOCK:
        _FIGURES[full_key] = result
        while len(_FIGURES) > _FIGURES_MAX:
            _FIGURES.popitem(last=False)
    return result


def _figure(spec_key: str, data: CtgData, annee: int, references, options: dict):
    """The chart built by its registered builder, kept by `stored_result`."""
    build = charts.CHARTS[spec_key].build
    return stored_result(("graphique", spec_key), lambda: build(data, annee, references, **options),
                         data, annee, references, options)


def coverage(data: CtgData, annee: int, cible=None):
    """`indicators.coverage` of `data`, kept by `stored_result` (pages ask for it every run)."""
    from ctg_data import indicators
    return stored_result(("couverture",), lambda: indicators.coverage(data, annee, cible=cible),
                         data, annee, options={"cible": cible})


def _image_downloads(export, file_name: str, wkey: str) -> None:
    """PNG and SVG buttons; `export` is the figure to render, or a function that builds it
    (with statistical secrecy) when a button is clicked."""
    if not exports.image_export_available():
        st.caption(exports.image_export_message())
        return
    row = st.container(horizontal=True)
    # Deferred: the image is rendered only when the button is clicked (about 0,4 s each).
    figure = export if callable(export) else (lambda: export)
    row.download_button("Image PNG", lambda: exports.figure_to_image(figure(), "png"),
                        file_name=f"{file_name}.png", mime=exports.image_mime("png"),
                        key=f"png_{wkey}", icon=":material/image:", on_click="ignore")
    row.download_button("Image SVG", lambda: exports.figure_to_image(figure(), "svg"),
                        file_name=f"{file_name}.svg", mime=exports.image_mime("svg"),
                        key=f"svg_{wkey}", icon=":material/draw:", on_click="ignore")


def chart_comments(code: str, chart_key: str) -> list:
    """The comments on chart `chart_key` of territory `code`, newest first. Every comment of
    the territory is read in one query per run (kept with the territory list that the
    sidebar reads at the start of each run) and filtered here, not one query per chart."""
    run = territories()
    kept = st.session_state.get("_commentaires")
    if kept is None or kept[0] is not run or kept[1] != (database_url(), code):
        kept = (run, (database_url(), code), store().comments(code))
        st.session_state["_commentaires"] = kept
    return [c for c in kept[2] if c.chart_key == chart_key]


def _save_comment(code: str, chart_key: str, annee: int, text_key: str) -> None:
    text = (st.session_state.get(text_key) or "").strip()
    if not text:
        st.session_state["_message_commentaire"] = (text_key, "warning",
                                                    "Le commentaire est vide : rien n'a été "
                                                    "enregistré.")
        return
    from ctg_data.accounts import AccessDenied

    try:
        store().add_comment(code, chart_key, text, author=author(), annee=annee, actor=actor())
    except AccessDenied as refused:
        st.session_state["_message_commentaire"] = (text_key, "error", refused.message)
        return
    except ValueError as refused:   # the store's text rules (control characters, length)
        st.session_state["_message_commentaire"] = (text_key, "error", escape_md(str(refused)))
        return
    st.session_state[text_key] = ""
    st.session_state.pop("_commentaires", None)   # read again with the new one
    st.session_state["_message_commentaire"] = (text_key, "success", "Commentaire enregistré.")



@st.fragment
def comments_block(chart_key: str, data: CtgData, annee: int, *, key: str | None = None) -> None:
    """The comité's saved comments on a chart (newest first, dated) and, outside presentation
    mode, a small form to add one. A fragment: saving a comment reruns only this block, not
    every chart of the page."""
    wkey = key or chart_key
    saved = chart_comments(data.code, chart_key)
    text_key = f"commentaire_{wkey}"
    flash = st.session_state.get("_message_commentaire")
    if presentation() and not saved:
        return
    with st.expander(f"Commentaires du comité ({len(saved)})", expanded=bool(saved),
                     icon=":material/forum:"):
        for c in saved:
            who = f" — {escape_md(c.author)}" if c.author else ""
            year = f" (lecture de l'année {c.annee})" if c.annee else ""
            st.markdown(f"**{local_date(c.created_at)}**{who}{year}")
            st.markdown(escape_md(c.text).replace("\n", "  \n"))
        if not saved:
            st.caption("Aucun commentaire pour l'instant.")
        if presentation() or not can("comment", data.code):
            return
        if flash and flash[0] == text_key:
            getattr(st, flash[1])(flash[2])
            st.session_state.pop("_message_commentaire", None)
        st.text_area("Lecture du comité", key=text_key, max_chars=2000, height=90,
                     placeholder="Ce que le comité retient de ce graphique…")
        st.button("Enregistrer le commentaire", key=f"enregistrer_{wkey}",
                  icon=":material/save:", on_click=_save_comment,
                  args=(data.code, chart_key, annee, text_key))


# The width a table has on a 1280 px screen with the sidebar open, and the width of one
# character of the grid's font (both in pixels, generous): what decides the layout below.
TABLE_WIDTH_PX = 820
_CHAR_PX = 7.6
_CELL_PADDING_PX = 22
# Columns that decide the reading of a table: kept at the left edge, always visible.
DECISIVE_COLUMNS = ("Niveau d'atteinte", "Niveau", "Gravité", "Message", "Statut")


# Beyond this many columns a table scrolls sideways rather than wrapping into the page.
MAX_FITTED_COLUMNS = 14


def table_layout(shown: pd.DataFrame) -> tuple[dict, int | None]:
    """The column widths (`st.column_config`) and row height that make `shown` (French text)
    fit a 1280 px screen. When its columns would be wider than the page, each column gets at
    least the width of its header (headers do not wrap) and of its longest word, the rest of
    the page goes to the columns that need it most, and the rows are three lines high so that
    texts wrap (the grid wraps text when rows are taller than 4 rem); the decisive columns
    (`DECISIVE_COLUMNS`) stay pinned at the left. ({}, None) when the table fits as it is."""
    if shown.empty or not len(shown.columns):
        return {}, None
    minimum, wanted = {}, {}
    # One conversion of the shown cells, then plain Python: tables here are small, and pandas'
    # per-column string methods cost more than the work itself at each rerun.
    texts = shown.head(200).astype(str).to_numpy()
    for index, col in enumerate(shown.columns):
        cells = texts[:, index]
        longest = max(map(len, cells), default=0)
        word = max((len(w) for text in cells for w in text.split()), default=0)
        header = len(str(col)) * _CHAR_PX + _CELL_PADDING_PX
        # A long word (a place name) may be cut rather than widen the table past the page.
        minimum[col] = min(max(header, min(word, 12) * _CHAR_PX + _CELL_PADDING_PX), 220)
        wanted[col] = max(header, longest * _CHAR_PX + _CELL_PADDING_PX)
    if sum(wanted.values()) <= TABLE_WIDTH_PX:
        return {}, None
    if len(shown.columns) > MAX_FITTED_COLUMNS:
        # A wide table of figures (one row per territory…) cannot be squeezed into the page
        # without unreadable columns: it scrolls sideways, its decisive columns pinned.
        return {c: st.column_config.Column(pinned=True) for c in shown.columns
                if c in DECISIVE_COLUMNS}, None
    spare = max(0.0, TABLE_WIDTH_PX - sum(minimum.values()))
    need = {c: max(0.0, wanted[c] - minimum[c]) for c in shown.columns}
    total_need = sum(need.values()) or 1.0
    width = {c: int(minimum[c] + spare * need[c] / total_need) for c in shown.columns}
    config = {c: st.column_config.Column(width=width[c], pinned=True if c in DECISIVE_COLUMNS
                                         and width[c] <= 220 else None)
              for c in shown.columns}
    wraps = any(width[c] + 1 < wanted[c] for c in shown.columns)
    return config, (70 if wraps else None)


def table_block(frame: pd.DataFrame, name: str, *, formats: dict | None = None,
                key: str | None = None, title: str | None = None, source: str | None = None,
                note: str | None = None, display: pd.DataFrame | None = None,
                height: int | str = "auto", counts: tuple[str, ...] = (),
                selection: bool = False):
    """A table shown in French format, with Excel (real numbers and number formats) and CSV
    (French Excel) downloads outside presentation mode. `name` is the file name stem;
    `display` replaces the automatic French rendering when a column needs per-row units.
    `counts` name the columns that count people: the downloads mask their small values
    (statistical secrecy) and say so, while the screen shows the exact figures to the editor.
    With `selection`, a row can be picked (a click reruns the page): the selection event of
    st.dataframe is returned (`.selection.rows`), else None."""
    wkey = key or exports.export_file_name(name, "x").removesuffix(".x")
    shown = display if display is not None else display_frame(frame, formats)
    picked = {"on_select": "rerun", "selection_mode": "single-row"} if selection else {}
    columns, row_height = table_layout(shown)
    event = st.dataframe(shown, hide_index=True, width="stretch", height=height,
                         key=f"tableau_{wkey}", column_config=columns or None,
                         row_height=row_height, **picked)
    event = event if selection else None
    if note:
        st.caption(escape_md(note))
    if presentation() or not can("export"):
        return event
    if counts:
        frame, secret_note = secrecy.mask_small_counts(frame, counts)
        note = " ".join(n for n in (note, secret_note) if n) or None
        if secret_note:
            st.caption(escape_md(f"Téléchargements : {secret_note}"))
    _table_downloads(frame, name, wkey, title=title or name, source=source,
                     formats=_export_formats(formats), note=note, audited=bool(counts),
                     csv_formats=formats or {})
    return event


def record_export(detail: str, code: str | None = None) -> None:
    """Record in the audit log an export made now (a document built in this run)."""
    audited_export(lambda: None, detail, code)()


def audited_export(build, detail: str, code: str | None = None):
    """`build` (a deferred download) that also records the export in the audit log, with the
    account and territory of this run (the download itself runs outside the script)."""
    from ctg_data import accounts, audit

    login = (actor() or accounts.LOCAL_ACCOUNT).login
    if code is None:
        info = current_territory()
        code = info.code if info is not None else None
    target = store()

    def run():
        content = build()
        audit.record(target, login, "export", code, detail)
        return content
    return run


def _table_downloads(frame: pd.DataFrame, name: str, wkey: str, *, audited: bool = False,
                     csv_formats: dict | None = None, **xlsx_options) -> None:
    """The Excel and CSV download buttons of a table, side by side. Deferred: each file is
    built only when its button is clicked. `audited`: a table counting people, whose each
    download is recorded in the audit log."""
    def xlsx():
        return exports.table_to_xlsx(frame, **xlsx_options)

    def csv():   # rounded as the screen shows it (`formats`, the display kinds)
        return exports.table_to_csv(frame, csv_formats)
    if audited:
        xlsx = audited_export(xlsx, f"Tableau « {name} » (Excel).")
        csv = audited_export(csv, f"Tableau « {name} » (CSV).")
    row = st.container(horizontal=True)
    row.download_button(
        "Tableau Excel", xlsx,
        file_name=exports.export_file_name(name, "xlsx"), key=f"xlsx_{wkey}",
        mime=exports.XLSX_MIME,
        icon=":material/table_view:", on_click="ignore")
    row.download_button("CSV", csv,
                        file_name=exports.export_file_name(name, "csv"), key=f"csv_{wkey}",
                        mime="text/csv", icon=":material/csv:", on_click="ignore")


# ---------------------------------------------------------------------------------------------
# 5. Editing forms (Plan d'action, Fiches actions, Évaluation, Pilotage)
# ---------------------------------------------------------------------------------------------

def editing_allowed() -> bool:
    """Whether the editing forms are drawn: never in presentation mode, and in shared mode
    only for an account that may edit the selected territory."""
    return not presentation() and can("edit")


def save_button(label: str, tag: str, build, success: str, *, key: str,
                icon: str = ":material/save:") -> None:
    """The save button of an editing form (inside `st.form`). On click, before the page runs
    again, `build(data)` makes the `editing.Edit` from the form's widget values and the current
    data; an accepted edit is stored as a new version (author from the sidebar, the changes for
    the history), a refused one stores nothing. `edit_feedback(tag)` then says which.

    A callback rather than the button's return value: the page then reads the new version in
    the same run, and a rerun cannot swallow the click."""
    st.form_submit_button(label, key=key, type="primary", icon=icon, on_click=_save,
                          args=(tag, build, success))


def _form_base(tag: str) -> tuple[str, int] | None:
    """The territory and version the form `tag` was drawn on: the identity given to
    `form_values` (code, version id, …), else the version the last run showed."""
    identity = st.session_state.get(f"_formulaire_{tag}")
    if isinstance(identity, tuple) and len(identity) > 1 and isinstance(identity[1], int):
        return identity[0], identity[1]
    info = current_territory()  # still the list read by the run that drew the form
    return (info.code, info.version_id) if info is not None else None


def _save(tag: str, build, success: str) -> None:
    from ctg_data import editing
    from ctg_data.storage import EditConflict, StorageError
    drawn = _form_base(tag)
    read_territories()   # callbacks run before the sidebar
    info = current_territory()
    if info is None:
        return
    # The edit is built on the version the form showed, so that it holds only the fields the
    # person changed; the store merges them into the current version, or refuses a field that
    # someone else changed meanwhile (never a silent overwrite).
    base = drawn[1] if drawn is not None and drawn[0] == info.code else info.version_id
    data = _load(database_url(), info.code, base)
    if data is None:
        base, data = info.version_id, current_data()
    edit = build(data)
    # Said in the form's terms (the field and the row's name), not the workbook's.
    def say(p) -> str:
        return editing.form_line(p, data)
    if not edit.ok:
        result = ("refus", [say(p) for p in edit.problems if p.is_error],
                  [say(p) for p in edit.problems if not p.is_error])
    elif not edit.changes:
        result = ("inchange", [], [])
    else:
        from ctg_data.accounts import AccessDenied

        try:
            store().save([edit.data], kind="edit", author=author(), actor=actor(),
                         changes=edit.changes, summary=editing.summary(edit.changes),
                         base_version_id=base)
            result = ("enregistre", [success], [say(p) for p in edit.problems])
        except (AccessDenied, EditConflict, StorageError) as refused:
            result = ("refus", [refused.message], [])
    st.session_state[f"_resultat_{tag}"] = result


def edit_feedback(tag: str) -> None:
    """What became of the last save of form `tag` (shown once): saved (by whom), unchanged, or
    refused with the French message of each problem — nothing stored."""
    result = st.session_state.pop(f"_resultat_{tag}", None)
    if result is None:
        return
    outcome, lines, warnings = result
    if outcome == "enregistre":
        who = (f" par {author()}" if author() else
               " (indiquez votre nom dans la barre latérale)")
        st.success(escape_md(lines[0] + who + "."), icon=":material/check_circle:")
    elif outcome == "inchange":
        st.info("Aucune modification : rien n'a été enregistré.", icon=":material/info:")
    else:
        st.error("\n".join(["Rien n'a été enregistré.", ""]
                           + [f"- {escape_md(line)}" for line in lines]), icon=":material/error:")
    if warnings:
        st.warning("\n".join(f"- {escape_md(line)}" for line in warnings),
                   icon=":material/warning:")


def form_values(tag: str, identity, values: dict) -> None:
    """Fill the widgets of an editing form (widget key → value) when the edited object changes
    (`identity`, which should include the version id) or when Streamlit forgot them; values
    typed in a refused save stay as typed."""
    marker = f"_formulaire_{tag}"
    if st.session_state.get(marker) != identity or any(k not in st.session_state for k in values):
        for k, v in values.items():
            st.session_state[k] = v
        st.session_state[marker] = identity


def version_id() -> int | None:
    """The id of the selected territory's current version."""
    info = current_territory()
    return info.version_id if info is not None else None


def history_expander(data: CtgData, sheet_key: str, row: int, *, key: str,
                     title: str = "Historique") -> None:
    """An expander listing who changed row `row` of `sheet_key`, when, from what to what."""
    from ctg_data import editing
    with st.expander(title, icon=":material/history:"):
        table = editing.row_history(store(), data, sheet_key, row)
        if table.empty:
            st.caption("Aucune modification enregistrée dans l'application pour cette ligne.")
        else:
            st.dataframe(table, hide_index=True, width="stretch", key=f"historique_{key}")


def text_table_block(frame: pd.DataFrame, name: str, *, key: str, title: str | None = None,
                     source: str | None = None) -> None:
    """A table of long texts (the convention's evaluation table) shown whole, lines wrapped,
    with the same Excel and CSV downloads as `table_block` outside presentation mode.
    Drawn as an HTML table whose every cell is escaped: `st.table` would render the users'
    Markdown (a remote image in an analysis is fetched by every viewer's browser)."""
    st.html(inert_table_html(display_frame(frame)))
    if presentation() or not can("export"):
        return
    _table_downloads(frame, name, key, title=title or name, source=source)


# Fits the page at 1280 px: headers and texts wrap (between words, hyphenated in French), a
# column is never narrower than its longest word; only a word longer than the page itself
# (a pasted address) would scroll, inside the table's frame, never the page.
_TEXT_TABLE_CSS = (
    "<style>div.ctg-texte-cadre{overflow-x:auto;max-width:100%}"
    "table.ctg-texte{width:100%;border-collapse:collapse;font-size:0.9rem;"
    "line-height:1.4}table.ctg-texte th,table.ctg-texte td{border:1px solid #D0D5DD;"
    "padding:0.35rem 0.5rem;vertical-align:top;text-align:left;overflow-wrap:break-word;"
    "hyphens:auto;white-space:pre-line}table.ctg-texte th{background:#F2F4F7;"
    "font-weight:600}</style>")


def inert_table_html(frame: pd.DataFrame) -> str:
    """`frame` (already French text) as an HTML table where every header and cell is escaped
    with `html.escape`: shown as typed, never as Markdown or HTML; line breaks kept."""
    import html

    def cell(tag: str, value) -> str:
        return f"<{tag}>{html.escape(fmt.MISSING if fmt.is_missing(value) else str(value))}</{tag}>"

    head = "".join(cell("th", c) for c in frame.columns)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    return (f"{_TEXT_TABLE_CSS}<div class=\"ctg-texte-cadre\" lang=\"fr\">"
            f"<table class=\"ctg-texte\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def figure_block(fig, data: CtgData, name: str, *, key: str, export=None) -> None:
    """A figure that is not in the chart registry (one plan indicator, the actions timeline):
    the chart, its source line and PNG/SVG downloads outside presentation mode. `export`
    builds the figure for the images when it differs from the screen's (secrecy)."""
    shown = charts.presentation(fig) if presentation() else fig
    file_name = charts.figure_file_name(name, data)
    config = charts.plotly_config(file_name) | {"locale": "fr"}
    with st.container(border=True, key=f"bloc_{key}"):
        # The builder writes the source line under the plot, as in chart_block.
        st.plotly_chart(shown, key=key, config=config, theme=None)
        if not presentation() and can("export", data.code):
            _image_downloads(export or fig, file_name, key)
