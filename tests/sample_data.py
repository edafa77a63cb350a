"""Where the tests find the coordinator's sample workbook.

The workbook lives in the repository (``tests/data/``), byte for byte as the coordinator handed it over,
so that a clone stands on its own. Its column guide is ``docs/werkboek.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

from samenhier import PROJECT_ROOT

WORKBOOK = PROJECT_ROOT / "tests" / "data" / "samenhier-voorbeeld.xlsx"
"""The coordinator's sample workbook (never edited to suit the code)."""
SHARED_DATA_VARIABLE = "SAMENHIER_SHARED_DATA"
SHARED_DATA = Path(os.environ.get(SHARED_DATA_VARIABLE) or PROJECT_ROOT.parent / "shared" / "data")
"""The one place the tests look for the coordinator's original files (on the developers' machines and in CI,
beside the project): ``$SAMENHIER_SHARED_DATA``, default ``../shared/data``."""
SHARED_WORKBOOK = SHARED_DATA / "samenhier-voorbeeld.xlsx"
"""The original of the sample workbook."""


def shared_data_missing(path: Path) -> str:
    """Why a test that needs ``path`` from the shared data is skipped, and what to do about it."""
    return (
        f"{path.name} not found in the shared data folder {SHARED_DATA}: put the coordinator's files there, "
        f"or point {SHARED_DATA_VARIABLE} at the folder that holds them"
    )


def require_workbook() -> Path:
    """The sample workbook's path; raises FileNotFoundError naming the fix when it is gone."""
    if not WORKBOOK.is_file():
        raise FileNotFoundError(
            f"the sample workbook is missing at {WORKBOOK}: "
            f"restore it with `git checkout -- {WORKBOOK.relative_to(PROJECT_ROOT)}`"
        )
    return WORKBOOK
