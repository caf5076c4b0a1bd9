"""Subcommands beyond replay/validate/decrypt, one module each (see cli.COMMAND_MODULES)."""
