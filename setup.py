"""Packaging lives in pyproject.toml; this file only adds the optional compiled planner.

RACECAL_COMPILE=1 compiles scheduler/ with mypyc (it is mypy --strict clean) for production
installs and the planner benchmark: `RACECAL_COMPILE=1 pip install --no-build-isolation .`
in an environment with mypy and setuptools. Plain and editable installs stay pure Python, so
an edit to scheduler/*.py is never shadowed by a stale compiled module.
"""

import os
from pathlib import Path

from setuptools import setup

ext_modules = []
if os.environ.get("RACECAL_COMPILE") == "1":
    from mypyc.build import mypycify

    modules = sorted(str(p) for p in Path("scheduler").glob("*.py") if p.name != "__init__.py")
    ext_modules = mypycify(modules, opt_level="3")

setup(ext_modules=ext_modules)
