"""Where the tests find the coordinator's sample workbook.

The workbook lives in the repository (``tests/data/``), byte for byte as the coordinator handed it over,
so that a clone stands on its own. Its column guide is ``docs/werkboek.md``.
"""

from __future__ import annotations

from pathlib import Path

from samenhier import PROJECT_ROOT

WORKBOOK = PROJECT_ROOT / "tests" / "data" / "samenhier-voorbeeld.xlsx"
"""The coordinator's sample workbook (never edited to suit the code)."""
SHARED_WORKBOOK = PROJECT_ROOT.parent / "shared" / "data" / "samenhier-voorbeeld.xlsx"
"""The original, where it lies beside the project (on the developers' machines and in CI only)."""


def require_workbook() -> Path:
    """The sample workbook's path; raises FileNotFoundError naming the fix when it is gone."""
    if not WORKBOOK.is_file():
        raise FileNotFoundError(f"the sample workbook is missing at {WORKBOOK}: "
                                f"restore it with `git checkout -- {WORKBOOK.relative_to(PROJECT_ROOT)}`")
    return WORKBOOK
