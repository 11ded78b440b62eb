"""The one exception a bad rule file raises, with the file and line it concerns."""

from __future__ import annotations


class RuleFileError(ValueError):
    """A rule file that cannot be used. The message names the file, the line and the rule id,
    because an operator editing next year's TOML must be able to find the mistake at once."""
