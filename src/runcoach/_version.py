"""The version of runcoach (one home, read by the package, the CLI and the file tags)."""

__version__ = "0.1.0"
