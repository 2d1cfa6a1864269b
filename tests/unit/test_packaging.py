"""Issue 15, item 20: `pip install` shows no deprecation warning of our ``pyproject.toml``.

setuptools deprecates the license as a TOML table (``{ text = "MIT" }``) for an SPDX expression,
which it reads from version 77 on; the build must then ask for that version. ``make package``
builds the wheel as pip does and fails on any deprecation warning (CI runs it: it needs the
package index for the build's own setuptools)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SPDX_SETUPTOOLS = (77, 0)  # the first setuptools that reads ``license = "MIT"``
# Keys of ``[tool.setuptools]`` that setuptools warns about (deprecated for ``[project]`` ones).
DEPRECATED_TOOL_KEYS = {"license-files", "license_files", "data-files", "namespace-packages"}


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_license_is_an_spdx_expression_read_by_the_setuptools_required() -> None:
    config = pyproject()
    assert config["project"]["license"] == "MIT"
    assert not any(c.startswith("License ::") for c in config["project"].get("classifiers", []))
    requires = config["build-system"]["requires"]
    [setuptools] = [r for r in requires if re.match(r"setuptools\b", r)]
    floor = re.search(r">=\s*(\d+)(?:\.(\d+))?", setuptools)
    assert floor is not None, setuptools
    assert (int(floor[1]), int(floor[2] or 0)) >= SPDX_SETUPTOOLS


def test_no_deprecated_setuptools_key() -> None:
    assert not DEPRECATED_TOOL_KEYS & set(pyproject()["tool"]["setuptools"])
