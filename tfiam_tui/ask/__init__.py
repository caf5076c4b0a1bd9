"""The plain-prompt front (``tfiam ask``): the same decisions as the wizard, one question a
line (questionary), for a serial console, a screen reader or a narrow pane.

:mod:`.interview` asks and checks each answer with the engine's rules (:mod:`.fields`:
the answers as dotted paths and the model's check of one); :mod:`.summary` shows every
answer before saving and changes any of them; :mod:`.screen` wraps every line to the
terminal and says a refusal whole above the question asked again; :mod:`.prompts` holds
the few questions the headless commands ask on a terminal (confirm, passphrase).
Imports questionary only when a question is asked.  May import the engine; never
``tui`` or ``commands``.
"""
