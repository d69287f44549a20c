"""The HTTP side: JSON API, HTML pages, and the checks both share with the WebSocket."""
