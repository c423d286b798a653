"""The dealbase command line."""
