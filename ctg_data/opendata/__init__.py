"""Open-data imports: the Caf coverage-rate CSVs of data.caf.fr (`txcouv_pe_*`) become long
reference rows, each with its edition (`txcouv_pe_dep` or `txcouv_pe_dep_hist`; two editions of
a figure are both stored, the import reports where they disagree); INSEE commune files (IRIS
population, couples-familles-ménages, emploi, Filosofi including the 2021 `Q221` median,
« dossier complet », and the long Melodi CSVs: population by age, activity, Filosofi) fill a
territory's `Population` figures for a year.

One module per source family: `caf` (coverage rates, editions, chunked reading), `insee`
(classic commune files), `melodi` (long CSVs), `filosofi` (income and poverty columns);
`detection` tells the files apart, `population` reads a commune's INSEE figures into a
CtgData, `importing` stores a file, `common` holds what they share. The names below are the
package's interface: callers import them from `ctg_data.opendata`.
"""

from ctg_data.opendata.caf import (CAF_FIELDS, CAF_LABELS, CAF_LEVELS, CAF_PLACES, CAF_YEAR,
                                   CHUNK_LINES, CURRENT_YEARS_MAX, NATIONAL_CODE, caf_code,
                                   caf_edition, check_limits, read_caf)
from ctg_data.opendata.common import REFERENCE_COLUMNS, InseeFigures, OpendataError
from ctg_data.opendata.detection import KINDS, detect
from ctg_data.opendata.importing import (SHORT_LABELS, OpendataOutcome, conflict_lines,
                                         import_opendata)
from ctg_data.opendata.insee import (DOSSIER_COMPLET_MIN_COLUMNS, INSEE_CODE_COLUMNS,
                                     INSEE_SOURCES, POPULATION_KEYS)
from ctg_data.opendata.melodi import MELODI_AGE_BANDS, MELODI_FILOSOFI, MELODI_REQUIRED
from ctg_data.opendata.population import apply_population, read_insee

__all__ = [
    "CAF_FIELDS", "CAF_LABELS", "CAF_LEVELS", "CAF_PLACES", "CAF_YEAR", "CHUNK_LINES",
    "CURRENT_YEARS_MAX", "DOSSIER_COMPLET_MIN_COLUMNS", "INSEE_CODE_COLUMNS", "INSEE_SOURCES",
    "KINDS", "MELODI_AGE_BANDS", "MELODI_FILOSOFI", "MELODI_REQUIRED", "NATIONAL_CODE",
    "POPULATION_KEYS", "REFERENCE_COLUMNS", "SHORT_LABELS", "InseeFigures", "OpendataError",
    "OpendataOutcome", "apply_population", "caf_code", "caf_edition", "check_limits",
    "conflict_lines", "detect", "import_opendata", "read_caf", "read_insee",
]
