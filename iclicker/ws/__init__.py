"""The lecture WebSocket: handshake guards, frames in and out, per-socket limits."""
