"""Start-up stays light: the app and `srx --help` load no machine-learning libraries (checked in a fresh process).

scikit-learn, scipy and skops take seconds to import; they load where a model is trained or loaded, or a
ranking is computed, never when a worker builds the app or someone asks the command line for help.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy", "skops")


def _loaded_after(code: str, tmp_path: Path) -> list[str]:
    probe = f"""
import sys
{code}
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m == "sqlalchemy")))
"""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path}/srx.sqlite3",
        "SEARCH_SQLITE_PATH": str(tmp_path / "search.sqlite3"),
        "SECRET_KEY": "test",
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_creating_the_app_loads_no_machine_learning_library(tmp_path: Path) -> None:
    loaded = _loaded_after("import marketplace\nmarketplace.create_app()", tmp_path)
    assert [m for m in loaded if m != "sqlalchemy"] == []


def test_srx_help_loads_neither_the_database_layer_nor_the_app(tmp_path: Path) -> None:
    code = """
import contextlib, io
sys.argv = ["srx", "--help"]
from marketplace.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit:
        pass
assert "recommend" in out.getvalue() and "seed" in out.getvalue(), out.getvalue()
"""
    assert _loaded_after(code, tmp_path) == []
