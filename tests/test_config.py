from pathlib import Path

from analysis import config

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_in_the_readme_with_its_default():
    text = README.read_text(encoding="utf-8")
    for setting in config.SETTINGS:
        row = next((line for line in text.splitlines() if line.startswith(f"| {setting.name} |")), None)
        assert row is not None, f"{setting.name} missing from README settings table"
        assert f"`{setting.env}`" in row
        assert setting.help in row
        default = setting.default.replace(str(Path.home()), "~")
        assert default in row


def test_environment_overrides_are_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.setenv("DARKFIGURE_STORE", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("DARKFIGURE_SUPPRESSION_THRESHOLD", "10")
    assert config.store_path() == tmp_path / "x.duckdb"
    assert config.suppression_threshold() == 10
    assert config.store_path("explicit.duckdb") == Path("explicit.duckdb")
