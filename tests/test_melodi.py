"""INSEE's current formats (issue 10 §7): the long Melodi CSVs (population by age, activity,
Filosofi) and the Filosofi 2021 wide commune file (median named `Q221`) complete the Population
sheet of a year, as the wide files do. The files are written here in the documented layouts
(domain.md §5)."""

import pandas as pd
import pytest

from ctg_data.errors import UnreadableFile
from ctg_data.importing import import_file
from ctg_data.opendata import KINDS, OpendataError, detect, import_opendata, read_insee
from ctg_data.storage import Store
from conftest import SAMPLE

# DS_RP_POPULATION_*: quoted header and codes, one row per territory × sex × age × period. The
# Nord row and the women's row must be ignored; 11-17 comes in two codes that tile it.
POPULATION = b'''"GEO";"GEO_OBJECT";"SEX";"AGE";"RP_MEASURE";"OBS_STATUS";TIME_PERIOD;OBS_VALUE
"59";"DEP";"_T";"_T";"POP";"A";2021;2608346
"59367";"COM";"_T";"_T";"POP";"A";2015;13512
"59367";"COM";"_T";"_T";"POP";"A";2021;13793
"59367";"COM";"_T";"Y_LT3";"POP";"A";2021;490.4
"59367";"COM";"F";"Y_LT3";"POP";"A";2021;240
"59367";"COM";"_T";"Y3T5";"POP";"A";2021;512.5
"59367";"COM";"_T";"Y6T10";"POP";"A";2021;880
"59367";"COM";"_T";"Y11T14";"POP";"A";2021;700
"59367";"COM";"_T";"Y15T17";"POP";"A";2021;581
"59367";"COM";"_T";"Y_GE65";"POP";"A";2021;2100
"59350";"COM";"_T";"_T";"POP";"A";2021;236710
'''

# DS_FILOSOFI_CC_data.csv: GEO;GEO_OBJECT;FILOSOFI_MEASURE;…;OBS_VALUE.
FILOSOFI = b'''GEO;GEO_OBJECT;FILOSOFI_MEASURE;UNIT_MEASURE;UNIT_MULT;CONF_STATUS;OBS_STATUS;TIME_PERIOD;OBS_VALUE
59;DEP;MED_SL;EUR_YR;0;F;A;2021;21140
59367;COM;MED_SL;EUR_YR;0;F;A;2021;20110
59367;COM;PR_MD60;PC;0;F;A;2021;19.8
59367;COM;D1_SL;EUR_YR;0;F;A;2021;11230
'''

# DS_RP_EMPLOI_LR_*: EMPSTA_ENQ 1T2 = actives, 2 = unemployed (15-64).
EMPLOI = b'''GEO;GEO_OBJECT;SEX;AGE;EMPSTA_ENQ;PCS;RP_MEASURE;TIME_PERIOD;OBS_VALUE
59367;COM;_T;Y15T64;1T2;_T;POP;2021;6200
59367;COM;_T;Y15T64;2;_T;POP;2021;868
59367;COM;_T;Y15T64;2;6;POP;2021;400
59367;COM;F;Y25T54;_T;_T;POP;2021;2500
59367;COM;F;Y25T54;1T2;_T;POP;2021;2200
'''

# FILO2021_DISP_COM.csv (geo2025): the median is Q221, the poverty rate TP6021.
FILOSOFI_2021 = ("CODGEO;LIBGEO;NBMENFISC21;NBPERSMENFISC21;Q221;TP6021\r\n"
                 "59350;Lille;110000;220000;20 470;25,6\r\n"
                 "59367;Lys-lez-Lannoy;5600;13300;20 110;19,8\r\n").encode("utf-8")


@pytest.fixture
def store(db_url):
    store = Store(db_url)
    assert import_file(store, SAMPLE.read_bytes(), SAMPLE.name, author="test").version_ids
    return store


def population_row(store: Store, year: int) -> pd.Series:
    pop = store.load("59367").tables["population"]
    return pop[pop["annee"] == year].iloc[0]


def test_melodi_population_fills_the_age_bands(store):
    assert detect(POPULATION, "DS_RP_POPULATION_COMP_data.csv") == "insee_melodi_population"
    outcome = import_opendata(store, POPULATION, "DS_RP_POPULATION_COMP_data.csv",
                              author="Test")
    assert outcome.kind == "insee_melodi_population" and len(outcome.version_ids) == 1
    row = population_row(store, 2021)
    assert row["population"] == 13793             # the latest period, the commune's own row
    assert row["enfants_0_2"] == 490               # Y_LT3, both sexes (0.4 rounded)
    assert row["enfants_3_5"] == 513               # 512.5 rounded half up, as INSEE does
    assert row["enfants_6_10"] == 880
    assert row["jeunes_11_17"] == 1281             # Y11T14 + Y15T17
    assert any("Y11T14 + Y15T17" in n for n in outcome.notes)
    version = store.versions("59367")[0]
    assert version.kind == "opendata" and KINDS["insee_melodi_population"] in version.summary
    # The same file again: nothing new.
    assert import_opendata(store, POPULATION, "DS_RP_POPULATION_COMP_data.csv").version_ids \
        == []


def test_a_band_no_age_code_covers_stays_missing(store):
    partial = POPULATION.replace(b'"Y11T14"', b'"Y12T14"')   # 11 years old is not given
    found = read_insee(partial, "pop.csv", "59367")
    assert "jeunes_11_17" not in found.figures[2021]
    assert any("Jeunes 11-17 ans" in n and "11 à 17 ans" in n and "laissée vide" in n
               for n in found.notes)
    # A secret value stays missing, never zero.
    secret = POPULATION.replace(b'"Y6T10";"POP";"A";2021;880', b'"Y6T10";"POP";"C";2021;')
    found = read_insee(secret, "pop.csv", "59367")
    assert "enfants_6_10" not in found.figures.get(2021, {})
    assert any("Enfants 6-10 ans" in n and "secrète" in n for n in found.notes)
    with pytest.raises(OpendataError, match="01065") as info:
        read_insee(POPULATION, "pop.csv", "01065")
    assert info.value.code == "commune_absente_du_fichier"


def test_melodi_filosofi_and_activity(store):
    assert detect(FILOSOFI, "DS_FILOSOFI_CC_data.csv") == "insee_melodi_filosofi"
    outcome = import_opendata(store, FILOSOFI, "DS_FILOSOFI_CC_data.csv")
    assert outcome.version_ids
    row = population_row(store, 2021)
    assert row["revenu_median"] == 20110 and row["taux_pauvrete"] == pytest.approx(19.8)

    assert detect(EMPLOI, "DS_RP_EMPLOI_LR_PRINC_data.csv") == "insee_melodi_emploi"
    found = read_insee(EMPLOI, "DS_RP_EMPLOI_LR_PRINC_data.csv", "59367")
    assert found.figures[2021]["taux_chomage"] == pytest.approx(100 * 868 / 6200)   # PCS _T
    assert found.figures[2021]["taux_activite_femmes"] == pytest.approx(88.0)


def test_filosofi_2021_wide_file_names_the_median_q221(store):
    assert detect(FILOSOFI_2021, "FILO2021_DISP_COM.csv") == "insee_filosofi"
    outcome = import_opendata(store, FILOSOFI_2021, "FILO2021_DISP_COM.csv")
    assert outcome.version_ids
    row = population_row(store, 2021)
    assert row["revenu_median"] == 20110 and row["taux_pauvrete"] == pytest.approx(19.8)
    assert any("Q221" in n for n in outcome.notes)


def test_an_unknown_long_file_is_refused_in_french():
    other = b"GEO;GEO_OBJECT;FAMILY_MEASURE;TIME_PERIOD;OBS_VALUE\n59367;COM;X;2021;4\n"
    with pytest.raises(UnreadableFile, match="Melodi") as info:
        detect(other, "DS_RP_FAMILLE_data.csv")
    assert info.value.code == "donnees_ouvertes_inconnues"
