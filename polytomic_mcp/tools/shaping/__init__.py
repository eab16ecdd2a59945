"""Result shaping: what every tool result goes through before the model sees it.

sanitize (invisible characters out, secrets masked) → summarise lists → fit the token
budget → render text (fenced as untrusted data).
"""
