"""iclicker: a self-hosted, real-time classroom response and chat server."""

__version__ = "0.1.0"
