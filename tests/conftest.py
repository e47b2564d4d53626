import numpy as np
import pytest

import chainrule as cr

# The catalogue's families (tests/catalogue_<family>.py) are imported by op_catalogue.py;
# --doctest-modules importing one of them first would import op_catalogue half-way.
collect_ignore_glob = ["catalogue_*.py"]


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(0)
    np.random.seed(0)
    yield
