"""Reading files: real format from the bytes, safety limits before parsing, CSV dialects,
and the cell parsers (French numbers, missing markers, dates, years, codes)."""

import datetime as dt
import io
import zipfile

import pytest

from ctg_data import reading
from ctg_data.errors import UnreadableFile
from ctg_data.reading import Limits
from workbook_factory import to_csv, to_ods, to_xlsx

LIMITS = Limits(max_file_mb=20, max_uncompressed_mb=200, max_rows=100_000, max_columns=3_000,
                read_timeout_s=60)
ALSH = [["Année", "Nom", "Période", "Places"], [2022, "ALSH Parc", "Juillet", 120]]


def _refused(content: bytes, name: str = "f.xlsx", limits: Limits = LIMITS) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as info:
        reading.read_workbook(content, name, limits)
    return info.value


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


# --- Kind and safety ----------------------------------------------------------------------------

def test_kind_comes_from_the_bytes_not_the_name():
    assert reading.detect_kind(to_xlsx({"ALSH": ALSH}), "classeur.csv", LIMITS) == "xlsx"
    assert reading.detect_kind(to_ods({"ALSH": ALSH}), "classeur.xlsx", LIMITS) == "ods"
    assert reading.detect_kind(to_csv(ALSH), "classeur.xlsx", LIMITS) == "csv"
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert reading.detect_kind(ole2, "ancien.xls", LIMITS) == "xls"


@pytest.mark.parametrize("content", [b"", b"   \r\n  "])
def test_empty_file_is_refused(content):
    exc = _refused(content, "vide.xlsx")
    assert exc.code == "fichier_vide" and exc.message == "Le fichier « vide.xlsx » est vide."


@pytest.mark.parametrize("head", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.7\n",
                                  b"GIF89a\x01\x00", b"\x00\x01binary"])
def test_other_files_are_not_workbooks(head):
    exc = _refused(head + bytes(range(256)) * 4, "photo.xlsx")
    assert exc.code == "format_inconnu"
    assert exc.message.startswith("Ce fichier n'est pas un classeur")
    assert "« photo.xlsx »" in exc.message


def test_zip_that_is_not_a_workbook_is_refused():
    exc = _refused(_zip({"word/document.xml": b"<w/>"}), "lettre.xlsx")
    assert exc.code == "format_inconnu"


def test_size_is_checked_before_anything_else():
    limits = Limits(max_file_mb=0.01, max_uncompressed_mb=200, max_rows=10, max_columns=10,
                    read_timeout_s=60)
    exc = _refused(b"a;b\n" * 5000, "gros.csv", limits)
    assert exc.code == "fichier_trop_gros"
    assert "la taille maximale est de 0,01 Mo" in exc.message


def test_uncompressed_size_is_read_from_the_zip_directory():
    content = _zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b"<a/>" * 300_000})
    limits = Limits(max_file_mb=20, max_uncompressed_mb=1, max_rows=10, max_columns=10,
                    read_timeout_s=60)
    exc = _refused(content, "gonfle.xlsx", limits)
    assert exc.code == "decompression_trop_grande"
    assert "1,1 Mo une fois décompressé : la limite est de 1 Mo" in exc.message


def test_suspicious_compression_ratio_is_refused():
    # 50 MB of zeros: under the 200 MB limit, but no spreadsheet compresses 1000 times.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", b"<w/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(50):
                member.write(bytes(1 << 20))
    exc = _refused(out.getvalue(), "bombe.xlsx")
    assert exc.code == "compression_suspecte" and "par sécurité" in exc.message


def test_zip_with_too_many_members_is_refused_before_listing_them():
    members = {"xl/workbook.xml": b"<w/>"} | {f"x/{i}": b"" for i in range(10_001)}
    exc = _refused(_zip(members), "liste.xlsx")
    assert exc.code == "trop_d_elements" and "10\u202f002 éléments" in exc.message


def test_workbook_with_only_chart_sheets_has_no_readable_sheet():
    book = __import__("openpyxl").Workbook()
    book.remove(book.active)
    book.create_chartsheet("Graphique")
    out = io.BytesIO()
    book.save(out)
    exc = _refused(out.getvalue(), "graphique.xlsx")
    assert exc.code == "aucune_feuille"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_zip_is_corrupt(cut):
    content = to_xlsx({"ALSH": ALSH})
    exc = _refused(content[:int(len(content) * cut)], "coupe.xlsx")
    assert exc.code == "fichier_corrompu" and "endommagé" in exc.message


def test_damaged_member_is_reported_by_the_worker_without_traceback():
    content = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<<<not xml",
                    "_rels/.rels": b"<nope"})
    exc = _refused(content, "abime.xlsx")
    assert exc.code == "fichier_corrompu"
    assert exc.message.startswith("Le fichier « abime.xlsx » est endommagé")
    assert "Traceback" not in exc.message


def test_sheet_declaring_a_huge_area_kills_only_the_worker():
    # Two cells, A1 and XFD1048576: calamine would allocate 17 billion cells and abort.
    content = to_xlsx({"ALSH": [["Année"]]})
    book = __import__("openpyxl").load_workbook(io.BytesIO(content))
    book["ALSH"]["XFD1048576"] = 1
    out = io.BytesIO()
    book.save(out)
    exc = _refused(out.getvalue(), "zone.xlsx")
    assert exc.code == "lecture_impossible"
    assert exc.message.startswith("Le classeur « zone.xlsx » est trop volumineux pour être lu")


def test_unknown_tabs_are_never_parsed():
    # The same huge area on a tab the format does not know: skipped, so the file reads.
    book = __import__("openpyxl").Workbook()
    book.active.title = "Brouillon"
    book.active["A1"], book.active["XFD1048576"] = 1, 2
    alsh = book.create_sheet("ALSH")
    for row in ALSH:
        alsh.append(row)
    out = io.BytesIO()
    book.save(out)
    raw = reading.read_workbook(out.getvalue(), "f.xlsx", LIMITS)
    assert raw.tab_names == ["Brouillon", "ALSH"]
    assert [s.name for s in raw.sheets] == ["ALSH"]


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_sheet_dimensions_are_limited(fmt):
    rows = [["Année", "Nom", "Période", "Places", "Lieu"]] + [[2022, f"A{i}", "Juillet", 1, "x"]
                                                             for i in range(12)]
    content = {"xlsx": to_xlsx, "ods": to_ods}.get(fmt, lambda s: to_csv(s["ALSH"]))({"ALSH": rows})
    few_rows = Limits(20, 200, max_rows=10, max_columns=100, read_timeout_s=60)
    exc = _refused(content, f"f.{fmt}", few_rows)
    assert exc.code == "trop_de_lignes" and "le maximum est de 10" in exc.message
    few_columns = Limits(20, 200, max_rows=100, max_columns=4, read_timeout_s=60)
    exc = _refused(content, f"f.{fmt}", few_columns)
    assert exc.code == "trop_de_colonnes" and "compte 5 colonnes : le maximum est de 4" \
        in exc.message


def test_reading_has_a_deadline():
    slow = Limits(20, 200, 100_000, 3_000, read_timeout_s=0.001)
    exc = _refused(to_xlsx({"ALSH": ALSH}), "lent.xlsx", slow)
    assert exc.code == "lecture_trop_longue"
    assert exc.message.startswith("La lecture du fichier « lent.xlsx » a dépassé")


def test_workbook_rows_are_numbered_as_excel_shows_them():
    content = to_xlsx({"ALSH": [[None], ["Titre"], [None, "Année", "Nom"], [None, 2022, "X"]]})
    raw = reading.read_workbook(content, "f.xlsx", LIMITS)
    [sheet] = raw.sheets
    assert raw.kind == "xlsx"
    assert sheet.rows[2][1] == "Année" and sheet.rows[3][1:] == [2022.0, "X"]


def test_merged_ranges_are_reported_zero_based():
    content = to_xlsx({"ALSH": [["Année"], ["a"], [None], [None]]}, merged={"ALSH": ["A2:A4"]})
    [sheet] = reading.read_workbook(content, "f.xlsx", LIMITS).sheets
    assert sheet.merged == [((1, 0), (3, 0))]


# --- CSV ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252", "utf-16"])
def test_csv_encodings(encoding):
    raw = reading.read_workbook(to_csv(ALSH, encoding=encoding), "alsh.csv", LIMITS)
    assert raw.kind == "csv" and raw.tab_names == ["alsh"]
    assert raw.sheets[0].rows[0] == ["Année", "Nom", "Période", "Places"]


@pytest.mark.parametrize("text, delimiter", [
    ("Année;Valeur\n2021;12,5\n2022;13,5\n", ";"),
    ("Année,Valeur\n2021,12.5\n2022,13.5\n", ","),
    ("Année\tValeur\n2021\t12,5\n", "\t"),
    ('Titre du tableau\nAnnée;Nom\n2021;"Dupont, Jean"\n2022;"Martin, Paul"\n', ";"),
    ('Année,Nom\n2021,"a; b"\n2022,"c; d"\n', ","),
])
def test_csv_delimiter_is_sniffed(text, delimiter):
    assert reading.sniff_delimiter(text) == delimiter


# --- Cells --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (1234, 1234.0), (12.5, 12.5), ("1234", 1234.0), ("1 234", 1234.0), ("1\u00a0234", 1234.0),
    ("1\u202f234,5", 1234.5), ("1234,5", 1234.5), ("1234.5", 1234.5), ("1.234,5", 1234.5),
    ("1,234.5", 1234.5), ("1.234.567", 1234567.0), (" -3,5 ", -3.5), ("\u22123", -3.0),
    ("120 000 €", 120000.0), ("1e3", 1000.0),
])
def test_numbers(raw, expected):
    assert reading.parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["douze", "12 %", "1,2,3", "nan", "inf", True, dt.date.today(),
                                 "12 ans", "", float("nan")])
def test_not_numbers(raw):
    with pytest.raises(ValueError):
        reading.parse_number(raw)


@pytest.mark.parametrize("raw, expected", [("12 %", 12.0), ("17,9 %", 17.9), ("17,9%", 17.9),
                                           ("0,5", 0.5)])
def test_percentages(raw, expected):
    assert reading.parse_number(raw, percent=True) == expected
    assert reading.has_percent_sign(raw) == raw.endswith("%")


@pytest.mark.parametrize("raw", [None, "", "  ", "-", "–", "—", "NC", "nc", "nd", "N.D.", "s",
                                 "ns", "so", "n/a", "#N/A", float("nan")])
def test_missing_markers(raw):
    assert reading.is_not_available(raw)


@pytest.mark.parametrize("raw", [0, 0.0, "0", "sans", "x"])
def test_zero_and_text_are_not_missing(raw):
    assert not reading.is_not_available(raw)


@pytest.mark.parametrize("raw, expected", [
    (dt.date(2022, 3, 15), "2022-03-15"), (dt.datetime(2022, 3, 15, 10, 30), "2022-03-15"),
    ("15/03/2022", "2022-03-15"), ("5/3/2022", "2022-03-05"), ("2022-03-15", "2022-03-15"),
    ("2022-03-15 00:00:00", "2022-03-15"), ("15.03.2022", "2022-03-15"),
])
def test_dates(raw, expected):
    assert reading.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2022", "2022", 2022, "15 mars 2022", "2022/03/15"])
def test_not_dates(raw):
    with pytest.raises(ValueError):
        reading.parse_date(raw)


@pytest.mark.parametrize("raw, expected", [(2021, "2021"), (2021.0, "2021"), ("2021", "2021"),
                                           ("15/03/2021", "2021-03-15"),
                                           (dt.date(2021, 3, 15), "2021-03-15")])
def test_date_or_year(raw, expected):
    assert reading.parse_date_or_year(raw) == expected


@pytest.mark.parametrize("raw, expected", [(2022, 2022), (2022.0, 2022), ("2022", 2022),
                                           (" 2022 ", 2022), ("2022.0", 2022)])
def test_years(raw, expected):
    assert reading.parse_year(raw) == expected


@pytest.mark.parametrize("raw", [2022.5, "deux mille", 1850, "22", dt.date(2022, 1, 1), True])
def test_not_years(raw):
    with pytest.raises(ValueError):
        reading.parse_year(raw)


@pytest.mark.parametrize("raw, expected", [(59367.0, "59367"), (59367, "59367"),
                                           (" 2A004 ", "2A004"), ("01065", "01065")])
def test_codes_are_text(raw, expected):
    assert reading.parse_code(raw) == expected


def test_codes_refuse_decimals():
    with pytest.raises(ValueError):
        reading.parse_code(12.5)


@pytest.mark.parametrize("raw, expected", [(12.0, "12"), (12.5, "12.5"), ("  a  ", "a"),
                                           (True, "Oui"), (dt.date(2022, 1, 2), "2022-01-02"),
                                           (dt.datetime(2022, 1, 2), "2022-01-02"), ("", None),
                                           (None, None)])
def test_cell_text(raw, expected):
    assert reading.cell_text(raw) == expected
