"""French for what Streamlit and plotly write in English in the browser, and the projector
styling of presentation mode: static HTML, CSS and script (no user text in any of them)."""

from __future__ import annotations

import json

import streamlit as st

# Static CSS only (no user text). Streamlit writes its file uploader in English (« Upload »,
# « 50MB per file • XLSX… », « 49.5KB »); it offers no setting for that, so the English words
# are hidden and French ones drawn in their place. The accepted formats and the size limit are
# said in French by each page beside its uploader.
FRENCH_WIDGETS_CSS = """
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
FRENCH_UI = {
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
FRENCH_UI_PATTERNS = (
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
FRENCH_DATE_SEGMENTS = {"dd": "jj", "mm": "mm", "yyyy": "aaaa"}


def french_script() -> str:
    """The <script> that writes Streamlit's and plotly's English interface texts in French."""
    table = json.dumps(FRENCH_UI, ensure_ascii=False)
    patterns = json.dumps([[p, r] for p, r in FRENCH_UI_PATTERNS], ensure_ascii=False)
    segments = json.dumps(FRENCH_DATE_SEGMENTS)
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
PRESENTATION_CSS = """
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


def french_interface() -> None:
    """The French styling of Streamlit's widgets (`FRENCH_WIDGETS_CSS`) and the script that
    writes their English texts in French (`french_script`), first thing of every page (the
    block that holds them is hidden: it takes no room)."""
    st.html(french_interface_html(), unsafe_allow_javascript=True)


def french_interface_html() -> str:
    """The static HTML `french_interface` draws (no user text in it)."""
    return FRENCH_WIDGETS_CSS + french_script()


def presentation_config() -> dict:
    """The plotly `config` of a chart in presentation mode: no toolbar over the chart (nothing
    to zoom or save in front of the comité), French, resized with its frame."""
    return {"displayModeBar": False, "displaylogo": False, "locale": "fr", "responsive": True}
