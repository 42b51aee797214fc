"""Small-group suppression for aggregates shown to VC users.

A group of fewer than ``min_group`` employees is suppressed. So that no suppressed group can be
recovered by subtracting the shown groups from the total, more groups are suppressed (the
smallest first) until the suppressed ones together hold at least ``min_group`` employees, or all
groups are suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping


def suppressed_groups(sizes: Mapping[int, int], *, min_group: int) -> set[int]:
    """The keys of ``sizes`` (group → employees) whose aggregates must not be shown."""
    hidden = {key for key, size in sizes.items() if size < min_group}
    if not hidden:
        return hidden
    shown = sorted((size, key) for key, size in sizes.items() if key not in hidden)
    while shown and sum(sizes[k] for k in hidden) < min_group:
        hidden.add(shown.pop(0)[1])
    return hidden
