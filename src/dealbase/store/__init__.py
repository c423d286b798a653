"""Persistence: connections and transactions, the schema, migrations, the change log."""
