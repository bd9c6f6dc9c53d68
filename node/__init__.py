"""Agency Node: the application (config, app factory, HTTP routes, editor API, CLI, storage, use-cases)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
