"""The package's own files: the report and exploration notebooks, the report's nbconvert
template and the bundled demo exports.

The repository's top-level `notebooks/`, `templates/` and `data/demo/exports/` are the one
copy of them. Building the wheel maps them into the package (`agentaudit/_data/`, see
pyproject.toml), so an installed agentaudit finds them there; a source checkout (an editable
install) finds them in the repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from agentaudit.errors import AgentAuditError

# Each folder a wheel carries under agentaudit/_data/, and where it lives in the repository
# (pyproject.toml's [tool.setuptools.package-dir] maps the same pairs).
FOLDERS = {"notebooks": "notebooks", "templates": "templates", "demo": "data/demo/exports"}


def asset(folder: str, name: str = "") -> Path:
    """The path of one of the package's own folders (see FOLDERS), or of a file in it."""
    packaged = Path(str(resources.files("agentaudit").joinpath("_data", folder, name)))
    if packaged.exists():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / FOLDERS[folder] / name
    if checkout.exists():
        return checkout
    relative = f"{FOLDERS[folder]}/{name}".rstrip("/")
    raise AgentAuditError(
        f"agentaudit's own {relative} is missing from this installation: "
        "reinstall the package (a wheel carries it under agentaudit/_data/)"
    )


def notebook(name: str) -> Path:
    """A notebook shipped with agentaudit (`assessment.ipynb`, `explore.ipynb`)."""
    return asset("notebooks", name)


def templates() -> Path:
    """The folder of nbconvert templates (the report's `agentaudit` template)."""
    return asset("templates")


def demo_exports() -> Path:
    """The bundled demo enterprise's exports (written by `agentaudit synth`)."""
    return asset("demo")
