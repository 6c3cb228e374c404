"""The code's shape, as docs/architecture.md promises it: short functions and modules in the
core, no Streamlit in the core, private Streamlit APIs in one small module only."""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "ctg_data"
MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 700
# The one module allowed to reach into Streamlit's private API (documented there).
INTERNALS = REPO / "ctg_ui" / "_streamlit_internals.py"
PRIVATE_STREAMLIT = re.compile(r"^\s*(from|import)\s+streamlit\.(runtime|web|elements\.lib|"
                               r"components\.lib|proto)\b", re.MULTILINE)


def _core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _app_modules() -> list[Path]:
    return sorted([REPO / "app.py", *(REPO / "pages").glob("*.py"),
                   *(REPO / "ctg_ui").rglob("*.py"), *CORE.rglob("*.py")])


def test_no_core_function_is_longer_than_the_limit():
    long = []
    for path in _core_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length})")
    assert long == []


def test_no_core_module_is_longer_than_the_limit():
    long = [f"{p.relative_to(REPO)} ({n})" for p in _core_modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


def test_the_core_never_imports_streamlit():
    found = [str(p.relative_to(REPO)) for p in _core_modules()
             if re.search(r"^\s*(from|import)\s+streamlit\b", p.read_text(encoding="utf-8"),
                          re.MULTILINE)]
    assert found == []


def test_private_streamlit_imports_live_in_one_small_module():
    found = [str(p.relative_to(REPO)) for p in _app_modules()
             if p != INTERNALS and PRIVATE_STREAMLIT.search(p.read_text(encoding="utf-8"))]
    assert found == []
    if INTERNALS.exists():
        text = INTERNALS.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 80
        assert text.lstrip().startswith('"""')   # it says why it exists


@pytest.mark.parametrize("source, expected", [
    ("from streamlit.runtime.scriptrunner import get_script_run_ctx\n", True),
    ("    import streamlit.web.bootstrap\n", True),
    ("import streamlit as st\nfrom streamlit.testing.v1 import AppTest\n", False),
])
def test_the_private_import_pattern_finds_what_it_must(source, expected):
    assert bool(PRIVATE_STREAMLIT.search(source)) is expected


def test_the_architecture_page_names_every_module():
    """docs/architecture.md is the map a newcomer reads: each module of the core and of the UI
    layer appears in its layout block under its own package."""
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    layout = doc[doc.index("```\napp.py"):]
    layout = layout[:layout.index("\n```\n")]
    missing = []
    for base in ("ctg_data", "ctg_ui"):
        for path in sorted((REPO / base).rglob("*.py")):
            if path.name in ("__init__.py", "__main__.py"):
                continue
            package = path.parent.name + "/"
            # The module's name, after its package's line when it is in a sub-package.
            start = layout.index(package) if path.parent.name not in ("ctg_data", "ctg_ui") \
                and package in layout else 0
            if not re.search(rf"\b{re.escape(path.name)}\b", layout[start:]):
                missing.append(str(path.relative_to(REPO)))
    assert missing == []
