import numpy as np
import pytest

import chainrule as cr

# the families' catalogue files are imported by op_catalogue, not collected on their own
# (collecting one first, for its doctests, would import it before op_catalogue can)
collect_ignore_glob = ["catalogue_*.py"]


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(0)
    np.random.seed(0)
    yield
