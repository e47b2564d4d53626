import os

import numpy as np
import pytest
from hypothesis import settings

import chainrule as cr

# The families' op cases (tests/catalogue_<family>.py) are read by tests/op_catalogue.py;
# imported first on their own (as --doctest-modules would), they would import op_catalogue,
# which imports them back half-made.
collect_ignore_glob = ["catalogue_*.py"]

# The same examples on every run: a property test that finds a bug finds it in every run,
# and CI never fails on a draw a developer could not reproduce. (A test's own settings,
# such as max_examples, still apply.) Set HYPOTHESIS_PROFILE=explore to draw fresh examples.
settings.register_profile("repeatable", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(0)
    np.random.seed(0)
    yield
