"""Accounts of the shared mode: password hashing, sign-in, slow-down of repeated failures,
disabled accounts, roles, session expiry and the `comptes` command line."""

import io
import subprocess
import sys
from datetime import timedelta

import pytest

from ctg_data import accounts, audit
from ctg_data.accounts import Account, AccessDenied, SignInRefused
from ctg_data.cli import main
from ctg_data.storage import Store, now_utc

from conftest import REPO

PASSWORD = "correct horse battery"
# The accounts tables are written with portable SQL: checked on PostgreSQL too when available.
pytestmark = pytest.mark.both_backends


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


@pytest.fixture
def admin():
    return accounts.command_line_account("Test")


def refusal(kind, call, *args, **kwargs):
    """The exception of type `kind` that `call(*args, **kwargs)` raises (its `code` says which
    refusal of the error catalogue it is)."""
    with pytest.raises(kind) as refused:
        call(*args, **kwargs)
    return refused.value


def test_password_hash_is_salted_scrypt_and_verifies():
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$1$") and first != second   # random salt
    assert PASSWORD not in first
    assert accounts.verify_password(PASSWORD, first)
    assert accounts.verify_password(PASSWORD, second)
    assert not accounts.verify_password(PASSWORD + "x", first)
    assert not accounts.verify_password("", first)
    assert not accounts.verify_password(PASSWORD, None)
    assert not accounts.verify_password(PASSWORD, "md5$abc")
    assert not accounts.verify_password(PASSWORD, "scrypt$garbage")


def test_sign_in_with_the_right_password_only(store, admin):
    accounts.add_account(store, "Claire@Mairie.fr", "Claire Martin", "editeur", PASSWORD,
                         territoires=["59367"], actor=admin)
    account = accounts.authenticate(store, "claire@mairie.fr", PASSWORD)
    assert account == Account("claire@mairie.fr", "Claire Martin", "editeur",
                              frozenset({"59367"}))
    wrong = refusal(SignInRefused, accounts.authenticate, store, "claire@mairie.fr",
                    "mauvais mot de passe")
    assert wrong.code == "connexion_incorrecte"
    assert wrong.message == "Identifiant ou mot de passe incorrect."
    # An unknown login gets the very same refusal (nothing tells which logins exist).
    unknown = refusal(SignInRefused, accounts.authenticate, store, "personne", PASSWORD)
    assert (unknown.code, unknown.message) == (wrong.code, wrong.message)
    actions = [(e.login, e.action) for e in audit.entries(store)]
    assert ("claire@mairie.fr", "connexion") in actions
    assert ("claire@mairie.fr", "connexion_refusee") in actions
    assert ("personne", "connexion_refusee") in actions


def test_repeated_failures_lock_the_login_for_a_growing_delay(store, admin):
    accounts.add_account(store, "bob", "Bob", "lecteur", PASSWORD, actor=admin)
    start = now_utc()
    for i in range(accounts.FREE_FAILURES):
        assert refusal(SignInRefused, accounts.authenticate, store, "bob", "faux",
                       now=start + timedelta(seconds=i)).code == "connexion_incorrecte"
    last = start + timedelta(seconds=accounts.FREE_FAILURES - 1)
    # Locked: even the right password is refused, without being checked.
    locked = refusal(SignInRefused, accounts.authenticate, store, "bob", PASSWORD,
                     now=last + timedelta(seconds=5))
    assert locked.code == "connexion_bloquee"
    assert locked.message == ("Trop de tentatives de connexion avec cet identifiant : "
                              "réessayez dans 1 minute.")
    # Once the delay has passed, the right password works and resets the count.
    delay = accounts.lock_delay(accounts.FREE_FAILURES)
    assert accounts.authenticate(store, "bob", PASSWORD, now=last + delay).login == "bob"
    assert refusal(SignInRefused, accounts.authenticate, store, "bob", "faux",
                   now=last + delay).code == "connexion_incorrecte"
    # The delay doubles with each failure past the free ones, up to one hour.
    assert accounts.lock_delay(accounts.FREE_FAILURES - 1) == timedelta(0)
    assert accounts.lock_delay(accounts.FREE_FAILURES + 1) == 2 * delay
    assert accounts.lock_delay(100) == timedelta(hours=1)


def test_unknown_logins_are_slowed_down_too(store):
    start = now_utc()
    for _ in range(accounts.FREE_FAILURES):
        assert refusal(SignInRefused, accounts.authenticate, store, "devine", "x",
                       now=start).code == "connexion_incorrecte"
    assert refusal(SignInRefused, accounts.authenticate, store, "devine", "x",
                   now=start).code == "connexion_bloquee"


def test_disabled_account_cannot_sign_in(store, admin):
    accounts.add_account(store, "ancien", "Ancien", "editeur", PASSWORD, actor=admin)
    accounts.deactivate(store, "ancien", actor=admin)
    disabled = refusal(SignInRefused, accounts.authenticate, store, "ancien", PASSWORD)
    assert disabled.code == "compte_desactive"
    assert disabled.message == "Ce compte est désactivé : adressez-vous à un administrateur."
    assert accounts.get_account(store, "ancien") is None
    assert accounts.get_account(store, "ancien", active_only=False).login == "ancien"
    # Giving a role again re-activates it.
    accounts.set_role(store, "ancien", "lecteur", actor=admin)
    assert accounts.authenticate(store, "ancien", PASSWORD).role == "lecteur"


def test_roles_territories_and_validation(store, admin):
    accounts.add_account(store, "e", "E", "éditeur", PASSWORD, territoires=["59367", " 59350 "],
                         actor=admin)
    assert accounts.get_account(store, "e").territoires == frozenset({"59367", "59350"})
    changed = accounts.set_role(store, "e", "administrateur", actor=admin)
    assert changed.role == "administrateur" and changed.territoires is None
    # The refusals are ValueErrors (what callers catch) carrying their catalogue code.
    add = accounts.add_account
    existing = refusal(ValueError, add, store, "E", "E", "lecteur", PASSWORD, actor=admin)
    assert existing.code == "compte_existant"
    assert existing.message == "Le compte « e » existe déjà."
    role = refusal(ValueError, add, store, "f", "F", "chef", PASSWORD, actor=admin)
    assert role.code == "role_inconnu"
    assert role.message == ("Rôle inconnu : « chef » (rôles possibles : lecteur, editeur, "
                            "administrateur).")
    short = refusal(ValueError, add, store, "f", "F", "lecteur", "court", actor=admin)
    assert short.code == "mot_de_passe_trop_court"
    assert short.message == "Le mot de passe doit compter au moins 10 caractères."
    assert accounts.password_problem("court") == short.message
    assert accounts.password_problem(PASSWORD) is None
    assert refusal(ValueError, accounts.set_password, store, "e", "court",
                   actor=admin).code == "mot_de_passe_trop_court"
    assert refusal(ValueError, accounts.hash_password, "").code == "mot_de_passe_vide"
    login = refusal(ValueError, add, store, "a b", "F", "lecteur", PASSWORD, actor=admin)
    assert login.code == "identifiant_invalide"
    assert login.message == ("Identifiant invalide : lettres, chiffres et . _ @ + - seulement "
                             "(200 caractères au plus).")
    for change in (lambda: accounts.set_role(store, "inconnu", "lecteur", actor=admin),
                   lambda: accounts.set_password(store, "inconnu", PASSWORD, actor=admin),
                   lambda: accounts.deactivate(store, "inconnu", actor=admin)):
        missing = refusal(ValueError, change)
        assert missing.code == "compte_introuvable"
        assert missing.message == "Compte « inconnu » introuvable."
    details = [e.detail for e in audit.entries(store, action="compte")]
    assert any("éditeur, territoires 59350, 59367 → administrateur, tous les territoires" in d
               for d in details)


def test_only_an_administrator_manages_accounts(store, admin):
    editor = Account("e", "E", "editeur")
    refused = refusal(AccessDenied, accounts.add_account, store, "x", "X", "administrateur",
                      PASSWORD, actor=editor)
    assert refused.code == "droit_refuse_administrateur"
    assert "gérer les comptes : réservé aux administrateurs" in refused.message
    assert refusal(AccessDenied, accounts.set_role, store, "x", "administrateur",
                   actor=Account("l", "L", "lecteur")).code == "droit_refuse_lecteur"
    assert accounts.list_accounts(store) == []


def test_identity_provider_sign_in_needs_an_active_account(store, admin):
    accounts.add_account(store, "anne@caf.fr", "Anne", "lecteur", None, actor=admin)
    assert accounts.record_identity_sign_in(store, "Anne@caf.fr").login == "anne@caf.fr"
    # No password: this account cannot use the built-in form.
    assert refusal(SignInRefused, accounts.authenticate, store, "anne@caf.fr",
                   "").code == "connexion_incorrecte"
    stranger = refusal(SignInRefused, accounts.record_identity_sign_in, store,
                       "inconnu@caf.fr")
    assert stranger.code == "aucun_compte_actif"
    assert stranger.message == ("Aucun compte actif pour « inconnu@caf.fr » : demandez à un "
                                "administrateur de vous en créer un.")


def test_session_expiry(monkeypatch):
    monkeypatch.setenv("CTG_DUREE_SESSION_H", "8")
    start = now_utc()
    assert not accounts.session_expired(start, start + timedelta(hours=7, minutes=59))
    assert accounts.session_expired(start, start + timedelta(hours=8))
    assert accounts.session_expired(None)
    monkeypatch.setenv("CTG_DUREE_SESSION_H", "1")
    assert accounts.session_expired(start, start + timedelta(hours=1, minutes=1))


def test_mode_setting(monkeypatch):
    monkeypatch.delenv("CTG_MODE", raising=False)
    assert accounts.mode() == "local" and not accounts.shared()
    monkeypatch.setenv("CTG_MODE", "Partage")
    assert accounts.shared()
    monkeypatch.setenv("CTG_MODE", "public")
    unknown = refusal(ValueError, accounts.mode)
    assert unknown.code == "mode_inconnu"
    assert unknown.message == ("Réglage CTG_MODE inconnu : « public » (valeurs possibles : "
                               "local, partage).")


def test_cli_comptes(db_url, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["comptes", "ajouter", "chef@mairie.fr", "--nom", "Chef de projet", "--role",
                 "editeur", "--territoires", "59367", "--mot-de-passe-stdin"]) == 0
    assert "éditeur — 59367" in capsys.readouterr().out
    assert main(["comptes", "roles", "chef@mairie.fr", "--role", "lecteur"]) == 0
    assert main(["comptes", "desactiver", "chef@mairie.fr"]) == 0
    assert main(["comptes", "lister"]) == 0
    out = capsys.readouterr().out
    assert "chef@mairie.fr  Chef de projet  lecteur — tous les territoires  (désactivé" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("court\n"))
    assert main(["comptes", "ajouter", "x", "--role", "lecteur", "--mot-de-passe-stdin"]) == 1
    assert "10 caractères" in capsys.readouterr().err
    assert main(["comptes", "desactiver", "personne"]) == 1
    assert main(["comptes", "ajouter", "x", "--role", "chef"]) == 2    # argparse refusal
    store = Store(db_url)
    try:
        assert [e.action for e in audit.entries(store)].count("compte") == 3
        with pytest.raises(SignInRefused, match="désactivé"):
            accounts.authenticate(store, "chef@mairie.fr", PASSWORD)
    finally:
        store.close()


def test_cli_first_administrator_through_a_pipe(db_url):
    """What the README tells: create the first administrator from a script."""
    run = subprocess.run(
        [sys.executable, "-m", "ctg_data", "comptes", "ajouter", "admin", "--nom", "Admin",
         "--role", "administrateur", "--mot-de-passe-stdin", "--db", db_url],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO, timeout=60)
    assert run.returncode == 0, run.stderr
    store = Store(db_url)
    try:
        assert accounts.authenticate(store, "admin", PASSWORD).role == "administrateur"
    finally:
        store.close()
