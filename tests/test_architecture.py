"""House rules that keep the layers apart (STYLE.md)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_analysis_never_imports_dash_or_plotly():
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imported_modules(p) & {"dash", "plotly", "dashboard"})
        for p in (ROOT / "analysis").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_packages_does_no_io_and_builds_no_app():
    code = (
        "import sys, builtins\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "def spy(file, *a, **k):\n"
        "    opened.append(str(file)); return real_open(file, *a, **k)\n"
        "builtins.open = spy\n"
        "import analysis, analysis.cli, analysis.schema, analysis.reference, analysis.config\n"
        "builtins.open = real_open\n"
        "mine = [f for f in opened if 'data/' in f or f.endswith('.duckdb')]\n"
        "assert not mine, mine\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
