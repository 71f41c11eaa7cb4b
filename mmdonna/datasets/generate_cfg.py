"""The ``generate=dict(...)`` argument of the datasets that write their
built-in data on first use."""
from typing import Optional, Sequence


def check_generate_cfg(generate: Optional[dict], keys: Sequence[str]) -> None:
    """Refuse a ``generate`` dict without ``num_images`` (``keys[0]``) or
    with keys outside ``keys``, in one line naming both; None passes (the
    data is read, not generated)."""
    if generate is None:
        return
    unknown = sorted(set(generate) - set(keys))
    if unknown or 'num_images' not in generate:
        raise ValueError(
            f'dataset generate={dict(generate)} needs num_images and '
            f'optionally {tuple(keys[1:])}; unknown keys {unknown}')
