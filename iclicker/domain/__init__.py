"""Domain logic: accounts, lectures and their rules, free of HTTP and WebSocket."""
