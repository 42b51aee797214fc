"""Demo data: a synthetic portfolio with planted effects, written through the real input path."""
