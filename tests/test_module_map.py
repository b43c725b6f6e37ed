"""Each public call runs one way through the package's modules (issue 16).

The dynamic module call graph of a call (an edge A -> B when a function of module B is called
from module A) must have no cycle: a stage hands its result on, it is never entered, left and
re-entered. A cycle means two modules share one job, or one module does two.
"""

from __future__ import annotations

import collections
import sys

import numpy as np
import pytest

# the dispatch code of the declarative mechanism: the @validate_params wrapper, the table walk and
# the constraint objects' __call__ (converters such as check_alpha_grid are ordinary stages)
_GATE_FUNCTIONS = {"wrapper", "check_params", "<dictcomp>", "_check_one", "__call__", "_validate_params"}


def _is_validation_gate(frame) -> bool:
    """The validation mechanism's dispatch: a gate in front of a function, not a stage of its own.

    Without this, a decorated function that is called from its own module, or a converter that a
    module declares for its own table, would look like a ping-pong with ``_validation``.
    """
    return frame.f_globals.get("__name__") == "selfdistill._validation" and frame.f_code.co_name in _GATE_FUNCTIONS


def module_call_graph(func) -> set[tuple[str, str]]:
    """Edges (caller module, callee module) between ``selfdistill`` modules while ``func`` runs."""
    edges: set[tuple[str, str]] = set()

    def profile(frame, event, arg):
        if event != "call":
            return
        callee = frame.f_globals.get("__name__", "")
        if not callee.startswith("selfdistill") or frame.f_code.co_name == "<module>" or _is_validation_gate(frame):
            return  # imports are not stages, and neither is the validation gate
        caller_frame = frame.f_back
        # calls through numpy/sklearn/torch callbacks count from the package frame that made them,
        # and a call through the validation gate from the frame that called the gate
        while caller_frame is not None and (
            not caller_frame.f_globals.get("__name__", "").startswith("selfdistill")
            or _is_validation_gate(caller_frame)
        ):
            caller_frame = caller_frame.f_back
        if caller_frame is not None and caller_frame.f_globals["__name__"] != callee:
            edges.add((caller_frame.f_globals["__name__"], callee))

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        func()
    finally:
        sys.setprofile(previous)
    return edges


def module_cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    graph = collections.defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_detector_finds_a_ping_pong():
    assert module_cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    assert module_cycles({("a", "b"), ("b", "c"), ("a", "c")}) == []


def _fit_ridge_cv():
    from selfdistill import SelfDistilledRidgeCV

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = X @ rng.normal(size=5) + rng.normal(size=120)
    SelfDistilledRidgeCV(n_steps=(0, 1, 2)).fit(X, y)


def _fit_soft_target_logistic():
    from selfdistill.kd import SoftTargetLogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    SoftTargetLogisticRegression().fit(X, rng.dirichlet(np.ones(3), size=90))


def _reproduce_table1(tmp_path):
    from selfdistill.cli import main

    assert main(["reproduce", "table1", "--quick", "--out", str(tmp_path / "out")]) == 0


@pytest.mark.parametrize("call", ["ridge_cv_fit", "soft_target_logistic_fit", "reproduce_table1"])
def test_call_runs_one_way_through_the_modules(call, tmp_path):
    run = {
        "ridge_cv_fit": _fit_ridge_cv,
        "soft_target_logistic_fit": _fit_soft_target_logistic,
        "reproduce_table1": lambda: _reproduce_table1(tmp_path),
    }[call]
    edges = module_call_graph(run)
    assert edges, "the tracer saw no package call"
    cycles = module_cycles(edges)
    assert cycles == [], [[edge for edge in sorted(edges) if set(edge) <= set(cycle)] for cycle in cycles]


# ----------------------------------------------------------------------------- the written map
def _package_modules() -> set[str]:
    """Every module of the package, from the files (no import: optional extras need not be installed)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    modules = set()
    for path in (root / "selfdistill").rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def _mapped_modules() -> list[str]:
    """The modules named at the start of a line of ``docs/module_map.rst`` (``* ``name`` -- ...``)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "module_map.rst").read_text(encoding="utf-8")
    return re.findall(r"^\* ``(selfdistill[\w.]*)`` -- \S", text, flags=re.MULTILINE)


def test_module_map_has_one_line_per_module_and_no_other():
    mapped = _mapped_modules()
    duplicated = sorted({m for m in mapped if mapped.count(m) > 1})
    modules = _package_modules()
    assert not duplicated, f"modules with more than one line in docs/module_map.rst: {duplicated}"
    assert not modules - set(mapped), f"add a line to docs/module_map.rst for: {sorted(modules - set(mapped))}"
    assert not set(mapped) - modules, f"docs/module_map.rst names modules that do not exist: {sorted(set(mapped) - modules)}"



def test_the_theory_functions_run_one_way_through_the_validation_gate():
    """A decorated function counts as called by its caller, so the gate hides no real cycle."""
    import selfdistill as sd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4))
    problem = sd.FixedDesignProblem.from_X(X, np.ones(4), 0.1)
    edges = module_call_graph(lambda: (sd.excess_risk(X, np.ones(4), 0.1, 1.0, [0.5]), sd.optimal_alpha(problem, n_steps=2)))
    assert ("selfdistill.theory", "selfdistill._fixed_design") in edges
    assert not any(caller == "selfdistill._validation" for caller, _ in edges), sorted(edges)
    assert module_cycles(edges) == []
