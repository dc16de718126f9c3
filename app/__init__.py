"""Runde: live stakeholder workshops that end in a consensus document.

The application is built by :func:`app.main.create_app`; see ``docs/architecture.md``.
"""
