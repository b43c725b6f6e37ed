"""The documentation site: complete API reference, no development notes cited, a clean build."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import selfdistill

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# The design notes the project was built from live outside the repository; users never see them.
DEVELOPMENT_NOTES = re.compile(
    r"\b(theory|followups|seed_systems|engineering_anchors|data)\.md\b"
)


def _public_modules():
    """Every public module of the package that declares ``__all__`` (torch ones only with torch)."""
    names = ["selfdistill"]
    for info in pkgutil.walk_packages(selfdistill.__path__, "selfdistill."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # an optional extra (torch, dask) is missing
            pytest.importorskip(exc.name or name)
            raise
        if hasattr(module, "__all__"):
            yield module


def _documented_names() -> dict[str, set[str]]:
    """``currentmodule`` -> names listed in the autosummary tables of ``docs/api.rst``."""
    documented: dict[str, set[str]] = {}
    current = None
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\.\. currentmodule:: (\S+)", line)
        if match:
            current = match.group(1)
            documented.setdefault(current, set())
        elif current and re.match(r"   [A-Za-z_][\w.]*$", line):
            documented[current].add(line.strip())
    return documented


def _resolve(module_name: str, dotted: str):
    obj = importlib.import_module(module_name)
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:  # a submodule that the package does not import eagerly
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    return obj


def test_every_public_name_is_in_the_api_reference():
    documented = {
        id(_resolve(module, name))
        for module, names in _documented_names().items()
        for name in names
    }
    missing = []
    for module in _public_modules():
        for name in module.__all__:
            if name != "__version__" and id(getattr(module, name)) not in documented:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"add these to docs/api.rst: {missing}"


def test_generated_artefacts_cite_the_documentation_not_the_development_notes():
    offenders = []
    for folder in ("selfdistill", "experiments", "notebooks", "benchmarks", "docs", "examples"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".md", ".ipynb", ".rst"} or "_build" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if DEVELOPMENT_NOTES.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, (
        "cite the documentation (Theory §x.y, Follow-ups §x.y, the Data page) instead of the "
        f"development notes: {offenders[:20]}"
    )


def test_theory_sections_cited_by_the_code_exist():
    """Every "Theory §x.y" / "Follow-ups §x.y" citation in the package points at a real section."""
    anchors = set()
    for page, prefix in (("fixed_design.rst", "theory"), ("followups.rst", "followups")):
        text = (DOCS / "theory" / page).read_text(encoding="utf-8")
        anchors |= {(prefix, m) for m in re.findall(rf"\.\. _{prefix}-([\d-]+):", text)}
    cited = set()
    for path in list((ROOT / "selfdistill").rglob("*.py")) + list((ROOT / "examples").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for kind, number in re.findall(r"(Theory|Follow-ups) §(\d+(?:\.\d+)?)", text):
            prefix = "theory" if kind == "Theory" else "followups"
            cited.add((prefix, number.replace(".", "-"), path.name))
    unknown = sorted(c for c in cited if (c[0], c[1]) not in anchors)
    assert cited, "the package should cite its theory chapter"
    assert not unknown, f"citations of sections that do not exist: {unknown}"


@pytest.mark.slow
def test_docs_build_without_warnings_and_run_the_gallery(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module, reason='the docs extra: pip install -e ".[docs]"')
    pytest.importorskip("torch", reason="the DMD2 gallery example needs the torch extra")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    html = tmp_path / "html"
    assert (html / "api.html").exists() and (html / "theory" / "fixed_design.html").exists()
    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    assert len(examples) >= 6
    for name in examples:
        page = (html / "auto_examples" / f"{name}.html").read_text(encoding="utf-8")
        assert "<img" in page, f"gallery example {name} drew no figure"
    claims = (html / "reproduction.html").read_text(encoding="utf-8")
    assert claims.count("<tr") > 5, "the claims table of the reproduction page is empty"
