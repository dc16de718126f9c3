"""Content of the Runde demo workshop.

This module is pure data: the example series, workshop, participants, topics,
cards and consensus statements that ``runde demo`` (or the first start with an
empty database) loads, in German (``"de"``) and English (``"en"``).

The texts are written freshly from the facts of the reference write-up
(``shared/reference/smart-city-exchange-round.de.txt``), a report on a recurring
exchange round about German smart city strategies; no sentences are copied from
it. All people and organisations are fictional. Both languages share the same
structure: card *i* has the same topic, kind and participant in ``"de"`` and
``"en"``, and statements reference cards by the same indexes.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoParticipant:
    """A fictional participant of the demo workshop."""

    key: str  # unique within the workshop, e.g. "p1"
    display_name: str  # <= 80 chars
    organization: str  # <= 80 chars
    group: str  # "science", "business", "civil_society" or "administration"


@dataclass(frozen=True)
class DemoTopic:
    """One agenda item: a clause that stands in many smart city strategies."""

    title: str  # <= 200 chars
    prompt: str  # the quoted clause as it typically stands in a strategy
    guiding_questions: tuple[str, ...]


@dataclass(frozen=True)
class DemoCard:
    """One contribution on a topic board."""

    topic: int  # index into DemoWorkshop.topics
    kind: str  # "need", "logic", "idea", "question", "example" or "concern"
    participant: str  # DemoParticipant.key
    text: str  # 1..1000 chars


@dataclass(frozen=True)
class DemoStatement:
    """A consensus sentence drafted by the moderator."""

    topic: int  # index into DemoWorkshop.topics
    text: str
    cards: tuple[int, ...]  # indexes into DemoWorkshop.cards


@dataclass(frozen=True)
class DemoWorkshop:
    """The demo series and its first workshop in one language."""

    series_title: str
    title: str
    description: str
    place: str
    participants: tuple[DemoParticipant, ...]
    topics: tuple[DemoTopic, ...]
    cards: tuple[DemoCard, ...]
    statements: tuple[DemoStatement, ...]


DEMO: dict[str, DemoWorkshop] = {
    "de": DemoWorkshop(
        series_title="Austauschrunde Smart-City-Strategien",
        title=("Ausgabe 1: Beteiligung, Kulturwandel und Stadtlabore"),
        description=(
            "Die monatliche Austauschrunde bringt Städte, Hochschulen, Unternehmen "
            "und Initiativen zusammen, die an Smart-City-Strategien arbeiten. In der "
            "ersten Ausgabe nehmen wir drei Klauseln unter die Lupe, die sich in fast "
            "jeder Strategie finden: die Beteiligung aller relevanten Akteure, den "
            "Kulturwandel in der Verwaltung und die Frage, wo Digitalisierung für die "
            "ganze Stadtgesellschaft erlebbar wird. Am Ende steht ein gemeinsames "
            "Konsenspapier mit Bedarfen, Denk- und Handlungslogiken, Beispielen und "
            "offenen Fragen."
        ),
        place=("Stadtlabor Musterstadt, Marktplatz 7, und per Videokonferenz"),
        participants=(
            DemoParticipant(
                key="p1",
                display_name="Dr. Lena Brückner",
                organization="Hochschule Beispielhausen – Institut für Stadtforschung",
                group="science",
            ),
            DemoParticipant(
                key="p2",
                display_name="Tobias Reinhardt",
                organization="Institut für urbane Transformation Musterstadt e. V.",
                group="science",
            ),
            DemoParticipant(
                key="p3",
                display_name="Prof. Dr. Aylin Demir",
                organization=("Universität Musterstadt – Lehrstuhl für Verwaltungswissenschaft"),
                group="science",
            ),
            DemoParticipant(
                key="p4",
                display_name="Jonas Weißenborn",
                organization="Datenwerk Systems GmbH",
                group="business",
            ),
            DemoParticipant(
                key="p5",
                display_name="Sabine Köhler",
                organization="Musterstadt Entwicklungsgesellschaft mbH",
                group="business",
            ),
            DemoParticipant(
                key="p6",
                display_name="Malte Hübner",
                organization="Sensorium Labs GmbH – Start-up für Umweltsensorik",
                group="business",
            ),
            DemoParticipant(
                key="p7",
                display_name="Katrin Vogt",
                organization="Werbegemeinschaft Innenstadt Musterstadt e. V.",
                group="business",
            ),
            DemoParticipant(
                key="p8",
                display_name="Fatma Yıldız",
                organization="Code for Musterstadt e. V.",
                group="civil_society",
            ),
            DemoParticipant(
                key="p9",
                display_name="Günter Schäfer",
                organization="Quartiersinitiative „Nordstadt lebt“ e. V.",
                group="civil_society",
            ),
            DemoParticipant(
                key="p10",
                display_name="Mareike Lüdtke",
                organization="Seniorenbeirat der Stadt Musterstadt",
                group="civil_society",
            ),
            DemoParticipant(
                key="p11",
                display_name="Ben Hoffmann",
                organization="Jugendforum Musterstadt",
                group="civil_society",
            ),
            DemoParticipant(
                key="p12",
                display_name="Dr. Carsten Mühlbauer",
                organization=("Stadtverwaltung Musterstadt – Stabsstelle Digitalisierung"),
                group="administration",
            ),
            DemoParticipant(
                key="p13",
                display_name="Ute Fröhlich",
                organization=("Stadtverwaltung Musterstadt – Amt für Personal und Organisation"),
                group="administration",
            ),
            DemoParticipant(
                key="p14",
                display_name="Henrik Jäger",
                organization="Stadt Beispielhausen – Amt für Stadtentwicklung",
                group="administration",
            ),
            DemoParticipant(
                key="p15",
                display_name="Birgit Sommer",
                organization="Stadtrat Musterstadt – Ausschuss für Digitales",
                group="administration",
            ),
        ),
        topics=(
            # topic 0: involving all relevant actors
            DemoTopic(
                title="§ 1 Alle relevanten Akteure einbeziehen",
                prompt=(
                    "„Die Strategie ist in einem offenen, kooperativen Prozess "
                    "entstanden, an dem Akteurinnen und Akteure aus Wissenschaft, "
                    "Wirtschaft, Zivilgesellschaft sowie aus Verwaltung und "
                    "städtischen Gesellschaften mitgewirkt haben.“"
                ),
                guiding_questions=(
                    "Welche Akteursgruppen fehlen bisher am Tisch – und warum?",
                    ("Was brauchen die einzelnen Gruppen, um sich dauerhaft einbringen zu können?"),
                    ("Welche Denk- und Handlungslogiken sollten die anderen Gruppen von uns kennen?"),
                ),
            ),
            # topic 1: change management in the administration
            DemoTopic(
                title="§ 2 Changemanagement in der Verwaltung",
                prompt=(
                    "„Wir verstehen die digitale Transformation als "
                    "Veränderungsprozess, der nicht nur Technik, sondern auch die "
                    "Arbeitskultur, die Abläufe und die Zusammenarbeit in unserer "
                    "Verwaltung erfasst.“"
                ),
                guiding_questions=(
                    (
                        "Welche Abläufe und Zuständigkeiten müssen sich ändern, damit "
                        "neue Arbeitsweisen im Alltag ankommen?"
                    ),
                    ("Wie gehen wir mit Fehlern um, wenn öffentliche Mittel im Spiel sind?"),
                    "Welche Kompetenzen fehlen uns – und wer kann sie einbringen?",
                ),
            ),
            # topic 2: creating spaces for digitalisation (city labs)
            DemoTopic(
                title="§ 3 Räume für Digitalisierung schaffen",
                prompt=(
                    "„Wir schaffen Orte, an denen die Stadtgesellschaft digitale "
                    "Technologien ausprobieren, Fragen stellen und eigene Ideen für "
                    "die Entwicklung unserer Stadt einbringen kann.“"
                ),
                guiding_questions=(
                    ("Wen soll ein Stadtlabor erreichen, und was unterscheidet es von bestehenden Digitalhubs?"),
                    (
                        "Wie wird der Ort zur Anlaufstelle für Menschen, die sich von "
                        "der Digitalisierung überfordert fühlen?"
                    ),
                    ("Wie lässt sich ein Stadtlabor über die Förderphase hinaus finanzieren und betreiben?"),
                ),
            ),
        ),
        cards=(
            # card 0
            DemoCard(
                topic=0,
                kind="need",
                participant="p1",
                text=(
                    "Wir brauchen früh Zugang zu Daten und festen Ansprechpersonen in "
                    "der Verwaltung. Sonst setzt die Begleitforschung erst ein, wenn "
                    "die wichtigen Entscheidungen längst gefallen sind."
                ),
            ),
            # card 1
            DemoCard(
                topic=0,
                kind="logic",
                participant="p2",
                text=(
                    "Wissenschaft arbeitet in drittmittelfinanzierten Projekten mit "
                    "fester Laufzeit und wird auch an Veröffentlichungen gemessen. "
                    "Ein Strategieprozess ohne erkennbaren Forschungsanteil lässt "
                    "sich bei uns intern kaum begründen."
                ),
            ),
            # card 2
            DemoCard(
                topic=0,
                kind="need",
                participant="p4",
                text=(
                    "Wir wünschen uns, dass die Stadt ihre eigentlichen Probleme "
                    "offen beschreibt, statt gleich eine bestimmte Lösung anzufragen. "
                    "Dann können wir ehrlich sagen, ob und wie wir helfen können."
                ),
            ),
            # card 3
            DemoCard(
                topic=0,
                kind="logic",
                participant="p4",
                text=(
                    "Als IT-Unternehmen denken wir in Produkten, die sich rechnen und "
                    "in vielen Städten einsetzen lassen. Diese Sicht kann der Stadt "
                    "helfen, ein Projekt von Anfang an so zu planen, dass es nicht "
                    "nur im Pilotquartier wirtschaftlich trägt."
                ),
            ),
            # card 4
            DemoCard(
                topic=0,
                kind="need",
                participant="p9",
                text=(
                    "Beteiligung muss dort stattfinden, wo die Leute sind: im "
                    "Stadtteil, am Abend oder am Wochenende – nicht nur dienstags um "
                    "zehn im Rathaus."
                ),
            ),
            # card 5
            DemoCard(
                topic=0,
                kind="logic",
                participant="p8",
                text=(
                    "Wir engagieren uns ehrenamtlich in unserer Freizeit und fragen "
                    "zuerst nach dem Gemeinwohl. Wer uns einbindet, muss mit längeren "
                    "Rückmeldezeiten leben und sollte Ergebnisse und Daten offen "
                    "teilen."
                ),
            ),
            # card 6
            DemoCard(
                topic=0,
                kind="need",
                participant="p12",
                text=(
                    "Wir brauchen eine sachliche, wohlwollende Gesprächsbasis, auf "
                    "der alle Seiten ihre Interessen offen auf den Tisch legen. Sonst "
                    "bleibt die Strategie ein Papier, das nur die Verwaltung trägt."
                ),
            ),
            # card 7
            DemoCard(
                topic=0,
                kind="logic",
                participant="p15",
                text=(
                    "Größere Vorhaben brauchen einen Ratsbeschluss. Mehrheiten, "
                    "Fraktionsberatungen und Sitzungsfristen geben den Takt vor – das "
                    "ist keine Bremse, sondern das, was einem Projekt demokratische "
                    "Legitimation verleiht."
                ),
            ),
            # card 8
            DemoCard(
                topic=0,
                kind="idea",
                participant="p3",
                text=(
                    "Zu Beginn jedes Beteiligungsformats stellt jede Akteursgruppe "
                    "auf einer Seite vor, was sie braucht und nach welchen Regeln sie "
                    "tickt. Auf diesen „Steckbrief“ können sich später alle beziehen."
                ),
            ),
            # card 9
            DemoCard(
                topic=0,
                kind="idea",
                participant="p5",
                text=(
                    "Ein fester Strategiebeirat mit zwei Sitzen pro Akteursgruppe, "
                    "der zweimal im Jahr auf den Umsetzungsstand schaut und "
                    "Kurskorrekturen vorschlagen darf."
                ),
            ),
            # card 10
            DemoCard(
                topic=0,
                kind="question",
                participant="p10",
                text=(
                    "Wie erreichen wir Menschen, die weder in Vereinen organisiert "
                    "sind noch Beteiligungsplattformen im Internet nutzen?"
                ),
            ),
            # card 11
            DemoCard(
                topic=0,
                kind="question",
                participant="p14",
                text=(
                    "Wer entscheidet am Ende, wenn sich die Gruppen nicht einigen "
                    "können – und wie machen wir diese Entscheidung für alle "
                    "nachvollziehbar?"
                ),
            ),
            # card 12
            DemoCard(
                topic=0,
                kind="example",
                participant="p14",
                text=(
                    "Bei einer Quartiersentwicklung haben wir keine fertige Planung "
                    "präsentiert, sondern drei Varianten in einer Werkstatt vor Ort "
                    "diskutiert. Die gewählte Lösung war breiter getragen, und im "
                    "Verfahren kamen deutlich weniger Einwände."
                ),
            ),
            # card 13
            DemoCard(
                topic=0,
                kind="example",
                participant="p8",
                text=(
                    "Ein Open-Data-Portal, das die Stadt zusammen mit einer "
                    "Civic-Tech-Gruppe aufgebaut hat: Die Ehrenamtlichen haben kleine "
                    "Anwendungen darauf entwickelt, und die Verwaltung hat gelernt, "
                    "welche Datensätze wirklich gefragt sind."
                ),
            ),
            # card 14
            DemoCard(
                topic=0,
                kind="concern",
                participant="p11",
                text=(
                    "Wenn Jugendliche nur als Zielgruppe vorkommen und nie "
                    "mitentscheiden, ist „Beteiligung aller“ eine leere Formel."
                ),
            ),
            # card 15
            DemoCard(
                topic=0,
                kind="concern",
                participant="p7",
                text=(
                    "Konsensprozesse kosten viel Zeit. Inhaberinnen und Inhaber "
                    "kleiner Läden können nicht zu zehn Workshops kommen und fallen "
                    "dann aus der Beteiligung heraus."
                ),
            ),
            # card 16
            DemoCard(
                topic=0,
                kind="logic",
                participant="p13",
                text=(
                    "Verwaltung ist nicht gleich Verwaltung: Manche Aufgaben sind "
                    "reiner Gesetzesvollzug, andere verlangen viel Fachwissen und "
                    "Ermessen. Pauschale Digitalisierungsversprechen werden dieser "
                    "Bandbreite nicht gerecht."
                ),
            ),
            # card 17
            DemoCard(
                topic=1,
                kind="need",
                participant="p13",
                text=(
                    "Kulturwandel braucht Rückendeckung vom Personal-, IT- und "
                    "Organisationsamt. Die Stabsstelle Digitalisierung allein kann "
                    "weder Stellen schaffen noch Zuständigkeiten neu ordnen."
                ),
            ),
            # card 18
            DemoCard(
                topic=1,
                kind="logic",
                participant="p12",
                text=(
                    "Verwaltung muss rechtssicher handeln: Ohne gesetzliche Grundlage "
                    "dürfen wir nicht tätig werden, und alles, was wir tun, muss dem "
                    "geltenden Recht entsprechen. Agilität hat deshalb Grenzen, die "
                    "ein Unternehmen so nicht kennt."
                ),
            ),
            # card 19
            DemoCard(
                topic=1,
                kind="need",
                participant="p3",
                text=(
                    "Wir brauchen Veränderungsvorhaben, die sich begleiten und "
                    "auswerten lassen – mit Daten von vorher und nachher, nicht nur "
                    "mit Erfolgsmeldungen."
                ),
            ),
            # card 20
            DemoCard(
                topic=1,
                kind="logic",
                participant="p1",
                text=(
                    "Forschung lebt davon, Annahmen zu überprüfen, auch wenn sie sich "
                    "als falsch erweisen. Ein gescheiterter Pilot ist für uns ein "
                    "Ergebnis, für die Verwaltung dagegen schnell ein Problem."
                ),
            ),
            # card 21
            DemoCard(
                topic=1,
                kind="need",
                participant="p4",
                text=(
                    "Wir brauchen in der Verwaltung Leute, die bei Datenfragen und "
                    "Verträgen auf Augenhöhe verhandeln können. Sonst drehen alle "
                    "Beteiligten endlose Abstimmungsschleifen."
                ),
            ),
            # card 22
            DemoCard(
                topic=1,
                kind="logic",
                participant="p6",
                text=(
                    "Start-ups arbeiten in kurzen Zyklen und testen früh mit echten "
                    "Nutzerinnen und Nutzern. Vergabeverfahren, die ein halbes Jahr "
                    "dauern, passen schlecht zu diesem Rhythmus."
                ),
            ),
            # card 23
            DemoCard(
                topic=1,
                kind="need",
                participant="p10",
                text=(
                    "Wenn Abläufe digital werden, muss es weiterhin einen "
                    "persönlichen Weg ins Amt geben. Und die Bürgerinnen und Bürger "
                    "sollten erfahren, warum sich etwas ändert."
                ),
            ),
            # card 24
            DemoCard(
                topic=1,
                kind="logic",
                participant="p9",
                text=(
                    "Initiativen messen Veränderung daran, ob sie im Alltag spürbar "
                    "wird. Reformen im Inneren der Verwaltung, von denen draußen "
                    "niemand etwas merkt, überzeugen uns nicht."
                ),
            ),
            # card 25
            DemoCard(
                topic=1,
                kind="idea",
                participant="p12",
                text=(
                    "Die Kraft konkreter Projekte nutzen: kleine, schnell umsetzbare "
                    "Vorhaben mit sichtbarem Nutzen, an denen gerade skeptische "
                    "Kolleginnen und Kollegen selbst mitarbeiten."
                ),
            ),
            # card 26
            DemoCard(
                topic=1,
                kind="idea",
                participant="p2",
                text=(
                    "Ein wissenschaftlich begleitetes Reallabor schafft einen "
                    "geschützten Rahmen, in dem die Verwaltung neue Verfahren "
                    "ausprobieren darf – befristet und sauber dokumentiert."
                ),
            ),
            # card 27
            DemoCard(
                topic=1,
                kind="question",
                participant="p13",
                text=("Wie fördern wir eine offene Fehlerkultur, wenn jedes Experiment mit Steuergeld bezahlt wird?"),
            ),
            # card 28
            DemoCard(
                topic=1,
                kind="question",
                participant="p15",
                text=(
                    "Wie verhindern wir, dass die Smart-City-Einheit im Haus als "
                    "bevorzugte Abteilung gilt, die Fördergeld und Aufmerksamkeit "
                    "bekommt, während andere das Tagesgeschäft stemmen?"
                ),
            ),
            # card 29
            DemoCard(
                topic=1,
                kind="example",
                participant="p3",
                text=(
                    "In einem Forschungsprojekt haben wir ein ämterübergreifendes "
                    "Innovationsteam begleitet, in dem Mitarbeitende einen Tag pro "
                    "Woche an Digitalisierungsvorhaben arbeiten. Die Ideen kamen aus "
                    "den Fachämtern selbst und wurden dort auch besser angenommen."
                ),
            ),
            # card 30
            DemoCard(
                topic=1,
                kind="example",
                participant="p14",
                text=(
                    "Mehrere Nachbarkommunen teilen sich in einem regelmäßigen "
                    "Austausch Musterverträge für Datenprojekte. Das hat unsere "
                    "Verhandlungen mit Anbietern spürbar erleichtert."
                ),
            ),
            # card 31
            DemoCard(
                topic=1,
                kind="concern",
                participant="p7",
                text=(
                    "Förderprogramme laufen aus. Was wird aus neuen Arbeitsweisen und "
                    "befristeten Stellen, wenn das Geld aufgebraucht ist?"
                ),
            ),
            # card 32
            DemoCard(
                topic=1,
                kind="concern",
                participant="p8",
                text=(
                    "Wenn das Know-how für Datenverträge fehlt, geben Kommunen leicht "
                    "die Rechte an ihren eigenen Daten aus der Hand."
                ),
            ),
            # card 33
            DemoCard(
                topic=1,
                kind="idea",
                participant="p9",
                text=(
                    "Hospitationen in beide Richtungen: Mitarbeitende der Verwaltung "
                    "verbringen einen Tag in einer Initiative oder einem Unternehmen "
                    "und umgekehrt. Lernen sollte keine Einbahnstraße sein."
                ),
            ),
            # card 34
            DemoCard(
                topic=2,
                kind="need",
                participant="p10",
                text=(
                    "Ein Ort, an dem ältere Menschen ohne Termin und ohne "
                    "Vorkenntnisse Fragen zu Smartphone, Onlineanträgen oder "
                    "Betrugsmaschen stellen können."
                ),
            ),
            # card 35
            DemoCard(
                topic=2,
                kind="logic",
                participant="p8",
                text=(
                    "Unsere Arbeit hängt an Ehrenamtlichen, die abends Zeit haben. "
                    "Ein Raum, der um 16 Uhr schließt, bleibt für uns zu – wir "
                    "brauchen eher einen Schlüssel und gutes WLAN als Hochglanzmöbel."
                ),
            ),
            # card 36
            DemoCard(
                topic=2,
                kind="need",
                participant="p7",
                text=(
                    "In der Innenstadt stehen Ladenlokale leer und brauchen neue "
                    "Nutzungen. Ein Stadtlabor im Erdgeschoss könnte wieder Menschen "
                    "in die Einkaufsstraße holen."
                ),
            ),
            # card 37
            DemoCard(
                topic=2,
                kind="logic",
                participant="p5",
                text=(
                    "Als Entwicklungsgesellschaft rechnen wir über den gesamten "
                    "Lebenszyklus einer Immobilie. Eine Fläche für ein Stadtlabor ist "
                    "für uns dann interessant, wenn sie das Quartier aufwertet und "
                    "die Nutzung langfristig gesichert ist."
                ),
            ),
            # card 38
            DemoCard(
                topic=2,
                kind="need",
                participant="p2",
                text=(
                    "Wir suchen Orte, an denen wir Prototypen mit der Bevölkerung "
                    "testen können, etwa Virtual-Reality-Modelle geplanter "
                    "Bauvorhaben oder 3D-gedruckte Stadtmodelle."
                ),
            ),
            # card 39
            DemoCard(
                topic=2,
                kind="logic",
                participant="p1",
                text=(
                    "Hochschulen denken in Semestern und Förderperioden. "
                    "Studierendenprojekte können ein Stadtlabor beleben, brauchen "
                    "aber eine Betreuung, die über die einzelne Lehrveranstaltung "
                    "hinaus bestehen bleibt."
                ),
            ),
            # card 40
            DemoCard(
                topic=2,
                kind="need",
                participant="p12",
                text=(
                    "Das Stadtlabor soll vor allem Lotse sein: Es zeigt, wo es in der "
                    "Stadt Beratung und Kurse zu digitalen Kompetenzen gibt, ohne "
                    "selbst Volkshochschule oder Bildungsträger ersetzen zu müssen."
                ),
            ),
            # card 41
            DemoCard(
                topic=2,
                kind="logic",
                participant="p14",
                text=(
                    "Über Bauleitplanung und städtebauliche Verträge steuert die "
                    "Stadt, wie Flächen genutzt werden. Das ist ein Hebel, um "
                    "Eigentümerinnen, Eigentümer und Investoren als Partner für "
                    "Stadtlabore zu gewinnen – bis hin zu verbindlichen Auflagen."
                ),
            ),
            # card 42
            DemoCard(
                topic=2,
                kind="idea",
                participant="p6",
                text=(
                    "Aufmerksamkeit im Stadtlabor vermieten, nach dem Prinzip „Retail "
                    "as a Service“: Start-ups und Initiativen buchen kleine "
                    "Ausstellungsflächen, zeigen ihre Prototypen und holen sich "
                    "direktes Feedback. Die Mieten decken einen Teil des Betriebs."
                ),
            ),
            # card 43
            DemoCard(
                topic=2,
                kind="idea",
                participant="p11",
                text=(
                    "Mobile Stadtlabor-Tage in Stadtteilbibliotheken und "
                    "Jugendzentren, damit nicht nur die Innenstadt etwas davon hat."
                ),
            ),
            # card 44
            DemoCard(
                topic=2,
                kind="question",
                participant="p15",
                text=(
                    "Wer betreibt das Stadtlabor dauerhaft, wenn die Förderung nach "
                    "fünf Jahren endet – und aus welchem Haushaltstitel?"
                ),
            ),
            # card 45
            DemoCard(
                topic=2,
                kind="question",
                participant="p3",
                text=(
                    "Worin unterscheidet sich ein Stadtlabor von bestehenden "
                    "Digitalhubs und Kompetenzzentren, die vor allem Unternehmen und "
                    "digital affine Menschen ansprechen?"
                ),
            ),
            # card 46
            DemoCard(
                topic=2,
                kind="example",
                participant="p9",
                text=(
                    "In einem leerstehenden Laden im Quartier haben wir zusammen mit "
                    "der Stadt ein kleines Reallabor eingerichtet. Anwohnende haben "
                    "dort Sensoren für Lärm und Hitze getestet und die Daten "
                    "gemeinsam ausgewertet."
                ),
            ),
            # card 47
            DemoCard(
                topic=2,
                kind="example",
                participant="p4",
                text=(
                    "Bei einer offenen Sprechstunde konnten Bürgerinnen und Bürger an "
                    "einem Augmented-Reality-Modell sehen, wie ein umgestalteter "
                    "Platz aussehen soll, und ihre Hinweise direkt im Modell "
                    "hinterlassen."
                ),
            ),
            # card 48
            DemoCard(
                topic=2,
                kind="concern",
                participant="p10",
                text=(
                    "Wenn das Stadtlabor vor allem Technik ausstellt, fühlen sich "
                    "Menschen, die ohnehin von der Digitalisierung überrollt werden, "
                    "dort erst recht fehl am Platz."
                ),
            ),
            # card 49
            DemoCard(
                topic=2,
                kind="concern",
                participant="p13",
                text=(
                    "Ein Raum allein schafft noch keine Beteiligung. Ohne Personal, "
                    "das Ideen aufnimmt und an die Fachämter weitergibt, wird das "
                    "Stadtlabor zum bloßen Schaufenster."
                ),
            ),
            # card 50
            DemoCard(
                topic=2,
                kind="question",
                participant="p7",
                text=(
                    "Dürfen Händlerinnen und Händler das Stadtlabor auch für eigene "
                    "Aktionen nutzen, oder muss es strikt neutral bleiben?"
                ),
            ),
        ),
        statements=(
            DemoStatement(
                topic=0,
                text=(
                    "Strategiearbeit beginnt bei den tatsächlichen Herausforderungen "
                    "der Stadt; Lösungen und Produkte werden erst danach gemeinsam "
                    "bewertet, auch mit Blick darauf, ob sie sich über ein "
                    "Pilotgebiet hinaus tragen."
                ),
                cards=(2, 3, 6),
            ),
            DemoStatement(
                topic=0,
                text=(
                    "Jede Akteursgruppe legt ihre Bedarfe und Handlungslogiken "
                    "schriftlich offen, und Beteiligung findet auch vor Ort und zu "
                    "Zeiten statt, die Ehrenamtliche und kleine Betriebe wahrnehmen "
                    "können."
                ),
                cards=(4, 5, 8, 15),
            ),
            DemoStatement(
                topic=1,
                text=(
                    "Kulturwandel entsteht über kleine, sichtbare Projekte mit "
                    "spürbarem Nutzen, an denen auch skeptische Mitarbeitende selbst "
                    "mitwirken – nicht über Appelle oder eine bevorzugte "
                    "Sondereinheit."
                ),
                cards=(24, 25, 28),
            ),
            DemoStatement(
                topic=1,
                text=(
                    "Neue Arbeitsweisen werden in wissenschaftlich begleiteten "
                    "Reallaboren innerhalb eines klaren Rechtsrahmens erprobt; "
                    "Personal-, IT- und Organisationsamt sind von Anfang an beteiligt."
                ),
                cards=(17, 18, 19, 26),
            ),
            DemoStatement(
                topic=2,
                text=(
                    "Das Stadtlabor richtet sich an die ganze Stadtgesellschaft und "
                    "versteht sich als niedrigschwellige Anlauf- und Lotsenstelle, "
                    "gerade auch für Menschen, die mit der Digitalisierung wenig "
                    "vertraut sind."
                ),
                cards=(34, 40, 45, 48),
            ),
            DemoStatement(
                topic=2,
                text=(
                    "Für einen dauerhaften Betrieb prüfen wir ein gemischtes "
                    "Finanzierungsmodell aus Partnerschaften mit Eigentümerinnen und "
                    "Eigentümern, vermieteten Ausstellungsflächen und einem "
                    "kommunalen Grundbetrag."
                ),
                cards=(37, 41, 42, 44),
            ),
        ),
    ),
    "en": DemoWorkshop(
        series_title="Smart City Strategy Exchange Round",
        title=("Session 1: Participation, culture change and city labs"),
        description=(
            "Each month, this exchange round brings together cities, universities, "
            "companies and local initiatives who work on smart city strategies. The "
            "first session looks closely at three clauses that turn up in almost "
            "every strategy: involving all relevant actors, changing the culture of "
            "the administration, and giving the whole urban community a place to "
            "experience digitalisation. The goal is a shared consensus document "
            "listing needs, ways of thinking and acting, examples and open questions."
        ),
        place=("Musterstadt City Lab, Marktplatz 7, and via video conference"),
        participants=(
            DemoParticipant(
                key="p1",
                display_name="Dr. Lena Brückner",
                organization=("Beispielhausen University of Applied Sciences – Institute for Urban Research"),
                group="science",
            ),
            DemoParticipant(
                key="p2",
                display_name="Tobias Reinhardt",
                organization="Musterstadt Institute for Urban Transformation",
                group="science",
            ),
            DemoParticipant(
                key="p3",
                display_name="Prof. Dr. Aylin Demir",
                organization=("University of Musterstadt – Chair of Public Administration"),
                group="science",
            ),
            DemoParticipant(
                key="p4",
                display_name="Jonas Weißenborn",
                organization="Datenwerk Systems GmbH (IT services)",
                group="business",
            ),
            DemoParticipant(
                key="p5",
                display_name="Sabine Köhler",
                organization="Musterstadt Urban Development Company",
                group="business",
            ),
            DemoParticipant(
                key="p6",
                display_name="Malte Hübner",
                organization="Sensorium Labs GmbH – environmental sensing start-up",
                group="business",
            ),
            DemoParticipant(
                key="p7",
                display_name="Katrin Vogt",
                organization="Musterstadt City Centre Retailers' Association",
                group="business",
            ),
            DemoParticipant(
                key="p8",
                display_name="Fatma Yıldız",
                organization="Code for Musterstadt (civic-tech association)",
                group="civil_society",
            ),
            DemoParticipant(
                key="p9",
                display_name="Günter Schäfer",
                organization="“Nordstadt lebt” neighbourhood initiative",
                group="civil_society",
            ),
            DemoParticipant(
                key="p10",
                display_name="Mareike Lüdtke",
                organization="Musterstadt Senior Citizens' Council",
                group="civil_society",
            ),
            DemoParticipant(
                key="p11",
                display_name="Ben Hoffmann",
                organization="Musterstadt Youth Forum",
                group="civil_society",
            ),
            DemoParticipant(
                key="p12",
                display_name="Dr. Carsten Mühlbauer",
                organization="City of Musterstadt – Digitalisation Unit",
                group="administration",
            ),
            DemoParticipant(
                key="p13",
                display_name="Ute Fröhlich",
                organization=("City of Musterstadt – Human Resources and Organisation Office"),
                group="administration",
            ),
            DemoParticipant(
                key="p14",
                display_name="Henrik Jäger",
                organization="City of Beispielhausen – Urban Development Office",
                group="administration",
            ),
            DemoParticipant(
                key="p15",
                display_name="Birgit Sommer",
                organization="Musterstadt City Council – Digital Affairs Committee",
                group="administration",
            ),
        ),
        topics=(
            # topic 0: involving all relevant actors
            DemoTopic(
                title="§ 1 Involving all relevant actors",
                prompt=(
                    "“This strategy was developed in an open, cooperative process "
                    "with contributors from science, business, civil society, the "
                    "city administration and the municipal companies.”"
                ),
                guiding_questions=(
                    ("Which stakeholder groups are still missing from the table, and why?"),
                    "What does each group need in order to stay involved over time?",
                    ("Which of our ways of thinking and acting should the other groups know about?"),
                ),
            ),
            # topic 1: change management in the administration
            DemoTopic(
                title="§ 2 Change management in the administration",
                prompt=(
                    "“We see digital transformation as a process of change that "
                    "reaches beyond technology into the working culture, the "
                    "procedures and the way our administration cooperates.”"
                ),
                guiding_questions=(
                    (
                        "Which procedures and responsibilities have to change so that "
                        "new ways of working take hold in daily business?"
                    ),
                    "How do we deal with mistakes when public money is involved?",
                    "Which skills are we missing, and who can bring them in?",
                ),
            ),
            # topic 2: creating spaces for digitalisation (city labs)
            DemoTopic(
                title="§ 3 Creating spaces for digitalisation",
                prompt=(
                    "“We will create places where the people of our city can try out "
                    "digital technologies, ask questions and contribute their own "
                    "ideas for the city's development.”"
                ),
                guiding_questions=(
                    ("Whom should a city lab reach, and how does it differ from existing digital hubs?"),
                    ("How can the lab become a first port of call for people who feel overwhelmed by digitalisation?"),
                    ("How can a city lab be funded and run once the grant period is over?"),
                ),
            ),
        ),
        cards=(
            # card 0
            DemoCard(
                topic=0,
                kind="need",
                participant="p1",
                text=(
                    "We need early access to data and named contacts in the "
                    "administration. Otherwise the accompanying research only starts "
                    "once the important decisions have already been made."
                ),
            ),
            # card 1
            DemoCard(
                topic=0,
                kind="logic",
                participant="p2",
                text=(
                    "Research runs on grant-funded projects with fixed terms, and we "
                    "are judged partly by what we publish. A strategy process with no "
                    "visible research component is hard for us to justify internally."
                ),
            ),
            # card 2
            DemoCard(
                topic=0,
                kind="need",
                participant="p4",
                text=(
                    "We would like the city to describe its actual problems openly "
                    "instead of asking for a particular solution straight away. Then "
                    "we can say honestly whether and how we can help."
                ),
            ),
            # card 3
            DemoCard(
                topic=0,
                kind="logic",
                participant="p4",
                text=(
                    "As an IT company we think in products that pay off and can be "
                    "rolled out in many cities. That perspective can help the city "
                    "design a project from day one so that it is viable beyond the "
                    "pilot neighbourhood."
                ),
            ),
            # card 4
            DemoCard(
                topic=0,
                kind="need",
                participant="p9",
                text=(
                    "Participation has to happen where people are: in the "
                    "neighbourhood, in the evening or at the weekend – not just on "
                    "Tuesday mornings at ten in the town hall."
                ),
            ),
            # card 5
            DemoCard(
                topic=0,
                kind="logic",
                participant="p8",
                text=(
                    "We volunteer in our spare time and our first question is always "
                    "what serves the public good. Anyone who involves us has to "
                    "accept slower turnaround and should share results and data "
                    "openly."
                ),
            ),
            # card 6
            DemoCard(
                topic=0,
                kind="need",
                participant="p12",
                text=(
                    "We need a factual, good-faith basis for conversation where every "
                    "side puts its interests on the table. Otherwise the strategy "
                    "remains a document that only the administration stands behind."
                ),
            ),
            # card 7
            DemoCard(
                topic=0,
                kind="logic",
                participant="p15",
                text=(
                    "Larger projects need a council decision. Majorities, party group "
                    "meetings and committee deadlines set the pace – that is not red "
                    "tape but what gives a project its democratic legitimacy."
                ),
            ),
            # card 8
            DemoCard(
                topic=0,
                kind="idea",
                participant="p3",
                text=(
                    "At the start of every participation format, each stakeholder "
                    "group presents on a single page what it needs and by which rules "
                    "it operates. Everyone can refer back to this “profile” later on."
                ),
            ),
            # card 9
            DemoCard(
                topic=0,
                kind="idea",
                participant="p5",
                text=(
                    "A standing strategy board with two seats per stakeholder group "
                    "that reviews progress twice a year and may propose changes of "
                    "course."
                ),
            ),
            # card 10
            DemoCard(
                topic=0,
                kind="question",
                participant="p10",
                text=(
                    "How do we reach people who are neither members of any "
                    "association nor users of online participation platforms?"
                ),
            ),
            # card 11
            DemoCard(
                topic=0,
                kind="question",
                participant="p14",
                text=(
                    "Who makes the final call when the groups cannot agree – and how "
                    "do we make that decision understandable for everyone?"
                ),
            ),
            # card 12
            DemoCard(
                topic=0,
                kind="example",
                participant="p14",
                text=(
                    "For a neighbourhood development we did not present a finished "
                    "plan but discussed three options at an on-site workshop. The "
                    "chosen option had broader backing, and far fewer objections came "
                    "in during the formal procedure."
                ),
            ),
            # card 13
            DemoCard(
                topic=0,
                kind="example",
                participant="p8",
                text=(
                    "An open data portal the city built together with a civic-tech "
                    "group: the volunteers developed small apps on top of it, and the "
                    "administration learned which datasets people actually ask for."
                ),
            ),
            # card 14
            DemoCard(
                topic=0,
                kind="concern",
                participant="p11",
                text=(
                    "If young people only ever appear as a target group and never get "
                    "a say, “involving everyone” is an empty phrase."
                ),
            ),
            # card 15
            DemoCard(
                topic=0,
                kind="concern",
                participant="p7",
                text=(
                    "Consensus processes take a lot of time. Owners of small shops "
                    "cannot attend ten workshops, so they drop out of the process."
                ),
            ),
            # card 16
            DemoCard(
                topic=0,
                kind="logic",
                participant="p13",
                text=(
                    "Administration is not one thing: some tasks are pure execution "
                    "of the law, others require deep expertise and discretion. "
                    "Blanket promises about digitalisation do not do justice to that "
                    "range."
                ),
            ),
            # card 17
            DemoCard(
                topic=1,
                kind="need",
                participant="p13",
                text=(
                    "Culture change needs backing from the HR, IT and organisation "
                    "departments. The digitalisation unit on its own can neither "
                    "create posts nor reassign responsibilities."
                ),
            ),
            # card 18
            DemoCard(
                topic=1,
                kind="logic",
                participant="p12",
                text=(
                    "Public administration must act within the law: we may not act "
                    "without a legal basis, and everything we do has to comply with "
                    "existing law. So agility has limits that a company does not face "
                    "in the same way."
                ),
            ),
            # card 19
            DemoCard(
                topic=1,
                kind="need",
                participant="p3",
                text=(
                    "We need change projects that can be observed and evaluated – "
                    "with before-and-after data, not just success stories."
                ),
            ),
            # card 20
            DemoCard(
                topic=1,
                kind="logic",
                participant="p1",
                text=(
                    "Research is about testing assumptions, even when they turn out "
                    "to be wrong. A failed pilot is a result for us, whereas for the "
                    "administration it quickly becomes a problem."
                ),
            ),
            # card 21
            DemoCard(
                topic=1,
                kind="need",
                participant="p4",
                text=(
                    "We need people in the administration who can negotiate data "
                    "questions and contracts on an equal footing. Otherwise everyone "
                    "ends up going round in endless rounds of coordination."
                ),
            ),
            # card 22
            DemoCard(
                topic=1,
                kind="logic",
                participant="p6",
                text=(
                    "Start-ups work in short cycles and test with real users early "
                    "on. Procurement procedures that take six months are a poor fit "
                    "for that rhythm."
                ),
            ),
            # card 23
            DemoCard(
                topic=1,
                kind="need",
                participant="p10",
                text=(
                    "When procedures go digital, there still has to be a way to deal "
                    "with a person at the office. And citizens should be told why "
                    "things are changing."
                ),
            ),
            # card 24
            DemoCard(
                topic=1,
                kind="logic",
                participant="p9",
                text=(
                    "Initiatives judge change by whether it makes a noticeable "
                    "difference in everyday life. Internal reforms that nobody "
                    "outside the administration notices do not convince us."
                ),
            ),
            # card 25
            DemoCard(
                topic=1,
                kind="idea",
                participant="p12",
                text=(
                    "Use the pull of concrete projects: small, quick-to-deliver "
                    "pieces of work with visible benefits, in which sceptical "
                    "colleagues in particular take part themselves."
                ),
            ),
            # card 26
            DemoCard(
                topic=1,
                kind="idea",
                participant="p2",
                text=(
                    "A real-world lab with scientific monitoring creates a protected "
                    "setting in which the administration may try out new procedures – "
                    "for a limited time and properly documented."
                ),
            ),
            # card 27
            DemoCard(
                topic=1,
                kind="question",
                participant="p13",
                text=(
                    "How do we encourage an open attitude to mistakes when every "
                    "experiment is paid for with taxpayers' money?"
                ),
            ),
            # card 28
            DemoCard(
                topic=1,
                kind="question",
                participant="p15",
                text=(
                    "How do we prevent the smart city unit from being seen as a "
                    "favoured department that gets the grants and the attention while "
                    "others carry the day-to-day workload?"
                ),
            ),
            # card 29
            DemoCard(
                topic=1,
                kind="example",
                participant="p3",
                text=(
                    "In a research project we followed a cross-departmental "
                    "innovation team whose members spend one day a week on "
                    "digitalisation work. The ideas came from the departments "
                    "themselves and were accepted there much more readily."
                ),
            ),
            # card 30
            DemoCard(
                topic=1,
                kind="example",
                participant="p14",
                text=(
                    "Several neighbouring municipalities regularly share model "
                    "contracts for data projects. That has made our negotiations with "
                    "vendors noticeably easier."
                ),
            ),
            # card 31
            DemoCard(
                topic=1,
                kind="concern",
                participant="p7",
                text=(
                    "Funding programmes come to an end. What happens to new ways of "
                    "working and fixed-term posts once the money runs out?"
                ),
            ),
            # card 32
            DemoCard(
                topic=1,
                kind="concern",
                participant="p8",
                text=(
                    "Without the know-how for data contracts, municipalities can "
                    "easily sign away the rights to their own data."
                ),
            ),
            # card 33
            DemoCard(
                topic=1,
                kind="idea",
                participant="p9",
                text=(
                    "Job shadowing in both directions: staff from the administration "
                    "spend a day with an initiative or a company, and vice versa. "
                    "Learning should not be a one-way street."
                ),
            ),
            # card 34
            DemoCard(
                topic=2,
                kind="need",
                participant="p10",
                text=(
                    "A place where older people can drop in without an appointment or "
                    "prior knowledge and ask about smartphones, online applications "
                    "or scams."
                ),
            ),
            # card 35
            DemoCard(
                topic=2,
                kind="logic",
                participant="p8",
                text=(
                    "Our work depends on volunteers who are free in the evenings. A "
                    "room that closes at 4 pm is effectively closed to us – we need a "
                    "key and good Wi-Fi more than glossy furniture."
                ),
            ),
            # card 36
            DemoCard(
                topic=2,
                kind="need",
                participant="p7",
                text=(
                    "Shop units in the city centre are standing empty and need new "
                    "uses. A ground-floor city lab could bring people back into the "
                    "high street."
                ),
            ),
            # card 37
            DemoCard(
                topic=2,
                kind="logic",
                participant="p5",
                text=(
                    "As a development company we calculate over the whole life cycle "
                    "of a building. Space for a city lab becomes interesting to us "
                    "when it adds value to the neighbourhood and its use is secured "
                    "for the long term."
                ),
            ),
            # card 38
            DemoCard(
                topic=2,
                kind="need",
                participant="p2",
                text=(
                    "We are looking for places where we can test prototypes with "
                    "residents, such as virtual reality models of planned buildings "
                    "or 3D-printed city models."
                ),
            ),
            # card 39
            DemoCard(
                topic=2,
                kind="logic",
                participant="p1",
                text=(
                    "Universities think in semesters and funding periods. Student "
                    "projects can bring a city lab to life, but they need supervision "
                    "that continues beyond a single course."
                ),
            ),
            # card 40
            DemoCard(
                topic=2,
                kind="need",
                participant="p12",
                text=(
                    "Above all, the city lab should act as a guide: it shows where "
                    "advice and courses on digital skills are available in the city, "
                    "without having to replace the adult education centre or other "
                    "providers."
                ),
            ),
            # card 41
            DemoCard(
                topic=2,
                kind="logic",
                participant="p14",
                text=(
                    "Through land-use planning and urban development contracts, the "
                    "city controls how land is used. That is leverage to win over "
                    "property owners and investors as partners for city labs – up to "
                    "and including binding requirements."
                ),
            ),
            # card 42
            DemoCard(
                topic=2,
                kind="idea",
                participant="p6",
                text=(
                    "Rent out attention in the city lab, following the “retail as a "
                    "service” model: start-ups and initiatives book small display "
                    "spaces, show their prototypes and get direct feedback. The rent "
                    "covers part of the running costs."
                ),
            ),
            # card 43
            DemoCard(
                topic=2,
                kind="idea",
                participant="p11",
                text=(
                    "Pop-up city lab days in local libraries and youth centres, so "
                    "that it is not only the city centre that benefits."
                ),
            ),
            # card 44
            DemoCard(
                topic=2,
                kind="question",
                participant="p15",
                text=(
                    "Who will run the city lab in the long term once the funding ends "
                    "after five years – and from which budget line?"
                ),
            ),
            # card 45
            DemoCard(
                topic=2,
                kind="question",
                participant="p3",
                text=(
                    "How does a city lab differ from existing digital hubs and "
                    "competence centres, which mainly address businesses and "
                    "tech-savvy people?"
                ),
            ),
            # card 46
            DemoCard(
                topic=2,
                kind="example",
                participant="p9",
                text=(
                    "Together with the city, we set up a small real-world lab in an "
                    "empty shop in the neighbourhood. Residents tested noise and heat "
                    "sensors there and analysed the data together."
                ),
            ),
            # card 47
            DemoCard(
                topic=2,
                kind="example",
                participant="p4",
                text=(
                    "At an open drop-in session, residents could see in an augmented "
                    "reality model what a redesigned square would look like and leave "
                    "their comments directly in the model."
                ),
            ),
            # card 48
            DemoCard(
                topic=2,
                kind="concern",
                participant="p10",
                text=(
                    "If the city lab mainly shows off technology, people who already "
                    "feel steamrolled by digitalisation will feel even more out of "
                    "place there."
                ),
            ),
            # card 49
            DemoCard(
                topic=2,
                kind="concern",
                participant="p13",
                text=(
                    "A room alone does not create participation. Without staff who "
                    "pick up ideas and pass them on to the departments, the city lab "
                    "becomes a mere shop window."
                ),
            ),
            # card 50
            DemoCard(
                topic=2,
                kind="question",
                participant="p7",
                text=(
                    "May retailers also use the city lab for their own events, or "
                    "does it have to stay strictly neutral?"
                ),
            ),
        ),
        statements=(
            DemoStatement(
                topic=0,
                text=(
                    "Strategy work starts from the city's real challenges; solutions "
                    "and products are assessed together only afterwards, including "
                    "whether they can work beyond a pilot area."
                ),
                cards=(2, 3, 6),
            ),
            DemoStatement(
                topic=0,
                text=(
                    "Every stakeholder group sets out its needs and its ways of "
                    "working in writing, and participation also takes place locally "
                    "and at times that volunteers and small businesses can manage."
                ),
                cards=(4, 5, 8, 15),
            ),
            DemoStatement(
                topic=1,
                text=(
                    "Culture change comes from small, visible projects with tangible "
                    "benefits in which sceptical staff take part themselves – not "
                    "from appeals or a privileged special unit."
                ),
                cards=(24, 25, 28),
            ),
            DemoStatement(
                topic=1,
                text=(
                    "New ways of working are tested in scientifically monitored "
                    "real-world labs within a clear legal framework; the HR, IT and "
                    "organisation departments are involved from the start."
                ),
                cards=(17, 18, 19, 26),
            ),
            DemoStatement(
                topic=2,
                text=(
                    "The city lab is meant for the whole urban community and serves "
                    "as a low-threshold first point of contact and guide, especially "
                    "for people with little experience of digital technology."
                ),
                cards=(34, 40, 45, 48),
            ),
            DemoStatement(
                topic=2,
                text=(
                    "To keep the lab running long term, we will explore a mixed "
                    "funding model combining partnerships with property owners, "
                    "rented display spaces and a basic contribution from the city "
                    "budget."
                ),
                cards=(37, 41, 42, 44),
            ),
        ),
    ),
}
