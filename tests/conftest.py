"""Shared pytest setup: the fixture folder and a fixed random seed per test."""
import os
import pathlib

import numpy as np
import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir():
    return FIXTURES


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    yield


def pytest_report_header(config):
    return f"pybridge tests; fixtures in {FIXTURES} ({len(os.listdir(FIXTURES))} files)"
