"""Streamlit helpers shared by every page of the CTG dashboard: a thin layer over `ctg_data`.

Pages call `ctg_ui.x`; each name lives in one module of the package:
- `state`: the application state (territory, year, author, presentation mode), the address,
  the author cookie, binding a widget to the state;
- `access`: local or shared mode, the signed-in account, rights, the sign-in gate;
- `data`: the store, the territories, the current data, the page context `require_data()`
  returns, and the results kept between runs (Streamlit's resource cache);
- `frame`: the page configuration and the sidebar app.py draws around each page;
- `blocks`: key figures, methodology, chart blocks; `tables`: table blocks and downloads;
  `comments`: the comité's comments; `forms`: number fields and editing forms;
- `french`: what Streamlit and plotly write in English, in French; the projector styling;
- `_streamlit_internals`: the only private Streamlit API used, and why.
Pages never compute a figure themselves: every number comes from ctg_data; the pure helpers
(escaping, French numbers and dates, value kinds, table layout) are in `ctg_data.formatting`
and `ctg_data.kinds`, where pages call them.
"""

from ctg_ui.access import (actor, author, can, import_allowed, shared_mode, sign_in_gate,
                           sign_out)
from ctg_ui.blocks import (chart_block, figure_block, methodology, metric, no_data,
                           other_charts, rate_metric, slide_chart)
from ctg_ui.comments import chart_comments, comments_block
from ctg_ui.data import (DONNEES_PAGE, PageContext, computed, current_data, current_territory,
                         database_url, empty_state,
                         read_territories, references, require_data, select_territory, store,
                         stored_result, territories, version_id)
from ctg_ui.forms import (edit_feedback, editing_allowed, form_values, history_expander,
                          number_field, reset_number_field, save_button, target_input,
                          upload_limit_mb)
from ctg_ui.frame import PRESENTATION_PAGE, ensure_frame, frame, presentation_frame, sidebar
from ctg_ui.french import french_interface, french_interface_html, presentation_config
from ctg_ui.state import (bind, consume_presentation_request, init_state, presentation,
                          set_presentation)
from ctg_ui.tables import (audited_export, record_export, spec_table, table_block,
                           text_table_block)

__all__ = [
    "DONNEES_PAGE", "PageContext", "PRESENTATION_PAGE", "actor", "audited_export", "author",
    "bind", "can", "chart_block", "chart_comments", "comments_block",
    "computed", "consume_presentation_request", "current_data", "current_territory",
    "database_url", "edit_feedback", "editing_allowed", "empty_state", "ensure_frame",
    "figure_block", "form_values", "frame", "french_interface", "french_interface_html",
    "history_expander", "import_allowed", "init_state", "methodology", "metric", "no_data",
    "number_field", "other_charts", "presentation", "presentation_config",
    "presentation_frame", "rate_metric", "read_territories", "record_export",
    "references", "require_data", "reset_number_field", "save_button", "select_territory",
    "set_presentation", "shared_mode", "sidebar", "sign_in_gate", "sign_out", "slide_chart",
    "spec_table", "store", "stored_result", "table_block", "target_input", "territories",
    "text_table_block", "upload_limit_mb", "version_id",
]
