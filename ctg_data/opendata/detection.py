"""Which open-data file a CSV is, from its header alone: a key of `KINDS` (Caf coverage rates
first, then INSEE Melodi long CSVs, then classic INSEE commune files)."""

from __future__ import annotations

from ctg_data.errors import UnreadableFile
from ctg_data.opendata.caf import caf_kind
from ctg_data.opendata.common import Head, buffer, read_head
from ctg_data.opendata.insee import insee_kind
from ctg_data.opendata.melodi import melodi_kind

# What `detect` can answer, with the French name shown to users.
KINDS: dict[str, str] = {
    "caf_txcouv_com": "Caf — taux de couverture petite enfance par commune (txcouv_pe_com)",
    "caf_txcouv_epci": "Caf — taux de couverture petite enfance par EPCI (txcouv_pe_epci)",
    "caf_txcouv_dep": "Caf — taux de couverture petite enfance par département (txcouv_pe_dep)",
    "caf_txcouv_reg": "Caf — taux de couverture petite enfance par région (txcouv_pe_reg)",
    "caf_txcouv_nat": "Caf — taux de couverture petite enfance, France (txcouv_pe_nat)",
    "insee_population": "INSEE — évolution et structure de la population",
    "insee_familles": "INSEE — couples, familles, ménages",
    "insee_emploi": "INSEE — activité des résidents (emploi)",
    "insee_filosofi": "INSEE — revenus et pauvreté (Filosofi)",
    "insee_dossier_complet": "INSEE — dossier complet",
    "insee_melodi_population": "INSEE Melodi — population par âge (recensement)",
    "insee_melodi_emploi": "INSEE Melodi — emploi et activité (recensement)",
    "insee_melodi_filosofi": "INSEE Melodi — revenus et pauvreté (Filosofi)",
}


def kind_of(head: Head) -> str | None:
    """The key of `KINDS` a CSV header says, or None."""
    return caf_kind(head.fields) or melodi_kind(head.fields) or insee_kind(head.fields)


def detect(content, file_name: str) -> str:
    """Which open-data file `content` is: a key of `KINDS`. Raises errors.UnreadableFile (in
    French) for an empty, binary or unrecognised file."""
    kind = kind_of(read_head(buffer(content), file_name))
    if kind is None:
        raise UnreadableFile.of("donnees_ouvertes_inconnues", file=file_name)
    return kind
