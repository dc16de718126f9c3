"""German for the strings of issue 11 (the Typst PDF, DOCX/ODT fixes, report content)."""

DE = {
    "Chart for %(group)s: %(summary)s": "Diagramm für %(group)s: %(summary)s",
}
