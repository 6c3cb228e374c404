"""Settings: every setting documented in the README, environment overrides typed."""

from pathlib import Path

from ctg_data import settings

README = Path(__file__).resolve().parent.parent / "README.md"


def section(text: str, name: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_readme_settings_section_is_current():
    assert section(README.read_text(encoding="utf-8"), "settings") == settings.markdown_table()


def test_every_setting_has_french_help_and_env_var():
    for s in settings.SETTINGS:
        assert s.help.strip() and s.env_var == "CTG_" + s.name.upper()


def test_environment_overrides_keep_the_default_type(monkeypatch):
    monkeypatch.setenv("CTG_SEUIL_SECRET", "11")
    monkeypatch.setenv("CTG_MARGE_EN_BONNE_VOIE", "90.5")
    assert settings.get("seuil_secret") == 11
    assert settings.get("marge_en_bonne_voie") == 90.5
    monkeypatch.delenv("CTG_SEUIL_SECRET")
    assert settings.get("seuil_secret") == 5
