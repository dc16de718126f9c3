# ruff: noqa: E501 - msgids and their translations stay whole, one per line (grep finds them)
"""German for issue 11's leftovers (branch report4): the appendix box on the report page, the message of a write whose author was erased meanwhile, the series edit."""

DE = {
    "Include the appendix (all cards)": "Mit Anhang (alle Beiträge)",
    "For the next download only; the report settings stay as saved. The raw data (CSV, JSON) always holds every card.": "Nur für den nächsten Download; die Einstellungen des Berichts bleiben, wie sie gespeichert sind. Die Rohdaten (CSV, JSON) enthalten immer alle Beiträge.",
    "Your participation was erased or merged a moment ago. Please reload the page.": "Ihre Teilnahme wurde gerade gelöscht oder zusammengeführt. Bitte laden Sie die Seite neu.",
    "Edit series": "Reihe bearbeiten",
    "Save series": "Reihe speichern",
    "The series was saved.": "Die Reihe wurde gespeichert.",
    "New rounds get these settings; rounds already created keep their own (change them in each round's console).": "Neue Runden erhalten diese Einstellungen; schon angelegte Runden behalten ihre eigenen (zu ändern in der Konsole der jeweiligen Runde).",
}
