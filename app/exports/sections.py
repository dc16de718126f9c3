"""The walk over the report that every document layout shares (Markdown, DOCX, ODT).

:class:`SectionWriter` decides what goes where: the head, then the report's sections in the
moderator's order, each topic with its sections in their order, statements numbered through
a topic, and which sections are left out when they would be empty. A layout writes only the
primitives — headings, paragraphs, lists, a statement, the participation table — so the
formats cannot drift apart in what they say. (HTML and PDF use ``report/_body.html``, the
moderator's live preview, instead.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import count

from app.domain.report import EarlierRevision, Report, ReportCard, ReportStatement, ReportTopic
from app.domain.report.model import GroupParticipation, ReportCluster
from app.exports.common import Labels
from app.i18n import gettext


class SectionWriter:
    """The walk; a layout subclasses it and writes the primitives below ``# --- primitives``.

    Heading levels: 0 is the document's title, 1 a report section or a topic, 2 a topic's
    section or a topic in the appendix, 3 a stakeholder group among the perspectives.
    """

    r: Report
    x: Labels

    # --- the walk ----------------------------------------------------------------------------

    def sections(self) -> None:
        self.head()
        for section in self.r.sections:
            if section == "topics":
                for t in self.r.topics:
                    self.topic(t)
            else:
                getattr(self, section)()

    def introduction(self) -> None:
        texts = self.r.introduction or ((self.r.description,) if self.r.description else ())
        if texts:
            self.heading(self.x.section("introduction"), 1)
            for text in texts:
                self.para(text)

    def organizations(self) -> None:
        self.heading(self.x.section("organizations"), 1)
        if self.r.anonymous:
            self.note(
                gettext(
                    "The workshop was anonymous: organisations and names are not given, "
                    "only the number of participants per group."
                )
            )
        self.organization_list(self.r.participation)

    def topic(self, t: ReportTopic) -> None:
        self.heading(f"{t.number}. {t.title}", 1)
        if t.prompt:
            self.quote(t.prompt)
        if t.guiding_questions:
            self.label(gettext("Guiding questions"))
            self.text_list(t.guiding_questions)
        numbers = count(1)  # statements are numbered through the topic, in its sections' order
        for part in self.r.topic_sections:
            if part == "consensus":
                self.consensus(t, numbers)
            elif part == "dissent" and t.without_consensus:
                self.dissent(t, numbers)
            elif part == "perspectives" and any(p.needs or p.logics for p in t.perspectives):
                self.perspectives(t)
            elif part == "ideas" and t.ideas:
                self.heading(self.x.section("ideas"), 2)
                self.card_list(t.ideas)
            elif part == "concerns" and t.concerns:
                self.heading(self.x.section("concerns"), 2)
                self.card_list(t.concerns)
            elif part == "examples" and t.examples:
                self.heading(self.x.section("examples"), 2)
                self.card_list(t.examples)
            elif part == "questions" and t.questions:
                self.heading(self.x.section("questions"), 2)
                self.card_list(t.questions)
            elif part == "clusters" and t.clusters:
                self.heading(self.x.section("clusters"), 2)
                self.cluster_list(t.clusters)

    def consensus(self, t: ReportTopic, numbers: Iterator[int]) -> None:
        # Always shown: "no consensus" is a finding too.
        self.heading(self.x.section("consensus"), 2)
        if not t.consensus:
            self.note(
                gettext("No statement reached consensus on this topic.")
                if t.has_statements
                else gettext("No statements were drafted on this topic.")
            )
        else:
            self.legend()
        for s in t.consensus:
            self.statement(s, next(numbers))

    def dissent(self, t: ReportTopic, numbers: Iterator[int]) -> None:
        self.heading(self.x.section("dissent"), 2)
        if t.open_disagreements:
            self.para(gettext("Open disagreements: one group carries these statements, another rejects them."))
        for s in t.without_consensus:
            self.statement(s, next(numbers))

    def perspectives(self, t: ReportTopic) -> None:
        self.heading(self.x.section("perspectives"), 2)
        for p in t.perspectives:
            if not (p.needs or p.logics):
                continue
            self.heading(p.group.label, 3)
            for kind, cards in (("need", p.needs), ("logic", p.logics)):
                if cards:
                    self.label(self.x.kind_heading(kind))
                    self.card_list(cards, with_group=False)

    def next_steps(self) -> None:
        if self.r.next_steps:
            self.heading(self.x.section("next_steps"), 1)
            for text in self.r.next_steps:
                self.para(text)

    def references(self) -> None:
        if self.r.references:
            self.heading(self.x.section("references"), 1)
            self.numbered_list(self.r.references)

    def appendix(self) -> None:
        self.page_break()
        self.heading(self.x.section("appendix"), 1)
        self.note(
            gettext(
                "Every card of the included topics except those the moderation hid; duplicates that "
                "were merged are listed with the card they were merged into."
            )
        )
        for t in self.r.topics:
            self.heading(f"{t.number}. {t.title}", 2)
            if not t.cards:
                self.note(gettext("No cards."))
            self.appendix_cards(t.cards)
            if t.earlier_revisions:
                self.label(gettext("Earlier versions of statements"))
                self.revision_list(t.earlier_revisions)

    # --- primitives ----------------------------------------------------------------------------

    def head(self) -> None:
        """The title page: organisation, title and the workshop's facts."""
        raise NotImplementedError

    def participation(self) -> None:
        """The participation section: its heading and the table of counts per group."""
        raise NotImplementedError

    def heading(self, text: str, level: int) -> None:
        raise NotImplementedError

    def para(self, text: str) -> None:
        raise NotImplementedError

    def note(self, text: str) -> None:
        """A remark of the report's own (italic where the format has it)."""
        raise NotImplementedError

    def label(self, text: str) -> None:
        """A bold line introducing what follows (guiding questions, a kind of card)."""
        raise NotImplementedError

    def quote(self, text: str) -> None:
        """A topic's prompt."""
        raise NotImplementedError

    def legend(self) -> None:
        """The key to the support charts, before the first statement (formats without charts skip it)."""

    def page_break(self) -> None:
        """Before the appendix, where the format has pages that Runde controls."""

    def text_list(self, texts: Iterable[str]) -> None:
        raise NotImplementedError

    def numbered_list(self, texts: Iterable[str]) -> None:
        raise NotImplementedError

    def organization_list(self, participation: Sequence[GroupParticipation]) -> None:
        raise NotImplementedError

    def card_list(self, cards: Sequence[ReportCard], *, with_group: bool = True) -> None:
        raise NotImplementedError

    def cluster_list(self, clusters: Sequence[ReportCluster]) -> None:
        raise NotImplementedError

    def statement(self, s: ReportStatement, n: int) -> None:
        """Statement number ``n`` with its verdict, support per group and dissent."""
        raise NotImplementedError

    def appendix_cards(self, cards: Sequence[ReportCard]) -> None:
        """A topic's cards in the appendix, each with its number, kind and notes."""
        raise NotImplementedError

    def revision_list(self, revisions: Sequence[EarlierRevision]) -> None:
        raise NotImplementedError
