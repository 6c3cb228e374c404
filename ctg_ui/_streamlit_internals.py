"""The only place that reaches into Streamlit's private API (`streamlit.runtime…`).

Why it is needed: a page of `pages/` may run without app.py (Streamlit's older multipage mode,
on a server's first deep link, and under AppTest after each switch_page); the page must then
know whether app.py drew the frame in this run, and, on a server, register a navigation and
rerun through app.py (`ctg_ui.frame.ensure_frame`). Streamlit offers no public call for
either. Keep this module small: a Streamlit upgrade that moves these names breaks only here.
"""

from __future__ import annotations


def widget_keys_this_run() -> set | None:
    """The user keys of the widgets drawn so far in this script run (reset at each run), None
    outside a run."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    shared = getattr(ctx, "shared", None)
    return getattr(shared, "widget_user_keys_this_run", None)


def page_without_navigation() -> tuple[str, str | None] | None:
    """On a server running a file of `pages/` in the older multipage mode (no navigation
    registered yet in this process): (the main script's path, the requested page's path).
    None otherwise — inside a navigation, outside a run, or under AppTest."""
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if not PagesManager.uses_pages_directory or ctx is None \
            or config.get_option("global.appTest"):
        return None
    current = ctx.pages_manager.get_pages().get(ctx.page_script_hash, {})
    return ctx.main_script_path, current.get("script_path")
