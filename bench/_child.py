"""Entry point of a benchmark child process: ``python -m bench._child '<json spec>'``."""

import sys

from bench._harness import child_main

if __name__ == "__main__":
    child_main(sys.argv[1:])
