"""Day 2: the operations that manage a user after it exists (status and drift, two-key
rotation, offboarding, adoption), each a resumable state machine recorded with the
state, one step per run.

Sits beside ``pipeline`` and may import what it may: ``terraform``, ``aws``, ``secrets``,
``answers``, ``policy`` and the shared leaves; never a front.  The operations land here
with the issues that build them.
"""
