"""German for the clustering-at-speed, suggestions, one-person-one-voice and demo-arc strings."""

DE = {
    "Please select at least one card.": "Bitte wählen Sie mindestens einen Beitrag aus.",
    "Please select fewer cards at once.": "Bitte wählen Sie auf einmal weniger Beiträge aus.",
    "Please choose cards of this topic.": "Bitte wählen Sie Beiträge dieses Themas.",
    ("%(num)d card moved.", "%(num)d cards moved."): ("%(num)d Beitrag verschoben.", "%(num)d Beiträge verschoben."),
    ("New cluster “%(title)s” with %(num)d card.", "New cluster “%(title)s” with %(num)d cards."): (
        "Neuer Cluster „%(title)s“ mit %(num)d Beitrag.",
        "Neuer Cluster „%(title)s“ mit %(num)d Beiträgen.",
    ),
    "Selected cards": "Ausgewählte Beiträge",
    "Move selected to": "Ausgewählte verschieben nach",
    "Name of the new cluster": "Name des neuen Clusters",
    "optional": "optional",
    "New cluster from selected": "Neuer Cluster aus der Auswahl",
    "Clear selection": "Auswahl aufheben",
    "Drag a card by its handle ⠿ into a cluster, or tick several cards and use “Move selected to”. Keyboard: on a handle, the arrow keys move the card up or down; the checkboxes and the menus work with Tab, Space and Enter.": "Ziehen Sie einen Beitrag an seinem Griff ⠿ in einen Cluster, oder haken Sie mehrere Beiträge an und nutzen Sie „Ausgewählte verschieben nach“. Tastatur: Auf einem Griff verschieben die Pfeiltasten den Beitrag nach oben oder unten; Kästchen und Menüs bedienen Sie mit Tab, Leertaste und Eingabe.",
    "Find cards": "Beiträge finden",
    "Duplicates and related cards": "Dubletten und verwandte Beiträge",
    "Select": "Auswählen",
    "Move card": "Beitrag verschieben",
}
DE.update(
    {
        "A suggestion names two different cards.": "Ein Vorschlag nennt zwei verschiedene Beiträge.",
        "Please say whether the cards are duplicates or related.": "Bitte geben Sie an, ob die Beiträge Dubletten oder verwandt sind.",
        "Merged.": "Zusammengeführt.",
        "Put into one cluster.": "In einen gemeinsamen Cluster gelegt.",
        "Dismissed: this pair is not suggested again.": "Verworfen: Dieses Paar wird nicht mehr vorgeschlagen.",
        "Merge as duplicate": "Als Dublette zusammenführen",
        "Put into one cluster": "In einen Cluster legen",
        "Dismiss": "Verwerfen",
        "Suggested from the wording of the cards; nothing is merged or moved until you choose.": "Vorgeschlagen nach dem Wortlaut der Beiträge; nichts wird zusammengeführt oder verschoben, bevor Sie es wählen.",
        "Likely duplicates": "Wahrscheinlich Dubletten",
        "Related": "Verwandt",
        "similarity": "Ähnlichkeit",
        "No open suggestions for this topic.": "Zu diesem Thema gibt es keine offenen Vorschläge.",
        "Refresh suggestions": "Vorschläge aktualisieren",
        "Show the suggestions": "Vorschläge anzeigen",
    }
)
