"""German for the last round of the room (issue 10): the workshop's hide-until-reveal default,
the projector's keys, the folded reason of a rating."""

DE = {
    # the console's settings
    "New topics: hide cards until I reveal them": "Neue Themen: Beiträge verbergen, bis ich sie aufdecke",
    (
        "While collecting, participants then see only their own cards and the number per group, so nobody "
        "anchors on the first post. Each topic can still be switched on its board."
    ): (
        "Beim Sammeln sehen die Teilnehmenden dann nur ihre eigenen Beiträge und die Anzahl je Gruppe, "
        "so richtet sich niemand nach dem ersten Beitrag. Jedes Thema lässt sich auf seiner Tafel umschalten."
    ),
    "New topics start with their cards hidden until you reveal them (settings).": (
        "Neue Themen beginnen mit verborgenen Beiträgen, bis Sie sie aufdecken (Einstellungen)."
    ),
    "New topics show their cards as they arrive (settings).": (
        "Neue Themen zeigen ihre Beiträge, sobald sie eintreffen (Einstellungen)."
    ),
    "Tick the box or leave it empty.": "Bitte das Kästchen ankreuzen oder leer lassen.",
    # the projector's keys
    "Keys": "Tasten",
    "Keys on the projector": "Tasten am Beamer",
    "or": "oder",
    "Page Down": "Bild ↓",
    "Page Up": "Bild ↑",
    "next page of the room view": "nächste Seite der Raumansicht",
    "previous page": "vorige Seite",
    "join code large, or back to its corner": "Zugangscode groß oder zurück in die Ecke",
    "high contrast on or off": "hoher Kontrast an oder aus",
    "show or hide these keys": "diese Tasten zeigen oder verbergen",
    "Keys there:": "Tasten dort:",
    "turn the pages": "blättern",
    "join code": "Zugangscode",
    "high contrast": "hoher Kontrast",
    "all keys": "alle Tasten",
    # the phone's rating form
    "Add a reason": "Begründung hinzufügen",
}
