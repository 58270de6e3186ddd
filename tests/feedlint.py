"""Offline approximation of the W3C Feed Validation Service (github.com/w3c/feedvalidator).

lint_rss / lint_atom / lint_json return human-readable problems ([] == clean).  Each starts with the
validator message class it mirrors (src/feedvalidator/logging.py) or the spec rule it enforces;
"policy" marks checks stricter than the validator.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

try:  # the validator parses HTML with html5lib(strict=True): NotHtml on any parse error
    from html5lib import HTMLParser as _H5
except ImportError:  # optional; the NOT_HTML heuristics are used instead
    _H5 = None

ATOM, CONTENT, DC = "http://www.w3.org/2005/Atom", "http://purl.org/rss/1.0/modules/content/", \
    "http://purl.org/dc/elements/1.1/"
A, ENC, CREATOR, XHTML = "{%s}" % ATOM, "{%s}encoded" % CONTENT, "{%s}creator" % DC, "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
KNOWN_NS = {ATOM, CONTENT, DC, XHTML, "http://purl.org/dc/terms/", "http://purl.org/syndication/history/1.0",
            "http://purl.org/syndication/thread/1.0", "http://www.itunes.com/dtds/podcast-1.0.dtd",
            "http://search.yahoo.com/mrss/"}  # subset of base.py `namespaces`; others -> UnknownNamespace
SELF_TYPES = ("application/atom+xml", "application/rss+xml", "application/rdf+xml")  # link.py SelfNotAtom
RELS = set(["alternate", "current", "describedby", "edit", "edit-media", "enclosure", "first", "hub", "last", "license", "next", "next-archive", "payment", "prev-archive", "previous", "related", "replies", "search", "self", "service", "up", "via"])  # link.py
RFC5005 = {"current", "first", "last", "next", "next-archive", "prev-archive", "previous"}
HTML_TAGS = set(["a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio", "b", "base", "basefont", "bdi", "bdo", "big", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "command", "comment", "data", "datagrid", "datalist", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "embed", "eventsource", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins", "isindex", "kbd", "label", "legend", "li", "link", "listing", "m", "main", "map", "mark", "menu", "meta", "meter", "nav", "noframes", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture", "plaintext", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script", "section", "select", "slot", "small", "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var", "video", "wbr", "xmp"])
RISKY = set(["applet", "base", "basefont", "bdo", "body", "comment", "embed", "frame", "frameset", "head", "html", "iframe", "isindex", "link", "listing", "meta", "noframes", "object", "param", "plaintext", "script", "slot", "style", "title", "xmp"])  # -> SecurityRisk
SAFE_ATTRS = set(["abbr", "align", "alt", "border", "cellpadding", "cellspacing", "cite", "class", "colspan", "coords", "crossorigin", "datetime", "decoding", "dir", "download", "headers", "height", "hidden", "href", "hreflang", "id", "lang", "loading", "longdesc", "media", "name", "nowrap", "poster", "preload", "referrerpolicy", "rel", "rev", "rowspan", "scope", "shape", "sizes", "span", "src", "srcset", "srclang", "start", "summary", "tabindex", "target", "title", "type", "usemap", "valign", "value", "width", "xml:lang", "xmlns"])  # policy: subset of the validator's acceptable_attributes
URL_ATTRS = {"href", "src", "poster", "cite", "longdesc", "srcset", "action", "background"}
NOT_HTML = [(r"<(?![A-Za-z/!?])", "bare '<'"), (r"&(?!#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)", "bare '&'"),
            (r"<(?!(?:area|br|col|hr|img|input|source|track|wbr)\b)[A-Za-z][^<>]*/>", "self-closed non-void tag"),
            (r"<(?:html|head|body)\b", "document-level tag")]  # likely html5lib strict parse errors
FULL_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?://)?[0-9A-Za-z;/?:@&=+$.\-_!~*'()%,#]+")  # rfc2396_full
LABEL, SPEC = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", r"[\w;/?:@&=+$.!~*'()%,\-]*"
TAG = re.compile(rf"tag:(?:[a-z0-9._\-]+@)?{LABEL}(?:\.{LABEL})*,(\d{{4}})(?:-(\d\d)(?:-(\d\d))?)?:{SPEC}(?:#{SPEC})?",
                 re.ASCII)  # RFC 4151 §2.1 + validators.py rfc2396.tag_re (lowercase authority)
LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")  # the validator checks the ISO 639 primary subtag
MONTHS, DAYS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
RFC822 = re.compile(r"(?:(%s), )?(\d\d?) (%s) (\d{4}) (\d\d):(\d\d)(?::(\d\d))? ([+-])(\d\d)([03]0)"
                    % ("|".join(DAYS), "|".join(MONTHS)))  # validators.py rfc822.rfc2822_re, numeric zone
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")  # validators.py rfc3339
EMAIL = r"[A-Za-z0-9_\-+.']+@(?:[A-Za-z0-9\-]+\.)+[A-Za-z0-9][A-Za-z0-9\-]*"  # addr_spec.email_re

class _Out(list):  # o(message_class, where, detail) appends "Class: where: detail"
    def __call__(self, cls, where, msg=""): self.append(f"{cls}: {where}" + (f": {msg}" if msg else ""))

def _date(v, w, o, rss):
    """RSS: RFC 822 with numeric zone (GMT also passes the validator); Atom/JSON: RFC 3339.
    IncorrectDOW; ImplausibleDate = before 1990 or future (+10 min RSS, +1 day Atom)."""
    try:
        if rss and (m := RFC822.fullmatch(v or "")):
            dow, day, mon, yr, hh, mi, ss, sign, zh, zm = m.groups()
            tz = timezone((1 if sign == "+" else -1) * timedelta(hours=int(zh), minutes=int(zm)))
            d = datetime(int(yr), MONTHS.index(mon) + 1, int(day), int(hh), int(mi), int(ss or 0), tzinfo=tz)
            dow and DAYS[d.weekday()] != dow and o("IncorrectDOW", w, f"{v!r} is a {DAYS[d.weekday()]}")
        elif not rss and RFC3339.fullmatch(v or ""):
            d = datetime.fromisoformat(v.replace("Z", "+00:00"))
        else:
            raise ValueError("want 'Ddd, DD Mon YYYY HH:MM:SS +HHMM'" if rss else "want YYYY-MM-DDTHH:MM:SS(Z|+HH:MM)")
    except ValueError as e:
        return o("InvalidRFC2822Date/ProblematicalRFC822Date" if rss else "InvalidRFC3339Date", w, f"{v!r}: {e}")
    if d.year < 1990 or d > datetime.now(UTC) + timedelta(minutes=10 if rss else 1440):
        o("ImplausibleDate", w, repr(v))

def _tag(v, w, o):
    m = TAG.fullmatch(v)
    try:  # RFC 4151: a real date; only %XX escapes
        ok = bool(m) and bool(date(int(m[1]), int(m[2] or 1), int(m[3] or 1))) and not re.search(r"%(?![0-9A-F]{2})", v)
    except ValueError:
        ok = False
    return ok or o("InvalidTAG", w, f"{v!r}, want tag:example.com,2024-01-31:specific")

def _url(v, w, o):
    """InvalidFullLink: absolute ASCII URI (rfc2396_full); tag: URIs must be valid too."""
    v = v or ""
    if not FULL_URL.fullmatch(v) or (re.match(r"https?:", v, re.I) and not re.match(r"https?://[^/]", v, re.I)):
        return o("InvalidFullLink", w, f"{v!r} must be an absolute, percent-encoded URI")
    return _tag(v, w, o) if v.lower().startswith("tag:") else True

def _canon(u):
    """uri.py canonicalForm, simplified: lowercase scheme/host, no default port, '/' path, %XX normalised."""
    def fix(s):
        return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)) if re.match(
            r"[A-Za-z0-9._~\-]", chr(int(m[1], 16))) else "%" + m[1].upper(), s)
    p = urlsplit(u.strip())
    if not p.netloc:
        return p.scheme.lower() + ":" + fix(u.split(":", 1)[1]) if p.scheme else u
    host = re.sub(":%d$" % {"http": 80, "https": 443}.get(p.scheme.lower(), 0), "", p.netloc.lower())
    return (f"{p.scheme.lower()}://{host}{fix(p.path) or '/'}" + ("?" + fix(p.query) if "?" in u else "")
            + ("#" + fix(p.fragment) if "#" in u else ""))

def _self(links, fetched, o):
    selfs = [ln for ln in links if ln.get("rel") == "self"]
    if not selfs:
        return o("MissingAtomSelfLink/MissingSelf", "feed", 'missing atom:link with rel="self"')
    href, typ = selfs[0].get("href", ""), selfs[0].get("type")
    if not urlsplit(href).netloc:
        o("RelativeSelf", href)
    elif _canon(href) != _canon(fetched):
        o("SelfDoesntMatchLocation", href, f"fetched from {fetched}")
    typ and typ.split(";")[0].strip() not in SELF_TYPES and o("SelfNotAtom", typ)

def _chars(text, w, o):
    re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text) and o("SAXError", w, "char forbidden by XML 1.0 §2.2")
    re.search("[\x80-\x9f\ufffd]", text) and o("BadCharacters", w, "C1 control character or U+FFFD")
    for m in re.finditer("[\xc2\xc3][\x80-\xbf]", text):  # base.py: UTF-8 bytes decoded as Latin-1
        try:
            return m[0].encode("latin-1").decode("utf-8") and o("BadCharacters", w, f"double-encoded {m[0]!r}")
        except UnicodeError:
            pass

def _plain(v, w, o, rss=True):
    """Text-only fields: ContainsHTML (Atom: ContainsUndeclaredHTML) / CharacterData (RSS profile)."""
    tags = [t for t in re.findall(r"</(\w+)>", v or "") if t.lower() in HTML_TAGS]
    if tags:
        o("ContainsHTML" if rss else "ContainsUndeclaredHTML", w, f"</{tags[0]}> in plain text")
    elif rss and re.search(r"&#[x0-9]|<[/a-zA-Z]", v or ""):
        o("CharacterData", w, "'<'+letter or '&#' in plain text")

def _html(markup, w, o, elems=None, rss=True):
    """HTML content: NotHtml, SecurityRisk(Attr), DangerousStyleAttr, ContainsRelRef (validator: RSS only)."""
    if elems is None:
        try:
            _H5 and _H5(strict=True).parseFragment(markup)
        except Exception as e:  # html5lib ParseError
            o("NotHtml", w, str(e))
        for pat, what in [] if _H5 else NOT_HTML:
            re.search(pat, markup) and o("NotHtml", w, what)
        "<?import" in markup.lower() and o("SecurityRisk", w, "<?import")
        elems = list(lxml_html.fragment_fromstring(markup, create_parent="div").iter())[1:] if markup.strip() else []
    for el in (e for e in elems if isinstance(e.tag, str)):
        tag = etree.QName(el).localname.lower()
        if tag not in HTML_TAGS or tag in RISKY:
            o("NotHtml" if tag not in HTML_TAGS else "SecurityRisk", w, f"<{tag}>")
        for name, val in el.attrib.items():
            n = "xml:lang" if name == XML_LANG else name.lower()
            if n == "style":
                o("DangerousStyleAttr", w, f"<{tag} style> (policy: no inline CSS)")
            elif n.startswith("on") or (n not in SAFE_ATTRS and not n.startswith("data-")):
                o("SecurityRiskAttr", w, f"<{tag} {n}>")
            for u in ((val.split(",") if n == "srcset" else [val]) if n in URL_ATTRS else []):
                u = (u.split() or [""])[0]
                if re.match(r"(?:javascript|vbscript|data:text/html)", u, re.I):
                    o("SecurityRisk", w, f"{n}={u[:30]!r} (policy; the validator is silent)")
                elif u and not re.match(r"\w+:", u):
                    o("ContainsRelRef", w, f"{n}={u!r}" + ("" if rss else " (policy; validator checks RSS only)"))

def _parse(xml_bytes, o):
    try:
        text = xml_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        return o("UnicodeError", "document", f"not UTF-8 ({e})")
    _chars(text, "document", o)
    m = re.match(r"\ufeff?<\?xml[^>]*encoding=[\"']([^\"']+)", text)
    m and m[1].lower() != "utf-8" and o("EncodingMismatch", "document", f"declares {m[1]!r} (policy: UTF-8)")
    try:
        root = etree.fromstring(xml_bytes, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        return o("SAXError", "document", f"not well-formed: {e}")
    for ns in sorted({u for el in root.iter() if isinstance(el.tag, str) for u in el.nsmap.values()} - KNOWN_NS):
        o("UnknownNamespace", ns)
    for lang in {el.get(XML_LANG) for el in root.iter() if isinstance(el.tag, str)} - {None, ""}:
        LANG.fullmatch(lang) or o("InvalidLanguage", "xml:lang", repr(lang))
    return root

def _kids(el, ns=""):
    names = [c.tag[len(ns):] if ns and c.tag.startswith(ns) else c.tag for c in el if isinstance(c.tag, str)]
    return names, {n for n in names if names.count(n) > 1}

def _email(v, w, o):
    """RSS author/managingEditor/webMaster: 'a@b.example (Real Name)' (email_with_name)."""
    v = (v or "").strip()
    if "@" not in v:
        o("InvalidContact", w, f"{v!r} is not an e-mail address (use dc:creator for a bare name)")
    elif not re.fullmatch(EMAIL + r" \(.+\)", v):
        o("EmailFormat" if " " in v else "MissingRealName", w, f"{v!r}, want 'a@b.example (Name)'")

def _title(v, w, o):  # NotBlank + ContainsHTML/CharacterData
    (v or "").strip() or o("NotBlank", w)
    _plain(v, w, o)

# element -> checker(text, where, out) for RSS channel and item children
_RSS = {"title": _title, "link": _url, "docs": _url, "comments": _url, "description": _plain, "copyright": _plain,
        "pubDate": lambda v, w, o: _date(v, w, o, True), "lastBuildDate": lambda v, w, o: _date(v, w, o, True),
        "language": lambda v, w, o: LANG.fullmatch(v or "") or o("InvalidLanguage", w, repr(v)),
        "ttl": lambda v, w, o: re.fullmatch(r"[1-9]\d*", (v or "").strip()) or o("InvalidPositiveInteger", w),
        "managingEditor": _email, "webMaster": _email, "author": _email, "category": _title}

def lint_rss(xml_bytes: bytes, fetched_url: str) -> list[str]:
    """Lint an RSS 2.0 document served at fetched_url."""
    o = _Out()
    root = _parse(xml_bytes, o)
    ch = None if root is None else root.find("channel")
    if ch is None or root.tag != "rss" or root.get("version") != "2.0":
        return o + ([] if root is None else ['InvalidRSSVersion/MissingElement: want <rss version="2.0"><channel>'])
    names, dups = _kids(ch)
    [o(c, f"channel/{r}") for r, c in (("title", "MissingTitle"), ("link", "MissingLink"),
                                       ("description", "MissingDescription")) if r not in names]
    [o("DuplicateElement", "channel", n) for n in sorted(dups - {"item", "category"}) if "}" not in n]
    "item" in names and set(names[names.index("item"):]) != {"item"} and o("MisplacedItem", "channel")
    "managingEditor" in names and CREATOR in names and o("DuplicateSemantics", "channel", "managingEditor+dc:creator")
    for el in ch:
        el.tag in _RSS and el.tag != "author" and _RSS[el.tag](el.text, f"channel/{el.tag}", o)
    _self(ch.findall(A + "link"), fetched_url, o)
    for ln in ch.findall(A + "link"):
        _url(ln.get("href"), f"channel/atom:link[{ln.get('rel')}]", o)
    guids = set()
    for i, it in enumerate(ch.findall("item"), 1):
        w, (kids, dups) = f"item[{i}]", _kids(it)
        [o("DuplicateElement", w, n) for n in sorted(dups - {"category", CREATOR, A + "link"})]
        "title" in kids or "description" in kids or o("ItemMustContainTitleOrDescription", w)
        "author" in kids and CREATOR in kids and o("DuplicateItemSemantics", w, "author and dc:creator")
        if ENC in kids and ("description" not in kids or kids.index("description") > kids.index(ENC)):
            o("NeedDescriptionBeforeContent", w)
        for el in it:
            if el.tag in ("description", ENC):  # item description is HTML, unlike the channel's
                _html(el.text or "", f"{w}/{'description' if el.tag == 'description' else 'content:encoded'}", o)
            elif el.tag in _RSS:
                _RSS[el.tag](el.text, f"{w}/{el.tag}", o)
        g = it.find("guid")
        if g is None:
            o("MissingGuid", w, "item should contain a guid")
            continue
        v, perma = (g.text or "").strip(), g.get("isPermaLink", "true")
        perma in ("true", "false") or o("InvalidBooleanAttribute", f"{w}/guid@isPermaLink", repr(perma))
        (not v or v in guids) and o("NotBlank" if not v else "DuplicateValue", f"{w}/guid", repr(v))
        guids.add(v)
        if perma != "false" and not re.match(r"https?://", v, re.I):
            o("InvalidPermalink/InvalidHttpGUID", f"{w}/guid", f'{v!r} needs isPermaLink="false"')
        elif perma != "false" or v.lower().startswith("tag:"):
            _url(v, f"{w}/guid", o)
        elif len(v) < 9 and v.isdigit():
            o("NotSufficientlyUnique", f"{w}/guid", repr(v))
    return o

def _text(el, w, o):
    """Atom text construct (RFC 4287 §3.1): type must be text, html or xhtml."""
    typ, div = el.get("type", "text"), el.find(f"{{{XHTML}}}div")
    if typ not in ("text", "html", "xhtml"):
        return o("InvalidTextType/InvalidMIMEType", w, f"type={typ!r} (feedgen's 'CDATA' is invalid)")
    if typ == "xhtml":
        _html("", w, o, list(div.iter())[1:], False) if div is not None else o("MissingXhtmlDiv", w)
    else:
        _html(el.text or "", w, o, rss=False) if typ == "html" else _plain(el.text, w, o, rss=False)
    (el.text or "").strip() or len(el) or o("NotBlank", w)

def _common(el, w, fetched, o, is_feed):
    """Checks shared by atom:feed and atom:entry; returns (child names, links)."""
    names, dups = _kids(el, A)
    [o("MissingElement", w, f"atom:{r}") for r in ("id", "title", "updated") if r not in names]
    [o("DuplicateElement", w, n) for n in sorted(dups - {"link", "author", "contributor", "category", "entry"})]
    v = el.findtext(A + "id")
    if v is not None:
        v == v.strip() or o("UnexpectedWhitespace", f"{w}/id")
        _url(v.strip(), f"{w}/id", o) is True and _canon(v) != v and o("NonCanonicalURI", f"{w}/id", _canon(v))
    for c in el:
        f = c.tag[len(A):] if isinstance(c.tag, str) and c.tag.startswith(A) else None
        f in ("updated", "published") and _date(c.text, f"{w}/{f}", o, False)
        f in ("title", "subtitle", "summary", "rights") and _text(c, f"{w}/{f}", o)
        if f in ("author", "contributor"):
            name, email, uri = (c.findtext(A + k) for k in ("name", "email", "uri"))
            (name or "").strip() or o("MissingElement/NotBlank", f"{w}/{f}/name")
            re.search(f"<{EMAIL}>", name or "") and o("ContainsEmail", f"{w}/{f}/name")
            email is None or re.fullmatch(EMAIL, email) or o("InvalidAddrSpec", f"{w}/{f}/email", repr(email))
            uri is None or _url(uri, f"{w}/{f}/uri", o)
        if f == "category":
            (c.get("term") or "").strip() or o("MissingAttribute/NotBlank", f"{w}/category@term")
            c.get("scheme") is None or _url(c.get("scheme"), f"{w}/category@scheme", o)
            _plain(c.get("label"), f"{w}/category@label", o, rss=False)
    links, alts = el.findall(A + "link"), set()
    for ln in links:
        rel, href, key = ln.get("rel", "alternate"), ln.get("href"), (ln.get("type"), ln.get("hreflang"))
        rel in RELS or FULL_URL.fullmatch(rel) or o("UnregisteredAtomLinkRel", w, f"{rel!r} (RFC 5005: 'previous')")
        is_feed or rel not in RFC5005 or o("FeedHistoryRelInEntry", w, repr(rel))
        (ln.text or "").strip() and o("AtomLinkNotEmpty", w)
        _url(href, f"{w}/link[{rel}]", o) if href is not None else o("MissingHref", f"{w}/link")
        rel == "alternate" and key in alts and o("DuplicateAtomLink", w, f"two alternates with type/hreflang {key}")
        rel == "alternate" and alts.add(key)
    if is_feed:
        _self(links, fetched, o)
        rels = {ln.get("rel"): ln.get("href") or "" for ln in links}
        for end, past in (("first", "previous"), ("last", "next")):  # RFC 5005 §3 paging
            end in rels and past in rels and _canon(rels[end]) == _canon(fetched) and o("LinkPastEnd", w, past)
    return names, links

def lint_atom(xml_bytes: bytes, fetched_url: str) -> list[str]:
    """Lint an Atom 1.0 feed document served at fetched_url."""
    o = _Out()
    root = _parse(xml_bytes, o)
    if root is None or root.tag != A + "feed":
        return o + ([] if root is None else [f"UndefinedElement: root is {root.tag!r}, want atom:feed"])
    names, _ = _common(root, "feed", fetched_url, o, True)
    first = names.index("entry") if "entry" in names else len(names)
    set(names[first:]) <= {"entry"} or o("MisplacedMetadata", "feed", "metadata after the first entry")
    feed_author = "author" in names[:first]
    first < len(names) or feed_author or o("MissingElement", "feed", "author (feed has no entries)")
    ids, updated = set(), set()
    for i, e in enumerate(root.findall(A + "entry"), 1):
        w = f"entry[{i}]"
        en, links = _common(e, w, fetched_url, o, False)
        eid, upd = (e.findtext(A + "id") or "").strip(), e.findtext(A + "updated")
        eid and eid in ids and o("DuplicateEntries", w, f"id {eid!r} already used")
        upd and upd in updated and o("DuplicateUpdated", w, f"atom:updated {upd!r} shared with another entry")
        ids.add(eid), updated.add(upd)
        "author" in en or feed_author or o("MissingElement", w, "author (none on the feed either)")
        content = e.find(A + "content")
        if content is None:
            "summary" in en or o("MissingTextualContent", w, "neither content nor summary")
            any(ln.get("rel", "alternate") == "alternate" for ln in links) or o("MissingContentOrAlternate", w)
        elif content.get("src") is not None:
            "summary" in en or o("MissingSummary", w, "content@src needs a summary")
            content.get("type") or o("MissingTypeAttr", f"{w}/content")
            _url(content.get("src"), f"{w}/content@src", o)
        else:
            _text(content, f"{w}/content", o)
    return o

def _strings(x):  # every string value in a JSON document
    vals = x.values() if isinstance(x, dict) else x if isinstance(x, list) else ()
    return [x] if isinstance(x, str) else [s for v in vals for s in _strings(v)]

def lint_json(data: bytes, fetched_url: str) -> list[str]:
    """Lint a JSON Feed 1.1 document (jsonfeed.org/version/1.1; the W3C validator ignores JSON)."""
    o, J = _Out(), "JSON Feed 1.1"
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError as e:  # includes UnicodeDecodeError
        return [f"{J}: not UTF-8 JSON ({e})"]
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return [f"{J}: want an object with an items array"]
    _chars("\n".join(_strings(doc)), "document", o)
    doc.get("version") == "https://jsonfeed.org/version/1.1" or o(J, "version", repr(doc.get("version")))
    (isinstance(doc.get("title"), str) and doc["title"].strip()) or o(J, "title", "required non-empty string")
    fu = doc.get("feed_url")
    (isinstance(fu, str) and _canon(fu) == _canon(fetched_url)) or o(J, "feed_url", f"{fu!r} != {fetched_url!r}")
    for k in [k for k in ("home_page_url", "feed_url", "next_url", "icon", "favicon") if isinstance(doc.get(k), str)]:
        _url(doc[k], f"feed.{k}", o)
    ids = set()
    for i, it in enumerate(doc["items"], 1):
        w = f"items[{i}]"
        if not isinstance(it, dict):
            o(J, w, "must be an object")
            continue
        iid, html, txt = it.get("id"), it.get("content_html"), it.get("content_text")
        (isinstance(iid, str) and iid.strip() and iid not in ids) or o(J, f"{w}.id", f"{iid!r}: unique non-empty string")
        ids.add(str(iid))
        isinstance(html, str) or isinstance(txt, str) or o(J, w, "needs content_html or content_text")
        isinstance(html, str) and _html(html, f"{w}.content_html", o)
        for k in [k for k in ("url", "external_url", "image", "banner_image") if k in it]:
            _url(str(it[k]), f"{w}.{k}", o)
        for k in [k for k in ("date_published", "date_modified") if k in it]:
            _date(str(it[k]), f"{w}.{k}", o, False)
    objs = [(f"items[{i}]", it) for i, it in enumerate(doc["items"], 1) if isinstance(it, dict)]
    for w, obj in [("feed", doc)] + objs:
        "author" not in obj or o(J, f"{w}.author", "deprecated, use authors")
        au = obj.get("authors", [])
        (isinstance(au, list) and all(isinstance(a, dict) and {"name", "url", "avatar"} & set(a) for a in au)) \
            or o(J, f"{w}.authors", "must be a list of objects with name/url/avatar")
    return o

if __name__ == "__main__":
    U = "https://news.example.org/feeds/"
    RSS = f"""<?xml version='1.0' encoding='UTF-8'?><rss xmlns:atom="{ATOM}" version="2.0"><channel>
<title>News</title><link>https://news.example.org/</link><description>Latest</description><language>en</language>
<atom:link href="{U}rss.xml" rel="self" type="application/rss+xml"/><ttl>60</ttl>
<lastBuildDate>Mon, 01 Jan 2024 10:00:00 +0000</lastBuildDate><item><title>Hi</title>
<link>https://news.example.org/a/1</link>
<description>&lt;p&gt;&amp;lt;script&amp;gt; javascript:&lt;/p&gt;</description>
<guid isPermaLink="false">tag:news.example.org,2024-01-01:a/1</guid>
<pubDate>Mon, 01 Jan 2024 09:00:00 +0100</pubDate></item></channel></rss>"""
    ATOM_DOC = f"""<?xml version='1.0' encoding='UTF-8'?><feed xmlns="{ATOM}" xml:lang="en">
<id>tag:news.example.org,2024:feed</id><title>News</title><updated>2024-01-01T10:00:00Z</updated>
<author><name>Desk</name></author><link href="{U}atom.xml" rel="self"/><link href="https://news.example.org/"/>
<entry><id>tag:news.example.org,2024-01-01:a/1</id><title>Hi</title><updated>2024-01-01T09:00:00+01:00</updated>
<content type="html">&lt;p&gt;Hi&lt;/p&gt;</content></entry></feed>"""
    JS = {"version": "https://jsonfeed.org/version/1.1", "title": "News", "feed_url": U + "feed.json",
          "items": [{"id": "1", "content_html": "<p>Hi</p>", "date_published": "2024-01-01T09:00:00Z"}]}
    bad = {"rss": RSS.replace("Mon, 01 Jan 2024 09", "Tue, 01 Jan 2024 09").replace("rss.xml", "rss")
           .replace("&lt;/p&gt;", "&lt;a href='/x' onclick='y()'&gt;x&lt;/a&gt;&lt;script&gt;&lt;/script&gt;")
           .replace("tag:news.example.org,2024-01-01", "tag:News.example.org,2024-13-01"),
           "atom": ATOM_DOC.replace('<content type="html">&lt;p&gt;Hi&lt;/p&gt;</content>', "").replace(
               "</feed>", "<entry><id>tag:news.example.org,2024-01-01:a/1</id><title>Dup</title>"
               "<updated>2024-01-01 09:00</updated><link rel='prev' href='p2'/></entry></feed>"),
           "json": json.dumps({"version": "1", "items": [{"id": 1, "content_html": "<img src='x.png'>"}]})}
    for kind, fn, good, url in (("rss", lint_rss, RSS, U + "rss.xml"), ("atom", lint_atom, ATOM_DOC, U + "atom.xml"),
                                ("json", lint_json, json.dumps(JS), U + "feed.json")):
        for label, doc in (("valid", good), ("invalid", bad[kind])):
            problems = fn(doc.encode(), url)
            print(f"{label} {kind}: {'clean' if not problems else f'{len(problems)} problem(s)'}")
            for p in problems:
                print("   -", p)
