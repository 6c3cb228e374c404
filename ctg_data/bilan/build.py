"""Making the bilan file: its content assembled once (`content.bilan_content`), then rendered
in the chosen format (`renderers.RENDERERS`), with progress reported for the page's bar."""

from __future__ import annotations

from ctg_data.bilan.content import bilan_content
from ctg_data.bilan.inputs import Progress, reporter
from ctg_data.bilan.renderers import renderer
from ctg_data.model import CtgData


def build_bilan(data: CtgData, annee: int, fmt: str, *, store=None, cible=None,
                progress: Progress | None = None) -> bytes:
    """The bilan of `annee` for the territory of `data` as a `fmt` file (a name of
    `RENDERERS`). `store` brings the comité's comments, the stored references and the version
    date; `cible` is the target coverage rate (default: setting `cible_taux_couverture`);
    `progress(fraction, message)` is called as the work advances (for a progress bar)."""
    chosen = renderer(fmt)
    report = reporter(progress)
    content = bilan_content(data, annee, store=store, cible=cible,
                            progress=lambda f, m: report(f * 0.9, m),
                            images=chosen.images)
    report(0.9, f"Mise en forme du document {chosen.name.upper()}")
    result = chosen.render(content)
    report(1.0, "Bilan prêt")
    return result
