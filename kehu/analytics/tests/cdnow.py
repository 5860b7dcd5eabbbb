"""The CDNOW sample (2,357 customers, 39-week calibration, weekly unit) as the ``lifetimes``
package ships it: read from the installed distribution's files (a test-only dependency; the
package itself is never imported)."""

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
import pytest


def dataset(name: str) -> Path:
    try:
        dist = distribution("lifetimes")
    except PackageNotFoundError:  # pragma: no cover - the dev install always has it
        pytest.fail("the test-only dependency 'lifetimes' (CDNOW data) is not installed")
    for item in dist.files or []:
        if item.name == name:
            return Path(str(dist.locate_file(item)))
    pytest.fail(f"{name} not found in lifetimes")  # pragma: no cover


def table(name: str) -> np.ndarray:
    return np.genfromtxt(dataset(name), delimiter=",", names=True)
