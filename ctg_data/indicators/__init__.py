"""Indicators computed from a territory's CtgData, one module per concept. Pure functions;
labels, formulas and sources live in ctg_data.definitions, alert texts in ctg_data.errors.

- structures:  the structures a year counts (open on 31 December, in the territory)
- coverage:    the coverage rate of a year (Coverage, typed alerts), rates, places missing,
               the series over the years; the counting rules are in its docstring
- changes:     the like-for-like change of a rate between two years, in French
- scenario:    what-if coverage (places added or removed, another number of children)
- alsh:        ALSH coverage and fill rate by period (enfance-jeunesse)
- portrait:    the portrait indicators of the Population sheet
- plan_status: plan d'action achievement, expected share on the path, bands, axis summary
- as_json:     the CLI `indicators` content

Callers import the names below from `ctg_data.indicators`.
"""

from ctg_data.indicators.alsh import AGE_BANDS, alsh_coverage, band_weights
from ctg_data.indicators.as_json import indicators_json
from ctg_data.indicators.changes import (COVERAGE_SHEETS, RATE_COMPONENTS, RateChange,
                                         change_sentence, coverage_change, previous_coverage,
                                         previous_year)
from ctg_data.indicators.coverage import (AUTRE_ALERT, COMPONENT_LABELS, COMPONENTS, Coverage,
                                          coverage, coverage_series, places_missing,
                                          population_value, rates_from_components)
from ctg_data.indicators.plan_status import (NIVEAUX, PLAN_STATUS_COLUMNS, STATUT_BANDS,
                                             achievement, axis_summary, band, band_explanation,
                                             expected_share, plan_status)
from ctg_data.indicators.portrait import portrait
from ctg_data.indicators.scenario import scenario
from ctg_data.indicators.structures import (commune_in_territory, in_territory, is_open,
                                            structures_of_year)

__all__ = [
    "AGE_BANDS", "AUTRE_ALERT", "COMPONENTS", "COMPONENT_LABELS", "COVERAGE_SHEETS", "NIVEAUX",
    "PLAN_STATUS_COLUMNS", "RATE_COMPONENTS", "STATUT_BANDS", "RateChange", "Coverage",
    "achievement", "alsh_coverage", "axis_summary", "band", "band_explanation", "band_weights",
    "change_sentence", "commune_in_territory", "coverage", "coverage_change", "coverage_series",
    "expected_share", "in_territory", "indicators_json", "is_open", "places_missing",
    "plan_status", "population_value", "portrait", "previous_coverage", "previous_year",
    "rates_from_components", "scenario", "structures_of_year",
]
