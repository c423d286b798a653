"""Pure domain: entity specs, field types, errors. No HTTP, no SQL, no I/O."""
