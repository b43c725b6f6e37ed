"""Module boundaries: no subpackage reaches into another one's private names.

A private module or name (leading underscore) is an implementation detail of the package that holds
it. Sibling subpackages (``kd``, ``nn``, ``diffusion``, ``reproduce``, ...) and the scripts in
``experiments/`` use each other only through public names; the top-level private
modules (``selfdistill._validation``, ``selfdistill._spectral``, ...) are the package's shared core and
may be used by every subpackage, but not by the user-facing scripts in ``experiments/`` and
``examples/`` (the timing scripts in ``benchmarks/`` may time private kernels directly).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "selfdistill"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path):
    """Yield (imported dotted name, line) for every import in ``path``."""
    module = _module_name(path) if PACKAGE in path.parents else ""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node, path.name == "__init__.py")
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno


def _owner(dotted: str) -> str | None:
    """The subpackage (``selfdistill.kd``) that a dotted name lives in, None for the top level."""
    parts = dotted.split(".")
    if parts[0] != "selfdistill" or len(parts) < 3:
        return None
    candidate = PACKAGE / parts[1]
    return f"selfdistill.{parts[1]}" if candidate.is_dir() else None


def _private_inside(dotted: str, owner: str) -> bool:
    tail = dotted[len(owner) + 1 :].split(".")
    return any(part.startswith("_") and not part.startswith("__") for part in tail)


def test_no_private_import_across_subpackages():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        here = _owner(_module_name(path) + ".x")
        for dotted, line in _imports(path):
            owner = _owner(dotted)
            if owner and owner != here and _private_inside(dotted, owner):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {dotted}")
    assert not offenders, "use a public name instead:\n" + "\n".join(offenders)


def test_scripts_use_only_public_names():
    offenders = []
    for folder in ("experiments", "examples"):
        for path in (ROOT / folder).glob("*.py"):
            for dotted, line in _imports(path):
                parts = dotted.split(".")
                if parts[0] == "selfdistill" and any(
                    p.startswith("_") and not p.startswith("__") for p in parts[1:]
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{line} imports {dotted}")
    assert not offenders, "scripts must use the public API:\n" + "\n".join(offenders)


def test_the_library_does_not_import_the_reproduction_layer():
    # the harness sits on top of the library: only the CLI and the layer itself import it
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if module.startswith("selfdistill.reproduce") or module == "selfdistill.cli":
            continue
        for dotted, line in _imports(path):
            if dotted.startswith("selfdistill.reproduce"):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {dotted}")
    assert not offenders, "the library must not depend on the harness:\n" + "\n".join(offenders)
