"""Result shaping: what every tool result goes through before the model sees it.

(for a few operations, a view of what the API repeats: operation_views) → sanitize
(invisible characters out, secrets masked) → summarise lists → fit the token budget →
render text (fenced as untrusted data; schemas as JSON, never tables).
"""
