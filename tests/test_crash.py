"""Crash safety: a process killed (SIGKILL) at a random moment of an import of a
multi-territory workbook or of an in-app edit leaves the SQLite database as it was before that
save or as after it, never in between: `PRAGMA integrity_check` is ok, every version has all its
rows, an import is stored for all its territories or for none, and the history matches the data.

A zygote process imports the modules and reads the workbooks once, then forks a worker per kill
(fast: no interpreter start per kill); the delays before each kill are seeded."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ctg_data import importing, storage
from ctg_data.model import CtgData
from ctg_data.storage import Store
from ctg_data.workbook import load_workbook
from ctg_data.writing import write_workbook

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"
TERRITORIES = [f"59{100 + i:03d}" for i in range(5)]
EDITED = TERRITORIES[0]
KILLS_PER_LOOP = 16   # 32 kills in all
POPULATION = {"A": 14_000.0, "B": 15_000.0}

ZYGOTE = textwrap.dedent("""
    import os, signal, sys
    from ctg_data import editing, importing
    from ctg_data.storage import Store
    from ctg_data.workbook import load_workbook

    url, edited, *paths = sys.argv[1:]
    reports = [load_workbook(open(p, "rb").read(), os.path.basename(p)) for p in paths]
    # Every module loaded and every code path warmed before the first fork.
    warm = Store("sqlite://")
    importing.import_report(warm, reports[0])
    data = warm.load(edited)
    warm.save([editing.update_plan_row(data, 0, {"analyse": "x"}).data], kind="edit")
    warm.close()
    Store(url, create=False).close()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped at once
    print("ready", flush=True)
    for line in sys.stdin:
        mode, log = line.split()
        pid = os.fork()
        if pid:
            print(pid, flush=True)
            continue
        try:
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            store = Store(url, create=False)
            os.write(out, b"r")
            # Start with the workbook that is not the current data (no duplicate to skip).
            latest = next(v for v in store.versions() if v.code != edited)
            n = int(latest.file_name == os.path.basename(paths[0]))
            while True:  # until killed
                if mode == "import":
                    os.write(out, b"b")
                    importing.import_report(store, reports[n % 2])
                else:
                    info = next(t for t in store.territories() if t.code == edited)
                    data = store.load(edited, info.version_id)
                    edit = editing.update_plan_row(data, 0, {"analyse": f"edit {os.getpid()} {n}"})
                    os.write(out, b"b")
                    store.save([edit.data], kind="edit", author="worker", changes=edit.changes,
                               base_version_id=info.version_id)
                os.write(out, b"e")
                n += 1
        finally:
            os._exit(1)
""")


def workbook(tmp_path: Path, variant: str) -> Path:
    """A 5-territory workbook (copies of the sample), population of 2023 per variant."""
    sample = load_workbook(SAMPLE.read_bytes(), SAMPLE.name).datasets[0]
    population = sample.table("population").copy()
    population.loc[population["annee"] == 2023, "population"] = POPULATION[variant]
    datasets = [CtgData(sample.territoire | {"code_insee": code, "nom": f"Commune {i}"},
                        dict(sample.tables) | {"population": population}, sample.present)
                for i, code in enumerate(TERRITORIES)]
    path = tmp_path / f"territoires_{variant}.xlsx"
    path.write_bytes(write_workbook(datasets))
    return path


def check_database(path: Path, url: str) -> dict:
    """The database after a kill: intact, complete versions, one import's data in every
    territory, history matching the data. Returns what the check saw."""
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = {}
        for version_id, sheet, count in raw.execute(
                "SELECT version_id, sheet, count(*) FROM version_rows GROUP BY 1, 2"):
            counts.setdefault(version_id, {})[sheet] = count
        versions = raw.execute("SELECT id, row_counts FROM versions").fetchall()
        current = dict(raw.execute(
            "SELECT territory_code, file_name FROM versions WHERE id IN "
            "(SELECT max(id) FROM versions GROUP BY territory_code)").fetchall())
    for version_id, row_counts in versions:
        expected = {k: v for k, v in json.loads(row_counts).items() if v}
        assert counts.get(version_id, {}) == expected, f"version {version_id} incomplete"
    # The current version of every territory not edited comes from the same import.
    files = {current[code] for code in TERRITORIES if code != EDITED}
    assert len(files) == 1, "an import stored for some territories only"
    variant = files.pop().removesuffix(".xlsx")[-1]
    store = Store(url, create=False)
    try:
        for code in (TERRITORIES[1], EDITED):
            population = store.load(code).table("population")
            value = float(population.loc[population["annee"] == 2023, "population"].iloc[0])
            assert value in POPULATION.values()
            if code != EDITED:
                assert value == POPULATION[variant]
        history = store.history(EDITED, sheet="plan_action", column="analyse")
        if history:
            analyse = store.load(EDITED).table("plan_action").at[0, "analyse"]
            assert history[0].new == analyse
            for newer, older in zip(history, history[1:]):
                assert storage.same_value(newer.old, older.new)
        return {"versions": len(versions), "variant": variant}
    finally:
        store.close()


def test_killed_imports_and_edits_leave_the_database_intact(tmp_path):
    paths = [workbook(tmp_path, "A"), workbook(tmp_path, "B")]
    db = tmp_path / "ctg.sqlite"
    url = f"sqlite:///{db}"
    store = Store(url)
    first = importing.import_report(store, load_workbook(paths[0].read_bytes(), paths[0].name))
    assert len(first.version_ids) == len(TERRITORIES)
    store.close()

    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE, url, EDITED, *map(str, paths)],
                              cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    rng = random.Random(1302)
    seen, inside, kills = [], 0, 0
    try:
        assert zygote.stdout.readline().strip() == "ready", zygote.stderr.read()
        for loop in ("import", "edit"):
            for k in range(KILLS_PER_LOOP):
                log = tmp_path / f"{loop}_{k}.log"
                zygote.stdin.write(f"{loop} {log}\n")
                zygote.stdin.flush()
                pid = int(zygote.stdout.readline())
                deadline = time.monotonic() + 30
                while not (log.exists() and log.read_bytes()[:1] == b"r"):
                    assert time.monotonic() < deadline, "worker not started"
                    time.sleep(0.002)
                # An import takes longer than an edit: its kills are spread wider.
                time.sleep(rng.uniform(0.05, 0.7 if loop == "import" else 0.5))
                os.kill(pid, signal.SIGKILL)
                while Path(f"/proc/{pid}").exists():
                    time.sleep(0.002)
                kills += 1
                marks = log.read_bytes()
                inside += marks.rstrip(b"r").endswith(b"b")  # killed during a save
                seen.append(check_database(db, url))
    finally:
        zygote.kill()
        zygote.wait()
    assert kills >= 30
    # The workers did store versions between the kills, and many kills hit a save.
    assert seen[-1]["versions"] > len(TERRITORIES) + KILLS_PER_LOOP
    assert {s["variant"] for s in seen} == {"A", "B"}
    assert inside >= 5, inside
    print(f"\n{kills} kills, {inside} pendant un enregistrement, "
          f"{seen[-1]['versions']} versions à la fin")
