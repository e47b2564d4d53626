"""A child that only imports a library and reports its thread pools (for the report header)."""


def info(lib: str) -> dict:
    import numpy  # noqa: F401

    if lib == "torch":
        import torch  # noqa: F401
    return {}
