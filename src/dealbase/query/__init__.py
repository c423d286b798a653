"""The query engine: a typed AST that every dialect parses into, compiled to SQL here only."""
