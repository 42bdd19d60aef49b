"""Helpers for the derivatives of the linear-algebra helpers (see :mod:`.derivatives`)."""

__all__ = []
