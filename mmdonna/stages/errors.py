"""The errors of the stage layer (one line each; tools print them as
``error: ...`` and exit with status 2)."""


class StageError(ValueError):
    """A work dir or config a stage cannot continue from."""


class DonnaConfigError(StageError):
    """A ``donna`` section that cannot work: the message names the key."""
