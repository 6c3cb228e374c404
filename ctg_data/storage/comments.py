"""Comments of the comités on charts: stored per territory and chart (and year), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ctg_data.storage.rights import audit_write, authorise_write
from ctg_data.storage.schema import comments_t, now_utc

if TYPE_CHECKING:  # accounts.py imports the storage package
    from ctg_data.accounts import Account


@dataclass(frozen=True)
class Comment:
    """A comité's comment on a chart."""

    id: int
    code: str
    chart_key: str
    annee: int | None
    text: str
    author: str
    created_at: datetime


class CommentsMixin:
    """The comment methods of `Store` (`self.engine` is the store's)."""

    def add_comment(self, code: str, chart_key: str, text: str, author: str = "",
                    annee: int | None = None, *, actor: Account | None = None) -> int:
        """Store a comment on chart `chart_key` of territory `code`; return its id. `actor`
        must be allowed to comment that territory (accounts.AccessDenied otherwise)."""
        acting, author = authorise_write(actor, "comment", (code,), author)
        text = (text or "").strip()
        if not text:
            raise ValueError("Le commentaire est vide.")
        from ctg_data import schemas, validation   # validation reads the store's model
        if (refused := validation.text_problem(schemas.COMMENT, text)) is not None:
            raise ValueError(f"Commentaire non enregistré : {refused.message}.")
        with self.engine.begin() as conn:
            comment_id = conn.execute(sa.insert(comments_t).values(
                territory_code=code, chart_key=chart_key, annee=None if annee is None
                else int(annee), text=text, author=author or "",
                created_at=now_utc())).inserted_primary_key[0]
            audit_write(conn, acting, "commentaire", code, f"Commentaire sur « {chart_key} ».")
            return comment_id

    def comments(self, code: str, chart_key: str | None = None) -> list[Comment]:
        """The comments of territory `code` (on one chart, or all), newest first."""
        query = (sa.select(comments_t).where(comments_t.c.territory_code == code)
                 .order_by(comments_t.c.id.desc()))
        if chart_key is not None:
            query = query.where(comments_t.c.chart_key == chart_key)
        with self.engine.connect() as conn:
            return [Comment(id=r.id, code=r.territory_code, chart_key=r.chart_key, annee=r.annee,
                            text=r.text, author=r.author, created_at=r.created_at)
                    for r in conn.execute(query)]
