"""Authentication: password hashing off the reactor thread, and login sessions."""
