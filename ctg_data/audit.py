"""The audit log: who did what, when, on which territory (article 7 of the convention).

Append-only: `record` adds a line and nothing in the application updates or deletes one.
Writes of the store record their line inside their own transaction (the line exists exactly
when the write does); sign-ins, rights changes and exports of tables counting people are
recorded too. Administrators read it on the Données page (`entries_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from ctg_data.storage import audit_t, now_utc

# Action codes and their French labels (the Données page's « Action » column). An unknown code
# is a programming error (the codes are written in the code), never shown to people: `record`
# raises a plain ValueError for it, outside the error catalogue.
ACTIONS = {
    "import": "Import",
    "modification": "Modification",
    "donnees_ouvertes": "Import de données ouvertes",
    "restauration": "Restauration",
    "commentaire": "Commentaire",
    "references": "Import de données de référence",
    "export": "Export",
    "connexion": "Connexion",
    "connexion_refusee": "Connexion refusée",
    "compte": "Gestion des comptes",
}
_DETAIL_MAX = 2000
COLUMNS = ("Date", "Compte", "Action", "Territoire", "Détail")


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    login: str
    action: str
    code: str | None
    detail: str


def record(target, login: str, action: str, code: str | None = None, detail: str = "") -> None:
    """Add a line. `target` is an open connection (the line joins its transaction) or a Store
    (a transaction of its own)."""
    if action not in ACTIONS:
        raise ValueError(f"Action d'audit inconnue : {action!r}.")
    values = {"at": now_utc(), "login": (login or "")[:200], "action": action,
              "territory_code": None if code is None else str(code)[:50],
              "detail": (detail or "")[:_DETAIL_MAX]}
    if isinstance(target, sa.Connection):
        target.execute(sa.insert(audit_t).values(**values))
    else:
        with target.engine.begin() as conn:
            conn.execute(sa.insert(audit_t).values(**values))


def record_many(conn, login: str, action: str, lines: list[tuple[str | None, str]]) -> None:
    """Add one line per (territory code, detail) of `lines` in transaction `conn`, in one
    statement (an import of 650 territories records 650 lines), as `record` would."""
    if action not in ACTIONS:
        raise ValueError(f"Action d'audit inconnue : {action!r}.")
    at = now_utc()
    rows = [{"at": at, "login": (login or "")[:200], "action": action,
             "territory_code": None if code is None else str(code)[:50],
             "detail": (detail or "")[:_DETAIL_MAX]} for code, detail in lines]
    if rows:
        conn.execute(sa.insert(audit_t), rows)


def entries(store, *, code: str | None = None, login: str | None = None,
            action: str | None = None, limit: int | None = 1000) -> list[AuditEntry]:
    """The newest lines first, optionally of one territory, account or action."""
    query = sa.select(audit_t).order_by(audit_t.c.id.desc())
    if code is not None:
        query = query.where(audit_t.c.territory_code == str(code))
    if login is not None:
        query = query.where(audit_t.c.login == login)
    if action is not None:
        query = query.where(audit_t.c.action == action)
    if limit is not None:
        query = query.limit(int(limit))
    with store.engine.connect() as conn:
        return [AuditEntry(r.id, r.at, r.login, r.action, r.territory_code, r.detail)
                for r in conn.execute(query)]


def entries_frame(store, *, limit: int = 1000) -> pd.DataFrame:
    """The newest lines as a French table (columns COLUMNS); dates stay datetimes (UTC) for
    the page to show in local time."""
    rows = [{"Date": e.at, "Compte": e.login, "Action": ACTIONS.get(e.action, e.action),
             "Territoire": e.code, "Détail": e.detail} for e in entries(store, limit=limit)]
    return pd.DataFrame(rows, columns=list(COLUMNS))
