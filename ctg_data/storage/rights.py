"""Rights and audit of every write of the store: the acting account is checked first
(`accounts.authorise`), and one audit line joins the write's transaction (`audit.record`).

accounts.py and audit.py import the storage package (their tables live in `schema`): they are
imported here inside the functions.
"""

from __future__ import annotations

# The rights action and the audit action of each kind of version.
_KIND_ACTIONS = {"import": ("import", "import"), "edit": ("edit", "modification"),
                 "opendata": ("opendata", "donnees_ouvertes"),
                 "restore": ("restore", "restauration")}


def authorise_write(actor, action: str, codes, author: str = ""):
    """The acting account once allowed to do `action` on `codes` (see accounts.authorise),
    and the author to record (the account's name, or `author` in local mode)."""
    from ctg_data import accounts

    action = _KIND_ACTIONS.get(action, (action,))[0]
    acting = accounts.authorise(actor, action, codes)
    return acting, accounts.author_name(actor, author)


def audit_write(conn, acting, action: str, code: str | None, detail: str) -> None:
    """One audit line for a write, in the write's transaction `conn`."""
    from ctg_data import audit

    audit.record(conn, acting.login, action, code, detail)


def audit_saves(conn, acting, kind: str, datasets, ids, summary: str) -> None:
    """One audit line per stored version, in the transaction of the save."""
    from ctg_data import audit

    action = _KIND_ACTIONS.get(kind, (kind, kind))[1]
    audit.record_many(conn, acting.login, action,
                      [(data.code, f"Version {version_id} : {summary}")
                       for data, version_id in zip(datasets, ids)])
