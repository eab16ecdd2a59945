"""What the sandbox keeps: the SQLite store, the clock (wall or simulated), the runtime that
bundles them, and a new tenant's first-request setup from the seed."""
