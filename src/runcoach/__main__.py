"""``python -m runcoach``: the same as the ``runcoach`` command."""

from runcoach.cli import main

if __name__ == "__main__":
    main()
