"""« 📋 Tout saisir en un message » and the shortcuts through the fake Bot API with the real bot
(issue 16): ``bench/inputs.py`` plays one Région action with two sessions by each path.

The template path takes at most 12 inputs; both paths store the same action, which is valid LHEO
2.3 (exported, then validated against the XSD).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "inputs.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_inputs", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


async def test_one_region_action_by_questions_and_by_template_stores_the_same_valid_action(
    tmp_path: Path,
) -> None:
    bench = _bench()
    result = await bench.measure(tmp_path)
    assert sum(result.template) <= 12, result.template
    assert result.template[0] == 2  # one message for the general data, one for both sessions
    assert result.identical, result.differences
    assert not result.lheo_issues, result.lheo_issues
    # Question by question, with every shortcut of issue 16 (items 2 to 4): 50 at most (65 before).
    assert all(result.shortcuts.values()), result.shortcuts
    assert sum(result.questions) <= 50, result.questions
