"""load_workbook: the report of one file, the sample workbook, and the acceptance of the safety
limits (a renamed PNG, an empty file and a 1 GB zip bomb refused fast and in little memory)."""

import hashlib
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from ctg_data.errors import UnreadableFile
from ctg_data.workbook import Report, load_workbook
from workbook_factory import CODE, to_csv, to_ods, to_xlsx, valid_sheets, zip_bomb

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"


def test_report_of_a_valid_workbook():
    content = to_xlsx(valid_sheets())
    report = load_workbook(content, "ctg 2022.xlsx")
    assert isinstance(report, Report) and report.ok
    assert report.file_name == "ctg 2022.xlsx"
    assert report.content_hash == hashlib.sha256(content).hexdigest()
    assert report.errors == report.warnings == report.lines() == []
    [data] = report.datasets
    assert (data.code, data.nom) == (CODE, "Lys-lez-Lannoy")
    assert data.present == frozenset({"territoire", "population", "equipements", "alsh",
                                      "plan_action", "fiches_actions"})
    assert data.ctg_years() == (2021, 2023)
    assert data.table("equipements")["places"].tolist()[0] == 44.0
    assert data.table("comites").empty


def test_report_with_errors_has_no_dataset_and_lists_errors_first():
    sheets = valid_sheets()
    sheets["ALSH"][1][3] = "beaucoup"
    sheets["Population"][0].append("Remarque")
    report = load_workbook(to_xlsx(sheets), "faux.xlsx")
    assert not report.ok and report.datasets == []
    assert [p.code for p in report.problems] == ["nombre_attendu", "colonne_inconnue"]
    assert report.lines()[0] == ("Feuille « ALSH », ligne 2, colonne « Places » : nombre "
                                 "attendu, « beaucoup » trouvé.")
    table = report.table()
    assert table["Gravité"].tolist() == ["Erreur", "Avertissement"]
    assert table["Ligne"].tolist() == [2, 1]


def test_warnings_do_not_block():
    sheets = valid_sheets()
    sheets["Population"][0].append("Remarque")
    report = load_workbook(to_ods(sheets), "ctg.ods")
    assert report.ok and len(report.datasets) == 1 and len(report.warnings) == 1


def test_same_bytes_same_hash_whatever_the_name():
    content = to_csv(valid_sheets()["ALSH"])
    a = load_workbook(content, "a.csv", territoire=CODE)
    b = load_workbook(content, "b.csv", territoire=CODE)
    assert a.content_hash == b.content_hash and a.file_name != b.file_name


def test_xlsm_is_read_like_xlsx():
    report = load_workbook(to_xlsx(valid_sheets()), "macros.xlsm")
    assert report.ok and report.datasets[0].code == CODE


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample workbook not generated yet")
def test_sample_workbook_loads_without_error():
    report = load_workbook(SAMPLE.read_bytes(), SAMPLE.name)
    assert report.errors == [], report.lines()
    [data] = report.datasets
    assert (data.code, data.nom) == ("59367", "Lys-lez-Lannoy")
    assert {"territoire", "population", "equipements", "alsh", "plan_action"} <= data.present


def test_corrupt_and_foreign_files_raise_unreadable_file():
    content = to_xlsx(valid_sheets())
    for bad, code in [(content[: len(content) // 3], "fichier_corrompu"),
                      (b"\x89PNG\r\n\x1a\n" + bytes(2000), "format_inconnu"),
                      (b"", "fichier_vide")]:
        with pytest.raises(UnreadableFile) as info:
            load_workbook(bad, "classeur.xlsx")
        assert info.value.code == code


# --- Acceptance: refusals are fast and cheap ---------------------------------------------------

_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    from ctg_data.errors import UnreadableFile
    from ctg_data.workbook import load_workbook
    outcome = {}
    for path in sys.argv[2:]:
        content = open(path, "rb").read()
        start = time.monotonic()
        try:
            load_workbook(content, path.rsplit("/", 1)[-1])
            outcome[path] = {"refused": False}
        except UnreadableFile as exc:
            outcome[path] = {"refused": True, "code": exc.code, "message": exc.message,
                             "seconds": time.monotonic() - start}
    usage = resource.getrusage
    outcome["peak_mb"] = max(usage(resource.RUSAGE_SELF).ru_maxrss,
                             usage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(json.dumps(outcome))
""")


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    """A renamed PNG, an empty file, and a zip that inflates to 1 GB named .xlsx."""
    folder = tmp_path_factory.mktemp("hostile")
    png = folder / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64)
    empty = folder / "vide.xlsx"
    empty.write_bytes(b"")
    bomb = folder / "bombe.xlsx"
    zip_bomb(bomb, megabytes=1024)
    return {"png": png, "empty": empty, "bomb": bomb}


def test_hostile_files_are_refused_within_10_s_and_500_mb(hostile_files):
    bomb = hostile_files["bomb"]
    # A real bomb: about 1 MB on disk, a member that truly inflates to zeros, 1 GB declared.
    assert bomb.stat().st_size < 2 * (1 << 20)
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1 << 30
        with archive.open("xl/worksheets/sheet1.xml") as member:
            assert member.read(1 << 20) == bytes(1 << 20)
    paths = [str(hostile_files[k]) for k in ("png", "empty", "bomb")]
    run = subprocess.run([sys.executable, "-c", _MEASURE, str(REPO), *paths],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    png, empty, bomb_outcome = (outcome[p] for p in paths)
    assert png["refused"] and png["code"] == "format_inconnu"
    assert png["message"] == ("Ce fichier n'est pas un classeur (.xlsx, .xlsm, .xls, .ods) ni un "
                              "fichier .csv : « photo.xlsx » ne peut pas être lu.")
    assert empty["refused"] and empty["message"] == "Le fichier « vide.xlsx » est vide."
    assert bomb_outcome["refused"] and bomb_outcome["code"] == "decompression_trop_grande"
    assert bomb_outcome["message"] == (
        "Le classeur « bombe.xlsx » occupe 1\u202f024 Mo une fois décompressé : la limite est "
        "de 200 Mo (fichier refusé par sécurité).")
    assert all(outcome[p]["seconds"] < 10 for p in paths)
    assert outcome["peak_mb"] < 500
