"""The Textual wizard: one screen per step, a thin App, workers that call the engine.

Importing this package imports Textual; only ``tfiam wizard`` (and bare ``tfiam``) do.
"""
