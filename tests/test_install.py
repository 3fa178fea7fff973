"""agentaudit as a user installs it: a wheel (not an editable checkout) in a fresh virtual
environment, run from a folder that has nothing to do with the repository."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

import agentaudit

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_lists_every_package_of_the_source_tree():
    """pyproject.toml lists its packages (three asset folders are mapped in from outside the
    package); a new subpackage missing from the list would be missing from the wheel."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = {p for p in config["packages"] if not p.startswith("agentaudit._data")}
    found = {"agentaudit"} | {
        m.name for m in pkgutil.walk_packages(agentaudit.__path__, "agentaudit.") if m.ispkg
    }
    assert listed == found
    assert set(config["package-dir"].values()) == {"notebooks", "templates", "data/demo/exports"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding agentaudit's wheel; its dependencies come from the test venv (a
    path entry, not a site dir, so the test venv's editable agentaudit stays out of sight)."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("agentaudit-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "test-venv-dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + [str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    # The dependencies' data files (nbconvert's base templates) sit in the test venv's
    # share/jupyter, where installing them into the fresh venv would have put them there.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return subprocess.run(
        [str(venv / "bin" / "agentaudit"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_an_installed_wheel_runs_demo_report_batch_and_lab_from_any_folder(
    installed: Path, tmp_path: Path
):
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import agentaudit; print(agentaudit.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert str(installed) in where  # the wheel, not the repository
    res = _run(installed, tmp_path, "demo", "--out", "out")
    assert res.returncode == 0, res.stderr[-2000:]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Demo Enterprise" in html and "maturity" in html.lower()
    assert (tmp_path / "out" / "demo.duckdb").stat().st_size > 0
    # report from the demo's bundle, a batch over the shipped demo exports, lab's notebook
    res = _run(installed, tmp_path, "report", "--bundle", "out/bundle", "--client", "Again")
    assert res.returncode == 2 and "--out" in res.stderr  # usage: one line, no traceback
    res = _run(
        installed, tmp_path, "report", "--bundle", "out/bundle", "--client", "Again", "--out", "r"
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Again" in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    exports = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "from agentaudit import resources; print(resources.demo_exports())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # not the repository: `python -c` imports from its working folder
    ).stdout.strip()
    assert str(installed) in exports
    (tmp_path / "clients.yaml").write_text(
        f"clients:\n  - client: Shipped\n    exports: {exports}\n"
    )
    res = _run(installed, tmp_path, "batch", "clients.yaml", "--out", "b", "--workers", "1")
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "b" / "portfolio.html").exists()
    res = _run(installed, tmp_path, "lab", "--db", "out/demo.duckdb", "--dry-run")
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "out" / "lab" / "explore.ipynb").exists()
