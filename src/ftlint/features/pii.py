"""Personal data and secrets in text: the detectors behind FT701/FT702 and the report's masking.

One set of detectors serves three purposes, so what is reported, what is masked and what is
benchmarked never disagree:

- :func:`scan_texts` finds every hit in many texts at once (FT701, FT702): the texts are joined
  into chunks of about a megabyte and each detector's precompiled regex runs once per chunk,
  behind a cheap literal pre-filter (``"@"`` for e-mail addresses, ``"AKIA"`` for AWS keys, ...),
  so a million rows cost a few dozen regex passes over the text, not millions of calls;
- :func:`privacy_redaction` builds the report's one :class:`~ftlint.findings.Redaction` step from
  the same detectors. ``api.check`` always installs it, whichever rules are selected: every
  message, fix, snippet, row extra and metric of every rule is masked before any reporter sees
  it (an exact-duplicate finding must not print the API key inside the duplicated row either);
- ``benchmarks/bench_pii.py`` measures their precision and recall on a labelled corpus.

What counts (and what does not) is decided here, once:

- **Documentation placeholders are not personal data**: addresses at the reserved example
  domains (RFC 2606 / RFC 6761: ``example.com``, ``example.org``, ``example.net``, ``*.example``,
  ``*.test``, ``*.invalid``, ``*.localhost``) and placeholder mailboxes (``you@yourdomain.com``),
  the documentation IP ranges (RFC 5737, RFC 3849), private, loopback and link-local addresses,
  well-known public resolvers (8.8.8.8, 1.1.1.1), the fictional 555 telephone exchange, the SSNs
  the SSA reserves or that were published as examples (123-45-6789, 078-05-1120), the payment
  networks' published test card numbers (4111 1111 1111 1111, 4242 4242 4242 4242, ...), and the
  vendors' documentation keys (``AKIAIOSFODNN7EXAMPLE``, jwt.io's sample token) are neither
  reported nor masked: they identify nobody and grant nothing.
- **Look-alikes are not hits**: dates, times, version strings (``1.2.3.4`` with single-digit
  parts, ``v2.10.3.1``), order, invoice and tracking numbers (a number right after such a word),
  ISBNs, git hashes, UUIDs and checksums. Digit runs must have the shape of the thing (phone
  groups, card groups or Luhn-valid issuer prefixes, SSN ranges); key-like values must sit in a
  key-like context and look random (Shannon entropy, mixed character classes).
"""

from __future__ import annotations

import bisect
import dataclasses
import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ftlint.findings import Redaction
from ftlint.model import Finding

PII = "pii"
SECRET = "secret"

#: texts joined per regex pass; the separator can never be part of a match
CHUNK_CHARS = 1 << 20
SEP = "\n\x00\n"


@dataclass(frozen=True)
class Hit:
    """One match in one text: its kind (``email``, ``aws-access-key-id``, ...) and span."""

    kind: str
    family: str  # "pii" | "secret"
    start: int
    end: int


Validator = Callable[["re.Match[str]", str, int, int], bool]


@dataclass(frozen=True)
class Detector:
    """A precompiled pattern, the span to mask (``group``), a cheap trigger and a check.

    Scanning runs the fast ``trigger`` (a literal, or a short character-class run) over a whole
    chunk of texts, then the full ``pattern`` only in a window of ``before``/``after``
    characters around each trigger match. ``literals`` skip a chunk that contains none of them.
    """

    kind: str
    family: str
    label: str  # what a person calls it: "e-mail address", "GitHub token"
    pattern: re.Pattern[str]
    trigger: re.Pattern[str]
    before: int = 2
    after: int = 300
    literals: tuple[str, ...] = ()
    group: int = 0
    #: ``(match, text, start, end)`` -> a real hit? (the span is the masked group's, in ``text``)
    validate: Validator | None = None

    @property
    def mask(self) -> str:
        return f"[{self.kind.upper()}]" if self.family == PII else f"[SECRET:{self.kind}]"


# -- small helpers ----------------------------------------------------------------------------------

def shannon_entropy(s: str) -> float:
    """Bits per character of ``s`` (0 for empty strings)."""
    if not s:
        return 0.0
    n = len(s)
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _before(text: str, start: int, width: int = 30) -> str:
    return text[max(0, start - width):start].lower()


#: words right before a number that make it an identifier, not personal data
_ID_CONTEXT = re.compile(
    r"(?:\b(?:order|invoice|inv|tracking|shipment|parcel|transaction|txn|ref|reference|confirmation|booking|"
    r"ticket|case|claim|policy|serial|sku|isbn|issn|part|model|item|product|account|customer|user|member|"
    r"employee|student|id)(?:[ _\-]?(?:number|no\.?|num|id|code|#))?\s*[:#=]?\s*|#)$")


def _id_context(text: str, start: int) -> bool:
    return bool(_ID_CONTEXT.search(_before(text, start, 40)))


_MATH_BEFORE = re.compile(r"(?:\d\s*[+\-*/×÷=^]\s*|[=+*/×÷]\s*|\b(?:sum|total|result|answer|equals|product|"
                          r"quotient|difference|remainder)\b[^.]{0,25})$")
_MATH_AFTER = re.compile(r"^\s*(?:[+\-*/×÷=^]\s*\d|\n\s*[+\-*/×÷=]\s*\d|\n\s*[-=_]{3,})")


def _math_context(text: str, start: int, end: int) -> bool:
    """A number in arithmetic: ``256626720691 + 1646615806005 = 1903242526696``, a column sum."""
    before = text[max(0, start - 40):start]
    return bool(_MATH_BEFORE.search(before) or _MATH_AFTER.match(text[end:end + 30])
                or re.search(r"\d\s*\n\s*[+\-*/×]?\s*$", before))


_PLACEHOLDER_WORDS = ("example", "xxxx", "your", "dummy", "sample", "placeholder", "redacted", "changeme",
                      "insert", "replace", "<", ">", "...", "…", "****", "${", "{{", "%s")


def _placeholder(value: str) -> bool:
    low = value.lower()
    if any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    core = re.sub(r"[^A-Za-z0-9]", "", value)
    return len(set(core.lower())) <= 3  # "aaaaaaaa", "000000", "abcabcabc"


# -- e-mail -----------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-/:])([A-Za-z0-9][A-Za-z0-9._%+\-]{0,63})@"
                    r"((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))(?![A-Za-z0-9\-]|\.[A-Za-z0-9])")
_DOC_DOMAINS = ("example.com", "example.org", "example.net", "example.edu", "domain.com", "yourdomain.com",
                "your-domain.com", "yourcompany.com", "mydomain.com", "company.com", "website.com", "email.com",
                "sample.com", "test.com", "acme.com", "foo.com", "bar.com", "foobar.com", "mycompany.com",
                "my-company.com", "ourcompany.com", "yourbusiness.com", "mybusiness.com", "mysite.com",
                "yoursite.com", "mywebsite.com", "yourwebsite.com", "mystore.com", "yourstore.com")
#: role accounts of an organisation (sales@, support@): not a person's address
_ROLE_LOCALS = {"sales", "marketing", "offers", "support", "contact", "hello", "team", "hr", "billing", "help",
                "service", "press", "media", "office", "jobs", "careers", "feedback", "orders", "newsletter",
                "notifications", "security", "privacy", "legal", "webmaster", "postmaster", "abuse", "accounts",
                "enquiries", "inquiries", "reservations", "bookings", "events", "partners", "promo", "deals"}
_DOC_TLDS = ("example", "test", "invalid", "localhost", "local", "internal")
_FILE_EXTS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "js", "ts", "jsx", "tsx",
              "css", "scss", "json", "yaml", "yml", "toml", "txt", "md", "html", "htm", "xml", "pdf", "zip", "gz",
              "tar", "mp3", "mp4", "wav", "mov", "avi", "csv", "tsv", "exe", "dll", "so", "jar", "pyc", "lock"}
_PLACEHOLDER_LOCALS = {"user", "username", "name", "email", "e-mail", "mail", "someone", "somebody", "test", "foo",
                       "bar", "me", "you", "yourname", "your.name", "your_name", "youremail", "your.email",
                       "your_email", "john.doe", "jane.doe", "johndoe", "janedoe", "john", "jane", "firstname.lastname",
                       "first.last", "firstname", "lastname", "xxx", "abc", "info", "admin", "noreply", "no-reply",
                       "donotreply", "do-not-reply", "git", "example", "sample", "address", "username1", "user1",
                       "user2", "nobody", "null"}


def _email_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    local, domain, tld = m.group(1).lower(), m.group(2).lower(), m.group(3).lower()
    if tld in _FILE_EXTS or tld in _DOC_TLDS:
        return False  # icon@2x.png, a.b@host.local
    if domain in _DOC_DOMAINS or any(domain.endswith("." + d) for d in _DOC_DOMAINS) or "example" in domain:
        return False
    if local in _PLACEHOLDER_LOCALS or local.startswith("your") or "example" in local or local in _ROLE_LOCALS:
        return False
    label = domain[: -len(tld) - 1].rsplit(".", 1)[-1]
    if len(label) <= 1 and len(local) <= 2:
        return False  # a@d.co, n1@x.co: toy inputs of a validation exercise, not someone's address
    if domain.endswith("users.noreply.github.com"):
        return False
    return not re.search(r"://[^\s/]*$", text[max(0, start - 200):start])  # user:pass@host in a URL


# -- phone numbers ----------------------------------------------------------------------------------

_NANP = re.compile(r"(?<![\w+.\-/])(?:\+?1[\s.\-]?)?(?:\((\d{3})\)\s?|(\d{3})([\s.\-]))(\d{3})([\s.\-])(\d{4})"
                   r"(?![\w\-]|\.\d)")
_INTL = re.compile(r"(?<![\w+)\-/.])\+(\d{1,3})(?:[\s.\-]?\(?\d{1,5}\)?){2,6}(?![\w\-]|\.\d)")
_PHONE_CONTEXT = re.compile(r"(?i:\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|whatsapp|call me|call us|"
                            r"text me|contact number|ph)\b\.?\s*(?:number|no\.?|#)?\s*(?:[:=]|\bis\b|\bwas\b)?\s*)"
                            r"(\(?\+?\d[\d\s().\-]{5,18}\d)(?![\w\-]|\.\d)")
_DATE_LIKE = re.compile(r"^\s*(?:\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}|\d{1,2}[.\-/]\d{1,2}[.\-/]\d{2,4})\s*$")


def _nanp_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    area = m.group(1) or m.group(2)
    exchange = m.group(4)
    if m.group(3) and m.group(3) != m.group(5):
        return False  # 123-456.7890: mixed separators, not a phone number
    if area[0] in "01" or exchange[0] in "01" or area[1:] == "11" or exchange == "555" or area == "555":
        return False  # not a valid NANP number, or the fictional 555 exchange
    return not _id_context(text, start)


def _intl_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    digits = re.sub(r"\D", "", m.group(0))
    if not 8 <= len(digits) <= 15:
        return False
    if digits.startswith("1") and digits[4:7] == "555":
        return False
    return not (_id_context(text, start) or _math_context(text, start, end))


def _context_phone_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    s = m.group(1)
    digits = re.sub(r"\D", "", s)
    if not 7 <= len(digits) <= 15 or _DATE_LIKE.match(s):
        return False
    if re.fullmatch(r"\d+\.\d+", s.strip()):
        return False  # a decimal number
    return "555" not in (digits[-7:-4], digits[3:6])


# -- payment cards, SSNs ----------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\w\-.,/])(?:\d{4}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ \-])\d{6}\2\d{4,5}|"
                   r"\d{13,19})(?![\w\-]|[.,/]\d)")
_TEST_CARDS = {"4111111111111111", "4242424242424242", "4012888888881881", "4000056655665556", "5555555555554444",
               "5105105105105100", "5200828282828210", "2223003122003222", "378282246310005", "371449635398431",
               "378734493671000", "6011111111111117", "6011000990139424", "3056930009020004", "30569309025904",
               "38520000023237", "3566002020360505", "3530111333300000", "6200000000000005", "4000000000000002",
               "4000000000000077", "4000000000009995", "4222222222222", "4000000000000010", "5431111111111111"}


def _card_issuer_ok(d: str) -> bool:
    n = len(d)
    p2, p3, p4, p6 = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    if d[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 222100 <= p6 <= 272099:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # American Express
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19  # JCB
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19  # Diners Club
    if p2 == 62:
        return 16 <= n <= 19  # UnionPay
    return False


def _card_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    d = re.sub(r"\D", "", m.group(0))
    if d in _TEST_CARDS or len(set(d)) <= 2 or not _card_issuer_ok(d) or not luhn_ok(d):
        return False
    grouped = m.group(1) is not None or m.group(2) is not None
    return grouped or not (_id_context(text, start) or _math_context(text, start, end))


_SSN = re.compile(r"(?<![\w\-./])(\d{3})-(\d{2})-(\d{4})(?![\w\-]|\.\d)")
_SSN_CONTEXT = re.compile(r"(?i:\b(?:ssn|social security(?: number| no\.?| #)?|ss#)\s*[:#]?\s*)"
                          r"(\d{9}|\d{3} \d{2} \d{4})\b")
_DOC_SSNS = {"123456789", "078051120", "219099999", "111111111", "987654320", "987654321"}


def _ssn_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    contextual = m.re.groups == 1  # "SSN: 123456789" (one group) or 123-45-6789 (three)
    d = re.sub(r"\D", "", m.group(1) if contextual else m.group(0))
    area, grp, serial = d[:3], d[3:5], d[5:]
    if area in ("000", "666") or area[0] == "9" or grp == "00" or serial == "0000" or d in _DOC_SSNS:
        return False
    return contextual or not _id_context(text, start)


# -- IP addresses -----------------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.\-])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w\-]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])([23][0-9A-Fa-f]{3}:(?:[0-9A-Fa-f]{0,4}:){1,6}[0-9A-Fa-f]{0,4})(?![\w:])")
_PUBLIC_RESOLVERS = {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222",
                     "208.67.220.220", "4.2.2.2", "4.2.2.1", "64.6.64.6", "76.76.2.0", "94.140.14.14"}
_VERSION_CONTEXT = re.compile(r"(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bupgrade to|\bupdate to|==|>=|<=|~=|@|"
                              r"\bpython|\bjava|\bnode|"
                              r"\bchrome|\bfirefox|\bsection|\bchapter|\bfigure|\btable|\bstep|§)\s*$")

#: words before an address that make small-numbered dotted quads addresses, not versions
_IP_CONTEXT = re.compile(r"\b(?:ip|ips|ipv4|address|addr|host|hosts|hostname|server|client|from|connect(?:ed|ing)?|"
                         r"ping|ssh|login|logged|request|requests|visitor|user|src|dst|source|remote|peer|proxy|"
                         r"gateway|dns|blocked|banned|firewall)\b")


def _ipv4_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    parts = m.groups()
    if any(len(p) > 1 and p[0] == "0" for p in parts) or any(int(p) > 255 for p in parts):
        return False
    if all(len(p) == 1 for p in parts):
        return False  # 1.2.3.4, 2.0.1.3: a version or section number far more often than an address
    s = m.group(0)
    if s in _PUBLIC_RESOLVERS or _VERSION_CONTEXT.search(_before(text, start, 12)):
        return False
    if text[end:end + 1] == "/" and text[end + 1:end + 3].strip()[:1].isdigit():
        return False  # 157.240.0.0/16: a network range (routing data), not a host
    if parts[3] == "0":
        return False  # a network address, not a host's
    if int(parts[0]) < 10 and all(int(p) < 32 for p in parts) and not _IP_CONTEXT.search(_before(text, start, 40)):
        return False  # "upgrade to 2.10.3.1": small parts read as a version unless the text speaks of hosts
    return ipaddress.IPv4Address(s).is_global


def _ipv6_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    s = m.group(1)
    if s.count(":") < 3:
        return False
    try:
        addr = ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return addr.is_global and addr not in ipaddress.IPv6Network("2001:db8::/32")


# -- street addresses -------------------------------------------------------------------------------

_STREET = re.compile(r"(?<![\w.,\-])(\d{1,5}[A-Za-z]?)\s+((?:[A-Z][a-z]+\.?\s+){1,3})"
                     r"(Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|"
                     r"Parkway|Pkwy|Highway|Hwy|Circle|Way)\b\.?")
_FAMOUS_ADDRESSES = {("221b", "baker"), ("742", "evergreen"), ("1600", "pennsylvania"), ("10", "downing"),
                     ("1600", "amphitheatre"), ("1", "infinite"), ("1", "apple park"), ("350", "fifth"),
                     ("4", "privet"), ("12", "grimmauld"), ("31", "spooner"), ("124", "conch"),
                     ("42", "wallaby")}
_NOT_STREET_WORDS = {"The", "A", "An", "In", "On", "At", "Of", "And", "Or", "For", "To", "Our", "My", "Your",
                     "Step", "Steps", "Chapter", "Part", "Page", "Easy", "Simple", "Ways", "Tips", "Best", "Top",
                     "Great", "New"}


#: an address is personal data when it is someone's: a cue within the 80 characters before
_PERSONAL_CUE = re.compile(r"\b(?:i|my|our|live|lives|lived|living|reside|resides|resided|residing|home|house|"
                           r"apartment|apt|ship|shipping|shipped|deliver|delivered|delivery|billing|mailing|postal|"
                           r"send|sent|mail|moved|customer|client|patient|tenant|resident|recipient|employee|"
                           r"applicant|member|contact)\b")
#: ... and not a public place's (a restaurant in search results, a church in an encyclopaedia)
_PLACE_CUE = re.compile(r"\b(?:restaurants?|caf[eé]s?|bars?|pubs?|malls?|stores?|shops?|church(?:es)?|museums?|"
                        r"hotels?|offices?|headquarters|hq|buildings?|cent(?:er|re)s?|schools?|universit(?:y|ies)|"
                        r"college|hospitals?|clinic|librar(?:y|ies)|parks?|stations?|theat(?:er|re)s?|stadium|"
                        r"banks?|company|companies|inc|llc|ltd|corp(?:oration)?|located|situated|headquartered|"
                        r"based|venue|temple|gallery|branch|crash|street art)\b")


def _street_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    context = text[max(0, start - 80):start].lower()
    if not _PERSONAL_CUE.search(context) or _PLACE_CUE.search(context):
        return False
    number = m.group(1).lower()
    words = m.group(2).split()
    if number in ("123", "1234", "12345", "0", "00", "000") or words[0] in _NOT_STREET_WORDS:
        return False  # "123 Main Street" is the placeholder address; "5 Easy Steps Way" is a title
    first = " ".join(w.rstrip(".") for w in words).lower()
    if any(number == n and first.startswith(w) for n, w in _FAMOUS_ADDRESSES):
        return False
    if m.group(3) in ("St", "Dr") and not m.group(0).endswith((".", "St", "Dr")):
        return False
    return not _id_context(text, start)


# -- secrets ----------------------------------------------------------------------------------------

def _secret_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    return not _placeholder(text[start:end])


def _random_ok(value: str, min_entropy: float = 3.0) -> bool:
    """A value that reads as random: mixed character classes and enough entropy."""
    if _placeholder(value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    if classes < 2 or not re.search(r"\d", value):
        return False
    if re.fullmatch(r"[A-Za-z]+(?:[_\-. ][A-Za-z0-9]+)+", value) and not re.search(r"\d{3}", value) and all(
            re.fullmatch(r"[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+", part) for part in re.split(r"[_\-. ]", value)):
        return False  # my_secret_key_1, MySecret-Key: words, an identifier (not "BczFTYXq-Vjidu3Kl")
    return shannon_entropy(value) >= min_entropy


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _keyvalue_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    value = text[start:end]
    if _UUID.match(value):
        return False  # an identifier far more often than a credential
    if value.startswith(("$", "%", "{", "<", "os.", "process.", "env", "ENV", "getenv")):
        return False
    return _random_ok(value, 3.2)


def _bearer_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    return _random_ok(text[start:end], 3.0)


_WEAK_PASSWORDS = {"password", "pass", "passwd", "secret", "postgres", "root", "admin", "changeme", "user",
                   "guest", "test", "pwd", "mysql", "redis", "toor", "123456", "12345678", "qwerty", "default",
                   "letmein", "example", "sample", "demo", "pw"}


def _url_cred_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    pw = text[start:end]
    host = m.group(3).lower()
    if pw.lower() in _WEAK_PASSWORDS or _placeholder(pw) or pw.startswith(("$", "{", "<", "%")):
        return False
    if host.startswith(("localhost", "127.", "0.0.0.0", "host", "db:", "db/")) or host in ("db", "host"):
        return False
    return not re.fullmatch(r"[a-z]+", pw) or len(pw) >= 12


_JWT_DOC_SIGNATURES = ("SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",)


def _jwt_ok(m: re.Match[str], text: str, start: int, end: int) -> bool:
    token = text[start:end]
    return not token.endswith(_JWT_DOC_SIGNATURES) and not _placeholder(token)


_AWS_EXAMPLES = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

_KEY_WORDS = (r"api[_\-]?key|apikey|api[_\-]?secret|secret[_\-]?key|client[_\-]?secret|access[_\-]?token|"
              r"auth[_\-]?token|refresh[_\-]?token|private[_\-]?key|access[_\-]?key(?:[_\-]?id)?|secret|token|"
              r"password|passwd|pwd|credentials?")


def _d(kind: str, family: str, label: str, pattern: str | re.Pattern[str], trigger: str, *,
       before: int = 2, after: int = 300, literals: Iterable[str] = (), group: int = 0,
       validate: Validator | None = None) -> Detector:
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
    return Detector(kind, family, label, compiled, _trigger(trigger), before, after, tuple(literals), group,
                    validate)


_TRIGGERS: dict[str, re.Pattern[str]] = {}


def _trigger(source: str) -> re.Pattern[str]:
    """One compiled object per trigger source, so detectors sharing a trigger share its matches."""
    if source not in _TRIGGERS:
        _TRIGGERS[source] = re.compile(source)
    return _TRIGGERS[source]


#: a run of digits with phone, card, SSN or IP separators: the trigger of every digit-shaped detector
DIGITS = r"\d[\d\s().\-+/]{5,}\d"
QUOTED = r"[\"'][A-Za-z0-9+/=_\-.~!@#$%^&*]{16,}[\"']"
STREET_WORDS = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|"
                r"Parkway|Pkwy|Highway|Hwy|Circle|Way)\b")

#: secrets first: a match of a secret wins over an overlapping PII match
SECRET_DETECTORS: tuple[Detector, ...] = (
    _d("private-key", SECRET, "private key block",
       r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?=(?:\s|\\n)*[A-Za-z0-9+/=]{40})"
       r"[^\x00]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?=\x00)|$)",
       r"-----BEGIN ", after=100_000),
    _d("aws-access-key-id", SECRET, "AWS access key ID",
       r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}(?![A-Za-z0-9])",
       r"A(?:KIA|SIA|BIA|CCA|3T)", before=1, after=20,
       validate=lambda m, t, s, e: t[s:e] not in _AWS_EXAMPLES and not _placeholder(t[s + 4:e])),
    _d("aws-secret-access-key", SECRET, "AWS secret access key",
       r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey)[\"']?\s*[:=]\s*[\"']?"
       r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", r"[Ss][Ee][Cc][Rr][Ee][Tt]", before=12, after=90,
       literals=["secret", "Secret", "SECRET"], group=1,
       validate=lambda m, t, s, e: t[s:e] not in _AWS_EXAMPLES and _random_ok(t[s:e], 3.5)),
    _d("gcp-api-key", SECRET, "Google API key", r"(?<![\w\-])AIza[0-9A-Za-z_\-]{35}(?![\w\-])", "AIza",
       after=40, validate=_secret_ok),
    _d("gcp-oauth-secret", SECRET, "Google OAuth client secret",
       r"(?<![\w\-])GOCSPX-[0-9A-Za-z_\-]{28}(?![\w\-])", "GOCSPX-", after=40, validate=_secret_ok),
    _d("gcp-oauth-token", SECRET, "Google OAuth access token", r"(?<![\w\-.])ya29\.[0-9A-Za-z_\-]{30,}",
       r"ya29\.", after=2100, validate=_secret_ok),
    _d("azure-storage-key", SECRET, "Azure storage account key",
       r"(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{40,86}={0,2})", r"(?:Account|SharedAccess)Key=",
       after=100, group=1, validate=lambda m, t, s, e: _random_ok(t[s:e], 3.5)),
    _d("azure-client-secret", SECRET, "Azure AD client secret",
       r"(?<![\w~.\-])[A-Za-z0-9_~.\-]{3}[78]Q~[A-Za-z0-9_~.\-]{31,34}(?![\w~.\-])", r"[78]Q~", before=5,
       after=40, validate=_secret_ok),
    _d("azure-sas-signature", SECRET, "Azure SAS signature",
       r"(?<=[?&])sig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})", "sig=", before=1, after=200, group=1,
       validate=_secret_ok),
    _d("github-token", SECRET, "GitHub token",
       r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})(?![\w])",
       r"gh[pousr]_|github_pat_", after=270, validate=_secret_ok),
    _d("gitlab-token", SECRET, "GitLab token",
       r"(?<![\w\-])gl(?:pat|dt|rt|ptt|ft|imt|agent|oas|cbt|soat)-[0-9A-Za-z_\-]{20,}(?![\w\-])",
       r"gl(?:pat|dt|rt|ptt|ft|imt|agent|oas|cbt|soat)-", after=100, validate=_secret_ok),
    _d("slack-token", SECRET, "Slack token", r"(?<![\w\-])xox[abposre]-[0-9A-Za-z\-]{10,}(?![\w\-])",
       r"xox[abposre]-", after=260, validate=_secret_ok),
    _d("slack-webhook", SECRET, "Slack webhook URL",
       r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}", r"hooks\.slack\.com",
       before=10, after=200, validate=_secret_ok),
    _d("anthropic-api-key", SECRET, "Anthropic API key", r"(?<![\w\-])sk-ant-[a-z]+\d*-[A-Za-z0-9_\-]{40,}",
       "sk-ant-", after=200, validate=_secret_ok),
    _d("openai-api-key", SECRET, "OpenAI API key",
       r"(?<![\w\-])sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|"
       r"[A-Za-z0-9]{48})(?![\w\-])", "sk-", after=300, validate=_secret_ok),
    _d("huggingface-token", SECRET, "Hugging Face token", r"(?<![\w\-])hf_[A-Za-z0-9]{34,40}(?![\w\-])", "hf_",
       after=44, validate=lambda m, t, s, e: _random_ok(t[s + 3:e], 3.0)),
    _d("stripe-key", SECRET, "Stripe live key", r"(?<![\w\-])(?:sk|rk)_live_[0-9A-Za-z]{20,}(?![\w\-])",
       "_live_", before=3, after=120, validate=_secret_ok),
    _d("jwt", SECRET, "JSON Web Token",
       r"(?<![\w\-.])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}(?![\w\-])", "eyJ",
       after=8000, validate=_jwt_ok),
    _d("url-credentials", SECRET, "password in a URL",
       r"\b[a-z][a-z0-9+.\-]{1,15}://([^\s:/@'\"]{1,64}):([^\s@/'\"]{3,128})@([^\s/'\"]{2,255})", "://",
       before=17, after=460, group=2, validate=_url_cred_ok),
    _d("bearer-token", SECRET, "bearer token", r"\b[Bb]earer\s+([A-Za-z0-9\-._~+/]{20,}=*)(?![\w\-.~+/])",
       "[Bb]earer", after=4000, group=1, validate=_bearer_ok),
    _d("keyed-secret", SECRET, "high-entropy value of a secret-like key",
       r"(?i:(?<![A-Za-z])(" + _KEY_WORDS + r")(?![A-Za-z])[\"']?\s*(?:=|:|=>|:=)\s*[\"'])"
       r"([A-Za-z0-9+/=_\-.~!@#$%^&*]{16,256})(?=[\"'])", QUOTED, before=60, after=2, group=2,
       validate=_keyvalue_ok),
)

PII_DETECTORS: tuple[Detector, ...] = (
    _d("email", PII, "e-mail address", _EMAIL, "@", before=70, after=260, validate=_email_ok),
    _d("card", PII, "payment card number", _CARD, DIGITS, before=2, after=4, validate=_card_ok),
    _d("ssn", PII, "US social security number", _SSN, DIGITS, before=2, after=4, validate=_ssn_ok),
    _d("ssn", PII, "US social security number", _SSN_CONTEXT, DIGITS, before=40, after=4, group=1,
       validate=_ssn_ok),
    _d("phone", PII, "phone number", _NANP, DIGITS, before=6, after=4, validate=_nanp_ok),
    _d("phone", PII, "phone number", _INTL, DIGITS, before=4, after=4, validate=_intl_ok),
    _d("phone", PII, "phone number", _PHONE_CONTEXT, DIGITS, before=45, after=4, group=1,
       validate=_context_phone_ok),
    _d("ip", PII, "IP address", _IPV4, DIGITS, before=2, after=4, validate=_ipv4_ok),
    _d("ip", PII, "IP address", _IPV6, r"[23][0-9A-Fa-f]{3}:", before=2, after=45, validate=_ipv6_ok),
    _d("address", PII, "street address", _STREET, STREET_WORDS, before=60, after=3, validate=_street_ok),
)

DETECTORS: tuple[Detector, ...] = SECRET_DETECTORS + PII_DETECTORS
LABELS: dict[str, str] = {d.kind: d.label for d in DETECTORS}
PII_KINDS: tuple[str, ...] = tuple(dict.fromkeys(d.kind for d in PII_DETECTORS))
SECRET_KINDS: tuple[str, ...] = tuple(dict.fromkeys(d.kind for d in SECRET_DETECTORS))


# -- finding hits -----------------------------------------------------------------------------------

def _resolve(hits: list[Hit]) -> list[Hit]:
    """Drop overlapping hits: secrets beat personal data, then the longer and earlier match."""
    if len(hits) < 2:
        return hits
    order = sorted(hits, key=lambda h: (h.family != SECRET, -(h.end - h.start), h.start))
    kept: list[Hit] = []
    for h in order:
        if all(h.end <= k.start or h.start >= k.end for k in kept):
            kept.append(h)
    return sorted(kept, key=lambda h: h.start)


def find(text: str, detectors: Sequence[Detector] = DETECTORS) -> list[Hit]:
    """Every hit in one text (overlaps resolved), in text order."""
    return scan_texts([text], detectors).get(0, [])


def scan_texts(texts: Sequence[str], detectors: Sequence[Detector] = DETECTORS) -> dict[int, list[Hit]]:
    """Hits per text index (only texts with hits), overlaps resolved.

    Many texts are first narrowed to those in which any detector's trigger occurs, with all the
    triggers in one RE2 expression run by pyarrow (linear time, however many alternatives);
    only those texts are scanned by :func:`_scan` (typically a few percent of the rows).
    """
    candidates = _prefilter(texts, detectors) if len(texts) >= PREFILTER_MIN_TEXTS else None
    if candidates is None:
        return _scan(texts, detectors)
    subset = [texts[k] for k in candidates]
    return {candidates[k]: hs for k, hs in _scan(subset, detectors).items()}


#: below this many texts the prefilter costs more than it saves
PREFILTER_MIN_TEXTS = 256
PREFILTER_BATCH = 65_536


def _prefilter(texts: Sequence[str], detectors: Sequence[Detector]) -> list[int] | None:
    """Indexes of the texts in which some trigger matches (None: no prefilter available)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    from ftlint.features.text import arrow_ints, arrow_strings

    sources = list(dict.fromkeys(d.trigger.pattern for d in detectors))
    combined = "|".join(f"(?:{src})" for src in sources)
    out: list[int] = []
    for lo in range(0, len(texts), PREFILTER_BATCH):
        batch = texts[lo:lo + PREFILTER_BATCH]
        arr = arrow_strings(batch)
        try:
            hit = pc.match_substring_regex(arr, combined)
        except pa.ArrowException:  # pragma: no cover - a trigger RE2 cannot compile
            return None
        out.extend(int(k) + lo for k in arrow_ints(pc.indices_nonzero(hit)))
    return out


def _scan(texts: Sequence[str], detectors: Sequence[Detector]) -> dict[int, list[Hit]]:
    """Hits per text index: texts are joined into chunks of about :data:`CHUNK_CHARS` characters. Per chunk, each
    detector's trigger runs once (shared triggers once for all their detectors; not at all when
    the chunk contains none of the detector's literals), and its full pattern only in a small
    window of the text around each trigger match.
    """
    out: dict[int, list[Hit]] = {}
    n = len(texts)
    i = 0
    while i < n:
        starts: list[int] = []
        parts: list[str] = []
        size = 0
        j = i
        while j < n and (size < CHUNK_CHARS or j == i):
            t = texts[j]
            starts.append(size)
            parts.append(t)
            size += len(t) + len(SEP)
            j += 1
        chunk = SEP.join(parts)
        triggered: dict[int, list[tuple[int, int]]] = {}
        found: dict[int, list[Hit]] = {}
        seen: set[tuple[str, int, int, int]] = set()
        for det in detectors:
            if det.literals and not any(lit in chunk for lit in det.literals):
                continue
            spans = triggered.get(id(det.trigger))
            if spans is None:
                spans = triggered[id(det.trigger)] = [m.span() for m in det.trigger.finditer(chunk)]
            for ts, te in spans:
                k = bisect.bisect_right(starts, ts) - 1
                base = starts[k]
                text = parts[k]
                ws = max(0, ts - base - det.before)
                we = min(len(text), te - base + det.after)
                for m in det.pattern.finditer(text, ws, we):
                    s, e = m.span(det.group)
                    if s < 0:
                        continue
                    key = (det.kind, k, s, e)
                    if key in seen:
                        continue
                    seen.add(key)
                    if det.validate is not None and not det.validate(m, text, s, e):
                        continue
                    found.setdefault(i + k, []).append(Hit(det.kind, det.family, s, e))
        for k, hs in found.items():
            out[k] = _resolve(hs)
        i = j
    return out


# -- masking ----------------------------------------------------------------------------------------

def _masks() -> dict[str, str]:
    return {d.kind: d.mask for d in DETECTORS}


MASKS = _masks()


def mask(text: str, hits: Sequence[Hit]) -> str:
    """``text`` with every hit replaced by its mask (``[EMAIL]``, ``[SECRET:github-token]``)."""
    out: list[str] = []
    pos = 0
    for h in sorted(hits, key=lambda h: h.start):
        if h.start < pos:
            continue
        out.append(text[pos:h.start])
        out.append(MASKS[h.kind])
        pos = h.end
    out.append(text[pos:])
    return "".join(out)


def mask_all(text: str) -> str:
    """Find and mask every hit in ``text``."""
    if not _QUICK.search(text):
        return text
    return mask(text, find(text))


def redact(text: str) -> str:
    """What the report's redaction step does to every string: :func:`mask_all`, and a token cut
    in half at a snippet's edge (``AKIAIOSF…``, ``john.smith@gm…``) masked when it may be part
    of a secret or of personal data (a reporter cuts long snippets; the cut hides the whole
    pattern, not the secret)."""
    text = mask_all(text)
    if "…" in text:
        text = _CUT_START.sub(_cut_repl, _CUT_END.sub(_cut_repl, text))
    return text


def excerpt(text: str, hit: Hit, hits: Sequence[Hit] = (), width: int = 60) -> str:
    """A one-line excerpt around ``hit``, cut at spaces, every hit in it masked (never a raw match)."""
    others = hits or (hit,)
    a = max(0, hit.start - width)
    b = min(len(text), hit.end + width)
    if a > 0:
        sp = text.find(" ", a, hit.start)
        a = sp + 1 if sp >= 0 else a
    if b < len(text):
        sp = text.rfind(" ", hit.end, b)
        b = sp if sp >= 0 else b
    # widen to whole hits, so a hit is never cut in half at the excerpt's edge
    for h in others:
        if h.start < a < h.end:
            a = h.start
        if h.start < b < h.end:
            b = h.end
    local = [Hit(h.kind, h.family, h.start - a, h.end - a) for h in others if h.start >= a and h.end <= b]
    shown = " ".join(mask(text[a:b], local).split())
    return ("… " if a > 0 else "") + shown + (" …" if b < len(text) else "")


#: the last token before a cut ("…") or the first after one, when it may be part of a hit
#: the prefixes of the vendors' tokens: a cut stub that starts with one is masked, however short
_SECRET_PREFIX = (r"(?:AKIA|ASIA|AIza|GOCSPX|ya29|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat|xox[abposre]|sk-|sk_live|"
                  r"rk_live|hf_|eyJ)")
_CUT_TOKEN = (r"(?:[A-Za-z0-9._%+\-]*@[A-Za-z0-9.\-]*|" + _SECRET_PREFIX + r"[A-Za-z0-9_\-.~+/=]*|"
              r"(?=[A-Za-z0-9_\-+/=]*\d)(?=[A-Za-z0-9_\-+/=]*[A-Za-z])[A-Za-z0-9_\-+/=]{12,}|"
              r"\+?\(?\d[\d\s().\-]{4,}\d?|-----BEGIN[^…]*)")
_CUT_END = re.compile(r"(?<![^\s\"'(=:,;\[{<])" + _CUT_TOKEN + r"(?=…)")
_CUT_START = re.compile(r"(?<=…)" + _CUT_TOKEN)
_SECRET_STUB = re.compile(_SECRET_PREFIX)
#: does a short string contain any trigger at all (the fast path of the redaction step)
_QUICK = re.compile("|".join(f"(?:{src})" for src in dict.fromkeys(d.trigger.pattern for d in DETECTORS)))
_WHOLE = re.compile(r"(?s)\A.+")


def _cut_repl(m: re.Match[str]) -> str:
    s = m.group(0)
    if sum(c.isdigit() for c in s) >= 5 or "@" in s or len(s) >= 12 or s.startswith("-----") \
            or (_SECRET_STUB.match(s) and len(s) >= 6):
        return "[MASKED]"
    return s


class PrivacyRedaction(Redaction):
    """The report's redaction step with the PII and secret detectors plugged in.

    Beyond the base step it also masks strings in dict keys (a metric keyed by a label or a
    group value) and inside tuples and sets (:meth:`~ftlint.findings.Redaction.deep`). Two keys
    that mask to the same text stay apart (``[EMAIL]``, ``[EMAIL] #2``), so no count or weight is
    lost to a collision.
    """

    def apply(self, finding: Finding) -> Finding:
        f = super().apply(finding)
        if not self.patterns:
            return f
        deep = self.deep
        rows = []
        for r in f.rows:
            extra = deep(r.extra) if r.extra else r.extra
            rows.append(r if extra is r.extra else dataclasses.replace(r, extra=extra))
        return dataclasses.replace(f, metrics=deep(f.metrics), rows=rows)


def privacy_redaction() -> PrivacyRedaction:
    """The report's redaction step: every detector (secrets first) through :func:`redact`.

    One pattern (the whole string) with :func:`redact` as its replacement: the detectors'
    triggers, windows and checks are the same ones FT701/FT702 use, so what is reported and
    what is masked never disagree.
    """
    r = PrivacyRedaction()
    r.add(_WHOLE, lambda m: redact(m.group(0)))
    return r


__all__ = ["DETECTORS", "Detector", "Hit", "LABELS", "PII_DETECTORS", "PII_KINDS", "PrivacyRedaction",
           "SECRET_DETECTORS", "SECRET_KINDS", "excerpt", "find", "luhn_ok", "mask", "mask_all",
           "privacy_redaction", "redact", "scan_texts", "shannon_entropy"]
