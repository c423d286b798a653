"""The Pipedrive dialect (API v1 at /v1 and /api/v1, API v2 at /api/v2)."""
