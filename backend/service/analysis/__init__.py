"""The analysis engine: frames from both stores, analyses with their uncertainty, and privacy rules."""
