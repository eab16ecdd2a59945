"""What each command-line command does (cli.py only parses)."""
