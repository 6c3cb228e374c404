"""Benchmark: reading, validating and storing the example workbook.

Measures, in the same process and on the same bytes, `workbook.load_workbook` (read + validate)
and `Store.save` into a fresh SQLite file, against a baseline raw read of every sheet with
`pandas.read_excel(engine="calamine")`. Prints the median seconds of several runs and the ratios
to the baseline; asserts nothing about time.
Run: `.venv/bin/python bench/bench_import.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctg_data import settings  # noqa: E402
from ctg_data.storage import Store  # noqa: E402
from ctg_data.workbook import load_workbook  # noqa: E402


def median_time(func, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--file", default=settings.get("example_workbook"))
    args = parser.parse_args(argv)

    path = Path(args.file)
    content = path.read_bytes()
    print(f"Workbook: {path.name} ({len(content) / 1024:.0f} KB), median of {args.repeat} runs")

    t_raw, sheets = median_time(lambda: pd.read_excel(io.BytesIO(content), sheet_name=None,
                                                      header=None, engine="calamine"),
                                args.repeat)
    cells = sum(frame.size for frame in sheets.values())
    print(f"baseline raw calamine read     : {t_raw * 1000:8.1f} ms ({len(sheets)} sheets, "
          f"{cells} cells)")

    t_load, report = median_time(lambda: load_workbook(content, path.name), args.repeat)
    print(f"load_workbook (read + validate): {t_load * 1000:8.1f} ms "
          f"(ratio to baseline {t_load / t_raw:.1f}); {len(report.errors)} errors, "
          f"{len(report.warnings)} warnings")
    if not report.ok:
        print("ERROR: the example workbook does not validate.")
        return 1

    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        t_save, ids = median_time(lambda: store.save(report.datasets, kind="import",
                                                     file_name=path.name,
                                                     content_hash=report.content_hash),
                                  args.repeat)
        t_reload, data = median_time(lambda: store.load(report.datasets[0].code), args.repeat)
        store.close()
    print(f"Store.save (new version)       : {t_save * 1000:8.1f} ms "
          f"(ratio to baseline {t_save / t_raw:.1f})")
    print(f"Store.load (current version)   : {t_reload * 1000:8.1f} ms "
          f"(ratio to baseline {t_reload / t_raw:.1f})")
    total = t_load + t_save
    print(f"import total (load + save)     : {total * 1000:8.1f} ms "
          f"(ratio to baseline {total / t_raw:.1f})")
    same = data is not None and data.equals(report.datasets[0])
    print("Stored data read back identical." if same else "ERROR: stored data differ.")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
