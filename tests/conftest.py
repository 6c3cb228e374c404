"""Shared fixtures: a real SQLite file in a temp dir, the sample workbook bytes."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "ctg_lys_lez_lannoy.xlsx"


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    """A fresh SQLite database file, also exported as CTG_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'ctg.sqlite'}"
    monkeypatch.setenv("CTG_DATABASE_URL", url)
    return url


@pytest.fixture
def sample_bytes():
    """The bytes of the bundled Lys-lez-Lannoy example workbook."""
    return SAMPLE.read_bytes()
