"""Supervision (督查督办) screens."""
