"""Whoosh is installed exactly once, as the original 2.7.4, never a fork sharing its package."""

from __future__ import annotations

from importlib import metadata

FORKS = {"whoosh", "whoosh-reloaded", "whoosh3"}


def test_exactly_one_whoosh_distribution_is_installed():
    installed = {
        dist.metadata["Name"].lower(): dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"] and dist.metadata["Name"].lower() in FORKS
    }
    assert installed == {"whoosh": "2.7.4"}
