"""Postfordeler: receive, triage and distribute incoming Digital Post (SF1606) for DUBU."""

__version__ = "0.1.0"
