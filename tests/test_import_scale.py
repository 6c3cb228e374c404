"""Import at a Caf's scale (issue 9 §3): the file is validated sheet by sheet for all its
territories at once, and must give exactly what checking each territory alone gives; each
version stores only the warnings that concern its territory."""

import datetime as dt
import math
import random
from dataclasses import replace

import pandas as pd
import pytest

from ctg_data import schemas, validation
from ctg_data.importing import import_file
from ctg_data.model import CtgData
from ctg_data.schemas import SHEETS_BY_KEY, Column
from ctg_data.storage import Store
from ctg_data.validation import Origin, parse_column, parse_value, rules
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook
from test_storage import awkward_data
from workbook_factory import to_xlsx

# Cells as readers give them: French numbers, missing markers, dates, codes, booleans, bad
# values, fractions, control characters, a text over every length limit.
TRICKY = [
    "1 234,5", "1\u00a0234", "12 %", "12%", "0,179", "NC", "nd", "-", "—", "s", "", "  ", None,
    math.nan, "1e3", "1e309", "-5", -5.0, 0.5, 0.0, 1.0, 3.7, 1e20, math.inf, "douze", "1.234,5",
    "1,234.5", "2022", 2022.0, 2022, 1899.0, "2022,0", dt.date(2021, 3, 1),
    dt.datetime(2021, 3, 1, 10, 30), "01/02/2022", "2022-02-01", "31/02/2022", "1065", 1065.0,
    1065, "01065", "59367", True, False, "Multi-accueil", "multi accueil", "RAM", "PSU",
    "municipal", "Réalisée", "Hausse", "Commune", "x\x01y", "ligne\nsuivante", "A" * 300,
    "_x0001_", " texte avec espaces ", "1/2",
]


def _columns() -> list[Column]:
    """One declared column of each type, with and without bounds, and a plan year column."""
    wanted = [("population", "enfants_0_2"), ("population", "taux_chomage"),
              ("population", "annee"), ("equipements", "places"), ("equipements", "latitude"),
              ("equipements", "nom"), ("equipements", "type"), ("equipements", "ouverture"),
              ("equipements", "remarques"), ("plan_action", "cible"),
              ("plan_action", "numero_action"), ("comites", "date")]
    columns = [SHEETS_BY_KEY[sheet].column(key) for sheet, key in wanted]
    columns += [schemas.TERRITOIRE.column("departement"), schemas.CODE_INSEE,
                Column(key="2022", label="2022", type="float")]
    return columns


@pytest.mark.parametrize("column", _columns(), ids=lambda c: f"{c.key}-{c.type}")
def test_parsing_a_column_at_once_equals_parse_value_cell_by_cell(column):
    rng = random.Random(column.key)
    raws = TRICKY * 3 + [rng.choice([1.0, 2.5, 40.0, 2021.0, "3", "x"]) for _ in range(200)]
    rng.shuffle(raws)
    rows = [i + 5 for i in range(len(raws))]
    values, problems = parse_column(column, raws, rows, sheet="Feuille", header="En-tête")
    expected_values, expected_problems = [], []
    for raw, row in zip(raws, rows):
        value, found = parse_value(column, raw, sheet="Feuille", row=row)
        expected_values.append(value)
        if found is not None:
            expected_problems.append(replace(found, column="En-tête"))
    assert len(values) == len(expected_values)
    for value, expected in zip(values, expected_values):
        assert type(value) is type(expected) and (value == expected or (
            value != value and expected != expected)), (value, expected)
    assert problems == expected_problems


def test_checking_cells_by_distinct_value_equals_checking_each_cell():
    rng = random.Random(7)
    values = {
        "nom": ["Crèche A", "", None, "x\x01y", "A" * 300, "Crèche A", "crèche a"],
        "type": ["Multi-accueil", "Inconnu", None, "MAM", "Inconnu"],
        "places": [12.0, -3.0, 2.5, math.nan, 1e20, 12.0, math.inf],
        "annee": [2021, None, 2022, 1800],
        "ouverture": ["2021", "2021-03-01", None, "x\x02"],
        "Remarque interne": ["ok", "ligne\x00", None, "B" * 6000],
    }
    n = 60
    frame = pd.DataFrame({key: [rng.choice(choices) for _ in range(n)]
                          for key, choices in values.items()})
    data = CtgData({"code_insee": "59367", "nom": "Lys"}, {"equipements": frame})
    frame = data.tables["equipements"]
    origin = Origin("Équipements", rows=[i + 2 for i in range(n)], header_row=1)
    sheet = SHEETS_BY_KEY["equipements"]
    expected = rules._check_cells(sheet, frame, origin)
    assert expected, "the frame holds wrong cells"
    assert rules._check_cells_by_value(sheet, frame, origin) == expected


def test_folding_names_equals_normalise():
    texts = ["Crèche « La Pépinière »", "ŒUVRE", "Æther", "İstanbul", "ﬁchier", "x²",
             "Places (nb)", "(nb)", "  Multi-accueil  ", "Kelvin \u212a", "naïve café",
             "Straße", "ALSH n° 2", "", " ", "a\u0301", "Ελληνικά", "日本", "1 234,5"]
    assert [rules._fold(t) for t in texts] == [schemas.normalise(t) for t in texts]


def _territories(codes=("59001", "59002", "59003")) -> list[CtgData]:
    """Three territories from `awkward_data()` (every sheet), with names of their own."""
    out = []
    for i, code in enumerate(codes):
        data = awkward_data(code=code, nom=f"Commune {i + 1}")
        out.append(CtgData(data.territoire, data.tables, data.present))
    return out


def test_each_territory_of_a_multi_territory_import_equals_it_imported_alone():
    datasets = _territories()
    together = load_workbook(write_workbook(datasets), "ensemble.xlsx")
    assert together.ok and [d.code for d in together.datasets] == ["59001", "59002", "59003"]
    for data, found in zip(datasets, together.datasets):
        alone = load_workbook(write_workbook([data]), "seul.xlsx")
        assert alone.ok
        assert found.equals(alone.datasets[0])
        assert found.present == alone.datasets[0].present


def test_problems_of_a_multi_territory_file_are_those_of_each_territory():
    """Duplicates, ALSH names and action numbers are compared within each territory only."""
    territoire = [["Code INSEE", "Nom", "Début CTG", "Fin CTG"],
                  ["59001", "Un", 2021, 2023], ["59002", "Deux", 2021, 2023]]
    alsh = [["Code INSEE", "Année", "Nom", "Période", "Places"],
            ["59001", 2022, "ALSH Parc", "Juillet", 40],
            ["59002", 2022, "ALSH Parc", "Juillet", 40],   # same row, other territory: fine
            ["59001", 2022, "ALSH Parc", "Juillet", 45]]   # a duplicate within 59001
    equipements = [["Code INSEE", "Nom", "Type", "Places"],
                   ["59001", "ALSH Parc", "ALSH", 40]]       # 59002 has no Équipements row
    plan = [["Code INSEE", "Axe", "Action", "Indicateur", "N° action", 2024],
            ["59001", "Axe 1", "Action", "Réunions", "1", None],
            ["59002", "Axe 1", "Action", "Réunions", "2", 5]]  # 2024 outside 59002's CTG
    fiches = [["Code INSEE", "N° action", "Intitulé"],
              ["59001", "1", "Action"], ["59002", "3", "Autre"]]
    report = load_workbook(to_xlsx({"Territoire": territoire, "ALSH": alsh,
                                    "Équipements": equipements, "Plan d'action": plan,
                                    "Fiches actions": fiches}), "deux.xlsx")
    found = [(p.code, p.sheet, p.row, report.concerns.get(p)) for p in report.problems]
    assert found == [
        ("doublon", "ALSH", 4, ("59001",)),
        ("annee_hors_ctg", "Plan d'action", 1, ("59002",)),
        ("action_sans_fiche", "Plan d'action", 3, ("59002",)),
        ("fiche_non_utilisee", "Fiches actions", 3, ("59002",)),
    ]


@pytest.mark.both_backends
def test_each_version_stores_only_its_own_warnings(db_url):
    """Three territories, warnings on two of them, one warning about the whole file."""
    territoire = [["Code INSEE", "Nom", "Département", "Début CTG", "Fin CTG"],
                  ["59001", "Un", "59", 2021, 2023], ["01002", "Deux", 1, 2021, 2023],
                  ["59003", "Trois", "59", 2021, 2023]]
    plan = [["Code INSEE", "Axe", "Action", "Indicateur", "N° action", "Note du chef"],
            ["59001", "Axe 1", "Action", "Réunions", "1", ""],
            ["59001", "Axe 1", "Autre action", "Réunions", "9", ""],  # no fiche: warning
            ["01002", "Axe 1", "Action", "Réunions", "1", ""],
            ["59003", "Axe 1", "Action", "Réunions", "1", "à revoir"]]
    fiches = [["Code INSEE", "N° action", "Intitulé"],
              ["59001", "1", "Action"], ["01002", "1", "Action"], ["59003", "1", "Action"]]
    content = to_xlsx({"Territoire": territoire, "Plan d'action": plan,
                       "Fiches actions": fiches})
    store = Store()
    outcome = import_file(store, content, "trois.xlsx")
    assert outcome.report.ok and len(outcome.version_ids) == 3
    lines = {p.code: p.as_line() for p in outcome.report.warnings}
    assert set(lines) == {"action_sans_fiche", "code_complete", "colonne_inconnue"}
    stored = {v.code: v.warnings for v in store.versions()}
    whole_file = [lines["colonne_inconnue"]]
    assert stored["59001"] == whole_file + [lines["action_sans_fiche"]]
    assert stored["01002"] == [lines["code_complete"]] + whole_file
    assert stored["59003"] == whole_file
    # The message still counts every warning of the file.
    assert "3 avertissements" in outcome.message


def _stored(store: Store, version_id: int) -> dict:
    """A stored version's columns, territory fields, row counts and rows (JSON text)."""
    import sqlalchemy as sa

    from ctg_data.storage import version_rows_t, versions_t
    with store.engine.connect() as conn:
        version = conn.execute(sa.select(versions_t).where(versions_t.c.id == version_id)).one()
        rows = conn.execute(sa.select(version_rows_t.c.sheet, version_rows_t.c.position,
                                      sa.cast(version_rows_t.c.data, sa.Text))
                            .where(version_rows_t.c.version_id == version_id)
                            .order_by(version_rows_t.c.sheet, version_rows_t.c.position)).all()
    return {"code": version.territory_code, "columns": version.columns,
            "territoire": version.territoire, "row_counts": version.row_counts,
            "rows": [tuple(r) for r in rows]}


@pytest.mark.both_backends
def test_rows_stored_from_the_file_equal_those_of_each_territory_table(db_url):
    """An import stores each territory's rows straight from the file's sheets (its tables are
    never cut); they equal what storing the cut tables gives, to the stored JSON text."""
    content = write_workbook(_territories())
    report = load_workbook(content, "ensemble.xlsx")
    store = Store(db_url)
    fast = store.save(report.datasets, kind="import", author="test")
    assert all("tables" not in vars(d) for d in report.datasets), "tables were cut"
    again = load_workbook(content, "ensemble.xlsx")
    for data in again.datasets:
        data.tables  # cut each territory's tables: the store converts them one by one
    slow = store.save(again.datasets, kind="import", author="test")
    assert len(fast) == len(slow) == 3
    for a, b in zip(fast, slow):
        assert _stored(store, a) == _stored(store, b)
        assert store.load(_stored(store, a)["code"], a).equals(
            store.load(_stored(store, b)["code"], b))


def test_a_territory_of_a_file_equals_its_tables_built_eagerly():
    """`CtgData.of_file` cuts the same tables as `from_conformed` on the file's row slices."""
    report = load_workbook(write_workbook(_territories()), "ensemble.xlsx")
    for data in report.datasets:
        file_tables, position = vars(data)["_source"]
        eager = CtgData.from_conformed(data.territoire, {
            key: frame.iloc[slice(*file_tables.span(key, position))].reset_index(drop=True)
            for key, frame in file_tables.frames.items()}, data.present)
        assert list(data.tables) == list(eager.tables)
        assert data.equals(eager)
        assert all(data.tables[k].index.equals(pd.RangeIndex(len(data.tables[k])))
                   for k in data.tables)


def test_parsing_sheets_while_the_file_is_read_equals_parsing_them_after():
    """`load_workbook` parses each sheet as the worker hands it over; the report is the one
    of parsing the sheets read beforehand."""
    from ctg_data import reading

    content = write_workbook(_territories())
    early = load_workbook(content, "ensemble.xlsx")
    book = reading.read_workbook(content, "ensemble.xlsx")
    late = validation.validate_book(book, file_name="ensemble.xlsx")
    assert early.problems == [p for p in late.problems]
    assert [d.code for d in early.datasets] == [d.code for d in late.datasets]
    for a, b in zip(early.datasets, late.datasets):
        assert a.equals(b) and a.present == b.present


def test_plain_rows_of_a_frame_equal_those_of_its_object_array():
    from ctg_data.storage.values import _frame_plain_rows, _plain_rows

    for data in _territories()[:1]:
        for key, frame in data.tables.items():
            assert _frame_plain_rows(frame) == _plain_rows(frame.to_numpy(dtype=object)), key
    odd = pd.DataFrame({"a": [1.0, math.nan, -0.0], "b": pd.array([1, None, 3], dtype="Int64"),
                        "c": ["x", None, 2.5], "d": [None, None, None]})
    assert _frame_plain_rows(odd) == _plain_rows(odd.to_numpy(dtype=object))
    with pytest.raises(ValueError):
        _frame_plain_rows(pd.DataFrame({"a": [1.0, math.inf]}))


def test_value_codes_ignore_missing_values_of_any_kind():
    codes = rules._value_codes
    assert codes(pd.Series(["a", None, math.nan, pd.NA, "a"], dtype=object)) is not None
    assert codes(pd.Series(["a", 1.0], dtype=object)) is None
    assert codes(pd.Series([1, True], dtype=object)) is None
    assert codes(pd.Series([1.0, math.nan, None], dtype=object)) is not None
