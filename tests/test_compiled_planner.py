"""The production build compiles scheduler/ with mypyc (RACECAL_COMPILE=1): it must plan
exactly what the source plans, byte for byte, over the benchmark's random athletes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_compiled_planner_plans_exactly_like_the_source(tmp_path: Path) -> None:
    target = tmp_path / "compiled"
    build = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
            "--no-deps", "--target", str(target), str(ROOT),
        ],
        env={**os.environ, "RACECAL_COMPILE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    assert list((target / "scheduler").glob("plan.*.so"))

    def plans(pythonpath: str | None, out: Path) -> str:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        bench = ROOT / "bench" / "plan_speed.py"
        run = subprocess.run(
            [sys.executable, str(bench), "--athletes", "150", "--dump", str(out)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout

    compiled = plans(str(target), tmp_path / "compiled.jsonl")
    source = plans(None, tmp_path / "source.jsonl")
    assert "planner:              compiled (mypyc)" in compiled
    assert "planner:              pure Python" in source
    compiled_lines = (tmp_path / "compiled.jsonl").read_text().splitlines()
    assert len(compiled_lines) == 150
    assert compiled_lines == (tmp_path / "source.jsonl").read_text().splitlines()
