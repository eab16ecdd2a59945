"""Seed data shipped with the sandbox (the default seed and the generator of its CSV file)."""
