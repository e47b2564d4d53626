"""``python -m chainrule.explain "log(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5``."""

import sys

from .cli import main

if __name__ == "__main__":  # importing the module (the docs build does) runs nothing
    sys.exit(main())
