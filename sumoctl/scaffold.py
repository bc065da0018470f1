"""`sumoctl init`: scaffold a new detections repository from the one this package ships.

The shipped repository is package data: `sumoctl/_shipped/` holds symlinks to this project's own `monitors/`,
`queries/`, `templates/`, `environments/`, `tests/events/`, `.github/workflows/` and the GitLab example, which
setuptools follows when it builds the wheel, so git keeps one copy and a plain `pip install` carries it.
`sumoctl/scaffold_files/` holds what only a new repository needs (its README, pre-commit config, editor settings).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from sumoctl import __version__
from sumoctl.errors import SumoctlError
from sumoctl.project.loader import ENVIRONMENTS_DIR, EVENTS_DIR, MONITORS_DIR, QUERIES_DIR, TEMPLATES_DIR
from sumoctl.schemas import SCHEMA_FILES, json_schema

# sumoctl installs as plain files (not zip-safe), so the data sits next to this module.
SHIPPED = Path(__file__).resolve().parent / "_shipped"
SCAFFOLD_FILES = Path(__file__).resolve().parent / "scaffold_files"

SCHEMAS_DIR = "schemas"
DETECTION_SCHEMA = "detection.schema.json"
ENVIRONMENT_SCHEMA = "environment.schema.json"
EXAMPLE_ENVIRONMENT = "example.yaml"
MODELINE_PREFIX = "# yaml-language-server:"
VERSION_PLACEHOLDER = "__SUMOCTL_VERSION__"

# scaffold_files/<name> -> path in the new repository. Kept without leading dots in this package so that they
# neither act on this repository (a .gitignore would) nor need dotfile globs in the package data.
TEAM_FILES = {
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "requirements.txt": "requirements.txt",
    "vscode/extensions.json": ".vscode/extensions.json",
}


class CiSystem(str, Enum):
    github = "github"
    gitlab = "gitlab"
    none = "none"


@dataclass
class Scaffold:
    """What `init` wrote: the new repository's root and its files, relative to it, sorted."""

    root: Path
    files: list[str] = field(default_factory=list)


def modeline(schema_relpath: str) -> str:
    """The first line that makes the YAML language server (VS Code, JetBrains, Neovim…) validate and complete."""
    return f"{MODELINE_PREFIX} $schema={schema_relpath}\n"


def with_modeline(text: str, schema_relpath: str) -> str:
    """`text` with a schema modeline as its first line, replacing one that is already there."""
    if text.startswith(MODELINE_PREFIX):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return modeline(schema_relpath) + text


def vscode_settings() -> dict:
    """Schema mapping by glob, for editors that ignore modelines (and for files added later)."""
    return {
        "yaml.schemas": {
            f"./{SCHEMAS_DIR}/{DETECTION_SCHEMA}": [f"{MONITORS_DIR}/*.yaml", f"{MONITORS_DIR}/*.yml"],
            f"./{SCHEMAS_DIR}/{ENVIRONMENT_SCHEMA}": [f"{ENVIRONMENTS_DIR}/*.yaml", f"{ENVIRONMENTS_DIR}/*.yml"],
        },
        "files.associations": {"*.sumo.j2": "jinja"},
    }


def _check_target(target: Path, shown: str) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SumoctlError("exists and is not a folder: sumoctl init creates a new repository", shown)
    if target.is_dir() and any(target.iterdir()):
        raise SumoctlError("folder is not empty: sumoctl init only creates a new repository", shown)


def _shipped(name: str) -> Path:
    source = SHIPPED / name
    if not source.exists():
        raise SumoctlError(f"this sumoctl installation lacks its shipped {name!r}: reinstall sumoctl", str(source))
    return source


def _copy_tree(source: Path, dest: Path) -> None:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


def _write(root: Path, relpath: str, text: str) -> None:
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _populate(root: Path, ci: CiSystem) -> None:
    for name in (QUERIES_DIR, TEMPLATES_DIR):
        _copy_tree(_shipped(name), root / name)
    # Events are optional in the pack: a detection without offline test cases still validates.
    if (SHIPPED / "events").is_dir():
        _copy_tree(SHIPPED / "events", root / EVENTS_DIR)

    for path in sorted(_shipped("monitors").iterdir()):
        if path.suffix in (".yaml", ".yml"):
            text = with_modeline(path.read_text(encoding="utf-8"), f"../{SCHEMAS_DIR}/{DETECTION_SCHEMA}")
            _write(root, f"{MONITORS_DIR}/{path.name}", text)
    example = _shipped("environments") / EXAMPLE_ENVIRONMENT
    text = with_modeline(example.read_text(encoding="utf-8"), f"../{SCHEMAS_DIR}/{ENVIRONMENT_SCHEMA}")
    _write(root, f"{ENVIRONMENTS_DIR}/{EXAMPLE_ENVIRONMENT}", text)

    for name, model in SCHEMA_FILES.items():
        _write(root, f"{SCHEMAS_DIR}/{name}", json.dumps(json_schema(model), indent=2) + "\n")
    _write(root, ".vscode/settings.json", json.dumps(vscode_settings(), indent=2) + "\n")

    for name, relpath in TEAM_FILES.items():
        text = (SCAFFOLD_FILES / name).read_text(encoding="utf-8")
        _write(root, relpath, text.replace(VERSION_PLACEHOLDER, __version__))

    if ci is CiSystem.github:
        for path in sorted(_shipped("workflows").glob("*.yml")):
            _write(root, f".github/workflows/{path.name}", path.read_text(encoding="utf-8"))
    elif ci is CiSystem.gitlab:
        _write(root, ".gitlab-ci.yml", _shipped("gitlab-ci.yml").read_text(encoding="utf-8"))


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _move_children(staging: Path, target: Path) -> None:
    """Fill an existing empty folder (e.g. `sumoctl init .`) without replacing it, so a shell inside it stays valid."""
    moved: list[Path] = []
    try:
        for child in sorted(staging.iterdir()):
            os.rename(child, target / child.name)
            moved.append(target / child.name)
    except BaseException:
        for path in moved:  # the folder was empty: everything in it now is ours
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        raise
    staging.rmdir()


def init_repository(target: Path | str, ci: CiSystem = CiSystem.github) -> Scaffold:
    """Create a detections repository at `target` (absent or an empty folder), all at once or not at all.

    Everything is written into a temporary folder next to `target` and renamed into place, so an error or an
    interruption never leaves a half-made repository behind.
    """
    shown = str(target)
    target = Path(target).absolute()
    _check_target(target, shown)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".sumoctl-init", dir=target.parent))
    except OSError as err:
        raise SumoctlError(f"cannot create the repository here: {err.strerror}", shown) from None
    try:
        _populate(staging, ci)
        if target.is_dir():
            _move_children(staging, target)
        else:
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a repository folder is not
            os.rename(staging, target)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise SumoctlError(f"cannot create the repository: {err.strerror}", shown) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    return Scaffold(root=Path(shown), files=files)
