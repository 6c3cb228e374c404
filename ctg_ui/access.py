"""Who is using the app and what they may do: local or shared mode, the signed-in account
(the actor of every write), rights, the sign-in gate and signing out."""

from __future__ import annotations

import streamlit as st

from ctg_data import accounts
from ctg_data.formatting import escape_md
from ctg_ui.data import current_territory, store, territories


def author() -> str:
    """The name recorded with every change and comment: the signed-in account's in shared
    mode (never a typed name), the name typed in the sidebar in local mode."""
    account = actor()
    if account is not None:
        return accounts.author_name(account)
    return (st.session_state.get("auteur") or "").strip()


# -- shared mode: sign-in, acting account, rights ----------------------------------------------

def shared_mode() -> bool:
    """True when the app runs in shared mode (setting `mode` = partage): sign-in required."""
    return accounts.shared()


def actor():
    """The signed-in account (accounts.Account) in shared mode; None in local mode, where the
    core acts as the local account. Pass it to every write of the store."""
    return st.session_state.get("_compte") if shared_mode() else None


def can(action: str, code: str | None = None) -> bool:
    """Whether the person may do `action` (a key of accounts.ACTIONS) on territory `code`
    (default: the selected one). Always true in local mode. Only decides what is drawn: the
    core checks the rights again on every write."""
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
