"""Benchmark: the CTG dashboard at Caf scale (issue 9's targets), written to `bench/results.md`.

On the data of `bench/make_caf_data.py` (650 Nord communes × 5 years, about 68,000 rows; the
national commune coverage file, 35,000 communes × 2 years), measures in one run, each against a
baseline measured in the same run:
a) the import of the workbook (`importing.import_file` into a fresh SQLite file) against raw
   reads of the same file with python-calamine and with openpyxl (read-only), and the size of the
   database it leaves;
d) the open-data import of the commune file (CLI `opendata`, in a child process: seconds and
   peak memory) against `pandas.read_csv` of the same file in a child process; it loads the
   references into the database of a);
c) the cross-territory indicators (`ctg_data.territories`) for every territory and year;
b) every page's warm rerun (`streamlit.testing.v1.AppTest`, median of 3) on that database, the
   largest territory selected, against an empty page timed the same way;
e) the memory of a process that ran every page, against one that ran the empty page.
Then profiles (cProfile) a second run of both imports and of the territories' table, so that
the results show what bounds a missed target. Prints figures as it goes and asserts nothing
about time. Other processes share the machine: the load average is recorded with the figures.
Run: `.venv/bin/python bench/bench_caf_scale.py [--quick] [--no-profile]`; `--quick` (50
territories, 5,000 communes) writes `bench/data/results-quick.md` instead of `bench/results.md`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

import make_caf_data  # noqa: E402
from bench_import import raw_calamine, raw_openpyxl  # noqa: E402  (the same baselines)

# Issue 9's targets.
IMPORT_VS_CALAMINE = 2.0        # import ≤ 2 × raw calamine read
IMPORT_VS_OPENPYXL = 5.0        # import ≥ 5 × faster than raw openpyxl read
DATABASE_MB = 30.0
PAGE_S = 1.0
PAGE_VS_EMPTY = 10.0
TERRITOIRES_PAGE_S = 2.0
TERRITORY_TABLE_S = 2.0
OPENDATA_S = 10.0
OPENDATA_MB = 1024.0
SERVER_MB = 600.0
TERRITOIRES_PAGE = "pages/territoires.py"


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def met(ok: bool | None) -> str:
    return "—" if ok is None else ("oui" if ok else "**non**")


def say(text: str) -> None:
    print(text, flush=True)


# -- machine ----------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    """What the figures were measured on."""
    import pandas
    import streamlit

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "memory": memory, "cpu": cpu,
            "python": platform.python_version(), "pandas": pandas.__version__,
            "streamlit": streamlit.__version__, "os": platform.platform()}


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


# -- child processes --------------------------------------------------------------------------

# Runs a command and reports its wall time and peak memory (ru_maxrss of the waited child, KiB
# on Linux): the same figures as `/usr/bin/time -f "%e %M"`, without needing that program.
_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    start = time.perf_counter()
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_kib": peak, "rc": done.returncode,
                      "stdout": done.stdout[-2000:], "stderr": done.stderr[-2000:]}))
""")


def measure_child(command: list[str], env: dict | None = None) -> dict:
    """Wall seconds, peak memory (MB) and output of `command` run in a fresh child process."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                          text=True, env=env, cwd=REPO)
    out = json.loads(done.stdout)
    out["peak_mb"] = out["peak_kib"] / 1024
    return out


def child_env(url: str) -> dict:
    env = dict(os.environ)
    env["CTG_DATABASE_URL"] = url
    env["PYTHONPATH"] = str(REPO)
    return env


# -- a) import --------------------------------------------------------------------------------

def database_mb(url: str) -> float:
    path = Path(url.removeprefix("sqlite:///"))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def measure_import(content: bytes, name: str, url: str, profile: bool) -> dict:
    from ctg_data.importing import import_file
    from ctg_data.storage import Store

    t_calamine = statistics.median(timed(lambda: raw_calamine(content))[0] for _ in range(3))
    say(f"  raw calamine read (median of 3)   : {t_calamine:8.2f} s")
    t_openpyxl, _ = timed(lambda: raw_openpyxl(content))
    say(f"  raw openpyxl read (read-only)     : {t_openpyxl:8.2f} s")
    store = Store(url)
    t_import, outcome = timed(lambda: import_file(store, content, name, author="bench"))
    store.close()
    size = database_mb(url)
    say(f"  import_file                       : {t_import:8.2f} s "
        f"(× {t_import / t_calamine:.1f} calamine, openpyxl / import = "
        f"{t_openpyxl / t_import:.2f}); {len(outcome.version_ids)} versions, "
        f"{len(outcome.report.warnings)} warnings; database {size:.1f} MB")
    result = {"calamine": t_calamine, "openpyxl": t_openpyxl, "import": t_import,
              "versions": len(outcome.version_ids), "warnings": len(outcome.report.warnings),
              "errors": len(outcome.report.errors), "database_mb": size,
              "message": outcome.message, "profile": None}
    if profile:
        # A second import of the same file into another fresh database, under the profiler.
        profiled_url = url.replace(".sqlite", "-profil.sqlite")
        store = Store(profiled_url)
        profiler = cProfile.Profile()
        profiler.enable()
        import_file(store, content, name, author="bench")
        profiler.disable()
        store.close()
        result["profile"] = top_functions(profiler)
    return result


def top_functions(profiler, n: int = 20) -> str:
    """The `n` first functions by cumulative time of a profile (a cProfile.Profile or the
    path of a saved one)."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(n)
    text = out.getvalue()
    text = text[text.find("   ncalls"):] if "   ncalls" in text else text
    # Paths relative to the repository (and to the site-packages of the environment).
    text = text.replace(str(REPO) + "/", "")
    return re.sub(r"\S*/site-packages/", "", text).rstrip()


# -- d) open data -----------------------------------------------------------------------------

def profile_opendata(path: Path, folder: Path) -> str:
    """The profile of the CLI `opendata` import of `path` into a fresh database (a child
    process under cProfile)."""
    url = f"sqlite:///{folder / 'profil-opendata.sqlite'}"
    stats = folder / "opendata.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "ctg_data",
                    "opendata", str(path), "--db", url], capture_output=True,
                   env=child_env(url), cwd=REPO)
    # 30 lines: the first ones are the interpreter starting the module.
    return top_functions(str(stats), 30) if stats.is_file() else "(profil indisponible)"


def measure_opendata(path: Path, url: str) -> dict:
    read = measure_child([sys.executable, "-c",
                          "import sys, pandas; pandas.read_csv(sys.argv[1], sep=';', "
                          "dtype=str, encoding='utf-8-sig', keep_default_na=False)",
                          str(path)])
    say(f"  baseline pandas.read_csv (child)  : {read['seconds']:8.2f} s, "
        f"peak {read['peak_mb']:.0f} MB")
    size_before = database_mb(url)
    run = measure_child([sys.executable, "-m", "ctg_data", "opendata", str(path), "--db", url],
                        env=child_env(url))
    size_after = database_mb(url)
    last = (run["stdout"].strip().splitlines() or [""])[-1]
    say(f"  CLI opendata (child)              : {run['seconds']:8.2f} s, "
        f"peak {run['peak_mb']:.0f} MB, exit {run['rc']}: {last[:120]}")
    if run["rc"] != 0:
        say("    " + run["stderr"].strip()[-600:])
    return {"seconds": run["seconds"], "peak_mb": run["peak_mb"], "rc": run["rc"],
            "output": last, "stderr": run["stderr"].strip()[-600:],
            "read_seconds": read["seconds"], "read_peak_mb": read["peak_mb"],
            "database_growth_mb": size_after - size_before}


# -- c) cross-territory indicators ------------------------------------------------------------

def _territory_tables(store, territories, years):
    tables = territories.load(store)
    references = territories.stored_references(store, tables)
    series = territories.coverage_table(tables, years)
    return sum(len(territories.territory_table(tables, year, references=references,
                                               series=series)) for year in years)


def measure_territories(url: str, profile: bool) -> dict:
    """Time the cross-territory table of ctg_data.territories for every year (one load of
    the stored tables, the coverage series once, one table per year, references included)."""
    from ctg_data.storage import Store

    try:
        from ctg_data import territories
    except ImportError as exc:
        return {"note": f"ctg_data.territories absent ({exc})"}
    store = Store(url)
    try:
        years = list(make_caf_data.YEARS)
        start = time.perf_counter()
        tables = territories.load(store)
        t_load = time.perf_counter() - start
        references = territories.stored_references(store, tables)
        t_refs = time.perf_counter() - start - t_load
        series = territories.coverage_table(tables, years)
        rows = 0
        for year in years:
            rows += len(territories.territory_table(tables, year, references=references,
                                                    series=series))
        total = time.perf_counter() - start
        say(f"  territories: load {t_load:.2f} s + references {t_refs:.2f} s + "
            f"{len(years)} years -> {total:8.2f} s ({rows} rows)")
        t_build = []
        for year in years:
            t_build.append(timed(lambda: territories.build(store, year))[0])
        say(f"  territories.build(store, year) ×{len(years)} (CLI path): {sum(t_build):.2f} s "
            f"(median {statistics.median(t_build):.2f} s per year)")
        result = {"seconds": total, "load": t_load, "references": t_refs, "rows": rows,
                  "build_total": sum(t_build), "build_median": statistics.median(t_build),
                  "profile": None}
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(_territory_tables, store, territories, years)
            result["profile"] = top_functions(profiler)
        return result
    except Exception as exc:  # an API still moving under us: say so, keep measuring the rest
        return {"note": f"ctg_data.territories failed: {type(exc).__name__}: {exc}"}
    finally:
        store.close()


# -- b) pages ---------------------------------------------------------------------------------

def page_files() -> list[str]:
    """Every page of the app's menu whose file exists (app.PAGES order), then any other file of
    pages/ (it cannot be switched to when the menu does not list it)."""
    import ast

    tree = ast.parse((REPO / "app.py").read_text())
    listed = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES"
                                                for t in node.targets):
            listed = [entry.elts[1].value for entry in node.value.elts]
    files = [f for f in listed if (REPO / f).is_file()]
    others = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pages").glob("*.py"))
    return files + [f for f in others if f not in files]


def _problems(at) -> str | None:
    if at.exception:
        return "; ".join(str(e.value)[:200] for e in at.exception)
    return None


def time_reruns(at, repeat: int, fastest: list | None = None) -> float:
    """The median seconds of `repeat` reruns of `at` (the fastest is appended to `fastest`:
    on a shared machine it shows what the page costs without interference)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    if fastest is not None:
        fastest.append(min(times))
    return statistics.median(times)


def empty_page_seconds(folder: Path, repeat: int) -> float:
    from streamlit.testing.v1 import AppTest

    script = folder / "page_vide.py"
    script.write_text('import streamlit as st\n\nst.write("x")\n')
    at = AppTest.from_file(str(script), default_timeout=60)
    at.run()
    return time_reruns(at, repeat)


def frame_page_seconds(folder: Path, code: str, repeat: int) -> float:
    """An empty page inside the app's frame (state, sidebar with the territory list): the
    fixed cost every page pays, timed like the pages (informative, not the target's
    baseline)."""
    from streamlit.testing.v1 import AppTest

    script = folder / "page_cadre.py"
    script.write_text(f"import sys\n\nsys.path.insert(0, {str(REPO)!r})\n\n"
                      "import streamlit as st\n\nimport ctg_ui\n\n"
                      "ctg_ui.frame()\nst.write(\"x\")\n")
    at = AppTest.from_file(str(script), default_timeout=600)
    at.run()
    boxes = [s for s in at.sidebar.selectbox if s.key == "w_territoire"]
    if boxes:
        boxes[0].set_value(code).run()
    return time_reruns(at, repeat)


def open_app(code: str, timeout: float):
    """An AppTest of app.py with territory `code` selected."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    at.run()
    boxes = [s for s in at.sidebar.selectbox if s.key == "w_territoire"]
    if boxes:
        boxes[0].set_value(code).run()
    return at


def measure_pages(code: str, folder: Path, repeat: int) -> dict:
    # The baselines take a few milliseconds: more reruns make their median steady.
    empty = empty_page_seconds(folder, max(repeat, 9))
    say(f"  empty page rerun (median of {max(repeat, 9)})    : {empty:8.3f} s")
    try:
        frame = frame_page_seconds(folder, code, max(repeat, 9))
        say(f"  empty page in the app's frame     : {frame:8.3f} s")
    except Exception as exc:  # the frame's API moved: the figure is only informative
        frame = None
        say(f"  empty page in the app's frame     : failed ({type(exc).__name__}: {exc})")
    start, at = timed(lambda: open_app(code, 600))
    say(f"  app opened on {code}               : {start:8.2f} s")
    pages = []
    for page in page_files():
        entry = {"page": page, "first": None, "warm": None, "fastest": None, "problem": None}
        try:
            entry["first"], _ = timed(lambda: at.switch_page(page).run())
            entry["problem"] = _problems(at)
            fastest = []
            entry["warm"] = time_reruns(at, repeat, fastest)
            entry["fastest"] = fastest[0]
            entry["problem"] = entry["problem"] or _problems(at)
        except Exception as exc:  # e.g. a page file the menu does not list yet
            entry["problem"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        pages.append(entry)
        warm = f"{entry['warm']:8.3f} s" if entry["warm"] is not None else "       —"
        first = f"{entry['first']:.2f} s" if entry["first"] is not None else "—"
        say(f"  {page:32s}: warm {warm} (fastest {_s(entry['fastest'], 3)}, first {first})"
            + (f" PROBLEM: {entry['problem']}" if entry["problem"] else ""))
    return {"empty": empty, "frame": frame, "pages": pages}


# -- e) server memory -------------------------------------------------------------------------

def memory_child(code: str, empty_only: bool) -> None:
    """(Child process.) Run every page (or the empty page) in this process with AppTest, then
    print the peak and current resident memory as JSON."""
    problems = []
    if empty_only:
        with tempfile.TemporaryDirectory() as folder:
            empty_page_seconds(Path(folder), 1)
    else:
        at = open_app(code, 600)
        for page in page_files():
            try:
                at.switch_page(page).run()
                if _problems(at):
                    problems.append(f"{page}: {_problems(at)}")
            except Exception as exc:
                problems.append(f"{page}: {type(exc).__name__}: {str(exc)[:200]}")
    # VmHWM, not getrusage's ru_maxrss: after fork + exec, ru_maxrss still counts the memory of
    # the parent (this benchmark) at the fork; VmHWM is the peak of this program alone.
    status = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmHWM", "VmRSS")):
            status[line.split(":")[0]] = int(line.split()[1]) / 1024
    peak = status.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({"peak_mb": peak, "current_mb": status.get("VmRSS"),
                      "problems": problems}))


def measure_memory(url: str, code: str) -> dict:
    out = {}
    for label, extra in (("empty", ["--empty-only"]), ("pages", [])):
        done = subprocess.run([sys.executable, __file__, "--memory-child", code, *extra],
                              capture_output=True, text=True, env=child_env(url), cwd=REPO)
        try:
            out[label] = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            out[label] = {"peak_mb": None, "current_mb": None,
                          "problems": [done.stderr.strip()[-600:]]}
    say(f"  memory after the empty page       : peak {_s(out['empty']['peak_mb'], 0, ' MB')}")
    say(f"  memory after every page           : peak {out['pages']['peak_mb']:.0f} MB, "
        f"current {out['pages']['current_mb']:.0f} MB"
        if out["pages"]["peak_mb"] else f"  memory child failed: {out['pages']['problems']}")
    return out


# -- the report -------------------------------------------------------------------------------

def _n(x: int) -> str:
    return f"{x:,}".replace(",", "\u202f")


def _s(x, digits=2, unit=" s"):
    return "—" if x is None else f"{x:.{digits}f}{unit}"


def write_results(path: Path, info: dict) -> None:
    a, b, c, d, e = (info[k] for k in "abcde")
    lines = [
        "# Mesures à l'échelle d'une Caf (issue 9)",
        "",
        f"Écrit par `bench/bench_caf_scale.py{' --quick' if info['quick'] else ''}` "
        f"(`make bench`) le {info['date']}. Durées en secondes d'horloge ; chaque référence est "
        "mesurée dans le même processus et la même exécution. La machine est partagée : la "
        "charge moyenne (1 / 5 / 15 min) est donnée au début et à la fin.",
        "",
        "## Machine",
        "",
        f"- Processeurs (nproc) : {info['machine']['nproc']} — {info['machine']['cpu']}",
        f"- Mémoire : {info['machine']['memory']}",
        f"- Python {info['machine']['python']}, pandas {info['machine']['pandas']}, "
        f"streamlit {info['machine']['streamlit']} ({info['machine']['os']})",
        f"- Charge moyenne : {info['load_start']} au début, {info['load_end']} à la fin ; "
        f"durée totale de la mesure {info['total']:.0f} s",
        "",
        "## Données",
        "",
        f"- `{info['workbook']}` : {info['territories']} territoires × 5 ans, "
        f"{_n(info['workbook_rows'])} lignes, {info['workbook_mb']:.1f} Mo",
        f"- `{info['commune_file']}` : {_n(info['commune_lines'])} lignes "
        f"(communes × 2 ans), {info['commune_mb']:.1f} Mo",
        "",
        "## Objectifs",
        "",
        "| Mesure | Valeur | Référence (même exécution) | Rapport | Objectif | Atteint |",
        "|---|---|---|---|---|---|",
    ]
    ratio_c = a["import"] / a["calamine"]
    ratio_o = a["openpyxl"] / a["import"]
    lines += [
        f"| Import du classeur (`import_file`) | {_s(a['import'])} | lecture brute calamine "
        f"{_s(a['calamine'])} | × {ratio_c:.1f} | ≤ × {IMPORT_VS_CALAMINE:g} | "
        f"{met(ratio_c <= IMPORT_VS_CALAMINE)} |",
        f"| Import du classeur (`import_file`) | {_s(a['import'])} | lecture brute openpyxl "
        f"{_s(a['openpyxl'])} | {ratio_o:.2f} × plus rapide | ≥ {IMPORT_VS_OPENPYXL:g} × plus "
        f"rapide | {met(ratio_o >= IMPORT_VS_OPENPYXL)} |",
        f"| Base SQLite après l'import | {a['database_mb']:.1f} Mo | — | — | "
        f"≤ {DATABASE_MB:g} Mo | {met(a['database_mb'] <= DATABASE_MB)} |",
    ]
    slowest = None
    if b is not None:
        # The target's baseline: an empty page of the app (its frame), else a bare script.
        base = b["frame"] or b["empty"]
        measured = [p for p in b["pages"] if p["warm"] is not None
                    and p["page"] != TERRITOIRES_PAGE]
        failed = [p["page"] for p in b["pages"] if p["problem"]]
        if measured:
            slowest = max(measured, key=lambda p: p["warm"])
            over = ", ".join(f"`{p['page']}`" for p in measured
                             if p["warm"] > PAGE_VS_EMPTY * base) or "aucune"
            lines += [
                f"| Relance à chaud de chaque page (la plus lente : `{slowest['page']}`) | "
                f"{_s(slowest['warm'], 3)} | — | — | ≤ {PAGE_S:g} s | "
                f"{met(slowest['warm'] <= PAGE_S and not failed)} |",
                f"| Relance à chaud de chaque page / page vide (au-delà : {over}) | "
                f"{_s(slowest['warm'], 3)} | page vide de l'application {_s(base, 3)} | "
                f"× {slowest['warm'] / base:.1f} | ≤ × {PAGE_VS_EMPTY:g} | "
                f"{met(slowest['warm'] <= PAGE_VS_EMPTY * base and not failed)} |"]
        terr = next((p for p in b["pages"] if p["page"] == TERRITOIRES_PAGE), None)
        if terr is not None and terr["warm"] is not None:
            lines.append(
                f"| Relance à chaud de la page Territoires | {_s(terr['warm'], 3)} | page vide "
                f"{_s(base, 3)} | × {terr['warm'] / base:.1f} | ≤ "
                f"{TERRITOIRES_PAGE_S:g} s | {met(terr['warm'] <= TERRITOIRES_PAGE_S)} |")
        else:
            why = (terr or {}).get("problem") or "fichier absent"
            lines.append(f"| Page Territoires | non mesurée | — | — | "
                         f"≤ {TERRITOIRES_PAGE_S:g} s | — ({why}) |")
    if "seconds" in c:
        lines.append(
            f"| Indicateurs de tous les territoires ({info['territories']} × 5 ans) | "
            f"{_s(c['seconds'])} | — | — | ≤ {TERRITORY_TABLE_S:g} s | "
            f"{met(c['seconds'] <= TERRITORY_TABLE_S)} |")
    else:
        lines.append(f"| Indicateurs de tous les territoires | non mesurés | — | — | ≤ "
                     f"{TERRITORY_TABLE_S:g} s | — ({c['note']}) |")
    ok_d = d["rc"] == 0
    lines += [
        f"| Import open data du fichier communal (CLI, processus fils) | {_s(d['seconds'])} | "
        f"`pandas.read_csv` {_s(d['read_seconds'])} | × {d['seconds'] / d['read_seconds']:.1f} "
        f"| ≤ {OPENDATA_S:g} s | {met(ok_d and d['seconds'] <= OPENDATA_S)} |",
        f"| Mémoire de pointe de cet import | {d['peak_mb']:.0f} Mo | `pandas.read_csv` "
        f"{d['read_peak_mb']:.0f} Mo | × {d['peak_mb'] / d['read_peak_mb']:.1f} | ≤ "
        f"{OPENDATA_MB:g} Mo | {met(ok_d and d['peak_mb'] <= OPENDATA_MB)} |",
    ]
    pages_mem, empty_mem = e["pages"], e["empty"].get("peak_mb")
    if pages_mem.get("peak_mb"):
        ok_mem = pages_mem["peak_mb"] <= SERVER_MB and not pages_mem["problems"]
        ratio_mem = f"× {pages_mem['peak_mb'] / empty_mem:.1f}" if empty_mem else "—"
        lines.append(
            f"| Mémoire du serveur après toutes les pages (pic / courante) | "
            f"{pages_mem['peak_mb']:.0f} / {pages_mem['current_mb']:.0f} Mo | page vide "
            f"{_s(empty_mem, 0, ' Mo')} | {ratio_mem} | ≤ {SERVER_MB:g} Mo | {met(ok_mem)} |")
    else:
        lines.append(f"| Mémoire du serveur après toutes les pages | non mesurée | — | — | "
                     f"≤ {SERVER_MB:g} Mo | — |")

    lines += ["", "## Détails", "",
              f"- Import : {a['versions']} versions créées, {a['warnings']} avertissements, "
              f"{a['errors']} erreur(s).",
              f"- Open data : code de sortie {d['rc']} ; « {d['output'][:300]} » ; la base a "
              f"grossi de {d['database_growth_mb']:.1f} Mo."]
    if d["rc"] != 0:
        lines.append(f"- Erreur de l'import open data : `{d['stderr']}`")
    if "seconds" in c:
        lines.append(
            f"- Indicateurs : chargement des tables {_s(c['load'])}, références "
            f"{_s(c['references'])}, puis série de couverture et un tableau par année ; "
            f"{c['rows']} lignes. Par le chemin de la ligne de commande "
            f"(`territories.build(store, année)`, tout rechargé à chaque année) : "
            f"{_s(c['build_total'])} pour les 5 années.")
    if b is not None:
        base = b["frame"] or b["empty"]
        lines += ["", f"### Pages (territoire {info['code']}, le plus grand ; base avec les "
                      "références communales)", "",
                  "Page vide de l'application (`ctg_ui.frame()` : état, barre latérale et "
                  "liste des territoires, puis `st.write(\"x\")`), la référence de l'objectif "
                  f"« ≤ 10 × une page vide » : {_s(b['frame'], 3)} par relance (médiane de 9). "
                  f"Script nu `st.write(\"x\")` hors de l'application : {_s(b['empty'], 3)} "
                  "par relance (pour information : aucune page de l'application n'a ce coût).",
                  "",
                  "| Page | Relance à chaud (médiane de 3) | la plus rapide | × page vide "
                  "| × cadre | Premier affichage | Atteint | Problème |",
                  "|---|---|---|---|---|---|---|---|"]
        for p in b["pages"]:
            limit = TERRITOIRES_PAGE_S if p["page"] == TERRITOIRES_PAGE else PAGE_S
            ok = (None if p["warm"] is None else
                  p["warm"] <= limit and (p["page"] == TERRITOIRES_PAGE
                                          or p["warm"] <= PAGE_VS_EMPTY * base))
            ratio = "—" if p["warm"] is None else f"× {p['warm'] / b['empty']:.1f}"
            ratio_frame = ("—" if p["warm"] is None or not b["frame"]
                           else f"× {p['warm'] / b['frame']:.1f}")
            lines.append(f"| `{p['page']}` | {_s(p['warm'], 3)} | {_s(p['fastest'], 3)} | "
                         f"{ratio} | {ratio_frame} | "
                         f"{_s(p['first'])} | {met(ok)} | {p['problem'] or ''} |")
    if pages_mem.get("problems"):
        lines += ["", "Problèmes pendant la mesure de mémoire : "
                  + " ; ".join(pages_mem["problems"])]
    for title, text in (("de l'import du classeur", a.get("profile")),
                        ("de l'import open data (ligne de commande)", d.get("profile")),
                        ("des indicateurs de tous les territoires", c.get("profile"))):
        if text:
            lines += ["", f"### Profil {title} (cProfile, premières fonctions en temps "
                          "cumulé)", "", "```", text, "```"]
    # bench_pages_browser.py owns its block of the same file: keep it.
    kept = ""
    if path.exists():
        text = path.read_text()
        start, end = "<!-- pages-navigateur:start -->", "<!-- pages-navigateur:end -->"
        if start in text and end in text:
            kept = "\n" + text[text.index(start):text.index(end) + len(end)] + "\n"
    path.write_text("\n".join(lines) + "\n" + kept)


# -- main -------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="50 territories and 5,000 communes (a smoke run)")
    parser.add_argument("--territoires", type=int, help="territories of the workbook")
    parser.add_argument("--communes", type=int, help="communes of the national file")
    parser.add_argument("--repeat", type=int, default=3, help="reruns timed per page")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True,
                        help="profile a second run of the imports and of the territories' "
                             "table, and add the profiles to the results (default)")
    parser.add_argument("--out", type=Path, help="results file (default bench/results.md; "
                                                 "bench/data/results-quick.md with --quick)")
    parser.add_argument("--memory-child", metavar="CODE", help=argparse.SUPPRESS)
    parser.add_argument("--empty-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.empty_only)
        return 0

    territories = args.territoires or (50 if args.quick else make_caf_data.TERRITORIES)
    communes = args.communes or (5_000 if args.quick else make_caf_data.COMMUNES)
    out = args.out or (make_caf_data.DATA / "results-quick.md" if args.quick
                       else BENCH / "results.md")
    started = time.perf_counter()
    info = {"quick": args.quick, "date": datetime.now().strftime("%d/%m/%Y %H:%M"),
            "machine": machine(), "load_start": load_average(), "territories": territories}
    workbook = make_caf_data.caf_workbook_path(territories)
    commune_file = make_caf_data.commune_file_path(communes)
    content = workbook.read_bytes()
    info.update(workbook=workbook.relative_to(REPO).as_posix(),
                workbook_mb=len(content) / 1e6, commune_file=commune_file.relative_to(REPO)
                .as_posix(), commune_mb=commune_file.stat().st_size / 1e6,
                commune_lines=commune_file.read_bytes().count(b"\n") - 1)
    # The territory shown on the pages: the largest one (most rows to compute with).
    chosen = make_caf_data.nord_territories()[:territories]
    info["code"] = max(chosen, key=lambda t: t["population"])["code"]
    say(f"Caf-scale bench: {workbook.name} ({territories} territories), {commune_file.name}; "
        f"load average {info['load_start']}")

    with tempfile.TemporaryDirectory(prefix="bench_caf_") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'ctg.sqlite'}"
        os.environ["CTG_DATABASE_URL"] = url
        say("a) import of the workbook")
        info["a"] = measure_import(content, workbook.name, url, args.profile)
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        info["workbook_rows"] = sum(len(book.get_sheet_by_name(n).to_python()) - 1
                                    for n in book.sheet_names)
        say("d) open-data import of the national commune file (into the same database)")
        info["d"] = measure_opendata(commune_file, url)
        info["d"]["profile"] = (profile_opendata(commune_file, folder) if args.profile
                                else None)
        say("c) cross-territory indicators")
        info["c"] = measure_territories(url, args.profile)
        if "note" in info["c"]:
            say(f"  {info['c']['note']}")
        say("b) warm reruns of every page (AppTest)")
        info["b"] = measure_pages(info["code"], folder, args.repeat)
        say("e) server memory after every page (child processes)")
        info["e"] = measure_memory(url, info["code"])
    info["load_end"] = load_average()
    info["total"] = time.perf_counter() - started
    write_results(out, info)
    say(f"Results written to {out.relative_to(REPO) if out.is_relative_to(REPO) else out} "
        f"({info['total']:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
