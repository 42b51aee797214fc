"""Sign-in, sessions and sign-in throttling."""
