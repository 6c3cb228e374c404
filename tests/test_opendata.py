"""Open-data imports: Caf coverage-rate CSVs and INSEE commune files, in their published layouts
(`;`, UTF-8 with BOM, field codes or French labels, placeholder rows, secret markers, decimal
commas), and their storage."""

import math

import pandas as pd
import pytest

from ctg_data.errors import UnreadableFile
from ctg_data.model import CtgData
from ctg_data.opendata import (OpendataError, apply_population, detect, import_opendata,
                               read_caf, read_insee)
from ctg_data.storage import Store


def csv_bytes(header, rows, *, bom=True, encoding="utf-8", sep=";"):
    """A CSV as the portals export it: `;`, one header line, UTF-8 with BOM."""
    text = "\n".join(sep.join(str(v) for v in line) for line in [header, *rows]) + "\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def caf_header(suffix, places):
    return [*places, "annee", f"txcouv_psu_col_{suffix}", f"txcouv_hors_psu_col_{suffix}",
            f"txcouv_eaje_{suffix}", f"txcouv_prescol_{suffix}", f"txcouv_am_ind_{suffix}",
            f"txcouv_gad_ind_{suffix}", f"txcouv_ind_{suffix}", f"txcouv_{suffix}"]


def value(rows, code, indicateur, annee=2023):
    hit = rows[(rows["code"] == code) & (rows["indicateur"] == indicateur)
               & (rows["annee"] == annee)]
    assert len(hit) == 1, (code, indicateur, annee, hit)
    return hit["valeur"].iloc[0]


# --- Caf -----------------------------------------------------------------------------------

COM_ROWS = [
    ["59367", "Lys-lez-Lannoy", "200093201", "Métropole Européenne de Lille", "2023",
     "20,1", "5,2", "25,3", "2", "30,1", "", "30,9", "58,2"],
    ["01065", "Commune de l'Ain", "200071751", "CA du Bassin de Bourg", "2023",
     "19,5", "0", "19,5", "1,1", "45", "0,7", "45,7", "66,3"],
    ["XXXXX", "Communes non identifiées", "XX", "", "2023", "1", "1", "1", "1", "1", "1", "1",
     "1"],
]


def test_caf_commune_codes_bom_placeholders_blur_and_decimal_comma():
    content = csv_bytes(caf_header("com", ["numcom", "nomcom", "numepci", "nomepci"]), COM_ROWS)
    assert content.startswith(b"\xef\xbb\xbf")
    assert detect(content, "txcouv_pe_com.csv") == "caf_txcouv_com"
    rows = read_caf(content, "txcouv_pe_com.csv")
    assert list(rows.columns) == ["niveau", "code", "nom", "annee", "indicateur", "valeur",
                                  "source", "edition"]
    # Two real communes × 8 indicators; the placeholder row is dropped.
    assert len(rows) == 16
    assert set(rows["code"]) == {"59367", "01065"}          # leading zero kept
    assert set(rows["niveau"]) == {"commune"}
    assert rows["annee"].dtype == "int64" and set(rows["annee"]) == {2023}
    assert value(rows, "59367", "taux_couverture_global") == pytest.approx(58.2)
    assert value(rows, "59367", "taux_couverture_psu") == pytest.approx(20.1)
    assert value(rows, "59367", "taux_couverture_hors_psu") == pytest.approx(5.2)
    assert value(rows, "59367", "taux_couverture_eaje") == pytest.approx(25.3)
    assert value(rows, "59367", "taux_couverture_prescolarisation") == pytest.approx(2.0)
    assert value(rows, "59367", "taux_couverture_am") == pytest.approx(30.1)
    assert value(rows, "59367", "taux_couverture_individuel") == pytest.approx(30.9)
    # Blurred (empty) stays missing, never zero; a published zero stays zero.
    assert math.isnan(value(rows, "59367", "taux_couverture_gad"))
    assert value(rows, "01065", "taux_couverture_hors_psu") == 0.0
    assert rows.loc[rows["code"] == "59367", "nom"].iloc[0] == "Lys-lez-Lannoy"
    assert set(rows["source"]) == {"Cnaf, data.caf.fr (txcouv_pe_com)"}


def test_caf_decimal_point_gives_the_same_values_as_decimal_comma():
    header = caf_header("com", ["numcom", "nomcom", "numepci", "nomepci"])
    comma = read_caf(csv_bytes(header, COM_ROWS), "a.csv")
    point = read_caf(csv_bytes(header, [[c.replace(",", ".") for c in r] for r in COM_ROWS]),
                     "a.csv")
    pd.testing.assert_series_equal(comma["valeur"], point["valeur"])


def test_caf_epci_placeholder_xx_dropped():
    content = csv_bytes(caf_header("epci", ["numepci", "nomepci", "numdep", "nomdep"]), [
        ["200093201", "Métropole Européenne de Lille", "59", "Nord", "2022",
         "21", "4,4", "25,4", "1,9", "29,5", "1,1", "30,6", "57,9"],
        ["XX", "Hors EPCI", "59", "Nord", "2022", "1", "1", "1", "1", "1", "1", "1", "1"],
    ])
    assert detect(content, "txcouv_pe_epci.csv") == "caf_txcouv_epci"
    rows = read_caf(content, "txcouv_pe_epci.csv")
    assert set(rows["code"]) == {"200093201"}
    assert set(rows["niveau"]) == {"epci"}
    assert len(rows) == 8
    assert value(rows, "200093201", "taux_couverture_global", 2022) == pytest.approx(57.9)


def test_caf_departement_unpadded_codes_corsica_and_xxx_dropped():
    content = csv_bytes(caf_header("dep", ["numdep", "nomdep", "numregi", "nomregi"]), [
        ["59", "Nord", "32", "Hauts-de-France", "2023",
         "15,5", "4,9", "20,4", "3,1", "30,2", "0,6", "30,8", "54,3"],
        ["2A", "Corse-du-Sud", "94", "Corse", "2023",
         "22", "1,5", "23,5", "2,2", "21,1", "1,9", "23", "48,7"],
        ["1", "Ain", "84", "Auvergne-Rhône-Alpes", "2023",
         "15,1", "3,2", "18,3", "1,5", "47,9", "1,2", "49,1", "68,9"],
        ["XXX", "Non ventilé", "XX", "", "2023", "", "", "", "", "", "", "", ""],
    ])
    assert detect(content, "txcouv_pe_dep.csv") == "caf_txcouv_dep"
    rows = read_caf(content, "txcouv_pe_dep.csv")
    assert set(rows["niveau"]) == {"departement"}
    assert set(rows["code"]) == {"59", "2A", "01"}
    assert value(rows, "59", "taux_couverture_global") == pytest.approx(54.3)
    assert value(rows, "2A", "taux_couverture_am") == pytest.approx(21.1)


def test_caf_region_and_national_levels():
    region = csv_bytes(caf_header("reg", ["numregi", "nomregi"]), [
        ["32", "Hauts-de-France", "2023", "17", "4", "21", "2,9", "29,8", "0,9", "30,7", "54,6"],
    ])
    assert detect(region, "txcouv_pe_reg.csv") == "caf_txcouv_reg"
    rows = read_caf(region, "txcouv_pe_reg.csv")
    assert set(rows["niveau"]) == {"region"} and set(rows["code"]) == {"32"}

    national = csv_bytes(caf_header("nat", []), [
        ["2023", "19,9", "3,6", "23,5", "3,3", "31,9", "2,2", "34,1", "60,9"],
        ["2022", "19,6", "3,2", "22,8", "3,5", "32,6", "2,2", "34,8", ""],
    ])
    assert detect(national, "txcouv_pe_nat.csv") == "caf_txcouv_nat"
    rows = read_caf(national, "txcouv_pe_nat.csv")
    assert set(rows["niveau"]) == {"france"}
    assert set(rows["nom"]) == {"France"}
    assert len(rows) == 16
    code = rows["code"].iloc[0]
    assert value(rows, code, "taux_couverture_global", 2023) == pytest.approx(60.9)
    assert value(rows, code, "taux_couverture_individuel", 2023) == pytest.approx(34.1)
    assert math.isnan(value(rows, code, "taux_couverture_global", 2022))


LABELS = ["Date référence", "Numéro Département", "Nom Département", "Numéro région",
          "Nom région", "Taux de couv. EAJE PSU", "Taux de couv. hors EAJE PSU",
          "Taux de couv. EAJE - ensemble", "Taux de couv. préscolarisation",
          "Taux de couv. assistante maternelle", "Taux de couv. salariée à domicile",
          "Taux de couv. accueil individuel - ensemble", "Taux de couv. global"]
LABEL_ROWS = [["2023", "59", "Nord", "32", "Hauts-de-France",
               "15,5", "4,9", "20,4", "3,1", "30,2", "", "30,8", "54,3"],
              ["2023", "XXX", "", "", "", "1", "1", "1", "1", "1", "1", "1", "1"]]


def test_caf_label_export_reads_like_the_field_codes():
    labelled = csv_bytes(LABELS, LABEL_ROWS)
    coded = csv_bytes(["annee", "numdep", "nomdep", "numregi", "nomregi",
                       "txcouv_psu_col_dep", "txcouv_hors_psu_col_dep", "txcouv_eaje_dep",
                       "txcouv_prescol_dep", "txcouv_am_ind_dep", "txcouv_gad_ind_dep",
                       "txcouv_ind_dep", "txcouv_dep"], LABEL_ROWS)
    assert detect(labelled, "export.csv") == "caf_txcouv_dep"
    a = read_caf(labelled, "x.csv").drop(columns="edition")
    b = read_caf(coded, "x.csv").drop(columns="edition")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 8 and math.isnan(value(a, "59", "taux_couverture_gad"))


def test_caf_label_variants_with_units_and_windows_1252():
    # Re-saved by Excel: Windows-1252, no BOM, « Taux de couverture … (%) » spelling.
    header = ["Année", "Code de la commune", "Nom de la commune", "Numéro EPCI", "Nom EPCI",
              "Taux de couverture global (%)", "Taux de couverture EAJE PSU (%)"]
    content = csv_bytes(header, [["2021", "59367", "Lys-lez-Lannoy", "200093201", "MEL",
                                  "57,4", "19,8"]], bom=False, encoding="cp1252")
    assert detect(content, "taux.csv") == "caf_txcouv_com"
    rows = read_caf(content, "taux.csv")
    assert set(rows["indicateur"]) == {"taux_couverture_global", "taux_couverture_psu"}
    assert value(rows, "59367", "taux_couverture_global", 2021) == pytest.approx(57.4)


def test_caf_national_labels_without_code_column():
    content = csv_bytes(["Date référence", "Taux de couv. global", "Taux de couv. EAJE PSU"],
                        [["2021", "59,4", "19,1"]])
    assert detect(content, "nat.csv") == "caf_txcouv_nat"
    rows = read_caf(content, "nat.csv")
    assert set(rows["niveau"]) == {"france"} and len(rows) == 2


# --- unrecognised files --------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.mark.parametrize("content,name,code", [
    (b"", "vide.csv", "fichier_vide"),
    (PNG, "image.csv", "donnees_ouvertes_une_colonne"),   # its first line: « ‰PNG »
    (b"PK\x03\x04" + b"\x00" * 200, "classeur.xlsx", "donnees_ouvertes_classeur"),
    ("Nom;Prénom;Ville\nDupont;Jean;Lille\n".encode(), "autre.csv",
     "donnees_ouvertes_inconnues"),
    (b"une seule colonne\nsans separateur\n", "texte.csv", "donnees_ouvertes_une_colonne"),
])
def test_unrecognised_files_raise_a_french_unreadable_error(content, name, code):
    with pytest.raises(UnreadableFile) as info:
        detect(content, name)
    assert info.value.code == code and name in info.value.message
    with pytest.raises(UnreadableFile) as info:
        import_opendata(None, content, name)
    assert info.value.code == code


# --- INSEE ---------------------------------------------------------------------------------

IRIS_HEADER = ["IRIS", "REG", "DEP", "LIBCOM", "COM", "LIBIRIS", "TYP_IRIS", "MODIF_IRIS",
               "LAB_IRIS", "P21_POP", "P21_POP0002", "P21_POP0305", "P21_POP0610",
               "P21_POP1117", "P21_POP1824", "P21_POPF"]


def iris_file(extra_rows=()):
    rows = [
        ["010650101", "84", "01", "Bourg", "01065", "Centre", "H", "00", "1",
         "2100,4", "61,2", "70,1", "110,9", "160,5", "150", "1080"],
        ["010650102", "84", "01", "Bourg", "01065", "Nord", "H", "00", "1",
         "1900,2", "50,5", "60,6", "101,2", "150,1", "140", "990"],
        ["010650103", "84", "01", "Bourg", "01065", "Sud", "H", "00", "2",
         "1500", "40,1", "45", "80", "120", "110", "760"],
        ["593670000", "32", "59", "Lys-lez-Lannoy", "59367", "Lys-lez-Lannoy", "Z", "00", "5",
         "13793", "489,6", "531", "925", "1281", "1000", "7100"],
        *extra_rows,
    ]
    return csv_bytes(IRIS_HEADER, rows)


def test_iris_population_summed_over_the_rows_of_one_commune():
    content = iris_file()
    assert detect(content, "base-ic-evol-struct-pop-2021.csv") == "insee_population"
    found = read_insee(content, "base-ic-evol-struct-pop-2021.csv", "01065")
    assert found.code == "01065" and found.rows == 3
    assert list(found.figures) == [2021]                     # P21_ -> 2021
    fig = found.figures[2021]
    # By hand: 2100,4 + 1900,2 + 1500 = 5500,6 -> 5501; 61,2 + 50,5 + 40,1 = 151,8 -> 152 …
    assert fig["population"] == 5501
    assert fig["enfants_0_2"] == 152
    assert fig["enfants_3_5"] == 176          # 70,1 + 60,6 + 45 = 175,7
    assert fig["enfants_6_10"] == 292         # 110,9 + 101,2 + 80 = 292,1
    assert fig["jeunes_11_17"] == 431         # 160,5 + 150,1 + 120 = 430,6
    assert set(fig) == {"population", "enfants_0_2", "enfants_3_5", "enfants_6_10",
                        "jeunes_11_17"}
    assert any("somme de 3 lignes" in n for n in found.notes)


def test_iris_code_without_leading_zero_and_other_commune():
    content = iris_file()
    assert read_insee(content, "f.csv", "1065").code == "01065"     # 1065 means 01065
    lys = read_insee(content, "f.csv", "59367").figures[2021]
    assert lys["population"] == 13793 and lys["enfants_0_2"] == 490
    with pytest.raises(OpendataError) as info:
        read_insee(content, "f.csv", "59350")
    assert info.value.code == "commune_absente_du_fichier" and "59350" in info.value.message


def test_iris_secret_marker_in_one_row_leaves_the_sum_missing():
    secret = ["010650104", "84", "01", "Bourg", "01065", "Est", "H", "00", "1",
              "300", "s", "10", "20", "30", "20", "150"]
    found = read_insee(iris_file([secret]), "f.csv", "01065")
    fig = found.figures[2021]
    assert "enfants_0_2" not in fig                     # never a partial sum, never zero
    assert fig["population"] == 5801                    # 5500,6 + 300
    assert any("Enfants 0-2 ans" in n and "laissée vide" in n for n in found.notes)


def test_couples_familles_menages():
    header = ["IRIS", "COM", "TYP_IRIS", "LAB_IRIS", "C21_MEN", "C21_MENPSEUL", "C21_MENCOUPAENF",
              "C21_FAM", "C21_COUPAENF", "C21_FAMMONO", "C21_NE24F3", "C21_NE24F4P"]
    content = csv_bytes(header, [
        ["593670101", "59367", "H", "1", "3000,5", "1020", "900", "1950", "1000,4", "350,2",
         "120", "80"],
        ["593670102", "59367", "H", "1", "2900", "990", "880", "1900", "948", "347", "110", "75"],
        ["593500101", "59350", "H", "1", "99", "1", "1", "1", "1", "1", "1", "1"],
    ])
    assert detect(content, "base-ic-couples-familles-menages-2021.csv") == "insee_familles"
    fig = read_insee(content, "f.csv", "59367").figures[2021]
    assert fig["menages"] == 5901                        # 3000,5 + 2900 = 5900,5 -> 5901
    assert fig["familles_avec_enfants"] == 2646          # 1948,4 + 697,2 = 2645,6
    assert fig["familles_monoparentales"] == 697         # 350,2 + 347
    assert fig["familles_nombreuses"] == 385             # 120 + 80 + 110 + 75


def test_emploi_unemployment_rate():
    header = ["CODGEO", "LIBGEO", "P21_POP1564", "P21_ACT1564", "P21_CHOM1564", "P21_ACTOCC1564"]
    content = csv_bytes(header, [
        ["59367", "Lys-lez-Lannoy", "9000", "6714,9", "946,8", "5768,1"],
        ["59350", "Lille", "160000", "110000", "18000", "92000"],
    ])
    assert detect(content, "base-cc-emploi-pop-active-2021.csv") == "insee_emploi"
    fig = read_insee(content, "f.csv", "59367").figures[2021]
    assert fig["taux_chomage"] == pytest.approx(946.8 / 6714.9 * 100)   # 14,1 %
    assert set(fig) == {"taux_chomage"}


def test_filosofi_decimal_comma_and_secret_markers():
    header = ["CODGEO", "LIBGEO", "NBMENFISC21", "MED21", "TP6021", "D121"]
    content = csv_bytes(header, [
        ["59367", "Lys-lez-Lannoy", "5650", "19520,5", "19,3", "11000"],
        ["01065", "Petite", "40", "21040", "s", "s"],
        ["2A004", "Ajaccio", "32000", "nd", "ns", "so"],
    ])
    assert detect(content, "FILO2021_DISP_COM.csv") == "insee_filosofi"
    lys = read_insee(content, "f.csv", "59367").figures[2021]
    assert lys == {"revenu_median": 19520.5, "taux_pauvrete": pytest.approx(19.3)}
    small = read_insee(content, "f.csv", "01065")
    assert small.figures == {2021: {"revenu_median": 21040.0}}
    assert any("Taux de pauvreté" in n and "laissée vide" in n for n in small.notes)
    corsica = read_insee(content, "f.csv", "2a004")           # 2A code, any case
    assert corsica.code == "2A004" and corsica.figures == {}


def test_quoted_fields_and_a_code_that_lost_its_leading_zero():
    quoted = csv_bytes(['"CODGEO"', '"LIBGEO"', '"MED21"', '"TP6021"'], [
        ['"01065"', '"Petite commune"', '"21040"', '"12,5"'],
        ['"59367"', '"Lys-lez-Lannoy"', '"19520"', '"19,3"'],
    ])
    found = read_insee(quoted, "filo.csv", "01065")
    assert found.figures == {2021: {"revenu_median": 21040.0, "taux_pauvrete": 12.5}}
    # Re-saved by Excel: 01065 became 1065; the commune is still found by its real code.
    stripped = csv_bytes(["CODGEO", "MED21", "TP6021"], [["1065", "21040", "12,5"],
                                                         ["59367", "19520", "19,3"]],
                         bom=False)
    assert read_insee(stripped, "filo.csv", "01065").figures[2021]["taux_pauvrete"] == 12.5


def dossier_complet(filler=260):
    """A « dossier complet »-shaped file: CODGEO first, hundreds of columns."""
    fillers = [f"X{i:04d}" for i in range(filler)]
    header = ["CODGEO", *fillers[:100], "P21_POP", "P15_POP", "P21_POP0002", "C21_MEN",
              "C21_FAMMONO", "C21_COUPAENF", "P21_ACT1564", "P21_CHOM1564", "MED21", "TP6021",
              "NAISD22", *fillers[100:]]

    def row(code, numbers):
        # A filler equal to another commune's code must not be taken for a row start.
        return [code, "59367", *["1,5"] * 99, *numbers, *["s"] * (filler - 100)]

    return csv_bytes(header, [
        row("01065", ["5500", "5400", "150", "2500", "300", "900", "2800", "280", "21040", "s",
                      "60"]),
        row("59367", ["13793", "13200", "489,6", "5900,5", "697", "1851", "6714,9", "946,8",
                      "19520,5", "19,3", "164"]),
        row("59350", ["236710", "232000", "9000", "130000", "15000", "30000", "110000",
                      "18000", "19800", "25,6", "3500"]),
    ])


def test_dossier_complet_reads_one_commune_and_keeps_years_per_column():
    content = dossier_complet()
    assert detect(content, "dossier_complet.csv") == "insee_dossier_complet"
    found = read_insee(content, "dossier_complet.csv", "59367")
    assert found.rows == 1
    assert found.figures[2021] == {
        "population": 13793, "enfants_0_2": 490, "menages": 5901,
        "familles_avec_enfants": 2548, "familles_monoparentales": 697,
        "taux_chomage": pytest.approx(946.8 / 6714.9 * 100), "revenu_median": 19520.5,
        "taux_pauvrete": pytest.approx(19.3)}
    assert found.figures[2022] == {"naissances": 164}        # NAISD22 -> 2022
    secret = read_insee(content, "dossier_complet.csv", "01065")
    assert "taux_pauvrete" not in secret.figures[2021]


def test_dossier_complet_from_a_path_and_windows_line_ends(tmp_path):
    content = dossier_complet().replace(b"\n", b"\r\n")
    path = tmp_path / "dossier_complet.csv"
    path.write_bytes(content)
    found = read_insee(path, "dossier_complet.csv", "59350")
    assert found.figures[2021]["population"] == 236710
    assert found.figures[2021]["taux_pauvrete"] == pytest.approx(25.6)


# --- applying and storing ------------------------------------------------------------------

def territory(code="59367", nom="Lys-lez-Lannoy"):
    population = pd.DataFrame({"annee": [2020, 2021], "population": [13500.0, 13700.0],
                               "naissances": [150.0, None]})
    equipements = pd.DataFrame({"nom": ["La Pépinière"], "type": ["Multi-accueil"],
                                "places": [44.0]})
    return CtgData({"code_insee": code, "nom": nom}, {"population": population,
                                                      "equipements": equipements},
                   frozenset({"population", "equipements"}))


def test_apply_population_fills_and_adds_rows_and_leaves_the_rest():
    data = territory()
    new = apply_population(data, {2021: {"population": 13793.0, "enfants_0_2": 490.0,
                                         "naissances": float("nan")},
                                  2022: {"naissances": 164.0}})
    assert new.present == frozenset({"population"})
    pop = new.tables["population"]
    assert list(pop["annee"]) == [2020, 2021, 2022]
    row21 = pop[pop["annee"] == 2021].iloc[0]
    assert row21["population"] == 13793 and row21["enfants_0_2"] == 490
    assert pd.isna(row21["naissances"])                      # NaN never written over
    assert pop.loc[pop["annee"] == 2020, "population"].iloc[0] == 13500   # untouched
    assert pop.loc[pop["annee"] == 2022, "naissances"].iloc[0] == 164
    assert pd.isna(pop.loc[pop["annee"] == 2022, "population"].iloc[0])
    assert new.tables["equipements"].equals(data.tables["equipements"])
    # The original is not modified.
    assert data.tables["population"]["population"].tolist() == [13500.0, 13700.0]


def test_import_caf_rows_into_the_reference_table(db_url):
    store = Store(db_url)
    content = csv_bytes(caf_header("dep", ["numdep", "nomdep", "numregi", "nomregi"]), [
        ["59", "Nord", "32", "Hauts-de-France", "2023",
         "15,5", "4,9", "20,4", "3,1", "30,2", "", "30,8", "54,3"],
        ["XXX", "", "", "", "2023", "1", "1", "1", "1", "1", "1", "1", "1"],
    ])
    outcome = import_opendata(store, content, "txcouv_pe_dep.csv")
    assert outcome.kind == "caf_txcouv_dep" and outcome.reference_rows == 8
    assert outcome.version_ids == []
    stored = store.references(niveau="departement", code="59", annee=2023)
    assert len(stored) == 8
    assert value(stored, "59", "taux_couverture_global") == pytest.approx(54.3)
    assert math.isnan(value(stored, "59", "taux_couverture_gad"))
    assert store.references(code="XXX").empty
    again = import_opendata(store, content, "copie de txcouv_pe_dep.csv")
    assert again.duplicate and again.reference_rows == 0 and "déjà" in again.message
    # A revised edition (one value changed) is stored and wins.
    revised = content.replace(b";54,3\n", b";54,4\n")
    assert not import_opendata(store, revised, "txcouv_pe_dep (2).csv").duplicate
    assert value(store.references(code="59"), "59", "taux_couverture_global") == \
        pytest.approx(54.4)


def test_import_insee_creates_an_opendata_version_once(db_url):
    store = Store(db_url)
    store.save([territory()], kind="import", file_name="ctg.xlsx")
    content = iris_file()
    outcome = import_opendata(store, content, "base-ic-evol-struct-pop-2021.csv",
                              author="Test")
    assert len(outcome.version_ids) == 1
    version = store.versions("59367")[0]
    assert version.kind == "opendata" and version.id == outcome.version_ids[0]
    data = store.load("59367")
    pop = data.tables["population"]
    row21 = pop[pop["annee"] == 2021].iloc[0]
    assert row21["population"] == 13793 and row21["enfants_0_2"] == 490
    assert row21["jeunes_11_17"] == 1281
    assert data.tables["equipements"]["nom"].tolist() == ["La Pépinière"]   # carried over
    # The same figures again: nothing to store.
    again = import_opendata(store, content, "base-ic-evol-struct-pop-2021.csv")
    assert again.version_ids == [] and "aucune nouvelle version" in again.message
    assert len(store.versions("59367")) == 2


def test_import_insee_needs_a_known_territory(db_url):
    store = Store(db_url)
    with pytest.raises(OpendataError, match="aucun territoire") as info:
        import_opendata(store, iris_file(), "pop.csv")
    assert info.value.code == "donnees_ouvertes_base_vide"
    store.save([territory(), territory("59350", "Lille")], kind="import")
    with pytest.raises(OpendataError, match="Plusieurs territoires") as info:
        import_opendata(store, iris_file(), "pop.csv")
    assert info.value.code == "donnees_ouvertes_territoire_a_preciser"
    with pytest.raises(OpendataError, match="59350") as info:
        import_opendata(store, iris_file(), "pop.csv", code="59350")   # not in the file
    assert info.value.code == "commune_absente_du_fichier"
    with pytest.raises(OpendataError, match="n'est pas dans la base") as info:
        import_opendata(store, iris_file(), "pop.csv", code="01065")
    assert info.value.code == "donnees_ouvertes_territoire_absent"
