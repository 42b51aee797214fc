"""The resources users read and write, over both stores, each scoped to what the viewer may see."""
