"""Accounts, roles and rights of the shared mode (`partage`), and the built-in sign-in.

Two modes (setting `mode`): `local` — one person on their own computer, no sign-in, every write
allowed (`LOCAL_ACCOUNT`) — and `partage` — sign-in required, each account has a role:

- `lecteur`: reads every territory (and uses the presentation mode); writes nothing;
- `editeur`: imports, edits, comments and exports the territories they are given (every
  territory when none is listed); imports reference figures only when given every territory;
- `administrateur`: everything, on every territory, including restores and accounts.

The rights are checked here, in the core: every write function of the store calls
`authorise(actor, action, codes)`, which raises `AccessDenied` (a French message) for what the
role and territories do not allow — hiding buttons in the pages is only a convenience.
Every refusal is typed: its `code` is its entry in the error catalogue (`ctg_data.errors`).

Passwords are hashed with scrypt (memory-hard, Python's standard library) and a random salt;
repeated failed sign-ins of a login lock it for a growing delay stored in the database; a
signed-in session expires after `duree_session_h` hours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ctg_data import settings
from ctg_data.errors import CatalogueError
from ctg_data.storage import accounts_t, now_utc, sign_in_failures_t

LECTEUR, EDITEUR, ADMINISTRATEUR = "lecteur", "editeur", "administrateur"
ROLES = (LECTEUR, EDITEUR, ADMINISTRATEUR)
ROLE_LABELS = {LECTEUR: "lecteur", EDITEUR: "éditeur", ADMINISTRATEUR: "administrateur"}
MODES = ("local", "partage")

# What each write of the core is called in the rights checks and the messages.
ACTIONS = {
    "import": "importer des données",
    "edit": "modifier des données",
    "opendata": "importer des données ouvertes",
    "comment": "commenter un graphique",
    "export": "exporter des données",
    "restore": "restaurer une version",
    "references": "importer des données de référence",
    "accounts": "gérer les comptes",
}
# Actions an editor may do on the territories they are given.
_EDITOR_ACTIONS = {"import", "edit", "opendata", "comment", "export"}

# scrypt cost: 2**14 × 8 × 128 bytes = 16 MiB of memory per hash (OWASP's minimum).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2 ** 14, 8, 1
# Failed sign-ins: the first ones are free (typos); from the 5th on, the login is locked for
# 30 s, doubling with each further failure, at most one hour.
FREE_FAILURES = 5
_FIRST_LOCK_S, _MAX_LOCK_S = 30, 3600
# Logins: letters, digits and . _ @ + - (an e-mail address for the identity provider).
_LOGIN_MAX = 200
_LOGIN_PATTERN = re.compile(r"^[\w.@+-]{1,%d}$" % _LOGIN_MAX)
# New passwords: a minimum length and no composition rules (NIST SP 800-63B's advice).
MIN_PASSWORD_LENGTH = 10


class AccessDenied(CatalogueError, PermissionError):
    """A write refused by the rights of the acting account: French `message`, catalogue
    `code` (`connexion_requise`, `droit_refuse_…`). Still a PermissionError for callers that
    catch that."""

    default_code = "droit_refuse_administrateur"


class SignInRefused(AccessDenied):
    """A sign-in refused: wrong login or password (`connexion_incorrecte`), too many attempts
    (`connexion_bloquee`), account disabled (`compte_desactive`), no active account for an
    identity (`aucun_compte_actif`)."""

    default_code = "connexion_incorrecte"


class AccountError(CatalogueError, ValueError):
    """A request about accounts that cannot be met (bad login, role or password, account
    already there or not found) or an unknown mode setting: French `message`, catalogue
    `code`. Still a ValueError for callers that catch that."""

    default_code = "compte_introuvable"


@dataclass(frozen=True)
class Account:
    """Who acts: login, displayed name, role and territories (None = every territory)."""

    login: str
    nom: str
    role: str  # "lecteur" | "editeur" | "administrateur"
    territoires: frozenset[str] | None = None

    @property
    def label(self) -> str:
        """« Nom (rôle) », for the sidebar and the messages."""
        return f"{self.nom or self.login} ({ROLE_LABELS.get(self.role, self.role)})"


LOCAL_ACCOUNT = Account(login="local", nom="Utilisateur local", role=ADMINISTRATEUR)


def command_line_account(nom: str = "ligne de commande") -> Account:
    """The account of the command line: whoever runs it on the server already holds the
    database file, so it acts as an administrator, under the name given (`--auteur`)."""
    return Account(login="ligne-de-commande", nom=nom or "ligne de commande",
                   role=ADMINISTRATEUR)


# -- modes and rights ---------------------------------------------------------------------------

def mode() -> str:
    """The running mode, `local` or `partage` (setting `mode`)."""
    value = str(settings.get("mode")).strip().lower()
    if value not in MODES:
        raise AccountError.of("mode_inconnu", value=value, modes=", ".join(MODES))
    return value


def shared() -> bool:
    """True in the shared mode (sign-in required, rights checked)."""
    return mode() == "partage"


def allowed(account: Account, action: str, codes=()) -> bool:
    """Whether `account` may do `action` (a key of ACTIONS) on the territories `codes`."""
    if action not in ACTIONS:
        # A programming error (the action keys are written in the code), never shown to
        # people: a plain ValueError, outside the error catalogue.
        raise ValueError(f"Action inconnue : {action!r}.")
    if account.role == ADMINISTRATEUR:
        return True
    if account.role != EDITEUR:
        return False
    if action == "references":
        return account.territoires is None
    if action not in _EDITOR_ACTIONS:
        return False
    return account.territoires is None or all(str(c) in account.territoires for c in codes)


def authorise(actor: Account | None, action: str, codes=()) -> Account:
    """The account acting (LOCAL_ACCOUNT for `None` in local mode), once checked that it may
    do `action` on `codes`; raises AccessDenied with a French message otherwise (and for
    `None` in shared mode: nobody signed in)."""
    codes = [str(c) for c in codes]
    if actor is None:
        if shared():
            raise AccessDenied.of("connexion_requise")
        return LOCAL_ACCOUNT
    if allowed(actor, action, codes):
        return actor
    raise _refusal(actor, action, codes)


def _refusal(actor: Account, action: str, codes: list[str]) -> AccessDenied:
    """Why `actor` may not do `action` on `codes`, as the AccessDenied to raise."""
    params = {"login": actor.login, "role": ROLE_LABELS.get(actor.role, actor.role),
              "action": ACTIONS[action]}
    if actor.role == LECTEUR:
        return AccessDenied.of("droit_refuse_lecteur", **params)
    if action in _EDITOR_ACTIONS and actor.role == EDITEUR:
        outside = sorted(c for c in codes if c not in (actor.territoires or ()))
        code = "droit_refuse_territoire" if len(outside) == 1 else "droit_refuse_territoires"
        return AccessDenied.of(code, territoires=", ".join(outside), **params)
    if action == "references":
        return AccessDenied.of("droit_refuse_references", **params)
    return AccessDenied.of("droit_refuse_administrateur", **params)


def author_name(actor: Account | None, author: str = "") -> str:
    """The name recorded with a version or a comment: the acting account's, never a typed
    name, when an account acts; else `author` (local mode)."""
    if actor is None:
        return author or ""
    return actor.nom or actor.login


# -- passwords ----------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, as « scrypt$n$r$p$salt$hash » (base64)."""
    if not password:
        raise AccountError.of("mot_de_passe_vide")
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash (constant-time comparison)."""
    if not stored or not password:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected),
                                maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def password_problem(password: str) -> str | None:
    """Why a new password is refused (French), or None: at least MIN_PASSWORD_LENGTH
    characters."""
    refusal = _password_refusal(password)
    return refusal.message if refusal is not None else None


def _password_refusal(password: str) -> AccountError | None:
    """The AccountError refusing `password` as a new password, or None when it is fine."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return AccountError.of("mot_de_passe_trop_court", minimum=MIN_PASSWORD_LENGTH)
    return None


# A hash to spend the same time on an unknown login as on a known one.
_DUMMY_HASH: str | None = None


def _spend_hash_time(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("compte inexistant")
    verify_password(password or "x", _DUMMY_HASH)


# -- accounts in the database -------------------------------------------------------------------

def _account(row) -> Account:
    territoires = None if row.territoires is None else frozenset(str(c) for c in row.territoires)
    return Account(login=row.login, nom=row.nom or "", role=row.role, territoires=territoires)


def _clean_login(login: str) -> str:
    login = (login or "").strip().lower()
    if not _LOGIN_PATTERN.match(login):
        raise AccountError.of("identifiant_invalide", maximum=_LOGIN_MAX)
    return login


def _clean_role(role: str, territoires) -> tuple[str, list[str] | None]:
    role = (role or "").strip().lower().replace("é", "e")
    if role not in ROLES:
        raise AccountError.of("role_inconnu", role=role, roles=", ".join(ROLES))
    if territoires is not None:
        territoires = sorted({str(c).strip() for c in territoires if str(c).strip()})
    return role, territoires


def get_account(store, login: str, *, active_only: bool = True) -> Account | None:
    """The account `login` (case-insensitive), or None when unknown (or disabled)."""
    query = sa.select(accounts_t).where(accounts_t.c.login == (login or "").strip().lower())
    if active_only:
        query = query.where(accounts_t.c.active.is_(True))
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return _account(row) if row is not None else None


@dataclass(frozen=True)
class AccountInfo:
    """An account as listed by `list_accounts` (no password hash)."""

    account: Account
    active: bool
    created_at: datetime
    has_password: bool


def list_accounts(store) -> list[AccountInfo]:
    """Every account, active or not, by login."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(accounts_t).order_by(accounts_t.c.login)).all()
    return [AccountInfo(_account(r), bool(r.active), r.created_at, bool(r.password_hash))
            for r in rows]


def add_account(store, login: str, nom: str, role: str, password: str | None, *,
                territoires=None, actor: Account | None = None) -> Account:
    """Create an account (password None: sign-in through the identity provider only).
    Raises AccountError (a ValueError, French) for a login already used, a bad login, role
    or password."""
    from ctg_data import audit

    acting = authorise(actor, "accounts")
    login = _clean_login(login)
    role, territoires = _clean_role(role, territoires)
    if password is not None and (refusal := _password_refusal(password)) is not None:
        raise refusal
    password_hash = hash_password(password) if password is not None else None
    with store.engine.begin() as conn:
        if conn.execute(sa.select(accounts_t.c.login).where(accounts_t.c.login == login)).first():
            raise AccountError.of("compte_existant", login=login)
        conn.execute(sa.insert(accounts_t).values(
            login=login, nom=(nom or "").strip(), role=role, territoires=territoires,
            password_hash=password_hash, active=True, created_at=now_utc()))
        audit.record(conn, acting.login, "compte", detail=f"Création du compte « {login} » : "
                                                          f"{_rights_text(role, territoires)}.")
    return Account(login, (nom or "").strip(), role,
                   None if territoires is None else frozenset(territoires))


def _rights_text(role: str, territoires) -> str:
    where = ("tous les territoires" if territoires is None
             else "territoires " + ", ".join(territoires) if territoires else "aucun territoire")
    return f"{ROLE_LABELS[role]}, {where}"


def set_role(store, login: str, role: str, *, territoires=None,
             actor: Account | None = None) -> Account:
    """Change the role and territories of account `login` (re-activating it)."""
    from ctg_data import audit

    acting = authorise(actor, "accounts")
    login = _clean_login(login)
    role, territoires = _clean_role(role, territoires)
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(accounts_t).where(accounts_t.c.login == login)).first()
        if row is None:
            raise AccountError.of("compte_introuvable", login=login)
        conn.execute(sa.update(accounts_t).where(accounts_t.c.login == login).values(
            role=role, territoires=territoires, active=True))
        audit.record(conn, acting.login, "compte",
                     detail=f"Droits du compte « {login} » : "
                            f"{_rights_text(row.role, row.territoires)} → "
                            f"{_rights_text(role, territoires)}.")
    return Account(login, row.nom or "", role,
                   None if territoires is None else frozenset(territoires))


def set_password(store, login: str, password: str, *, actor: Account | None = None) -> None:
    """Replace the password of account `login`."""
    from ctg_data import audit

    acting = authorise(actor, "accounts")
    login = _clean_login(login)
    refusal = _password_refusal(password)
    if refusal is not None:
        raise refusal
    with store.engine.begin() as conn:
        done = conn.execute(sa.update(accounts_t).where(accounts_t.c.login == login)
                            .values(password_hash=hash_password(password))).rowcount
        if not done:
            raise AccountError.of("compte_introuvable", login=login)
        audit.record(conn, acting.login, "compte",
                     detail=f"Mot de passe du compte « {login} » changé.")


def deactivate(store, login: str, *, actor: Account | None = None) -> None:
    """Disable account `login`: it can no longer sign in, and a session already open ends at
    its next page (the account is read again on every run). Kept for the history."""
    from ctg_data import audit

    acting = authorise(actor, "accounts")
    login = _clean_login(login)
    with store.engine.begin() as conn:
        done = conn.execute(sa.update(accounts_t).where(accounts_t.c.login == login)
                            .values(active=False)).rowcount
        if not done:
            raise AccountError.of("compte_introuvable", login=login)
        audit.record(conn, acting.login, "compte", detail=f"Compte « {login} » désactivé.")


# -- sign-in ------------------------------------------------------------------------------------

def lock_delay(failures: int) -> timedelta:
    """How long a login is locked after `failures` failed sign-ins in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return timedelta(seconds=min(_MAX_LOCK_S, _FIRST_LOCK_S * 2 ** (failures - FREE_FAILURES)))


def _minutes(delta: timedelta) -> str:
    minutes = max(1, -(-int(delta.total_seconds()) // 60))
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def authenticate(store, login: str, password: str, *, now: datetime | None = None) -> Account:
    """The active account whose login and password these are; raises SignInRefused (French)
    otherwise. Each failure is counted for the typed login (known or not) and recorded in the
    audit log; from the FREE_FAILURES-th on, the login is refused without checking the
    password until `lock_delay` has passed. A success resets the count."""
    from ctg_data import audit

    now = now or now_utc()
    typed = (login or "").strip().lower()[:200]
    with store.engine.connect() as conn:
        failed = conn.execute(sa.select(sign_in_failures_t).where(
            sign_in_failures_t.c.login == typed)).first()
        row = conn.execute(sa.select(accounts_t).where(accounts_t.c.login == typed)).first()
    if failed is not None:
        wait_until = failed.last_failure_at + lock_delay(failed.failures)
        if now < wait_until:
            with store.engine.begin() as conn:
                audit.record(conn, typed, "connexion_refusee",
                             detail="Connexion refusée : trop de tentatives.")
            raise SignInRefused.of("connexion_bloquee", delai=_minutes(wait_until - now))
    if row is None:
        _spend_hash_time(password)
        ok = False
    else:
        ok = verify_password(password, row.password_hash)
    if ok and not row.active:
        with store.engine.begin() as conn:
            audit.record(conn, typed, "connexion_refusee", detail="Compte désactivé.")
        raise SignInRefused.of("compte_desactive")
    with store.engine.begin() as conn:
        if ok:
            conn.execute(sa.delete(sign_in_failures_t).where(
                sign_in_failures_t.c.login == typed))
            audit.record(conn, typed, "connexion", detail="Connexion (mot de passe).")
        else:
            count = (failed.failures if failed is not None else 0) + 1
            if failed is None:
                conn.execute(sa.insert(sign_in_failures_t).values(
                    login=typed, failures=count, last_failure_at=now))
            else:
                conn.execute(sa.update(sign_in_failures_t).where(
                    sign_in_failures_t.c.login == typed).values(failures=count,
                                                                last_failure_at=now))
            audit.record(conn, typed, "connexion_refusee",
                         detail=f"Mot de passe ou identifiant incorrect (échec n° {count}).")
    if not ok:
        raise SignInRefused.of("connexion_incorrecte")
    return _account(row)


def record_identity_sign_in(store, login: str) -> Account:
    """The active account of a person signed in through the identity provider (`login` is
    their e-mail address); raises SignInRefused when no active account has that login.
    Recorded in the audit log either way."""
    from ctg_data import audit

    account = get_account(store, login)
    with store.engine.begin() as conn:
        if account is None:
            audit.record(conn, (login or "")[:200], "connexion_refusee",
                         detail="Identité reconnue par le fournisseur, mais aucun compte actif.")
        else:
            audit.record(conn, account.login, "connexion",
                         detail="Connexion (fournisseur d'identité).")
    if account is None:
        raise SignInRefused.of("aucun_compte_actif", login=login)
    return account


def session_expired(signed_in_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a session opened at `signed_in_at` is over (setting `duree_session_h`)."""
    if signed_in_at is None:
        return True
    now = now or now_utc()
    return now - signed_in_at >= timedelta(hours=float(settings.get("duree_session_h")))
