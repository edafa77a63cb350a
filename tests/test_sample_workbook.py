"""The sample workbook in the repository is the coordinator's file, unchanged."""

from __future__ import annotations

import hashlib

import pytest
from sample_data import SHARED_WORKBOOK, WORKBOOK, shared_data_missing


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(not SHARED_WORKBOOK.is_file(), reason=shared_data_missing(SHARED_WORKBOOK))
def test_repository_copy_is_byte_identical_to_the_shared_original():
    assert sha256(WORKBOOK) == sha256(SHARED_WORKBOOK)
