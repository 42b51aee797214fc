"""Startup Wellness analytics backend."""
