"""The command line's own errors, beside the library's ValueError and TypeError."""

from __future__ import annotations


class UsageError(Exception):
    """A bad option or option combination, an output path that cannot be
    written among them: exit status 2, found before any work."""


class MissingDependency(ImportError):
    """An optional package a requested feature needs is not installed."""
