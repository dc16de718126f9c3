"""The live layer: per-workshop hub, fan-out of pre-rendered events, broadcast backends.

Design: ``docs/architecture.md`` (section "Live updates") and ``docs/events.md``.
"""
