"""German for the room view, following the room and the phone layout (issue 10)."""

DE = {
    "Support not shown yet": "Zustimmung noch nicht gezeigt",
    ("%(num)d card so far", "%(num)d cards so far"): ("%(num)d Beitrag bisher", "%(num)d Beiträge bisher"),
    ("%(num)d person has joined", "%(num)d people have joined"): (
        "%(num)d Person ist dabei",
        "%(num)d Personen sind dabei",
    ),
    "The cards stay hidden until the moderation reveals them, so nobody anchors on the first post.": (
        "Die Beiträge bleiben verborgen, bis die Moderation sie aufdeckt – "
        "so richtet sich niemand nach dem ersten Beitrag."
    ),
    "Newest cards": "Neueste Beiträge",
    "The moderation is grouping the cards.": "Die Moderation ordnet die Beiträge zu Gruppen.",
    "Dot voting is open. The dots are shown once the moderation reveals them.": (
        "Die Punktabfrage läuft. Die Punkte werden gezeigt, sobald die Moderation sie aufdeckt."
    ),
    "Results": "Ergebnisse",
    "No statements on this topic yet.": "Zu diesem Thema gibt es noch keine Aussagen.",
    "Most dots": "Die meisten Punkte",
    "Support per group is shown once the moderation reveals it.": (
        "Die Zustimmung je Gruppe wird gezeigt, sobald die Moderation sie aufdeckt."
    ),
    "Page": "Seite",
    "High contrast": "Hoher Kontrast",
    "The room moved on to:": "Der Raum ist weitergegangen zu:",
    "Back to the room": "Zurück zum Raum",
    "How to rate": "So bewerten Sie",
    "The participants' phones follow the projector to its topic.": (
        "Die Telefone der Teilnehmenden folgen dem Beamer zu seinem Thema."
    ),
}
