"""Benchmark: importing a CTG workbook, against raw reads of the same file.

Measures, in the same process and on the same bytes: a raw read of every sheet with
python-calamine (`to_python`, the reader the import uses) and with openpyxl (read-only, values
only), then `importing.import_file` into a fresh SQLite file (read in the worker process,
validate, store: one new version per territory), split into `load_workbook` (read + validate)
and the rest (store), and the size of the database it leaves. Prints seconds (median of
`--repeat` runs; CPU seconds of this process beside the wall clock, since the machine is
shared) and the ratios of issue 9's targets: import ≤ 2 × the calamine read and ≥ 5 × faster
than the openpyxl read, database ≤ 30 MB. Asserts nothing about time.

By default the file is the Caf-scale workbook of `bench/make_caf_data.py` (650 territories,
built when missing); `--file` names another one (the example workbook: `--file
sample_data/ctg_lys_lez_lannoy.xlsx`). `--profile` prints where the import's time goes.
Run: `.venv/bin/python bench/bench_import.py [--file F] [--repeat N] [--profile]`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from ctg_data.importing import import_file  # noqa: E402
from ctg_data.storage import Store  # noqa: E402
from ctg_data.workbook import load_workbook  # noqa: E402


def timed(func, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of `repeat` calls of `func`, and its last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = func()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), result


def raw_calamine(content: bytes) -> int:
    """Every sheet as lists of Python values with python-calamine; the number of rows."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)


def raw_openpyxl(content: bytes) -> int:
    """Every sheet as lists of values with openpyxl (read-only, values only)."""
    from openpyxl import load_workbook as openpyxl_load

    book = openpyxl_load(io.BytesIO(content), read_only=True, data_only=True)
    rows = sum(len([list(r) for r in ws.iter_rows(values_only=True)]) for ws in book.worksheets)
    book.close()
    return rows


def import_once(content: bytes, name: str, profile: cProfile.Profile | None = None):
    """`import_file` into a new SQLite file: (outcome, database size in MB)."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        if profile is not None:
            profile.enable()
        outcome = import_file(store, content, name, author="bench")
        if profile is not None:
            profile.disable()
        store.close()
        size = sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6
    return outcome, size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help="workbook to import (default: the Caf-scale one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    if args.file:
        path = Path(args.file)
    else:
        import make_caf_data
        path = make_caf_data.caf_workbook_path()
    content = path.read_bytes()
    print(f"Workbook: {path.name} ({len(content) / 1e6:.1f} MB), median of {args.repeat} runs "
          "(wall clock, CPU of this process)")

    t_cal, c_cal, rows = timed(lambda: raw_calamine(content), args.repeat)
    print(f"raw calamine read            : {t_cal:7.2f} s  cpu {c_cal:6.2f} s ({rows} rows)")
    t_opx, c_opx, _ = timed(lambda: raw_openpyxl(content), 1)
    print(f"raw openpyxl read (1 run)    : {t_opx:7.2f} s  cpu {c_opx:6.2f} s")
    t_load, c_load, report = timed(lambda: load_workbook(content, path.name), args.repeat)
    print(f"load_workbook (read+validate): {t_load:7.2f} s  cpu {c_load:6.2f} s "
          f"({len(report.datasets)} territories, {len(report.errors)} errors, "
          f"{len(report.warnings)} warnings)")
    t_imp, c_imp, (outcome, size) = timed(lambda: import_once(content, path.name), args.repeat)
    print(f"import_file (into SQLite)    : {t_imp:7.2f} s  cpu {c_imp:6.2f} s "
          f"({len(outcome.version_ids)} versions); store alone ≈ {t_imp - t_load:.2f} s")
    print(f"database after the import    : {size:7.1f} MB (target ≤ 30)")
    print(f"import / calamine read       : × {t_imp / t_cal:.2f} (target ≤ × 2)")
    print(f"openpyxl read / import       : × {t_opx / t_imp:.2f} (target ≥ × 5)")
    if args.profile:
        profile = cProfile.Profile()
        import_once(content, path.name, profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    if not outcome.version_ids:
        print("ERROR: nothing was imported: " + outcome.message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
