"""Pure policy functions: no Flask, no database. They take plain values and `now`, and return plain values."""
