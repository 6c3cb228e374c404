"""Reading rules and validation, on small workbooks built by the tests in .xlsx, .ods and .csv:
every rule of the format and every error type, each message located as Excel shows it."""

import datetime as dt
import math

import pandas as pd
import pytest

from ctg_data import schemas
from ctg_data.errors import UnreadableFile
from ctg_data.model import CtgData
from ctg_data.schemas import ALSH, EQUIPEMENTS, POPULATION, TERRITOIRE
from ctg_data.validation import check_data, parse_value
from ctg_data.workbook import load_workbook
from workbook_factory import (CODE, FORMATS, TERRITOIRE as TERRITOIRE_ROWS, codes, load, to_csv,
                              to_xlsx, valid_sheets)

WORKBOOKS = ("xlsx", "ods")


def _only(problems, code):
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.as_line() for p in problems]
    return found[0]


def _ok(report):
    assert report.ok, report.lines()
    [data] = report.datasets
    return data


# --- Header row, header names, columns ---------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_header_row_is_found_below_title_rows(fmt):
    rows = [["Population de Lys-lez-Lannoy (source INSEE)"], [],
            ["Année", "Population"], [2021, 13987], [2022, "treize mille"]]
    report = load(fmt, {"Population": rows})
    found = _only(report.errors, "nombre_attendu")
    # Row numbers as Excel shows them: the two title rows count.
    assert (found.sheet, found.row, found.column) == ("Population", 5, "Population")
    assert found.as_line() == ("Feuille « Population », ligne 5, colonne « Population » : "
                               "nombre attendu, « treize mille » trouvé.")
    data = _ok(load(fmt, {"Population": rows[:4]}))
    assert data.table("population")["population"].tolist() == [13987.0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_headers_match_whatever_the_case_accents_spaces_and_unit(fmt):
    rows = [["ANNEE", "population (nb)", "Enfants de moins de 3 ans", "  Taux de CHÔMAGE (%) ",
             "revenu-median"],
            [2021, 13987, 520, 14.1, 19500]]
    data = _ok(load(fmt, {"Population": rows}))
    row = data.table("population").iloc[0]
    assert (row["annee"], row["population"], row["enfants_0_2"], row["taux_chomage"],
            row["revenu_median"]) == (2021, 13987.0, 520.0, 14.1, 19500.0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_column_is_kept_with_a_warning(fmt):
    rows = [["Année", "Population", "Commentaire interne"], [2021, 13987, "à revoir"]]
    report = load(fmt, {"Population": rows})
    data = _ok(report)
    assert data.table("population")["Commentaire interne"].tolist() == ["à revoir"]
    found = _only(report.warnings, "colonne_inconnue")
    assert (found.sheet, found.row, found.column) == ("Population", 1, "Commentaire interne")
    assert found.severity == "avertissement"


@pytest.mark.parametrize("fmt", FORMATS)
def test_plan_year_headers_become_year_columns(fmt):
    # A CSV has no numeric cells: its headers are text.
    rows = [["Axe", "Action", "Indicateur", "2021", 2022, "2023" if fmt == "csv" else 2023.0],
            ["Axe 1", "Diagnostic", "Réunions", 2, "4", None]]
    data = _ok(load(fmt, {"Plan d'action": rows}))
    plan = data.table("plan_action")
    assert [c for c in plan.columns if c.isdigit()] == ["2021", "2022", "2023"]
    assert plan["2021"].tolist() == [2.0] and plan["2022"].tolist() == [4.0]
    assert math.isnan(plan["2023"][0]) and plan["2022"].dtype == "float64"


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_rows_and_empty_columns_are_ignored(fmt):
    rows = [["Année", None, "Population"], [2021, None, 100], [None, None, None], [],
            [2022, None, 200]]
    report = load(fmt, {"Population": rows})
    data = _ok(report)
    assert report.warnings == []
    assert data.table("population")["population"].tolist() == [100.0, 200.0]
    bad = load(fmt, {"Population": rows[:4] + [[2022, None, "x"]]})
    assert _only(bad.errors, "nombre_attendu").row == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_under_a_column_without_header_are_ignored_with_a_warning(fmt):
    rows = [["Année", "Population", None], [2021, 100, "note"]]
    report = load(fmt, {"Population": rows})
    data = _ok(report)
    found = _only(report.warnings, "colonne_sans_entete")
    assert (found.sheet, found.row, found.column) == ("Population", 1, "C")
    assert list(data.table("population").columns) == [c.key for c in POPULATION.columns]


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_headers_for_one_column_is_an_error(fmt):
    rows = [["Année", "Nom", "Période", "Places", "Nombre de places"],
            [2022, "ALSH Parc", "Juillet", 12, 13]]
    found = _only(load(fmt, {"ALSH": rows}).errors, "colonne_en_double")
    assert (found.sheet, found.row, found.column) == ("ALSH", 1, "Nombre de places")
    assert "« Places »" in found.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_required_column_names_the_expected_header_and_synonyms(fmt):
    rows = [["Titre"], ["Année", "Nom", "Période"], [2022, "ALSH Parc", "Juillet"]]
    found = _only(load(fmt, {"ALSH": rows}).errors, "colonne_obligatoire_absente")
    assert (found.sheet, found.row, found.column) == ("ALSH", 2, "Places")
    assert found.message == ("colonne obligatoire absente : ajoutez l'en-tête « Places » "
                             "(ou : Capacité, Nombre de places)")


def test_sheet_without_any_header_reports_every_required_column():
    report = load("xlsx", {"ALSH": [["n'importe quoi"], [1, 2, 3]]})
    missing = [p.column for p in report.errors if p.code == "colonne_obligatoire_absente"]
    assert missing == ["Année", "Nom", "Période", "Places"]
    assert len(report.errors) == 4


def test_vertically_merged_axis_applies_to_every_row_it_spans():
    rows = [["Axe", "Action", "Indicateur"], ["Axe 1", "Diagnostic", "Réunions"],
            [None, "Diagnostic", "Questionnaires"], [None, None, None]]
    content = to_xlsx({"Territoire": TERRITOIRE_ROWS, "Plan d'action": rows},
                      merged={"Plan d'action": ["A2:A4"]})
    data = _ok(load_workbook(content, "plan.xlsx"))
    # Row 4 holds only the merged axis: still an empty row.
    assert data.table("plan_action")["axe"].tolist() == ["Axe 1", "Axe 1"]


# --- Numbers, missing values, percentages --------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_french_numbers(fmt):
    values = ["1 234", "1\u00a0234", "1\u202f234,5", "1234.5", "13987", 13987, "1 234,0",
              "1.234,5"]
    rows = [["Année", "Revenu médian (€)"]] + [[2010 + i, v] for i, v in enumerate(values)]
    data = _ok(load(fmt, {"Population": rows}))
    assert data.table("population")["revenu_median"].tolist() == [1234, 1234, 1234.5, 1234.5,
                                                                  13987, 13987, 1234, 1234.5]


def test_french_numbers_fail_in_an_int_column_when_not_whole():
    rows = [["Année", "Population"], [2010, "1\u202f234,5"]]
    found = _only(load("xlsx", {"Population": rows}).errors, "entier_attendu")
    assert found.message == "nombre entier attendu, « 1\u202f234,5 » trouvé"


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_markers_are_missing_never_zero(fmt):
    markers = ["NC", "-", "s", "nd", "n.d.", "so", None, 0]
    rows = [["Année", "Naissances"]] + [[2010 + i, v] for i, v in enumerate(markers)]
    data = _ok(load(fmt, {"Population": rows}))
    values = data.table("population")["naissances"].tolist()
    assert [math.isnan(v) for v in values] == [True] * 7 + [False]
    assert values[-1] == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_percentages_with_sign_or_comma(fmt):
    rows = [["Année", "Taux de chômage (%)"], [2021, "12 %"], [2022, "17,9"], [2023, "8,5%"]]
    data = _ok(load(fmt, {"Population": rows}))
    assert data.table("population")["taux_chomage"].tolist() == [12.0, 17.9, 8.5]


@pytest.mark.parametrize("fmt", FORMATS)
def test_percentages_stored_as_fractions_are_multiplied_with_a_warning(fmt):
    rows = [["Année", "Taux de pauvreté (%)", "Taux de chômage (%)"], [2021, 0.179, 1],
            [2022, 0.2, 0.5]]
    report = load(fmt, {"Population": rows})
    data = _ok(report)
    population = data.table("population")
    assert population["taux_pauvrete"].tolist() == [17.9, 20.0]
    assert population["taux_chomage"].tolist() == [100.0, 50.0]
    warned = [p.column for p in report.warnings if p.code == "pourcentages_en_fraction"]
    assert warned == ["Taux de pauvreté (%)", "Taux de chômage (%)"]


def test_excel_percent_cells_are_read_as_percentages():
    rows = [["Année", "Taux de pauvreté (%)"], [2021, 0.179], [2022, 0.19]]
    content = to_xlsx({"Territoire": TERRITOIRE_ROWS, "Population": rows},
                      formats={("Population", "B2"): "0.0%", ("Population", "B3"): "0.0%"})
    report = load_workbook(content, "taux.xlsx")
    assert _ok(report).table("population")["taux_pauvrete"].tolist() == [17.9, 19.0]
    assert codes(report.warnings) == ["pourcentages_en_fraction"]


def test_a_percentage_above_100_is_out_of_range_and_not_rescaled():
    rows = [["Année", "Taux de chômage (%)"], [2021, 0.5], [2022, 150]]
    report = load("xlsx", {"Population": rows})
    found = _only(report.errors, "hors_limites")
    assert (found.row, found.column, found.value) == (3, "Taux de chômage (%)", 150)
    assert found.message == "« 150 » hors limites : la valeur doit être comprise entre 0 et 100"
    assert "pourcentages_en_fraction" not in codes(report.warnings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_int_column_holding_a_decimal_is_an_error(fmt):
    rows = [["Année", "Nom", "Période", "Places"], [2022, "ALSH Parc", "Juillet", 12.5]]
    found = _only(load(fmt, {"ALSH": rows}).errors, "entier_attendu")
    assert (found.sheet, found.row, found.column) == ("ALSH", 2, "Places")


# --- Dates, years, codes, choices -------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_dates_in_every_form(fmt):
    rows = [["Date", "Instance"], [dt.date(2022, 3, 15), "copil"], ["16/03/2022", "COTECH"],
            ["2022-03-17", "Comité technique"]]
    data = _ok(load(fmt, {"Comités": rows}))
    comites = data.table("comites")
    assert comites["date"].tolist() == ["2022-03-15", "2022-03-16", "2022-03-17"]
    assert comites["instance"].tolist() == ["Comité de pilotage", "Comité technique",
                                            "Comité technique"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_text_that_is_no_date_is_an_error(fmt):
    rows = [["Date", "Instance"], ["15 mars", "copil"]]
    found = _only(load(fmt, {"Comités": rows}).errors, "date_attendue")
    assert found.as_line() == ("Feuille « Comités », ligne 2, colonne « Date » : date attendue "
                               "(jj/mm/aaaa), « 15 mars » trouvé.")


@pytest.mark.parametrize("fmt", FORMATS)
def test_date_or_year_columns_take_a_bare_year(fmt):
    rows = [["Nom", "Type", "Places", "Ouverture", "Fermeture"],
            ["Crèche A", "Crèche collective", 30, 2008, "31/08/2021"],
            ["Crèche B", "Crèche collective", 20, "bientôt", None]]
    report = load(fmt, {"Équipements": rows})
    found = _only(report.errors, "date_ou_annee_attendue")
    assert (found.row, found.column) == (3, "Ouverture")
    data = _ok(load(fmt, {"Équipements": rows[:2]}))
    equipements = data.table("equipements")
    assert (equipements["ouverture"][0], equipements["fermeture"][0]) == ("2008", "2021-08-31")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_year_must_look_like_a_year(fmt):
    rows = [["Année", "Population"], ["deux mille", 10]]
    found = _only(load(fmt, {"Population": rows}).errors, "annee_attendue")
    assert found.message == "année attendue (ex. 2023), « deux mille » trouvé"


@pytest.mark.parametrize("fmt", FORMATS)
def test_codes_are_text_and_lost_zeros_are_restored(fmt):
    rows = [["Champ", "Valeur"], ["Code INSEE", 1065], ["Nom", "Saint-Étienne-du-Bois"],
            ["Département", 1], ["Début CTG", 2021]]
    report = load(fmt, {"Territoire": rows})
    data = _ok(report)
    assert (data.code, data.territoire["departement"]) == ("01065", "01")
    restored = [p for p in report.warnings if p.code == "code_complete"]
    assert [(p.row, p.column) for p in restored] == [(2, "Code INSEE"), (4, "Département")]
    assert restored[0].message == "code « 1065 » lu comme un nombre : complété en « 01065 »"
    assert data.present == frozenset({"territoire"})


@pytest.mark.parametrize("fmt", WORKBOOKS)
def test_numeric_code_cells_lose_their_decimal_part(fmt):
    rows = [["Champ", "Valeur"], ["Code INSEE", 59367.0], ["Nom", "Lys"]]
    report = load(fmt, {"Territoire": rows})
    assert _ok(report).code == "59367" and report.warnings == []


def test_a_decimal_in_a_code_column_is_an_error():
    rows = [["Axe", "Action", "Indicateur", "N° action"], ["Axe 1", "A", "I", 1.5]]
    found = _only(load("xlsx", {"Plan d'action": rows}).errors, "code_attendu")
    assert (found.row, found.column) == (2, "N° action")


@pytest.mark.parametrize("fmt", FORMATS)
def test_choices_match_loosely_with_synonyms_and_defaults(fmt):
    rows = [["Nom", "Type", "Places", "Gestionnaire"],
            ["Relais", "RAM", None, "association"],
            ["Crèche", "creche", 30, "ville"],
            ["Micro", "MICRO-CRÈCHE", 10, None]]
    data = _ok(load(fmt, {"Équipements": rows}))
    equipements = data.table("equipements")
    assert equipements["type"].tolist() == ["Relais petite enfance", "Crèche collective",
                                            "Micro-crèche"]
    assert equipements["gestionnaire"].tolist() == ["Associatif", "Municipal", None]
    plan = [["Axe", "Action", "Indicateur", "Sens"], ["Axe 1", "A", "I1", None],
            ["Axe 1", "A", "I2", "diminution"], ["Axe 1", "A", "I3", "-"]]
    sens = _ok(load(fmt, {"Plan d'action": plan})).table("plan_action")["sens"]
    assert sens.tolist() == ["Hausse", "Baisse", "Baisse"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_value_not_allowed_lists_the_allowed_values(fmt):
    rows = [["Année", "Nom", "Période", "Places"], [2022, "ALSH Parc", "Hiver", 12]]
    found = _only(load(fmt, {"ALSH": rows}).errors, "valeur_non_autorisee")
    assert (found.sheet, found.row, found.column) == ("ALSH", 2, "Période")
    assert found.message == ("« Hiver » n'est pas une valeur autorisée ; valeurs possibles : "
                             "Mercredis, Petites vacances, Juillet, Août, Périscolaire, Année")


def test_ods_booleans_do_not_crash():
    rows = [["Nom", "Type", "Places", "Remarques"], ["Crèche", "Crèche collective", 30, True]]
    data = _ok(load("ods", {"Équipements": rows}))
    assert data.table("equipements")["remarques"].tolist() in (["Oui"], ["1"])


# --- Territoire and territories -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", WORKBOOKS)
def test_key_value_territoire_with_titles_notes_and_unknown_fields(fmt):
    rows = [["Territoire de la CTG"], [], ["Champ", "Valeur", "Aide"],
            ["Code INSEE", "59367", "5 caractères"], ["Nom du territoire", "Lys-lez-Lannoy"],
            ["Type", "commune"], ["Fin", "31/12/2023"], ["Début", dt.date(2021, 1, 1)],
            ["Référent Caf", "Mme X"], ["Note : à compléter"]]
    report = load(fmt, {"Territoire": rows})
    data = _ok(report)
    assert data.territoire["nom"] == "Lys-lez-Lannoy" and data.territoire["type"] == "Commune"
    assert (data.territoire["debut_ctg"], data.territoire["fin_ctg"]) == ("2021-01-01",
                                                                         "2023-12-31")
    assert data.territoire["Référent Caf"] == "Mme X"
    found = _only(report.warnings, "champ_inconnu")
    assert (found.sheet, found.row, found.column) == ("Territoire", 9, "Référent Caf")


def test_territoire_fields_twice_or_missing():
    rows = [["Champ", "Valeur"], ["Code INSEE", "59367"], ["Code INSEE", "59368"]]
    report = load("xlsx", {"Territoire": rows})
    twice = _only(report.errors, "champ_en_double")
    assert (twice.row, twice.column) == (3, "Code INSEE") and "ligne 2" in twice.message
    absent = _only(report.errors, "champ_obligatoire_absent")
    assert (absent.sheet, absent.column) == ("Territoire", "Nom")
    assert absent.message == "champ obligatoire absent : ajoutez une ligne « Nom » et sa valeur"


@pytest.mark.parametrize("code, valid", [("59367", True), ("2A004", True), ("200093201", True),
                                         ("ABC12", False), ("123456", False), ("5936", True)])
def test_territory_code_is_an_insee_code_or_a_siren(code, valid):
    rows = [["Champ", "Valeur"], ["Code INSEE", code], ["Nom", "X"]]
    report = load("xlsx", {"Territoire": rows})
    assert report.ok == valid, report.lines()
    if not valid:
        found = _only(report.errors, "code_invalide")
        assert (found.row, found.column, found.value) == (2, "Code INSEE", code)


def test_territoire_as_a_table_of_one_row_needs_no_code_column_elsewhere():
    territoire = [["Code INSEE", "Nom", "Début CTG", "Fin CTG"], ["59367", "Lys", 2021, 2023]]
    data = _ok(load("xlsx", {"Territoire": territoire, "ALSH": valid_sheets()["ALSH"]}))
    assert data.code == "59367" and len(data.table("alsh")) == 2


@pytest.mark.parametrize("fmt", WORKBOOKS)
def test_several_territories_in_one_workbook(fmt):
    territoire = [["Code INSEE", "Nom", "Type"], ["59367", "Lys-lez-Lannoy", "Commune"],
                  ["59512", "Roubaix", "Commune"]]
    alsh = [["Code INSEE", "Année", "Nom", "Période", "Places"],
            ["59367", 2022, "ALSH Parc", "Juillet", 120],
            ["59512", 2022, "ALSH Nord", "Juillet", 80],
            ["59512", 2022, "ALSH Nord", "Août", 60]]
    report = load(fmt, {"Territoire": territoire, "ALSH": alsh})
    assert report.ok, report.lines()
    lys, roubaix = report.datasets
    assert (lys.code, roubaix.code, roubaix.nom) == ("59367", "59512", "Roubaix")
    assert lys.table("alsh")["places"].tolist() == [120.0]
    assert roubaix.table("alsh")["places"].tolist() == [80.0, 60.0]
    assert "code_insee" not in roubaix.table("alsh").columns
    assert lys.present == roubaix.present == frozenset({"territoire", "alsh"})


def test_multi_territory_rows_must_name_a_declared_territory():
    territoire = [["Code INSEE", "Nom"], ["59367", "Lys"], ["59512", "Roubaix"]]
    alsh = [["Code INSEE", "Année", "Nom", "Période", "Places"],
            ["59367", 2022, "ALSH Parc", "Juillet", 120],
            ["59999", 2022, "ALSH Nord", "Juillet", 80],
            [None, 2022, "ALSH Sud", "Juillet", 80]]
    population = [["Année", "Population"], [2021, 100]]
    report = load("xlsx", {"Territoire": territoire, "ALSH": alsh, "Population": population})
    unknown = _only(report.errors, "territoire_inconnu")
    assert (unknown.sheet, unknown.row, unknown.column) == ("ALSH", 3, "Code INSEE")
    assert unknown.message == ("le code « 59999 » ne figure pas dans la feuille « Territoire » "
                               "(codes déclarés : 59367, 59512)")
    empty = _only(report.errors, "valeur_obligatoire")
    assert (empty.row, empty.column) == (4, "Code INSEE")
    missing = _only(report.errors, "colonne_obligatoire_absente")
    assert (missing.sheet, missing.row, missing.column) == ("Population", 1, "Code INSEE")
    assert len(report.errors) == 3 and report.datasets == []


def test_territoire_table_without_rows_is_an_error():
    report = load("xlsx", {"Territoire": [["Code INSEE", "Nom"]],
                           "ALSH": valid_sheets()["ALSH"]})
    found = _only(report.errors, "territoire_vide")
    assert found.sheet == "Territoire" and report.datasets == []


def test_duplicate_territories_are_reported():
    territoire = [["Code INSEE", "Nom"], ["59367", "Lys"], ["59367", "Lys bis"]]
    found = _only(load("xlsx", {"Territoire": territoire}).errors, "doublon")
    assert (found.row, found.column) == (3, "Code INSEE")
    assert found.message == "ligne en double : même « Code INSEE » que la ligne 2"


def test_single_territory_rows_with_another_code_are_errors():
    alsh = [["Code INSEE", "Année", "Nom", "Période", "Places"],
            [CODE, 2022, "ALSH Parc", "Juillet", 120], ["59512", 2022, "ALSH Nord", "Août", 8]]
    report = load("xlsx", {"ALSH": alsh})
    assert _only(report.errors, "territoire_inconnu").row == 3


def test_workbook_without_territoire_sheet():
    alsh = valid_sheets()["ALSH"]
    report = load_workbook(to_xlsx({"ALSH": alsh}), "alsh.xlsx")
    found = _only(report.errors, "territoire_absent")
    assert found.sheet is None and found.as_line().startswith("La feuille « Territoire » est")
    # Told which territory it is for, the same file is a partial update of that territory.
    data = _ok(load_workbook(to_xlsx({"ALSH": alsh}), "alsh.xlsx", territoire=CODE))
    assert data.code == CODE and data.present == frozenset({"alsh"})
    # Or its rows name their territory.
    coded = [["Code INSEE"] + alsh[0]] + [["59512"] + row for row in alsh[1:]]
    data = _ok(load_workbook(to_xlsx({"ALSH": coded}), "alsh.xlsx"))
    assert data.code == "59512" and len(data.table("alsh")) == 2


# --- Tabs ---------------------------------------------------------------------------------------

def test_tabs_ignored_unknown_duplicated_and_empty():
    sheets = {"Territoire": TERRITOIRE_ROWS, "Instructions": [["Lisez-moi"]],
              "Brouillon": [["x"]], "ALSH": valid_sheets()["ALSH"],
              "Accueils de loisirs": valid_sheets()["ALSH"],
              "Population": [["Année", "Population"]]}
    report = load_workbook(to_xlsx(sheets), "ctg.xlsx")
    unknown = _only(report.warnings, "feuille_inconnue")
    assert unknown.sheet == "Brouillon" and "Population" in unknown.message
    twice = _only(report.errors, "feuille_en_double")
    assert twice.sheet == "Accueils de loisirs" and "« ALSH »" in twice.message
    empty = _only(report.warnings, "feuille_vide")
    assert empty.sheet == "Population"
    assert not any("Instructions" in line for line in report.lines())


def test_empty_sheet_is_not_present():
    sheets = {"ALSH": valid_sheets()["ALSH"], "Population": [["Année", "Population"]]}
    data = _ok(load("xlsx", sheets))
    assert data.present == frozenset({"territoire", "alsh"})


def test_tab_names_match_loosely():
    sheets = {"equipements ": valid_sheets()["Équipements"], "PLAN D'ACTIONS":
              valid_sheets()["Plan d'action"]}
    data = _ok(load("xlsx", sheets))
    assert {"equipements", "plan_action"} <= data.present


# --- CSV ----------------------------------------------------------------------------------------

def test_csv_sheet_is_guessed_from_its_columns_and_said_so():
    report = load_workbook(to_csv(valid_sheets()["ALSH"]), "export.csv", territoire=CODE)
    data = _ok(report)
    assert len(data.table("alsh")) == 2
    found = _only(report.warnings, "feuille_devinee")
    assert found.message == "feuille devinée d'après les colonnes du fichier : « ALSH »"


def test_csv_guess_prefers_the_sheet_naming_most_columns():
    rows = [["Année", "Population", "Naissances"], [2021, 100, 5]]
    report = load_workbook(to_csv(rows, delimiter=","), "pop.csv", territoire=CODE)
    assert "population" in _ok(report).present


def test_csv_of_the_territoire_key_value_sheet_is_recognised():
    report = load_workbook(to_csv(TERRITOIRE_ROWS), "territoire.csv")
    assert _ok(report).code == CODE


def test_csv_with_no_recognisable_columns_is_unreadable():
    with pytest.raises(UnreadableFile) as info:
        load_workbook(to_csv([["a", "b"], [1, 2]]), "divers.csv")
    assert info.value.code == "csv_colonnes_inconnues"
    assert info.value.message.startswith("Aucune feuille du classeur CTG ne correspond")


def test_csv_named_sheet_must_exist():
    with pytest.raises(UnreadableFile) as info:
        load_workbook(to_csv(valid_sheets()["ALSH"]), "alsh.csv", sheet="Garderie")
    assert info.value.code == "feuille_demandee_inconnue"


def test_windows_1252_csv_with_comma_separator():
    rows = [["Année", "Indicateur", "Valeur", "Thème"], [2022, "Familles intéressées", "38.5",
                                                         "Parentalité"]]
    content = to_csv(rows, delimiter=",", encoding="cp1252")
    data = _ok(load_workbook(content, "besoins.csv", sheet="Besoins", territoire=CODE))
    besoins = data.table("besoins")
    assert (besoins["indicateur"][0], besoins["valeur"][0], besoins["theme"][0]) == (
        "Familles intéressées", 38.5, "Parentalité")


# --- Row and cross-sheet rules ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_message_example_of_the_brief(fmt):
    rows = [["Accueils de loisirs 2022"]] + [[] for _ in range(9)] + [
        ["Année", "Nom", "Période", "Places"], [2022, "ALSH Parc Maréchal", "Juillet", "douze"]]
    report = load(fmt, {"ALSH": rows})
    assert [p.as_line() for p in report.errors] == [
        "Feuille « ALSH », ligne 12, colonne « Places » : nombre attendu, « douze » trouvé."]


@pytest.mark.parametrize("fmt", FORMATS)
def test_required_cell_empty(fmt):
    rows = [["Année", "Nom", "Période", "Places"], [2022, None, "Juillet", 12]]
    found = _only(load(fmt, {"ALSH": rows}).errors, "valeur_obligatoire")
    assert (found.sheet, found.row, found.column) == ("ALSH", 2, "Nom")
    assert found.message == "valeur obligatoire manquante"


@pytest.mark.parametrize("fmt", FORMATS)
def test_out_of_range_values(fmt):
    rows = [["Nom", "Type", "Places", "Latitude", "Âge max"],
            ["Crèche", "Crèche collective", -3, 95, 40]]
    report = load(fmt, {"Équipements": rows})
    messages = {p.column: p.message for p in report.errors if p.code == "hors_limites"}
    assert messages == {
        "Places": "« -3 » hors limites : la valeur doit être positive ou nulle",
        "Latitude": "« 95 » hors limites : la valeur doit être comprise entre -90 et 90",
        "Âge max": "« 40 » hors limites : la valeur doit être comprise entre 0 et 30"}
    assert len(report.errors) == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicates_name_both_rows(fmt):
    rows = [["Nom", "Type", "Places", "Année"], ["Crèche A", "Crèche collective", 30, None],
            ["Crèche B", "Crèche collective", 20, None], ["crèche a ", "Crèche collective", 30,
                                                          None],
            ["Crèche B", "Crèche collective", 25, 2023]]
    found = _only(load(fmt, {"Équipements": rows}).errors, "doublon")
    assert (found.sheet, found.row, found.column) == ("Équipements", 4, "Nom")
    assert found.message == "ligne en double : mêmes « Nom » et « Année » que la ligne 2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_places_required_for_structures_with_a_capacity(fmt):
    rows = [["Nom", "Type", "Places"], ["Micro", "Micro-crèche", None], ["Relais", "RPE", None],
            ["Centre", "Centre social", None], ["MAM Les Lutins", "MAM", "NC"]]
    report = load(fmt, {"Équipements": rows})
    found = [p for p in report.errors if p.code == "places_obligatoires"]
    assert [(p.row, p.column) for p in found] == [(2, "Places"), (5, "Places")]
    assert found[0].message == ("nombre de places obligatoire pour une structure de type "
                                "« Micro-crèche »")
    assert len(report.errors) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_opening_after_closing(fmt):
    rows = [["Nom", "Type", "Places", "Ouverture", "Fermeture"],
            ["A", "Crèche collective", 10, 2015, 2012],
            ["B", "Crèche collective", 10, "01/09/2015", 2015],
            ["C", "Crèche collective", 10, "01/09/2015", "31/08/2015"]]
    report = load(fmt, {"Équipements": rows})
    found = [p for p in report.errors if p.code == "ouverture_apres_fermeture"]
    assert [(p.row, p.column) for p in found] == [(2, "Ouverture"), (4, "Ouverture")]
    assert found[1].message == "ouverture (01/09/2015) postérieure à la fermeture (31/08/2015)"


@pytest.mark.parametrize("fmt", FORMATS)
def test_minimal_age_above_maximal_age(fmt):
    rows = [["Année", "Nom", "Période", "Places", "Âge min", "Âge max"],
            [2022, "ALSH Parc", "Juillet", 10, 12, 3], [2022, "ALSH Parc", "Août", 10, 3, 3]]
    found = _only(load(fmt, {"ALSH": rows}).errors, "age_min_superieur")
    assert (found.sheet, found.row, found.column) == ("ALSH", 2, "Âge min")
    assert found.message == "âge minimal (12) supérieur à l'âge maximal (3)"


def test_alsh_unknown_in_equipements_is_a_warning_once_per_name():
    sheets = valid_sheets()
    sheets["ALSH"] += [[2022, "ALSH Inconnu", "Juillet", 10], [2022, "alsh inconnu", "Août", 10]]
    report = load("xlsx", sheets)
    _ok(report)
    found = _only(report.warnings, "alsh_absent_des_equipements")
    assert (found.sheet, found.row, found.column) == ("ALSH", 4, "Nom")
    assert found.message == ("l'accueil de loisirs « ALSH Inconnu » ne figure pas dans la "
                             "feuille « Équipements »")


def test_plan_indicator_without_axis_is_an_error():
    sheets = valid_sheets()
    sheets["Plan d'action"][2][0] = None
    found = _only(load("xlsx", sheets).errors, "valeur_obligatoire")
    assert (found.sheet, found.row, found.column) == ("Plan d'action", 3, "Axe")


def test_plan_year_column_outside_the_ctg_period():
    sheets = valid_sheets()
    plan = sheets["Plan d'action"]
    plan[0] += [2019, 2024]
    plan[1] += [1, None]
    plan[2] += [None, None]
    report = load("xlsx", sheets)
    found = _only(report.errors, "annee_hors_ctg")
    # The CTG runs 2021-2023; the empty 2024 column holds nothing and is let through.
    assert (found.sheet, found.row, found.column) == ("Plan d'action", 1, "2019")
    assert found.message == "colonne d'année 2019 hors de la période de la CTG (2021-2023)"
    assert len(report.errors) == 1


def test_fiches_and_plan_numbers_match_or_warn():
    sheets = valid_sheets()
    sheets["Fiches actions"].append(["3", "Action oubliée", None])
    sheets["Plan d'action"].append(["Axe 3 : Pilotage", "Comités", "Comités tenus", "4", 2, 1, 2])
    report = load("xlsx", sheets)
    _ok(report)
    unused = _only(report.warnings, "fiche_non_utilisee")
    assert (unused.sheet, unused.row, unused.column, unused.value) == ("Fiches actions", 4,
                                                                       "N° action", "3")
    orphan = _only(report.warnings, "action_sans_fiche")
    assert (orphan.sheet, orphan.row, orphan.value) == ("Plan d'action", 4, "4")
    assert orphan.message == ("l'action n° 4 n'a pas de fiche dans la feuille "
                              "« Fiches actions »")


# --- Acceptance: all problems at once -----------------------------------------------------------

@pytest.mark.parametrize("fmt", WORKBOOKS)
def test_five_errors_on_four_sheets_are_all_reported(fmt):
    sheets = valid_sheets()
    sheets["Population"][1][0] = "deux mille"          # annee_attendue, Population row 2
    sheets["Équipements"][1][1] = "Garderie"           # valeur_non_autorisee, row 2
    sheets["Équipements"][0].append("Latitude")
    sheets["Équipements"][3].append(95)                # hors_limites, row 4
    sheets["ALSH"][2][3] = "douze"                     # nombre_attendu, ALSH row 3
    sheets["Comités"] = [["Date", "Instance"], ["bientôt", "copil"]]  # date_attendue, row 2
    report = load(fmt, sheets)
    assert len(report.errors) == 5, report.lines()
    assert report.datasets == []
    located = sorted((p.sheet, p.row, p.column, p.code) for p in report.errors)
    assert located == [
        ("ALSH", 3, "Places", "nombre_attendu"),
        ("Comités", 2, "Date", "date_attendue"),
        ("Population", 2, "Année", "annee_attendue"),
        ("Équipements", 2, "Type", "valeur_non_autorisee"),
        ("Équipements", 4, "Latitude", "hors_limites"),
    ]
    assert len({p.code for p in report.errors}) == 5
    assert len({p.sheet for p in report.errors}) == 4


def test_the_valid_workbook_is_valid_in_every_workbook_format():
    for fmt in WORKBOOKS:
        report = load(fmt, valid_sheets())
        assert report.ok and report.warnings == [], report.lines()


# --- parse_value and check_data, as in-app edits use them ---------------------------------------

def test_parse_value_returns_the_value_and_at_most_one_problem():
    places = ALSH.column("places")
    assert parse_value(places, "1 234", sheet="ALSH", row=4) == (1234.0, None)
    assert parse_value(places, "NC", sheet="ALSH", row=4) == (None, None)
    value, found = parse_value(places, "douze", sheet="ALSH", row=4)
    assert value is None and found.as_line() == ("Feuille « ALSH », ligne 4, colonne « Places » : "
                                                 "nombre attendu, « douze » trouvé.")
    value, found = parse_value(places, -2, sheet="ALSH", row=4)
    assert value == -2.0 and found.code == "hors_limites"
    sens = schemas.PLAN_ACTION.column("sens")
    assert parse_value(sens, None, sheet="Plan d'action", row=2) == ("Hausse", None)
    code, found = parse_value(TERRITOIRE.column("code_insee"), 1065, sheet="Territoire", row=2)
    assert code == "01065" and found.code == "code_complete" and not found.is_error
    assert parse_value(ALSH.column("nom"), "  ALSH  ", sheet="ALSH", row=2) == ("ALSH", None)
    assert parse_value(ALSH.column("nom"), "-", sheet="ALSH", row=2) == (None, None)


def _data(**tables) -> CtgData:
    territoire = {"code_insee": CODE, "nom": "Lys-lez-Lannoy", "debut_ctg": "2021",
                  "fin_ctg": "2023"}
    return CtgData(territoire, {k: pd.DataFrame(v) for k, v in tables.items()},
                   frozenset(tables))


def test_check_data_counts_rows_as_in_an_exported_workbook():
    data = _data(equipements={"nom": ["Crèche", "Micro"], "type": ["Crèche collective",
                                                                  "Micro-crèche"],
                              "places": [-1.0, None]},
                 population={"annee": [2021, 2021], "taux_chomage": [10.0, 120.0]})
    problems = check_data(data)
    found = sorted((p.sheet, p.row, p.column, p.code) for p in problems)
    assert found == [
        ("Population", 3, "Année", "doublon"),
        ("Population", 3, "Taux de chômage (%)", "hors_limites"),
        ("Équipements", 2, "Places", "hors_limites"),
        ("Équipements", 3, "Places", "places_obligatoires"),
    ]
    [duplicate] = [p for p in problems if p.code == "doublon"]
    assert duplicate.message == "ligne en double : même « Année » que la ligne 2"


def test_check_data_checks_values_an_editor_could_store():
    data = _data(alsh={"annee": [2022], "nom": ["ALSH"], "periode": ["Hiver"],
                       "places": [12.5]})
    found = {p.code: p for p in check_data(data)}
    assert set(found) == {"valeur_non_autorisee", "entier_attendu"}
    assert (found["entier_attendu"].row, found["entier_attendu"].column) == (2, "Places")


def test_check_data_on_the_territoire_fields():
    data = CtgData({"code_insee": "ABC", "nom": None, "type": "Région"}, {})
    found = sorted((p.row, p.column, p.code) for p in check_data(data))
    # Fields are counted as the app writes them: Champ / Valeur header, then one per row.
    assert found == [(2, "Code INSEE", "code_invalide"), (3, "Nom", "valeur_obligatoire"),
                     (4, "Type", "valeur_non_autorisee")]


def test_check_data_of_valid_data_finds_nothing():
    data = _ok(load("xlsx", valid_sheets()))
    assert check_data(data) == []
    assert [p.code for p in check_data(data) if p.is_error] == []
    assert EQUIPEMENTS.key in data.present
