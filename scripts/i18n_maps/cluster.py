"""German for the clustering-at-speed, suggestions, one-person-one-voice and demo-arc strings."""

# ruff: noqa: E501  - each key is a msgid that must match the source exactly; whole sentences read best on one line

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
DE.update(
    {
        "This return link is not valid (any more).": "Dieser Rückkehr-Link ist nicht (mehr) gültig.",
        "Please choose participants of this workshop.": "Bitte wählen Sie Teilnehmende dieses Workshops.",
        "A participant cannot be merged into themselves.": "Eine Person kann nicht mit sich selbst zusammengeführt werden.",
        "Only participants have a personal return link.": "Nur Teilnehmende haben einen persönlichen Rückkehr-Link.",
        "Your personal return link": "Ihr persönlicher Rückkehr-Link",
        "Continue on another device": "Auf einem anderen Gerät weitermachen",
        "Open this link (or scan the code) on your laptop, tablet or a second phone: there you continue as the same person, with your cards, dots and ratings. It counts as one voice.": "Öffnen Sie diesen Link (oder scannen Sie den Code) auf Ihrem Laptop, Tablet oder einem zweiten Telefon: Dort machen Sie als dieselbe Person weiter, mit Ihren Beiträgen, Punkten und Bewertungen. Es zählt als eine Stimme.",
        "QR code of your personal return link": "QR-Code Ihres persönlichen Rückkehr-Links",
        "Keep this link to yourself: whoever opens it takes part as you.": "Behalten Sie diesen Link für sich: Wer ihn öffnet, nimmt als Sie teil.",
        "Continue as the same person": "Als dieselbe Person weitermachen",
        "This browser will take part as:": "Dieser Browser nimmt dann teil als:",
        "Continue on this device": "Auf diesem Gerät weitermachen",
        "If this is not you, close this page: nothing has changed.": "Wenn Sie das nicht sind, schließen Sie diese Seite: Es hat sich nichts geändert.",
        "Likely the same person": "Wahrscheinlich dieselbe Person",
        "Back to the workshop": "Zurück zum Workshop",
        "These participants have the same name in the same group, perhaps one person on two devices. Merging keeps the cards of both; dots and ratings count once (within the dots per topic and per card; of two ratings of a statement the newer stays). The merged participant's devices then act as the one kept.": "Diese Teilnehmenden haben denselben Namen in derselben Gruppe, vielleicht eine Person auf zwei Geräten. Beim Zusammenführen bleiben die Beiträge beider erhalten; Punkte und Bewertungen zählen einmal (im Rahmen der Punkte je Thema und je Beitrag; von zwei Bewertungen einer Aussage bleibt die neuere). Die Geräte der zusammengeführten Person handeln danach als die behaltene.",
        "joined": "beigetreten",
        "Merge into the first": "In die erste zusammenführen",
        "Nobody has joined twice under the same name and group.": "Niemand ist zweimal unter demselben Namen und in derselben Gruppe beigetreten.",
        "Likely the same person twice: check and merge": "Wahrscheinlich zweimal dieselbe Person: prüfen und zusammenführen",
    }
)
DE["The most similar cards come first."] = "Die ähnlichsten Beiträge stehen oben."
