"""German for the accessibility work (issue 13): the live region's summary of new cards."""

DE = {
    "{n} new cards": "{n} neue Karten",
}
