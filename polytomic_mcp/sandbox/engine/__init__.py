"""The simulated Polytomic back end, driven by the clock: schema caches, jobs, model-sync and
bulk-sync executions (and the sync runner that moves the rows), the rules a sync definition
must meet, target descriptions, events and console logs. Imports no HTTP handler."""
