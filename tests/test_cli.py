"""The ``selfdistill`` command line: listing, help, exit codes, the --out check, whole result sets.

Runs ``cli.main`` in-process (fast, and exceptions are visible); one test runs the installed
console entry through ``python -m selfdistill.cli`` to check the exit status a shell sees.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from selfdistill import cli
from selfdistill.reproduce import EXPERIMENTS, PAPER_EXPERIMENTS, Experiment, Results
from selfdistill.reproduce import _results as results
from selfdistill.reproduce._outputs import QUICK_STAMP_GID, save_figure

ROOT = Path(__file__).resolve().parents[1]


def _fake_experiment(calls: list, files: dict[str, str], fail: BaseException | None = None):
    """An experiment that records its context, writes ``files`` and then maybe raises ``fail``."""

    def run(settings, ctx):
        calls.append(ctx)
        for count, (name, text) in enumerate(files.items(), start=1):
            (ctx.out_dir / name).write_text(text)
            if fail is not None and count == 1:
                raise fail
        return Results("fake summary")

    return Experiment("fake", full=None, quick=None, compute=run, claims=lambda results: [],
                      assumptions=())


@pytest.fixture
def fake(monkeypatch):
    """Replace the experiment lookup of the CLI; returns the list of contexts it was called with."""
    calls: list = []

    def install(files, fail=None):
        monkeypatch.setattr("selfdistill.reproduce._base.get_experiment", lambda name: _fake_experiment(calls, files, fail))
        return calls

    return install


def _snapshot(folder: Path) -> dict[str, str]:
    """The visible result files and their contents (the hidden manifest is checked separately)."""
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file() and p.name[0] != "."}


# ------------------------------------------------------------------------------ list and help


def test_list_names_every_experiment(capsys):
    assert cli.main(["list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(EXPERIMENTS)


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "reproduce" in capsys.readouterr().out


def test_help_documents_data_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["reproduce", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for needed in ("data/uci", "--data-dir", "SELFDISTILL_DATA_DIR", "130", "--quick", *PAPER_EXPERIMENTS):
        assert needed in text, f"reproduce --help does not mention {needed!r}"


@pytest.mark.parametrize(
    "argv",
    [["reproduce", "nope"], ["reproduce", "fig4", "--seeds", "0"], ["reproduce", "fig4", "--jobs", "0"]],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2


def test_settings_are_checked_by_the_context_constraint_table(tmp_path, capsys, monkeypatch):
    from selfdistill.reproduce import ReproduceContext, _base, all_mode

    with pytest.raises(ValueError, match="ReproduceContext: jobs must be"):
        ReproduceContext(out_dir=tmp_path, jobs=0)
    with pytest.raises(ValueError, match="ReproduceContext: quick must be"):
        ReproduceContext(out_dir=tmp_path, quick="yes")
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "fig4", "--seeds", "-3", "--out", str(tmp_path)])
    assert "seeds must be" in capsys.readouterr().err  # the table's message, as a usage error
    monkeypatch.setitem(_base.ALL_MODES, "fig4", "sometimes")
    with pytest.raises(ValueError, match="mode must be one of 'full', 'quick', 'skip'"):
        all_mode("fig4")


# ------------------------------------------------------------------------------ --out checks


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, f"expected one line on stderr, got {err}"
    return err[0]


def test_out_that_is_a_file_exits_2_before_computing(tmp_path, fake, capsys):
    calls = fake({"a.csv": "1"})
    target = tmp_path / "results.txt"
    target.write_text("not a folder")
    assert cli.main(["reproduce", "fig4", "--out", str(target)]) == 2
    line = _one_error_line(capsys)
    assert "is a file, not a folder" in line and str(target) in line
    assert calls == [], "the experiment ran although --out is unusable"


def test_out_below_a_file_exits_2_before_computing(tmp_path, fake, capsys):
    calls = fake({"a.csv": "1"})
    (tmp_path / "file").write_text("x")
    assert cli.main(["reproduce", "fig4", "--out", str(tmp_path / "file" / "sub")]) == 2
    assert "is not a writable folder" in _one_error_line(capsys) and calls == []


def test_read_only_out_exits_2_before_computing(tmp_path, fake, capsys, monkeypatch):
    # Simulated with EACCES from the write check, so that it also fails as it should under root.
    calls = fake({"a.csv": "1"})

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(results.tempfile, "mkdtemp", refuse)
    assert cli.main(["reproduce", "fig4", "--out", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert "is not a writable folder (Permission denied)" in line and calls == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_really_read_only_out_exits_2(tmp_path, fake, capsys):
    calls = fake({"a.csv": "1"})
    tmp_path.chmod(0o555)
    try:
        assert cli.main(["reproduce", "fig4", "--out", str(tmp_path)]) == 2
    finally:
        tmp_path.chmod(0o755)
    assert "not a writable folder" in _one_error_line(capsys) and calls == []


# ------------------------------------------------------------------------------ whole result sets


def test_a_run_commits_its_files_and_a_manifest(tmp_path, fake, capsys):
    calls = fake({"a.csv": "new a", "b.png": "new b"})
    assert cli.main(["reproduce", "fig4", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    out = tmp_path / "out"
    assert _snapshot(out) == {"a.csv": "new a", "b.png": "new b"}
    assert json.loads((out / ".fig4.files.json").read_text()) == ["a.csv", "b.png"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".staging")] == []
    assert calls[0].out_dir != out, "the experiment wrote into --out directly, not a staging folder"
    assert "fake summary" in capsys.readouterr().out


def test_ctrl_c_while_writing_keeps_the_previous_set_and_exits_130(tmp_path, fake, capsys):
    out = tmp_path / "out"
    fake({"a.csv": "old a", "b.png": "old b"})
    assert cli.main(["reproduce", "fig4", "--out", str(out)]) == 0
    before = _snapshot(out)
    capsys.readouterr()
    fake({"a.csv": "new a", "b.png": "new b"}, fail=KeyboardInterrupt())
    assert cli.main(["reproduce", "fig4", "--out", str(out)]) == 130
    line = _one_error_line(capsys)
    assert line.startswith("interrupted") and "Traceback" not in line
    assert _snapshot(out) == before, "an interrupted run changed the previous result set"
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")], "staging debris left"


def test_a_smaller_new_set_does_not_keep_files_of_the_old_one(tmp_path, fake):
    out = tmp_path / "out"
    fake({"a.csv": "old a", "b.png": "old b"})
    assert cli.main(["reproduce", "fig4", "--out", str(out)]) == 0
    fake({"a.csv": "new a"})
    assert cli.main(["reproduce", "fig4", "--out", str(out)]) == 0
    assert _snapshot(out) == {"a.csv": "new a"}, "a file of the previous set was left beside the new one"


def test_two_concurrent_runs_into_one_folder_never_mix(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    names = [f"f{i}.csv" for i in range(30)]

    def one_run(marker: str):
        with results.staging_folder(out, "exp") as stage:
            for name in names:
                (stage / name).write_text(marker)

    for _ in range(5):
        workers = [threading.Thread(target=one_run, args=(m,)) for m in ("A", "B", "C")]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        markers = {p.read_text() for p in out.glob("f*.csv")}
        assert len(markers) == 1, f"result sets mixed: {markers}"


def test_ctrl_c_during_the_commit_is_held_until_the_set_is_in_place(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    real_replace = os.replace
    sent = []

    def replace_and_interrupt(src, dst):
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the first file has moved
        real_replace(src, dst)

    monkeypatch.setattr(results.os, "replace", replace_and_interrupt)
    with pytest.raises(KeyboardInterrupt):
        with results.staging_folder(out, "exp") as stage:
            for name in ("a.csv", "b.csv", "c.png"):
                (stage / name).write_text("new")
    assert sent and _snapshot(out) == {"a.csv": "new", "b.csv": "new", "c.png": "new"}


def test_failed_experiment_exits_2_with_one_line(tmp_path, fake, capsys):
    fake({"a.csv": "x"}, fail=ValueError("no data"))
    assert cli.main(["reproduce", "fig4", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: fig4 failed: no data"
    assert _snapshot(tmp_path) == {}


def test_a_claim_without_rule_or_uncertainty_fails_the_experiment(tmp_path, monkeypatch, capsys):
    from selfdistill.reproduce import Claim

    def run(settings, ctx):
        (ctx.out_dir / "a.csv").write_text("x")
        return Results("summary")

    def claims(results):
        return [Claim("bold claim", "source", "measured", "reproduced", rule="a rule")]

    experiment = Experiment("fake", None, None, run, claims, assumptions=())
    monkeypatch.setattr("selfdistill.reproduce._base.get_experiment", lambda name: experiment)
    assert cli.main(["reproduce", "fig4", "--out", str(tmp_path)]) == 2
    assert "'bold claim' states no uncertainty" in capsys.readouterr().err
    assert _snapshot(tmp_path) == {}, "a result set with an unjustified verdict was committed"


def test_relative_data_dir_is_passed_on_as_an_absolute_path(tmp_path, fake, monkeypatch):
    calls = fake({"a.csv": "x"})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["reproduce", "fig4", "--out", "out", "--data-dir", "../uci"]) == 0
    assert calls[0].data_dir == str(tmp_path.parent / "uci"), "--data-dir was not made absolute"
    assert calls[0].out_dir.parent == tmp_path / "out"
    assert (tmp_path / "out" / "a.csv").is_file()


# ------------------------------------------------------------------------------ quick figures


def test_quick_figures_are_stamped_on_the_picture(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stamped = []
    for quick in (False, True):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        save_figure(fig, tmp_path / f"{quick}.png", quick=quick)
        stamped.append([t.get_text() for t in fig.texts if t.get_gid() == QUICK_STAMP_GID])
    assert stamped[0] == [] and "QUICK RUN" in stamped[1][0], "a quick figure is not marked quick"
    assert (tmp_path / "True.png").read_bytes() != (tmp_path / "False.png").read_bytes()


def test_every_experiment_saves_figures_through_save_figure():
    # One place stamps quick figures: no experiment may call savefig itself.
    offenders = [
        path.name
        for path in (ROOT / "selfdistill" / "reproduce").glob("*.py")
        if path.name != "_outputs.py" and ".savefig(" in path.read_text()
    ]
    assert offenders == [], f"these experiments bypass save_figure's quick stamp: {offenders}"


# ------------------------------------------------------------------------------ end to end


@pytest.mark.slow
def test_quick_run_of_a_real_experiment_from_the_shell(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "selfdistill.cli", "reproduce", "fig4", "--quick", "--no-progress",
         "--out", "results"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "results"
    manifest = json.loads((out / ".fig4.files.json").read_text())
    assert {"fig4.csv", "fig4.md", "fig4.json", "fig4.png"} <= set(manifest)
    assert all((out / name).is_file() for name in manifest)
    assert "files in " + str(out) in result.stdout

    bad = subprocess.run(
        [sys.executable, "-m", "selfdistill.cli", "reproduce", "fig4", "--out", str(out / "fig4.csv")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
