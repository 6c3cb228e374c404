"""The typed errors of open data, chart images and the command line (issue 12 §4), each caused
for real — a bad file, a command with bad arguments on a real temporary SQLite database, an
image with the browser path set to nothing — and identified by its catalogue code; its message
is the catalogue template filled."""

import io
import re
import string
import sys

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from ctg_data import exports
from ctg_data.cli import EXIT_INVALID, EXIT_UNREADABLE, CliError, build_parser, main
from ctg_data.errors import CATALOGUE, UnreadableFile
from ctg_data.model import CtgData
from ctg_data.opendata import OpendataError, detect, import_opendata, read_caf, read_insee
from ctg_data.storage import Store

CAF_HEADER = "numdep;nomdep;annee;txcouv_eaje_dep;txcouv_dep\n"
IRIS = ("IRIS;COM;P21_POP;P21_POP0002\n"
        "593670101;59367;7000,4;250,2\n"
        "593670102;59367;6792,6;239,4\n").encode()


def follows_template(error, code: str) -> bool:
    """Whether `error` carries catalogue `code` and its message is that entry's template with
    its placeholders filled."""
    parts = string.Formatter().parse(CATALOGUE[code].template)
    pattern = "".join(re.escape(text) + (".*" if name is not None else "")
                      for text, name, _, _ in parts)
    return error.code == code and re.fullmatch(pattern, error.message, re.S) is not None


def territory(code="59367", nom="Lys-lez-Lannoy", population=True) -> CtgData:
    tables = {"population": pd.DataFrame({"annee": [2021], "population": [13793.0],
                                          "enfants_0_2": [490.0]})} if population else {}
    return CtgData({"code_insee": code, "nom": nom, "type": "Commune"}, tables,
                   frozenset(tables))


# --- open data -------------------------------------------------------------------------------

@pytest.mark.parametrize("content, code", [
    (b"", "fichier_vide"),
    (b"PK\x03\x04" + bytes(100), "donnees_ouvertes_classeur"),
    (b"\xd0\xcf\x11\xe0" + bytes(100), "donnees_ouvertes_classeur"),          # old .xls
    (b"a;b\x00\n1;2\n", "donnees_ouvertes_binaire"),
    (b"\x81;\x8d\n1;2\n", "donnees_ouvertes_binaire"),     # neither UTF-8 nor Windows-1252
    (b"Nom\nDupont\n", "donnees_ouvertes_une_colonne"),
    (b"Nom;Ville\nDupont;Lille\n", "donnees_ouvertes_inconnues"),
])
def test_files_that_are_not_open_data(content, code):
    with pytest.raises(UnreadableFile) as info:
        detect(content, "fichier.csv")
    assert follows_template(info.value, code) and "fichier.csv" in info.value.message


def test_a_caf_reader_given_another_file():
    with pytest.raises(UnreadableFile) as info:
        read_caf(IRIS, "pop.csv")
    assert follows_template(info.value, "caf_non_reconnu")
    with pytest.raises(UnreadableFile) as info:
        read_caf(b"annee;txcouv_com\n2023;50\n", "sans_code.csv")
    assert follows_template(info.value, "caf_sans_code") and "(commune)" in info.value.message


def test_an_insee_reader_given_another_file(tmp_path):
    with pytest.raises(UnreadableFile) as info:
        read_insee((CAF_HEADER + "59;Nord;2023;20,4;54,3\n").encode(), "caf.csv", "59367")
    assert follows_template(info.value, "insee_non_reconnu")
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableFile) as info:
        read_insee(empty, "vide.csv", "59367")          # a path: read through a memory map
    assert follows_template(info.value, "fichier_vide")


def test_a_commune_absent_from_an_insee_file():
    melodi = b"GEO;GEO_OBJECT;AGE;TIME_PERIOD;OBS_VALUE\n59367;COM;_T;2021;13793\n"
    for content in (IRIS, melodi):
        with pytest.raises(OpendataError) as info:
            read_insee(content, "f.csv", "59350")
        assert follows_template(info.value, "commune_absente_du_fichier")
        assert "59350" in info.value.message


def test_open_data_imports_refused_by_the_store(db_url):
    store = Store(db_url)
    placeholders = (CAF_HEADER + "XXX;;2023;1;1\n").encode()
    with pytest.raises(OpendataError) as info:
        import_opendata(store, placeholders, "txcouv_pe_dep.csv")
    assert follows_template(info.value, "caf_aucun_taux")
    with pytest.raises(OpendataError) as info:
        import_opendata(store, IRIS, "pop.csv")
    assert follows_template(info.value, "donnees_ouvertes_base_vide")
    store.save([territory(), territory("59350", "Lille")], kind="import")
    with pytest.raises(OpendataError) as info:
        import_opendata(store, IRIS, "pop.csv")
    assert follows_template(info.value, "donnees_ouvertes_territoire_a_preciser")
    assert "59350 Lille, 59367 Lys-lez-Lannoy" in info.value.message
    with pytest.raises(OpendataError) as info:
        import_opendata(store, IRIS, "pop.csv", code="01065")
    assert follows_template(info.value, "donnees_ouvertes_territoire_absent")
    secret = IRIS.replace(b"7000,4", b"s")      # every figure of the commune secret or blurred
    secret = secret.replace(b"250,2", b"")
    with pytest.raises(OpendataError) as info:
        import_opendata(store, secret, "pop.csv", code="59367")
    assert follows_template(info.value, "insee_aucune_valeur")
    assert "valeur secrète ou absente" in info.value.message


# --- chart images ----------------------------------------------------------------------------

def test_no_browser_is_a_typed_image_error(monkeypatch):
    monkeypatch.setenv("CTG_CHROMIUM_PATH", "/nonexistent/chromium")
    with pytest.raises(exports.ImageExportError) as info:
        exports.figure_to_image(go.Figure(go.Bar(x=["a"], y=[1])), "png")
    assert follows_template(info.value, "chromium_introuvable")
    assert str(info.value) == info.value.message == exports.image_export_message()
    assert "/nonexistent/chromium" in info.value.message


# --- the command line ------------------------------------------------------------------------

def refusal(*argv) -> CliError:
    """The CliError a command ends with (the command run as `main` runs it)."""
    args = build_parser().parse_args([str(a) for a in argv])
    with pytest.raises(CliError) as info:
        args.func(args)
    return info.value


def test_files_the_command_line_cannot_read_or_write(db_url, tmp_path, capsys):
    missing = refusal("opendata", tmp_path / "absent.csv")
    assert follows_template(missing, "fichier_introuvable")
    assert missing.exit_code == EXIT_UNREADABLE
    assert main(["opendata", str(tmp_path / "absent.csv")]) == EXIT_UNREADABLE
    assert capsys.readouterr().err.strip() == missing.message       # the same French line
    folder = refusal("opendata", tmp_path)
    assert follows_template(folder, "chemin_dossier") and folder.exit_code == EXIT_UNREADABLE
    # Exists, is not a folder, and reading it fails (an I/O error from the kernel).
    unreadable = refusal("opendata", "/proc/self/mem")
    assert follows_template(unreadable, "lecture_fichier_impossible")
    assert unreadable.exit_code == EXIT_UNREADABLE
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    written = refusal("template", "--out", blocker / "modele.xlsx")   # a file, not a folder
    assert follows_template(written, "ecriture_fichier_impossible")
    assert written.exit_code == EXIT_UNREADABLE


def test_databases_the_command_line_cannot_open(db_url, tmp_path):
    bad_url = refusal("versions", "--db", "pas-une-url")
    assert follows_template(bad_url, "base_ouverture_impossible")
    assert bad_url.exit_code == EXIT_UNREADABLE
    typo = refusal("versions", "--db", f"sqlite:///{tmp_path / 'autre.sqlite'}")
    assert follows_template(typo, "base_introuvable")        # the store's own code, kept
    assert typo.exit_code == EXIT_UNREADABLE


def test_territory_and_year_refusals(db_url):
    empty = refusal("indicators")
    assert follows_template(empty, "base_sans_territoire") and empty.exit_code == EXIT_INVALID
    store = Store(db_url)
    store.save([territory(), territory("59350", "Lille", population=False)], kind="import")
    several = refusal("indicators")
    assert follows_template(several, "territoire_a_preciser")
    absent = refusal("indicators", "--territoire", "75056")
    assert follows_template(absent, "territoire_absent_de_la_base")
    assert "territoires présents : 59350 Lille, 59367 Lys-lez-Lannoy" in absent.message
    no_year = refusal("indicators", "--territoire", "59350")
    assert follows_template(no_year, "annee_population_absente") and "Lille" in no_year.message
    assert follows_template(refusal("indicators", "--tous", "--territoire", "59367"),
                            "tous_avec_territoire")
    assert follows_template(refusal("indicators", "--format", "csv"), "format_sans_tous")
    assert follows_template(refusal("indicators", "--tous", "--annee", 2021, "--format",
                                    "xlsx"), "xlsx_sans_fichier")
    assert follows_template(refusal("restore", 9999), "version_introuvable")


def test_a_database_without_population_year(db_url):
    Store(db_url).save([territory("59350", "Lille", population=False)], kind="import")
    refused = refusal("indicators", "--tous")
    assert follows_template(refused, "annee_population_absente")
    assert "dans la base" in refused.message


def test_open_data_refusal_keeps_its_code_on_the_command_line(db_url, tmp_path):
    path = tmp_path / "txcouv_pe_dep.csv"
    path.write_text(CAF_HEADER + "XXX;;2023;1;1\n", encoding="utf-8")
    refused = refusal("opendata", path)
    assert follows_template(refused, "caf_aucun_taux") and refused.exit_code == EXIT_INVALID


def test_example_workbook_refusals(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CTG_EXAMPLE_WORKBOOK", str(tmp_path / "absent.xlsx"))
    missing = refusal("demo")
    assert follows_template(missing, "exemple_introuvable")
    assert missing.exit_code == EXIT_UNREADABLE
    book = openpyxl.Workbook()
    book.active.title = "Territoire"
    for row in (["Champ", "Valeur"], ["Code INSEE", "59367"], ["Nom", "Lys-lez-Lannoy"]):
        book.active.append(row)
    population = book.create_sheet("Population")
    population.append(["Année", "Population"])
    population.append([2021, "treize mille"])
    book.save(tmp_path / "exemple.xlsx")
    monkeypatch.setenv("CTG_EXAMPLE_WORKBOOK", str(tmp_path / "exemple.xlsx"))
    invalid = refusal("demo")
    assert follows_template(invalid, "exemple_non_importe") and invalid.exit_code == EXIT_INVALID


def test_account_refusals(db_url, monkeypatch):
    typed = iter(["un mot de passe solide", "un autre mot de passe"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))   # typed twice
    differ = refusal("comptes", "ajouter", "chef@mairie.fr", "--role", "lecteur")
    assert follows_template(differ, "mots_de_passe_differents")
    # The accounts' own refusals keep their catalogue code on the command line.
    unknown = refusal("comptes", "desactiver", "personne")
    assert follows_template(unknown, "compte_introuvable") and "personne" in unknown.message
    assert unknown.exit_code == EXIT_INVALID
    login = refusal("comptes", "ajouter", "a b", "--role", "lecteur", "--sans-mot-de-passe")
    assert follows_template(login, "identifiant_invalide")
    monkeypatch.setattr(sys, "stdin", io.StringIO("court\n"))
    assert main(["comptes", "ajouter", "x", "--role", "lecteur", "--mot-de-passe-stdin"]) \
        == EXIT_INVALID


def test_option_values_are_worded_as_the_catalogue_words_cells(capsys):
    """A refused option value reads as the same refusal in a workbook cell (one wording)."""
    for argv, code, value in ((["indicators", "--annee", "20x3"], "annee_attendue", "20x3"),
                              (["indicators", "--cible", "douze"], "nombre_attendu", "douze"),
                              (["indicators", "--cible=-5"], "nombre_positif_attendu", "-5")):
        assert main(argv) == EXIT_UNREADABLE
        err = capsys.readouterr().err
        assert CATALOGUE[code].template.format(value=value) in err, code
