"""Persistence: every SQL statement of iclicker lives in this package."""
