"""Tables on a page: shown in French (`kinds.display_frame`), fitted to the screen, with
their Excel and CSV downloads — small counts of people masked and recorded in the audit log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ctg_data import accounts, audit, exports, formatting, kinds, secrecy, tables
from ctg_data.formatting import escape_md
from ctg_ui.access import actor, can
from ctg_ui.data import PageContext, current_territory, store, stored_result
from ctg_ui.state import presentation

_PLAIN = (str, int, float, bool, type(None))


def spec_table(spec_key: str, page: PageContext, *, key: str, references=None,
               fields: dict | None = None, name: str | None = None, title: str | None = None,
               source: str | None = None, text: bool = False, empty: str | None = None,
               **options) -> pd.DataFrame:
    """The table of `tables.TABLES[spec_key]` for the page's data and year, from its spec
    alone — the same build, formats, title and source as the bilan's — shown in French, with
    downloads masked by the spec's secrecy rules (`TableSpec.mask`). Built, put in French and
    laid out once per stored version, year, references and options, then kept between runs
    like the figures.

    `fields` fill the title and file name (`axe`, `numero`); `name`, `title`, `source` replace
    the spec's (a page's own file name, the sources of the levels actually shown); `text`
    draws a table of long texts whole (escaped HTML); `empty`, when the table has no row, is
    said instead. `options` go to the build: plain values are part of the cache key; others
    (an input the page already computed, `status=`) must derive from the page's data and year.
    Returns the built frame (read-only)."""
    spec = tables.TABLES[spec_key]
    fields = fields or {}
    data, annee = page.data, page.annee

    def compute():
        frame = spec.build(data, annee, references, **options)
        formats = spec.formats_for(frame)
        shown = spec.display(frame) if spec.display is not None else \
            kinds.display_frame(frame, formats)
        return frame, formats, shown, (None if text else formatting.table_layout(shown))

    plain = {k: v for k, v in options.items() if isinstance(v, _PLAIN)} | fields
    frame, formats, shown, layout = stored_result(("tableau", spec_key), compute, data, annee,
                                                  references, plain)
    if frame.empty and empty:
        st.info(empty, icon=":material/info:")
        return frame
    name = name or spec.file_name(annee, **fields)
    title = title or spec.title(annee, **fields)
    source = source or spec.source
    if text:
        text_table_block(frame, name, key=key, title=title, source=source, display=shown)
        return frame
    table_block(frame, name, formats=formats, key=key, title=title, source=source,
                display=shown, layout=layout,
                mask=spec.mask if spec.count_columns else None)
    return frame


def table_block(frame: pd.DataFrame, name: str, *, formats: dict | None = None,
                key: str | None = None, title: str | None = None, source: str | None = None,
                note: str | None = None, display: pd.DataFrame | None = None,
                height: int | str = "auto", counts: tuple[str, ...] = (),
                selection: bool = False, layout: tuple | None = None, mask=None):
    """A table shown in French format, with Excel (real numbers and number formats) and CSV
    (French Excel) downloads outside presentation mode. `name` is the file name stem;
    `display` replaces the automatic French rendering when a column needs per-row units.
    `counts` name the columns that count people: the downloads mask their small values
    (statistical secrecy) and say so, while the screen shows the exact figures to the editor.
    With `selection`, a row can be picked (a click reruns the page): the selection event of
    st.dataframe is returned (`.selection.rows`), else None. `layout` is the
    `formatting.table_layout` of `display` when already computed; `mask(frame) -> (masked,
    note)` replaces the `counts` rule (a `TableSpec`'s own secrecy rules)."""
    wkey = key or exports.export_file_name(name, "x").removesuffix(".x")
    shown = display if display is not None else kinds.display_frame(frame, formats)
    picked = {"on_select": "rerun", "selection_mode": "single-row"} if selection else {}
    columns, row_height = layout or formatting.table_layout(shown)
    event = st.dataframe(shown, hide_index=True, width="stretch", height=height,
                         key=f"tableau_{wkey}", column_config=columns or None,
                         row_height=row_height, **picked)
    event = event if selection else None
    if note:
        st.caption(escape_md(note))
    if presentation() or not can("export"):
        return event
    audited = bool(counts) or mask is not None
    if audited:
        frame, secret_note = (mask(frame) if mask is not None
                              else secrecy.mask_small_counts(frame, counts))
        note = " ".join(n for n in (note, secret_note) if n) or None
        if secret_note:
            st.caption(escape_md(f"Téléchargements : {secret_note}"))
    _table_downloads(frame, name, wkey, title=title or name, source=source,
                     formats=kinds.excel_kinds(formats), note=note, audited=audited,
                     csv_formats=formats or {})
    return event


def record_export(detail: str, code: str | None = None) -> None:
    """Record in the audit log an export made now (a document built in this run)."""
    audited_export(lambda: None, detail, code)()


def audited_export(build, detail: str, code: str | None = None):
    """`build` (a deferred download) that also records the export in the audit log, with the
    account and territory of this run (the download itself runs outside the script)."""
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

    def csv():   # rounded as the screen shows it (`formats`, the value kinds)
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


def text_table_block(frame: pd.DataFrame, name: str, *, key: str, title: str | None = None,
                     source: str | None = None, display: pd.DataFrame | None = None) -> None:
    """A table of long texts (the convention's evaluation table) shown whole, lines wrapped,
    with the same Excel and CSV downloads as `table_block` outside presentation mode.
    Drawn as an HTML table whose every cell is escaped: `st.table` would render the users'
    Markdown (a remote image in an analysis is fetched by every viewer's browser). `display`:
    the French text of `frame` when already computed."""
    shown = display if display is not None else kinds.display_frame(frame)
    st.html(formatting.inert_table_html(shown))
    if presentation() or not can("export"):
        return
    _table_downloads(frame, name, key, title=title or name, source=source)
