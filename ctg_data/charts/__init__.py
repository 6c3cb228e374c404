"""Plotly figures of the dashboard, the presentation mode and the bilan.

Every chart is declared once, by a `ChartSpec` in `registry` (key, short title, figure title,
source, section, methodology indicators, builder, bilan chapter, slide). Its builder lives in
the module of its page section — `diagnostic`, `offre`, `enfance_jeunesse`, `plan`,
`territoires` — and reads its title and source from its spec. `layout` gives every figure the
same look (title naming the territory, French separators, source line under the plot) and the
projector, slide and print copies; `reference_levels` picks the reference values (EPCI,
département, France…) a chart compares the territory with; `inputs` reads yearly rows.

A registered builder has the signature ``build(data, annee, references=None, **options)`` and
returns a `go.Figure` that stands on its own once exported; a chart without data returns a
figure saying « Données non disponibles » instead of raising.

Callers use the package as one namespace: ``from ctg_data import charts; charts.CHARTS``.
"""

from ctg_data.charts.layout import (COUNT_COLOUR, NO_DATA, POINT_MM, PRESENTATION_HEIGHT,
                                    RATE_AXIS, RATE_UNIT, SECOND_COLOUR, SLIDE_LEGEND_CHARS,
                                    SLIDE_PLOT_WIDTH, chart_title, figure_file_name,
                                    finish_layout, font_sizes, for_print, no_data_figure,
                                    plotly_config, presentation, printed_points, short_text,
                                    slide_source, source_text, wrap, year_axis)
from ctg_data.charts.inputs import (computed, latest_row, rows_up_to, target_rate,
                                    years_text)
from ctg_data.charts.reference_levels import (REF_COLUMNS, fold, level_rows, pick_reference,
                                              reference_rows)
from ctg_data.charts.registry import (BILAN_CHAPTERS, CHARTS, PAGE_FIGURES, SECTIONS, SLIDES,
                                      ChartSpec, bilan_charts, build, charts_in,
                                      charts_on_page, check,
                                      render_title, spec, spec_source, spec_title)
from ctg_data.charts.diagnostic import (AGE_BANDS, KEY_RATES, MAP_LABEL_LIMIT,
                                        NO_REFERENCE_NOTE, age_bands_figure,
                                        allocataires_figure, families_figure, income_figure,
                                        key_rates_figure, map_figure, population_figure)
from ctg_data.charts.offre import (COG_AM_PER_RPE, COMPONENTS, EDITION_SYMBOLS, PEOPLE_MODES,
                                   RATE_MODES, childminders_figure, coverage_evolution_figure,
                                   coverage_references_figure, missing_places_figure,
                                   places_by_mode_figure, rpe_figure, scenario_figure)
from ctg_data.charts.enfance_jeunesse import (ALSH_CHILDREN_PER_PLACES, alsh_coverage_figure,
                                              alsh_fill_figure)
from ctg_data.charts.plan import (INSTANCE_STYLES, PERIOD_SOURCES, action_order,
                                  action_timeline_figure, comites_figure, month_ticks,
                                  plan_achievement_figure, plan_axes_figure,
                                  plan_indicator_figure)
from ctg_data.charts.territoires import (MAX_DEPARTEMENT_LINES, comparison_figure,
                                         distribution_figure, reference_lines)

