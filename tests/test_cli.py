"""The command line, run as users and scripts run it: `python -m ctg_data …` in a subprocess on a
temporary SQLite database. Exit codes 0/1/2, French messages, never a traceback."""

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"

INDICATOR_KEYS = {"territoire", "annee", "enfants_moins_3_ans", "places", "taux_couverture",
                  "places_manquantes", "alertes", "plan"}
PLACES_KEYS = {"eaje_psu", "eaje_hors_psu", "am", "gad", "prescolarisation", "total",
               "hors_territoire", "hors_taux_autre"}
RATE_KEYS = {"global", "eaje", "individuel", "prescolarisation"}
PLAN_KEYS = {"axe", "action", "indicateur", "derniere_valeur", "atteinte_pct", "niveau"}


@pytest.fixture
def cli(db_url):
    """Run `python -m ctg_data ARGS` on the test database; check no traceback is ever shown."""
    env = dict(os.environ, CTG_DATABASE_URL=db_url, PYTHONWARNINGS="ignore")

    def run(*args, timeout=120):
        done = subprocess.run([sys.executable, "-m", "ctg_data", *map(str, args)], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=timeout)
        assert "Traceback" not in done.stderr, done.stderr
        assert "Traceback" not in done.stdout, done.stdout
        return done
    return run


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx with one sheet per entry (rows as given)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def territory_only(path: Path, code: str, nom: str) -> Path:
    return workbook(path, {"Territoire": [["Champ", "Valeur"], ["Code INSEE", code],
                                          ["Nom", nom], ["Type", "Commune"]]})


def created_ids(stdout: str) -> list[int]:
    return [int(m) for m in re.findall(r"^Version créée : (\d+)$", stdout, re.M)]


def test_help_is_in_french(cli):
    done = cli("--help")
    assert done.returncode == 0
    assert "utilisation" in done.stdout and "commandes" in done.stdout
    for command in ("validate", "import", "template", "export", "indicators", "versions",
                    "restore", "opendata", "demo", "bilan"):
        assert command in done.stdout
    bad = cli("indicators", "--annee", "deux-mille")
    assert bad.returncode == 2 and "année attendue" in bad.stderr
    unknown = cli("versions", "--db", "pas-une-url")
    assert unknown.returncode == 2 and "Base de données inaccessible" in unknown.stderr


def test_validate_sample_is_valid(cli):
    done = cli("validate", SAMPLE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "classeur valide" in done.stdout
    assert "Lys-lez-Lannoy" in done.stdout


def test_validate_and_import_workbook_with_errors_exit_1_and_store_nothing(cli, tmp_path):
    path = workbook(tmp_path / "erreurs.xlsx", {
        "Territoire": [["Champ", "Valeur"], ["Code INSEE", "59367"], ["Nom", "Lys-lez-Lannoy"]],
        "Population": [["Année", "Population"], [2021, "treize mille"]],
        "Équipements": [["Nom", "Type", "Places"],
                        ["La Pépinière", "Multi-accueil", "beaucoup"],
                        ["Ma Cachette", "Garderie", 10]],
    })
    done = cli("validate", path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("Feuille « ")]
    assert len(lines) == 3, done.stdout
    assert any("Population" in line and "ligne 2" in line and "treize mille" in line
               for line in lines)
    assert any("Équipements" in line and "ligne 2" in line and "beaucoup" in line
               for line in lines)
    assert any("Équipements" in line and "ligne 3" in line and "Garderie" in line
               for line in lines)
    imported = cli("import", path)
    assert imported.returncode == 1
    assert created_ids(imported.stdout) == []
    assert "Aucune version" in cli("versions").stdout


def test_unreadable_files_exit_2(cli, tmp_path):
    png = tmp_path / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    empty = tmp_path / "vide.xlsx"
    empty.write_bytes(b"")
    for path in (png, empty):
        for command in ("validate", "import"):
            done = cli(command, path)
            assert done.returncode == 2, (command, path, done.stdout, done.stderr)
            assert path.name in done.stdout + done.stderr
    assert "vide" in cli("validate", empty).stdout
    missing = cli("validate", tmp_path / "absent.xlsx")
    assert missing.returncode == 2 and "introuvable" in missing.stdout
    # One good and one unreadable file: the worst code wins.
    assert cli("validate", SAMPLE, png).returncode == 2


def test_zip_bomb_refused_quickly_without_memory(tmp_path):
    # A 1 MB .xlsx whose sheet inflates to 1 GB: refused from the zip directory, not parsed.
    bomb = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1 << 24)
            for _ in range(64):
                member.write(chunk)
    assert bomb.stat().st_size < 10 * 1024 * 1024
    # Measured in a child process so that its peak memory is its own.
    probe = ("import resource, subprocess, sys, time\n"
             "start = time.monotonic()\n"
             "done = subprocess.run([sys.executable, '-m', 'ctg_data', 'validate', sys.argv[1]],"
             " capture_output=True, text=True)\n"
             "print(done.returncode, time.monotonic() - start,"
             " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
             "print(done.stdout + done.stderr)\n")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, "-c", probe, str(bomb)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120).stdout
    first, message = out.split("\n", 1)
    code, seconds, peak_kb = first.split()
    assert int(code) == 2, message
    assert "bombe.xlsx" in message and "Traceback" not in message
    assert len(message.strip().splitlines()) == 1
    assert float(seconds) < 10
    assert int(peak_kb) < 500 * 1024


def test_import_duplicate_versions_restore_export_template(cli, tmp_path):
    first = cli("import", SAMPLE)
    assert first.returncode == 0, first.stdout + first.stderr
    (version,) = created_ids(first.stdout)

    again = cli("import", SAMPLE)
    assert again.returncode == 0
    assert created_ids(again.stdout) == []
    assert "déjà été importé" in again.stdout

    listing = cli("versions")
    assert listing.returncode == 0
    assert re.search(rf"^\s*{version}\s.*59367 Lys-lez-Lannoy.*\(actuelle\)$", listing.stdout,
                     re.M), listing.stdout

    restored = cli("restore", version)
    assert restored.returncode == 0, restored.stderr
    (new,) = created_ids(restored.stdout)
    assert new > version
    listing = cli("versions").stdout.splitlines()
    assert len(listing) == 2 and listing[0].strip().startswith(str(new))
    unknown = cli("restore", 9999)
    assert unknown.returncode == 1 and "9999" in unknown.stderr

    out = tmp_path / "export" / "ctg.xlsx"
    done = cli("export", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:2] == b"PK"
    cells = [c for row in openpyxl.load_workbook(out)["Territoire"].iter_rows(values_only=True)
             for c in row]
    assert "59367" in cells and "Lys-lez-Lannoy" in cells
    assert cli("validate", out).returncode == 0

    template = tmp_path / "modele.xlsx"
    done = cli("template", "--out", template)
    assert done.returncode == 0
    names = openpyxl.load_workbook(template).sheetnames
    assert "Instructions" in names and "Territoire" in names and "Population" in names


def test_indicators_json_for_the_sample(cli):
    assert cli("indicators").returncode == 1          # empty database: says so
    assert cli("import", SAMPLE).returncode == 0

    # The default year is the latest Population year with figures (read here from the file).
    ws = openpyxl.load_workbook(SAMPLE, data_only=True)["Population"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "Année" in r)
    year_col, pop_col = rows[head].index("Année"), rows[head].index("Population")
    latest = max(int(r[year_col]) for r in rows[head + 1:]
                 if r and r[year_col] is not None and isinstance(r[pop_col], (int, float)))

    done = cli("indicators", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == INDICATOR_KEYS
    assert result["annee"] == latest
    assert result["territoire"] == {"code": "59367", "nom": "Lys-lez-Lannoy"}
    assert set(result["places"]) == PLACES_KEYS
    assert set(result["taux_couverture"]) == RATE_KEYS
    assert result["places_manquantes"] is None                  # no --cible
    assert isinstance(result["alertes"], list)
    assert all(isinstance(a, str) for a in result["alertes"])
    assert result["plan"] and all(set(item) == PLAN_KEYS for item in result["plan"])
    rate = result["taux_couverture"]["global"]
    places = result["places"]
    # The global rate is the places of the Cnaf components per 100 children under 3.
    components = sum(places[k] or 0 for k in ("eaje_psu", "eaje_hors_psu", "am", "gad",
                                               "prescolarisation"))
    assert rate == pytest.approx(100 * components / result["enfants_moins_3_ans"])

    target = cli("indicators", "--annee", 2022, "--cible", "70", "--territoire", "59367")
    assert target.returncode == 0, target.stderr
    result = json.loads(target.stdout)
    assert result["annee"] == 2022
    assert isinstance(result["places_manquantes"], int) and result["places_manquantes"] >= 0


def test_several_territories_need_territoire(cli, tmp_path):
    assert cli("import", SAMPLE).returncode == 0
    other = territory_only(tmp_path / "lille.xlsx", "59350", "Lille")
    assert cli("import", other).returncode == 0
    done = cli("indicators")
    assert done.returncode == 1
    assert re.search(r"Plusieurs territoires dans la base \(.*59350.*59367.*\) : "
                     r"précisez --territoire CODE\.", done.stderr), done.stderr
    assert cli("indicators", "--territoire", "59367").returncode == 0
    absent = cli("indicators", "--territoire", "75056")
    assert absent.returncode == 1 and "75056" in absent.stderr
    # Export without --territoire writes every territory.
    out = tmp_path / "tous.xlsx"
    assert cli("export", "--out", out).returncode == 0
    assert cli("validate", out).returncode == 0


def test_opendata_caf_and_insee(cli, tmp_path):
    caf = tmp_path / "txcouv_pe_dep.csv"
    caf.write_bytes(b"\xef\xbb\xbf" + (
        "numdep;nomdep;numregi;nomregi;annee;txcouv_psu_col_dep;txcouv_hors_psu_col_dep;"
        "txcouv_eaje_dep;txcouv_prescol_dep;txcouv_am_ind_dep;txcouv_gad_ind_dep;"
        "txcouv_ind_dep;txcouv_dep\n"
        "59;Nord;32;Hauts-de-France;2023;15,5;4,9;20,4;3,1;30,2;0,6;30,8;54,3\n"
        "XXX;;;;2023;;;;;;;;\n").encode())
    done = cli("opendata", caf)
    assert done.returncode == 0, done.stderr
    assert "8 valeurs" in done.stdout

    iris = tmp_path / "base-ic-evol-struct-pop-2021.csv"
    iris.write_bytes(b"\xef\xbb\xbf" + (
        "IRIS;COM;TYP_IRIS;P21_POP;P21_POP0002;P21_POP0305;P21_POP0610;P21_POP1117\n"
        "593670101;59367;H;7000,4;250,2;270;460;640\n"
        "593670102;59367;H;6792,6;239,4;261;465;641\n").encode())
    assert cli("opendata", iris).returncode == 1                 # no territory yet
    assert cli("import", SAMPLE).returncode == 0
    done = cli("opendata", iris)
    assert done.returncode == 0, done.stderr
    assert len(created_ids(done.stdout)) == 1
    assert "Enfants 0-2 ans : 490" in done.stdout                # 250,2 + 239,4 = 489,6
    assert "opendata" in cli("versions").stdout.splitlines()[0]

    unknown = tmp_path / "autre.csv"
    unknown.write_text("Nom;Ville\nDupont;Lille\n", encoding="utf-8")
    done = cli("opendata", unknown)
    assert done.returncode == 2 and "autre.csv" in done.stderr


def test_demo_imports_the_example_only_into_an_empty_database(cli):
    done = cli("demo")
    assert done.returncode == 0, done.stderr
    assert "exemple importé" in done.stdout
    assert len(cli("versions").stdout.splitlines()) == 1
    again = cli("demo")
    assert again.returncode == 0 and "déjà" in again.stdout
    assert len(cli("versions").stdout.splitlines()) == 1


def test_bilan_xlsx(cli, tmp_path):
    assert cli("import", SAMPLE).returncode == 0
    out = tmp_path / "bilan.xlsx"
    done = cli("bilan", "--annee", 2023, "--format", "xlsx", "--out", out, timeout=240)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:2] == b"PK"
    assert openpyxl.load_workbook(out).sheetnames
