"""User management: accounts, roles, and the companies a VC user may see."""
