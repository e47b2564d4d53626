import numpy as np
import pytest

import chainrule as cr

# The families' op cases (tests/catalogue_<family>.py) are read by tests/op_catalogue.py;
# collected on their own (--doctest-modules imports every file) they would import
# op_catalogue while half-initialised.
collect_ignore_glob = ["catalogue_*.py"]


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(0)
    np.random.seed(0)
    yield
