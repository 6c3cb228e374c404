"""The pages in shared mode (CTG_MODE=partage), driven with AppTest on a real SQLite database:
nothing but the sign-in form before signing in, on every page; each role sees the forms its
rights allow (the core refuses the rest anyway); the author is the account; the audit log is
shown to administrators only; the identity provider's user (`at.user`) maps to an account."""

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from ctg_data import accounts, audit, importing
from ctg_data.storage import Store

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "mot de passe partagé"
CODE = "59367"
# Every page file, those added later included.
PAGES = sorted(f"pages/{p.name}" for p in (REPO / "pages").glob("*.py"))
# One save button of each editing form, by page (as in test_pages_plan).
FORMS = {"pages/plan_action.py": "pa_enregistrer", "pages/evaluation.py": "ev_enregistrer",
         "pages/fiches_actions.py": "fa_enregistrer", "pages/pilotage.py": "pi_ajouter_comite"}


@pytest.fixture
def store(db_url, sample_bytes, monkeypatch):
    """The sample imported (two versions), five accounts, then the shared mode switched on (and Streamlit's
    error-details option, which the app lowers in shared mode, put back afterwards)."""
    monkeypatch.delenv("CTG_MODE", raising=False)
    store = Store(db_url)
    assert importing.import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx").version_ids
    admin = accounts.command_line_account()
    # A second version, so that the Données page has one to restore.
    store.save([store.load(CODE)], kind="edit", actor=admin)
    for login, role, territoires in (("lea", "lecteur", None), ("eric", "editeur", [CODE]),
                                     ("odile", "editeur", ["59350"]),
                                     ("ada", "administrateur", None)):
        accounts.add_account(store, login, login.capitalize(), role, PASSWORD,
                             territoires=territoires, actor=admin)
    accounts.add_account(store, "anne@caf.fr", "Anne Oidc", "editeur", None,
                         territoires=[CODE], actor=admin)
    monkeypatch.setenv("CTG_MODE", "partage")
    details = config.get_option("client.showErrorDetails")
    yield store
    config.set_option("client.showErrorDetails", details)
    store.close()


def new_session() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["annee"] = 2023
    return at


def opened() -> AppTest:
    """A new session showing its first page. AppTest's first run asks for no page at all, the
    next one for the navigation's default page, which Streamlit takes for a change of page
    (widgets reset): run twice, as a browser's first request already names its page."""
    return new_session().run().run()


def signed_in(login: str) -> AppTest:
    """A session signed in through the built-in form."""
    at = opened()
    at.text_input(key="connexion_login").input(login)
    at.text_input(key="connexion_mdp").input(PASSWORD)
    at.button(key="se_connecter").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_compte"].login == login
    return at


def on(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def only_sign_in_form(at: AppTest) -> bool:
    """The run drew the sign-in form and no data: no table, chart, metric, sidebar."""
    keys = [t.key for t in at.text_input]
    return (keys == ["connexion_login", "connexion_mdp"] and not at.dataframe
            and not at.get("plotly_chart") and not at.metric and not at.sidebar.children
            and [t.value for t in at.title] == ["Tableau de bord CTG"])


def test_every_page_shows_only_the_sign_in_form_without_sign_in(store):
    at = new_session().run()
    assert not at.exception
    assert only_sign_in_form(at)
    for page in PAGES:
        on(at, page)
        assert only_sign_in_form(at), page


def test_wrong_password_is_refused_and_audited(store):
    at = opened()
    at.text_input(key="connexion_login").input("eric")
    at.text_input(key="connexion_mdp").input("pas le bon")
    at.button(key="se_connecter").click().run()
    assert [e.value for e in at.error] == ["Identifiant ou mot de passe incorrect."]
    assert only_sign_in_form(at)
    assert audit.entries(store, limit=1)[0].action == "connexion_refusee"


def test_reader_sees_no_editing_form(store):
    at = signed_in("lea")
    assert "Lea (lecteur)" in " ".join(c.value for c in at.sidebar.caption).replace("\\", "")
    assert "w_auteur" not in [t.key for t in at.text_input]   # no typed name in shared mode
    for page, key in FORMS.items():
        on(at, page)
        assert key not in [b.key for b in at.button], page
        assert not [t for t in at.text_area if t.key.startswith("commentaire_")], page
    on(at, "pages/bilan_annuel.py")
    assert "ba_generer" not in [b.key for b in at.button]          # no export for a reader
    assert not at.get("download_button")
    on(at, "pages/donnees.py")
    assert not at.get("file_uploader")
    assert "ne permet pas d'importer" in " ".join(i.value for i in at.info)
    assert "restaurer" not in [b.key for b in at.button]
    assert "Journal d'audit" not in [h.value for h in at.header]


def test_editor_of_another_territory_sees_no_form(store):
    at = signed_in("odile")
    for page, key in FORMS.items():
        on(at, page)
        assert key not in [b.key for b in at.button], page
    on(at, "pages/donnees.py")
    # Odile's territory is not in the database yet: she may import its workbook.
    assert at.get("file_uploader")


def test_editor_edits_as_the_account(store):
    at = signed_in("eric")
    for page, key in FORMS.items():
        on(at, page)
        assert key in [b.key for b in at.button], page
    on(at, "pages/evaluation.py")
    analyse = [t for t in at.text_area if t.key.startswith("ev_")][0]
    analyse.set_value("Analyse saisie par un éditeur.")
    at.button(key="ev_enregistrer").click().run()
    assert not at.exception and not at.error
    version = store.versions(CODE)[0]
    assert (version.kind, version.author) == ("edit", "Eric")
    line = audit.entries(store, limit=1)[0]
    assert (line.login, line.action, line.code) == ("eric", "modification", CODE)
    on(at, "pages/bilan_annuel.py")
    at.radio(key="ba_format").set_value("xlsx").run()
    at.button(key="ba_generer").click().run()
    assert not at.exception
    line = audit.entries(store, limit=1)[0]
    assert (line.login, line.action, line.code, line.detail) == (
        "eric", "export", CODE, "Bilan 2023 (xlsx).")
    on(at, "pages/donnees.py")
    assert at.get("file_uploader")
    assert "Journal d'audit" not in [h.value for h in at.header]
    assert "La restauration d'une version est réservée aux administrateurs." in [
        c.value for c in at.caption]


def test_audit_log_shown_to_administrators_only(store):
    at = on(signed_in("ada"), "pages/donnees.py")
    assert "restaurer" in [b.key for b in at.button]
    assert "Journal d'audit" in [h.value for h in at.header]
    journal = [d.value for d in at.dataframe if list(d.value.columns)[:2] == ["Date", "Compte"]]
    assert journal and "ada" in journal[0]["Compte"].tolist()
    assert "Connexion" in journal[0]["Action"].tolist()
    assert not [w for w in at.text_input if w.key == "journal"]   # read-only: a table


def test_disabled_account_is_signed_out_at_its_next_run(store):
    at = signed_in("eric")
    accounts.deactivate(store, "eric", actor=accounts.command_line_account())
    at.run()
    assert only_sign_in_form(at)
    assert "désactivé" in " ".join(i.value for i in at.info)


def test_expired_session_asks_to_sign_in_again(store, monkeypatch):
    at = signed_in("lea")
    monkeypatch.setenv("CTG_DUREE_SESSION_H", "0")
    at.run()
    assert only_sign_in_form(at)
    assert "expiré" in " ".join(i.value for i in at.info)


def test_identity_provider_user_maps_to_an_account(store):
    """With an [auth] section, the user known to the provider (`at.user`) is signed in as the
    account of the same e-mail; an unknown e-mail is refused."""
    at = new_session()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "secret de test"}
    at.user = {"is_logged_in": True, "email": "anne@caf.fr", "name": "Anne"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_compte"].login == "anne@caf.fr"
    on(at, "pages/plan_action.py")
    assert "pa_enregistrer" in [b.key for b in at.button]
    stranger = new_session()
    stranger.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                                "cookie_secret": "secret de test"}
    stranger.user = {"is_logged_in": True, "email": "inconnu@caf.fr"}
    stranger.run()
    assert "Aucun compte actif" in " ".join(e.value for e in stranger.error)
    assert not stranger.dataframe and not stranger.sidebar.children


def test_no_stack_trace_in_shared_mode(store):
    """A page failing (here on a corrupted session value) shows neither the error nor its
    traceback in shared mode. (Through app.py, on a server, the page's error becomes a French
    message; AppTest runs the page file directly, where Streamlit's redaction applies.)"""
    at = signed_in("lea")
    at.session_state["cible_taux"] = "pas un nombre"   # Accueil reads it as a number
    at.run()
    assert config.get_option("client.showErrorDetails") == "none"
    assert at.exception or any("Une erreur inattendue" in e.value for e in at.error)
    for shown in at.exception:
        assert "pas un nombre" not in shown.message and "ValueError" not in shown.message
        assert not shown.stack_trace
