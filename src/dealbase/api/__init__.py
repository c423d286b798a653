"""HTTP: the ASGI app and the dialect adapters."""
