import numpy as np
import pytest

import chainrule as cr

# The families' op cases (tests/catalogue_<family>.py) are read by tests/op_catalogue.py;
# imported first on their own (as --doctest-modules would), they would import op_catalogue,
# which imports them back half-made.
collect_ignore_glob = ["catalogue_*.py"]


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(0)
    np.random.seed(0)
    yield


# The families' catalogue files are imported by op_catalogue.py (which they import back);
# collecting them on their own (--doctest-modules) would import them first, half-built.
collect_ignore_glob = ["catalogue_*.py"]
