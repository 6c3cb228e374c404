"""Benchmark: reading one commune's figures from a « dossier complet »-shaped INSEE CSV.

Generates a synthetic file shaped like INSEE's dossier complet (35,000 rows × 1,900 columns,
`;`, CODGEO first, decimal commas, some secret markers) in a temporary folder, then measures in
the same process:
- `opendata.read_insee` on the file path (memory map) and on its bytes (what an upload gives);
- baselines: a plain `pandas.read_csv` of the whole file, and `pandas.read_csv(usecols=…)` of the
  needed columns only.
Prints seconds and ratios; asserts nothing about time (the issue's target is under 15 s).
Run: `.venv/bin/python bench/bench_dossier_complet.py [--rows N] [--columns N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctg_data.opendata import read_insee  # noqa: E402

# The columns the import needs, spread among the fillers as in the real file.
NEEDED = {"P21_POP": "13793", "P21_POP0002": "489,6", "P21_POP0305": "531,2",
          "P21_POP0610": "925", "P21_POP1117": "1281,4", "C21_MEN": "5900,5",
          "C21_FAMMONO": "697", "C21_COUPAENF": "1851", "C21_NE24F3": "120",
          "C21_NE24F4P": "80", "P21_ACT1564": "6714,9", "P21_CHOM1564": "946,8",
          "MED21": "19520,5", "TP6021": "s", "NAISD22": "164"}
TARGET = "59367"


def header(columns: int) -> list[str]:
    fillers = [f"V{i:04d}" for i in range(columns - 1 - len(NEEDED))]
    step = max(1, len(fillers) // (len(NEEDED) + 1))
    names = list(fillers)
    for i, name in enumerate(NEEDED):
        names.insert((i + 1) * step + i, name)
    return ["CODGEO", *names]


def generate(path: Path, rows: int, columns: int, seed: int = 1) -> list[str]:
    """Write the synthetic file; return its header. Rows repeat a pool of random tails (the
    parsing cost is the same as with all-distinct rows, the generation is much faster)."""
    names = header(columns)
    rng = np.random.default_rng(seed)
    pool = []
    for _ in range(64):
        values = rng.integers(0, 100_000, size=columns - 1) / 100
        cells = [f"{v:.2f}".replace(".", ",") for v in values]
        for j in range(7, columns - 1, 97):          # secret markers here and there
            cells[j] = ("s", "nd", "ns", "so")[j % 4]
        pool.append(";".join(cells))
    target_cells = pool[0].split(";")
    for name, text in NEEDED.items():
        target_cells[names.index(name) - 1] = text
    target_tail = ";".join(target_cells)
    target_at = rows - rows // 20          # near the end: the search must go far
    codes = [f"{i:05d}" for i in range(1000, 1000 + rows)]
    codes[target_at] = TARGET
    if TARGET in codes[:target_at]:
        codes[codes.index(TARGET)] = "2A999"
    with open(path, "wb") as out:
        out.write(b"\xef\xbb\xbf" + (";".join(names) + "\n").encode())
        chunk = []
        for i, code in enumerate(codes):
            tail = target_tail if i == target_at else pool[i % len(pool)]
            chunk.append(f"{code};{tail}\n")
            if len(chunk) == 1000:
                out.write("".join(chunk).encode())
                chunk = []
        out.write("".join(chunk).encode())
    return names


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=35_000)
    parser.add_argument("--columns", type=int, default=1_900)
    parser.add_argument("--skip-full", action="store_true",
                        help="skip the full pandas.read_csv baseline (slow, ~1 GB of memory)")
    args = parser.parse_args(argv)
    # The full baseline warns about mixed types (secret markers in numeric columns): expected.
    warnings.simplefilter("ignore", pd.errors.DtypeWarning)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dossier_complet.csv"
        seconds, names = timed(lambda: generate(path, args.rows, args.columns))
        size = path.stat().st_size / 1e6
        print(f"Synthetic dossier complet: {args.rows} rows × {len(names)} columns, "
              f"{size:.0f} MB (generated in {seconds:.1f} s)")

        t_path, found = timed(lambda: read_insee(path, path.name, TARGET))
        t_bytes, found_bytes = timed(lambda: read_insee(path.read_bytes(), path.name, TARGET))
        fig = found.figures[2021]
        ok = (found.figures == found_bytes.figures and fig["population"] == 13793
              and fig["enfants_0_2"] == 490 and fig["familles_avec_enfants"] == 2548
              and "taux_pauvrete" not in fig and found.figures[2022] == {"naissances": 164})
        print(f"read_insee (path, memory map)      : {t_path:8.2f} s")
        print(f"read_insee (bytes, incl. reading)  : {t_bytes:8.2f} s")

        usecols = ["CODGEO", *NEEDED]
        t_usecols, frame = timed(lambda: pd.read_csv(path, sep=";", usecols=usecols,
                                                     dtype="str", keep_default_na=False,
                                                     encoding="utf-8-sig"))
        ok = ok and (frame["CODGEO"] == TARGET).sum() == 1
        del frame
        print(f"baseline pandas.read_csv(usecols)  : {t_usecols:8.2f} s "
              f"(ratio read_insee / baseline = {t_path / t_usecols:.4f})")
        if not args.skip_full:
            t_full, frame = timed(lambda: pd.read_csv(path, sep=";", decimal=",",
                                                      dtype={"CODGEO": "str"},
                                                      encoding="utf-8-sig"))
            del frame
            print(f"baseline pandas.read_csv(full)     : {t_full:8.2f} s "
                  f"(ratio read_insee / baseline = {t_path / t_full:.4f})")
        print(f"Target: under 15 s for the needed columns of one commune -> "
              f"{'met' if max(t_path, t_bytes) < 15 else 'NOT met'} "
              f"({max(t_path, t_bytes):.2f} s)")
        print("Figures read correctly." if ok else "ERROR: wrong figures read.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
