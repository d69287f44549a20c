"""Named groups of connected sockets, and broadcasting a message to a group."""
