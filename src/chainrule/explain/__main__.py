"""``python -m chainrule.explain "log(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5``."""

import sys

from .cli import main

sys.exit(main())
