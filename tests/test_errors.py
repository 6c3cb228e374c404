"""The error catalogue: every entry renders, messages read as French sentences with their
location, the problems table is what people see."""

import datetime as dt
import string
from pathlib import Path

import pandas as pd
import pytest

from ctg_data.errors import (AVERTISSEMENT, CATALOGUE, ERREUR, Problem, UnreadableFile,
                             format_number, format_value, problem, problems_table)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_catalogue_entry_renders(code):
    kind = CATALOGUE[code]
    assert kind.code == code and kind.title and kind.severity in (ERREUR, AVERTISSEMENT)
    params = {name: "X" for name in _placeholders(kind.template)
              - {"value", "sheet", "row", "column"}}
    found = problem(code, sheet="ALSH", row=3, column="Places", value="v", **params)
    assert found.severity == kind.severity and found.code == code
    assert "{" not in found.message and "None" not in found.message
    # French typography: guillemets, never straight double quotes.
    assert '"' not in kind.template


def test_message_example_of_the_brief():
    found = problem("nombre_attendu", sheet="ALSH", row=12, column="Places", value="douze")
    assert found.as_line() == ("Feuille « ALSH », ligne 12, colonne « Places » : nombre attendu, "
                               "« douze » trouvé.")
    assert (found.sheet, found.row, found.column, found.value) == ("ALSH", 12, "Places", "douze")
    assert found.severity == "erreur" and found.is_error


def test_line_without_location_starts_with_a_capital():
    found = problem("territoire_absent")
    assert found.as_line().startswith("La feuille « Territoire » est absente")
    assert found.as_line().endswith(".")
    only_sheet = problem("feuille_vide", sheet="ALSH")
    assert only_sheet.as_line().startswith("Feuille « ALSH » : feuille vide")
    assert not only_sheet.is_error


def test_values_are_shown_the_french_way():
    assert format_value(1234.5) == "1\u202f234,5"
    assert format_value(12.0) == "12"
    assert format_value(dt.date(2022, 3, 4)) == "04/03/2022"
    assert format_value(dt.datetime(2022, 3, 4)) == "04/03/2022"
    assert format_value(True) == "VRAI"
    assert format_value(None) == "" and format_value(float("nan")) == ""
    assert format_value("x" * 100).endswith("…") and len(format_value("x" * 100)) == 78
    assert format_number(1234567.891, 1) == "1\u202f234\u202f567,9"
    assert format_number(0.1 + 0.2) == "0,3"
    found = problem("hors_limites", sheet="Population", row=4, column="Taux de chômage (%)",
                    value=150.5, expected="comprise entre 0 et 100")
    assert found.message == "« 150,5 » hors limites : la valeur doit être comprise entre 0 et 100"


def test_unknown_parameters_read_as_an_ellipsis_not_none():
    found = problem("annee_hors_ctg", sheet="Plan d'action", column="2019", value="2019",
                    debut=2021, fin=None)
    assert found.message == "colonne d'année 2019 hors de la période de la CTG (2021-…)"


def test_unreadable_file_carries_one_french_sentence():
    exc = UnreadableFile.of("fichier_trop_gros", file="gros.xlsx", size="25", limit="20")
    assert exc.message == "Le fichier « gros.xlsx » fait 25 Mo : la taille maximale est de 20 Mo."
    assert exc.code == "fichier_trop_gros" and str(exc) == exc.message
    assert UnreadableFile("Autre.").code == "fichier_corrompu"


def test_problems_table_has_the_columns_people_read():
    problems = [problem("nombre_attendu", sheet="ALSH", row=12, column="Places", value="douze"),
                problem("colonne_inconnue", sheet="ALSH", row=1, column="Commentaire"),
                problem("territoire_absent")]
    table = problems_table(problems)
    assert list(table.columns) == ["Gravité", "Feuille", "Ligne", "Colonne", "Valeur", "Message"]
    assert table["Gravité"].tolist() == ["Erreur", "Avertissement", "Erreur"]
    assert table["Ligne"].dtype == "Int64" and table["Ligne"].tolist()[:2] == [12, 1]
    assert table["Ligne"].isna().tolist() == [False, False, True]
    assert table["Valeur"].tolist() == ["douze", None, None]
    assert table["Message"][0] == "nombre attendu, « douze » trouvé"
    assert problems_table([]).empty


def test_problem_is_plain_data():
    a = Problem("nombre_attendu", "nombre attendu", "ALSH", 3, "Places", "x")
    b = Problem("nombre_attendu", "nombre attendu", "ALSH", 3, "Places", "x")
    assert a == b and hash(a) == hash(b)
    assert isinstance(problems_table([a]), pd.DataFrame)


# Entries no test can produce from a file built in code, and why.
NOT_PRODUCED_HERE = {
    "mot_de_passe": "an encrypted workbook needs an encryption library the project lacks",
    "decision_sans_comite": "raised by in-app edits (ctg_data.editing), tested there",
    "base_erreur_disque": "a disk I/O error (SQLITE_IOERR) cannot be caused from a test",
    # A browser that starts then dies or hangs, or fails on one figure: the process's one
    # kaleido server cannot be broken from a test without breaking it for the other tests.
    "chromium_ne_demarre_pas": "the kaleido browser dying after its start cannot be caused",
    "chromium_ne_repond_pas": "a browser hanging past the render timeout cannot be caused",
    "image_impossible": "a figure the running browser fails to render cannot be built",
}


def test_every_catalogue_entry_is_produced_by_a_test():
    """Each error type is asserted by name in a test that builds the offending file."""
    folder = Path(__file__).parent
    text = "".join((folder / name).read_text() for name in (
        "test_reading.py", "test_validation.py", "test_workbook.py",
        "test_database_health.py", "test_concurrency.py", "test_hostile_inputs.py",
        "test_plausibility.py", "test_coverage_alerts.py", "test_error_codes.py",
        "test_accounts.py", "test_rights.py"))
    untested = [code for code in CATALOGUE
                if f'"{code}"' not in text and code not in NOT_PRODUCED_HERE]
    assert untested == []
