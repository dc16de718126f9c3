# ruff: noqa: E501  (msgids are keys and stay whole, so a search for a message finds its line)
"""German for the privacy strings (issue 13): anonymity levels, my data, erasure, retention, legal pages."""

DE = {
    ("%(num)d card deleted", "%(num)d cards deleted"): ("%(num)d Karte gelöscht", "%(num)d Karten gelöscht"),
    ("%(num)d card kept without a name", "%(num)d cards kept without a name"): (
        "%(num)d Karte ohne Namen behalten",
        "%(num)d Karten ohne Namen behalten",
    ),
    ("%(num)d dot vote deleted", "%(num)d dot votes deleted"): (
        "%(num)d Punktvergabe gelöscht",
        "%(num)d Punktvergaben gelöscht",
    ),
    ("%(num)d rating deleted", "%(num)d ratings deleted"): (
        "%(num)d Bewertung gelöscht",
        "%(num)d Bewertungen gelöscht",
    ),
    "A workshop is closed when all its topics are closed. The content stays, without names.": (
        "Ein Workshop ist abgeschlossen, wenn alle seine Themen geschlossen sind. Die Inhalte bleiben, ohne Namen."
    ),
    "Accessibility": "Barrierefreiheit",
    "Back to the workshop": "Zurück zum Workshop",
    "Choose named, moderators or anonymous.": "Wählen Sie named, moderators oder anonymous.",
    "Choose whether your cards are deleted or kept without your name.": (
        "Wählen Sie, ob Ihre Karten gelöscht oder ohne Ihren Namen behalten werden."
    ),
    "Delete data": "Daten löschen",
    "Delete me": "Mich löschen",
    "Delete my data now": "Meine Daten jetzt löschen",
    "Delete names, organisations and device links this many days after the workshop closes (empty: keep until deleted)": (
        "Namen, Organisationen und Geräteverknüpfungen so viele Tage nach Abschluss des Workshops löschen "
        "(leer: behalten, bis jemand sie löscht)"
    ),
    "Delete them": "Löschen",
    "Delete them too": "Mitlöschen",
    "Delete this person's data": "Daten dieser Person löschen",
    "Delete this person's name, organisation, device link, dots and ratings? This cannot be undone.": (
        "Name, Organisation, Geräteverknüpfung, Punkte und Bewertungen dieser Person löschen? "
        "Das lässt sich nicht rückgängig machen."
    ),
    "Dot votes": "Punktvergaben",
    "Download everything as a JSON file": "Alles als JSON-Datei herunterladen",
    "Everyone in the workshop": "Alle im Workshop",
    "How your data is used: privacy notice": "Wie Ihre Daten verwendet werden: Datenschutzerklärung",
    "Imprint": "Impressum",
    "Keep personal data between 1 and 3650 days after the workshop closes.": (
        "Personenbezogene Daten zwischen 1 und 3650 Tagen nach Abschluss des Workshops aufbewahren."
    ),
    "Keep them without a name": "Ohne Namen behalten",
    "Keep them without my name": "Ohne meinen Namen behalten",
    "Legal information": "Rechtliches",
    "My data": "Meine Daten",
    "My data: download or delete": "Meine Daten: herunterladen oder löschen",
    "Name, organisation and the link to this device: deleted": (
        "Name, Organisation und die Verknüpfung mit diesem Gerät: gelöscht"
    ),
    "Nobody will see names in this workshop, not even the moderation; reports show groups only.": (
        "In diesem Workshop sieht niemand Namen, auch die Moderation nicht; Berichte zeigen nur Gruppen."
    ),
    "Nobody: groups only, also in exports": "Niemand: nur Gruppen, auch in Exporten",
    "Once someone has joined, this can only become stricter.": (
        "Sobald jemand beigetreten ist, kann dies nur noch strenger werden."
    ),
    "Only a participant has data here: send your participant token (Authorization: Bearer …).": (
        "Daten gibt es hier nur für Teilnehmende: Senden Sie Ihr Teilnahme-Token (Authorization: Bearer …)."
    ),
    "Only the moderation": "Nur die Moderation",
    "Organisation": "Organisation",
    "People have joined under the current anonymity: it can only become stricter (named → moderators only → anonymous), not looser.": (
        "Es sind schon Personen unter der jetzigen Anonymität beigetreten: Sie kann nur noch strenger werden "
        "(Namen sichtbar → nur für die Moderation → anonym), nicht lockerer."
    ),
    "Privacy": "Datenschutz",
    "Their cards": "Ihre Karten",
    "This page is for the workshop's participants.": "Diese Seite ist für die Teilnehmenden des Workshops.",
    "This workshop is anonymous: nobody sees names, not even the moderation.": (
        "Dieser Workshop ist anonym: Niemand sieht Namen, auch die Moderation nicht."
    ),
    "What is stored about you": "Was über Sie gespeichert ist",
    "Who sees participants' names": "Wer die Namen der Teilnehmenden sieht",
    "Your cards": "Ihre Karten",
    "Your data has been deleted": "Ihre Daten wurden gelöscht",
    "Your name, organisation and the link to this device are deleted, and so are your dots and ratings: the tallies change at once. This cannot be undone.": (
        "Ihr Name, Ihre Organisation und die Verknüpfung mit diesem Gerät werden gelöscht, ebenso Ihre Punkte und "
        "Bewertungen: Die Zählungen ändern sich sofort. Das lässt sich nicht rückgängig machen."
    ),
    "none given": "nicht angegeben",
}
