"""The command line: :mod:`.cli` (the parser, console output, exit codes and the
last-resort handler) and one module per subcommand (see ``cli.COMMAND_MODULES``).

The headless commands (``replay``, ``validate``, ``lint``, ``decrypt``, ``backend``,
``unlock``) never import Textual; ``wizard`` opens the ``tui`` front and ``ask`` the
``ask`` front.  May import the engine and those two fronts.
"""
