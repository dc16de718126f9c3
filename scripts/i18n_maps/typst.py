"""German for the strings of issue 11 (the Typst PDF, DOCX/ODT fixes, report content)."""

DE = {
    "Chart for %(group)s: %(summary)s": "Diagramm für %(group)s: %(summary)s",
    "also named by %(groups)s": "auch genannt von %(groups)s",
    "Conditions given with support with reservations": "Bedingungen der Zustimmung mit Vorbehalten",
}
