"""Browser tests: Debian's chromium driven through Playwright's sync API (marker ``browser``)."""
