"""German for the leftovers branch: a series hands the hide-until-reveal default to its rounds."""

DE = {
    "Topics of new rounds: hide cards until the moderation reveals them": (
        "Themen neuer Runden: Beiträge verbergen, bis die Moderation sie aufdeckt"
    ),
    (
        "While collecting, participants then see only their own cards and the number per group. Each round "
        "can change it in its settings, each topic on its board."
    ): (
        "Beim Sammeln sehen die Teilnehmenden dann nur ihre eigenen Beiträge und die Anzahl je Gruppe. Jede "
        "Runde kann das in ihren Einstellungen ändern, jedes Thema auf seiner Tafel."
    ),
}
