"""`equiplan optimise FILE`: a plan as JSON for a good file, one line and exit code 2 for a bad
one; no database and no app configuration needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_optimiser_portfolio import document

EQUIPLAN = str(Path(sys.executable).parent / "equiplan")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A configuration that would stop the app from loading: the command must not need it.
    env = {
        **os.environ,
        "EQUIPLAN_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "EQUIPLAN_TRUSTED_PROXIES": "not a number",
    }
    return subprocess.run(
        [EQUIPLAN, "optimise", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_good_file_prints_the_plan_and_writes_it_with_out(tmp_path: Path) -> None:
    portfolio = _write(tmp_path / "portfolio.json", document())
    out = tmp_path / "plan.json"
    result = _run(
        str(portfolio), "--time-limit", "5", "--workers", "1", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["format"] == "equiplan-plan/1"
    assert plan["status"] == "OPTIMAL"
    assert plan["choices"] == {"EQ-00017": "replace@2028", "EQ-00101": "keep"}
    assert plan["objective"] == pytest.approx(2.97 + 0.8)
    assert json.loads(out.read_text(encoding="utf-8")) == plan
    # Nothing of the app was set up: no instance folder, no database file.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "portfolio.json"]
    # Readable like any file the user writes (written to a private temporary file first).
    assert out.stat().st_mode & 0o777 == (tmp_path / "portfolio.json").stat().st_mode & 0o777


def test_the_work_limit_is_taken_and_recorded_in_the_plan(tmp_path: Path) -> None:
    portfolio = _write(tmp_path / "portfolio.json", document())
    result = _run(str(portfolio), "--time-limit", "5", "--work-limit", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    solver = json.loads(result.stdout)["solver"]
    assert (solver["time_limit"], solver["work_limit"]) == (5.0, 2.0)
    # Without the option the work is sized by the time limit.
    result = _run(str(portfolio), "--time-limit", "3", cwd=tmp_path)
    assert json.loads(result.stdout)["solver"]["work_limit"] == 3.0


def test_progress_goes_to_stderr_and_leaves_stdout_json(tmp_path: Path) -> None:
    portfolio = _write(tmp_path / "portfolio.json", document())
    result = _run(str(portfolio), "--time-limit", "2", "--progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "OPTIMAL"
    assert "bound" in result.stderr


def test_an_infeasible_portfolio_prints_the_reason_and_exits_1(tmp_path: Path) -> None:
    data = document()
    data["requirements"]["site:MED/RPM"] = [0.9, 0.9, 2.5]
    result = _run(str(_write(tmp_path / "p.json", data)), "--time-limit", "2", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    plan = json.loads(result.stdout)
    assert plan["status"] == "INFEASIBLE"
    assert "requirement 'site:MED/RPM' cannot be met in period 2029" in plan["reason"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{oops", "is not valid JSON"),
        (None, "cannot read"),
        (
            "cost",
            "item 'EQ-00017', option 'replace@2028', field 'cost': must have one number per period",
        ),
        ("budget", "item 'EQ-00017', field 'budgets': names the budget 'agency:XX'"),
        ("huge", "field 'value': 1000000000000000000000000000000000000... is not a finite"),
        ('{"format": ' + "9" * 5000 + "}", "holds a number with too many digits"),
        ("large", "option 'replace@2028', field 'cost': period 1: 1e+308 is too large"),
        ("[" * 200_000 + "]" * 200_000, "nests lists or objects too deeply"),
    ],
)
def test_a_bad_file_gives_one_line_naming_the_problem_and_exit_code_2(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "portfolio.json"
    if content == "cost":
        data = document()
        data["items"][0]["options"][1]["cost"] = [1, 2]
        _write(path, data)
    elif content == "budget":
        data = document()
        data["items"][0]["budgets"] = ["agency:XX"]
        _write(path, data)
    elif content == "large":  # finite, but past what exact integer scaling can hold
        data = document()
        data["items"][0]["options"][1]["cost"][0] = 1e308
        _write(path, data)
    elif content == "huge":
        data = document()
        data["items"][0]["options"][1]["value"] = 10**400
        _write(path, data)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = _run(str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("equiplan: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--time-limit", "0"),
        ("--workers", "0"),
        ("--time-limit", "soon"),
        ("--work-limit", "0"),
        ("--time-limit", "nan"),
        ("--work-limit", "nan"),
        ("--seed", "3000000000"),
        ("--seed", "-1"),
        ("--out", "no-such-folder/plan.json"),
    ],
)
def test_bad_options_give_exit_code_2(tmp_path: Path, args: tuple[str, str]) -> None:
    portfolio = _write(tmp_path / "portfolio.json", document())
    result = _run(str(portfolio), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_out_folder_that_does_not_exist_is_refused_before_the_file_is_read(
    tmp_path: Path,
) -> None:
    # The file is not even valid JSON: the --out problem is found first, so before any search.
    (tmp_path / "portfolio.json").write_text("{oops", encoding="utf-8")
    result = _run("portfolio.json", "--out", "nowhere/plan.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--out: cannot write in the folder 'nowhere'" in result.stderr


def test_a_plan_file_that_cannot_be_written_still_leaves_the_plan_on_stdout(
    tmp_path: Path,
) -> None:
    portfolio = _write(tmp_path / "portfolio.json", document())
    too_long = "p" * 300 + ".json"  # the folder is fine; the file name is too long to create
    result = _run(str(portfolio), "--time-limit", "2", "--out", too_long, cwd=tmp_path)
    assert result.returncode == 2
    assert json.loads(result.stdout)["format"] == "equiplan-plan/1"
    assert "--out: cannot write" in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing half-written is left beside it (the plan goes to a temporary file first).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portfolio.json"]
