"""Precision and recall of FT701/FT702's detectors per kind, side by side with a plain regex set.

Usage: ``python benchmarks/bench_pii.py [--per-kind 300] [--clean 20000] [--seed 0] [--speed-rows 100000]``

Corpus (generated, labelled, seeded): for each kind, ``--per-kind`` texts that contain one real
match in a varied sentence (random e-mail addresses, NANP and international phone numbers,
Luhn-valid card numbers with issuer prefixes, SSNs in the issued ranges, public IPv4/IPv6
addresses, AWS key IDs, GitHub and OpenAI-style tokens, private key blocks, bearer tokens,
high-entropy values of secret-like keys), and ``--per-kind`` look-alikes of that kind that must
not count (order and invoice numbers, tracking numbers, ISBNs, dates, version strings, private and
documentation addresses, Luhn-invalid numbers, published test cards, example.com addresses,
git hashes, UUIDs and checksums in code samples, vendors' documentation keys, placeholders),
plus ``--clean`` ordinary sentences. A text's label is the one kind planted in it (or none).

Methods:
  - ftlint: ``features.pii.scan_texts`` (the detectors FT701/FT702 and the report's masking use:
    triggers, patterns, validation and context checks);
  - plain regex: one unvalidated regular expression per kind (what one writes first: ``\\S+@\\S+``-
    style e-mail, any 13-19 digit run for cards, ``\\d{3}-\\d{2}-\\d{4}`` for SSNs, any dotted quad,
    ``sk-...``, ``Bearer ...``, ``password = "..."``), run on each text.

Scoring per kind, per text: a true positive when the kind is found in a text labelled with it, a
false positive when it is found in any other text (look-alikes and clean text), a false negative
when a text labelled with it has no such hit. Speed: rows/s of each method on ``--speed-rows``
texts drawn from the corpus with the clean sentences' share (most rows have no match at all).

Caveat: the generator and the detectors were written by the same people, so the generated
corpus measures the look-alikes and formats we thought of, not the ones we did not; perfect
scores on it are no proof of perfect detectors. ``--real FILE ...`` adds unlabelled real files
(e.g. ``../shared/corpus/*/*.json*``): each method's hit counts, and the plain set's extra hits
printed for reading by hand.
"""

from __future__ import annotations

import argparse
import random
import re
import string
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ftlint.features.pii import luhn_ok, scan_texts  # noqa: E402

KINDS = ("email", "phone", "card", "ssn", "ip", "address", "aws-access-key-id", "github-token", "openai-api-key",
         "private-key", "bearer-token", "keyed-secret")

PLAIN = {
    "email": re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),
    "phone": re.compile(r"\+?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}\b|\+\d[\d\s\-]{7,}\d"),
    "card": re.compile(r"\b(?:\d[ \-]?){12,18}\d\b"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "ip": re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}\b"),
    "address": re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Drive|Way)\b"),
    "aws-access-key-id": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "github-token": re.compile(r"\bgh[pousr]_[A-Za-z0-9_]{20,}"),
    "openai-api-key": re.compile(r"\bsk-[A-Za-z0-9_\-.]{16,}"),
    "private-key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "bearer-token": re.compile(r"[Bb]earer\s+\S{8,}"),
    "keyed-secret": re.compile(r"(?i)(?:api_?key|secret|token|password|passwd)\s*[:=]\s*[\"'][^\"']{8,}[\"']"),
}

FIRST = ["ann", "bo", "carla", "dmitri", "esi", "farid", "grace", "hiro", "ines", "jonas", "kwame", "lena", "mateo",
         "nadia", "omar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "viktor", "wei", "ximena", "yusuf", "zoe"]
LAST = ["lee", "okafor", "schmidt", "tanaka", "garcia", "novak", "haddad", "olsen", "mensah", "silva", "kowalski",
        "nguyen", "rossi", "dubois", "kaur", "ivanova"]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "protonmail.ch", "web.de", "acme-corp.io", "uni-heidelberg.de",
           "fastmail.fm", "icloud.com", "hotmail.fr"]
STREETS = ["Elm", "Birchwood", "Maple", "Lakeview", "Harbor", "Chestnut", "Willow Creek", "Juniper", "Oakridge"]
SUFFIXES = ["Street", "Avenue", "Road", "Lane", "Drive", "Way", "Boulevard"]
CLEAN = ["The model was trained for three epochs on a single GPU.", "Summarise the following article in two sentences.",
         "Photosynthesis converts light energy into chemical energy.", "Translate 'good morning' into Spanish.",
         "The meeting moved to Thursday afternoon.", "Water boils at 100 degrees Celsius at sea level.",
         "Here is a Python function that reverses a list.", "The recipe needs 200 g of flour and 3 eggs.",
         "Our quarterly revenue grew by 12 percent.", "Write a haiku about the sea.",
         "The train leaves at 10:45 from platform 3.", "Population of the city was 1,204,331 in 2020."]


def rnd(r: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    while True:
        s = "".join(r.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s


def card(r: random.Random, bad: bool = False) -> str:
    prefix, n = r.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16)])
    while True:
        body = prefix + "".join(r.choice(string.digits) for _ in range(n - len(prefix) - 1))
        digits = [body + d for d in string.digits if luhn_ok(body + d) != bad]
        number = r.choice(digits)
        if len(set(number)) > 3:
            return number


def grouped(number: str, r: random.Random) -> str:
    if len(number) == 16 and r.random() < 0.5:
        return " ".join(number[i:i + 4] for i in range(0, 16, 4))
    return number


def nanp(r: random.Random) -> str:
    area = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}"
    if area[1:] == "11":
        area = area[0] + "20"
    exchange = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}"
    if exchange == "555":
        exchange = "556"
    line = f"{r.randint(0, 9999):04d}"
    return r.choice([f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"{area}.{exchange}.{line}",
                     f"+1 {area} {exchange} {line}"])


def public_ipv4(r: random.Random) -> str:
    while True:
        first = r.choice([r.randint(11, 99), r.randint(100, 223)])
        if first in (100, 127, 169, 172, 192, 198, 203):
            continue
        return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def positive(kind: str, r: random.Random) -> str:
    name = f"{r.choice(FIRST)}.{r.choice(LAST)}{r.choice(['', str(r.randint(1, 99))])}"
    if kind == "email":
        v = f"{name}@{r.choice(DOMAINS)}"
        return r.choice([f"Please write to {v} before Friday.", f"Contact: {v}", f"Forwarded from <{v}> yesterday.",
                         f"my email is {v}, thanks"])
    if kind == "phone":
        v = nanp(r) if r.random() < 0.7 else r.choice(["+44 20 7946 ", "+49 30 1234 ", "+33 1 42 68 ", "+91 98 7654 "]) + \
            f"{r.randint(1000, 9999)}"
        return r.choice([f"You can reach me at {v} after six.", f"Call {v} to confirm.", f"phone: {v}",
                         f"Her mobile is {v}."])
    if kind == "card":
        v = grouped(card(r), r)
        return r.choice([f"Charge it to my card {v}, exp 04/27.", f"card number: {v}", f"I paid with {v} yesterday."])
    if kind == "ssn":
        v = f"{r.choice([r.randint(1, 665), r.randint(667, 899)]):03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
        return r.choice([f"His SSN is {v}.", f"SSN: {v}", f"social security number {v} on the form"])
    if kind == "ip":
        v = public_ipv4(r) if r.random() < 0.8 else f"2a0{r.randint(0, 9)}:{r.randint(0x1000, 0xffff):x}:" \
            f"{r.randint(0, 0xffff):x}::{r.randint(1, 0xffff):x}"
        return r.choice([f"Failed login from {v} at 03:12.", f"The server at {v} is down.", f"client {v} connected",
                         f"Blocked IP {v} after 5 attempts."])
    if kind == "address":
        v = f"{r.randint(2, 9999)} {r.choice(STREETS)} {r.choice(SUFFIXES)}"
        return r.choice([f"I live at {v}, Springfield.", f"Please ship it to my home at {v}.",
                         f"Deliver to {v}, apartment 4."])
    if kind == "aws-access-key-id":
        v = "AKIA" + "".join(r.choice(string.ascii_uppercase + "234567") for _ in range(16))
        return r.choice([f"aws_access_key_id = {v}", f"s3 = boto3.client('s3', aws_access_key_id='{v}')",
                         f"export AWS_ACCESS_KEY_ID={v}"])
    if kind == "github-token":
        v = r.choice(["ghp_", "gho_", "ghs_"]) + rnd(r, 36)
        return r.choice([f"GITHUB_TOKEN={v}", f"git clone https://{v}@github.com/acme/app.git", f"token: {v}"])
    if kind == "openai-api-key":
        v = r.choice(["sk-proj-" + rnd(r, 48, string.ascii_letters + string.digits + "_-"), "sk-" + rnd(r, 48)])
        return r.choice([f"OPENAI_API_KEY={v}", f"client = OpenAI(api_key=\"{v}\")", f"use the key {v}"])
    if kind == "private-key":
        body = "\n".join(rnd(r, 64, string.ascii_letters + string.digits + "+/") for _ in range(3))
        kind_ = r.choice(["RSA ", "EC ", "OPENSSH ", ""])
        return f"Here is the key:\n-----BEGIN {kind_}PRIVATE KEY-----\n{body}\n-----END {kind_}PRIVATE KEY-----"
    if kind == "bearer-token":
        v = rnd(r, r.randint(24, 48), string.ascii_letters + string.digits + "-_.")
        return r.choice([f"curl -H 'Authorization: Bearer {v}' https://api.acme.io/v1/items",
                         f"headers = {{'Authorization': 'Bearer {v}'}}"])
    if kind == "keyed-secret":
        v = rnd(r, r.randint(18, 32), string.ascii_letters + string.digits + "_-")
        key = r.choice(["client_secret", "api_secret", "password", "secret_key", "auth_token"])
        return r.choice([f'{key} = "{v}"', f'config = {{"{key}": "{v}"}}', f"{key}: '{v}'"])
    raise ValueError(kind)


def look_alike(kind: str, r: random.Random) -> str:
    n = r.randint(10 ** 9, 10 ** 10 - 1)
    sha = "".join(r.choice("0123456789abcdef") for _ in range(40))
    uuid = "-".join("".join(r.choice("0123456789abcdef") for _ in range(k)) for k in (8, 4, 4, 4, 12))
    if kind == "email":
        return r.choice([f"Write to {r.choice(FIRST)}@example.com for the demo.", "your.email@yourdomain.com",
                         f"logo@{r.randint(2, 3)}x.png", f"git@github.com:acme/{r.choice(LAST)}.git",
                         f"user@{r.choice(LAST)}.local", "Reply to john.doe@company.com (placeholder)"])
    if kind == "phone":
        return r.choice([f"Order #{n} shipped.", f"Meeting on {r.randint(2000, 2030)}-{r.randint(1, 12):02d}-"
                         f"{r.randint(1, 28):02d}.", f"Call 415-555-{r.randint(1000, 9999)} (fictional).",
                         f"invoice number {r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(1000, 9999)}",
                         f"{r.randint(10 ** 7, 10 ** 8)} + {r.randint(10 ** 7, 10 ** 8)} = ?",
                         f"ISBN 978-{r.randint(0, 9)}-{r.randint(10, 99)}-{r.randint(100000, 999999)}-{r.randint(0, 9)}"])
    if kind == "card":
        return r.choice([f"card {grouped(card(r, bad=True), r)} was declined as invalid",
                         f"Order number {card(r)} is on its way.", "use 4111 1111 1111 1111 in the sandbox",
                         f"tracking number 1Z{r.randint(10 ** 15, 10 ** 16 - 1)}",
                         f"timestamp {r.randint(10 ** 12, 2 * 10 ** 12)}",
                         f"{r.randint(10 ** 11, 10 ** 12)} + {r.randint(10 ** 11, 10 ** 12)} = "
                         f"{r.randint(10 ** 12, 10 ** 13)}"])
    if kind == "ssn":
        return r.choice([f"Invoice no. {r.randint(100, 899)}-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
                         f"SSN format: 123-45-6789", f"part number 000-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
                         f"serial 666-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
                         f"dated {r.randint(1, 12):02d}-{r.randint(1, 28):02d}-{r.randint(1990, 2030)}"])
    if kind == "ip":
        return r.choice([f"Upgrade to version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 20)}."
                         f"{r.randint(0, 99)}", f"pip install torch=={r.randint(1, 2)}.{r.randint(0, 9)}.{r.randint(0, 9)}"
                         f".{r.randint(0, 9)}", f"connect to 192.168.{r.randint(0, 255)}.{r.randint(1, 254)}",
                         f"host 10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                         f"ping 203.0.113.{r.randint(1, 254)}", "nameserver 8.8.8.8",
                         f"see section {r.randint(1, 9)}.{r.randint(1, 9)}.{r.randint(1, 9)}.{r.randint(1, 9)}"])
    if kind == "address":
        return r.choice(["I live at 123 Main Street.", f"The restaurant is at {r.randint(2, 999)} "
                         f"{r.choice(STREETS)} {r.choice(SUFFIXES)}.", f"Chapter {r.randint(2, 20)} Easy Steps Way",
                         "Sherlock lived at 221B Baker Street.", f"The museum on {r.choice(STREETS)} Avenue opens at 9."])
    if kind == "aws-access-key-id":
        return r.choice(["aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX",
                         "aws_access_key_id = os.environ['AWS_ACCESS_KEY_ID']", "AKIA<your key id>"])
    if kind == "github-token":
        return r.choice(["GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "token: ghp_<your token>",
                         f"commit {sha}", "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}"])
    if kind == "openai-api-key":
        return r.choice(["OPENAI_API_KEY=sk-...", "api_key=\"sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
                         "OPENAI_API_KEY=sk-your-key-here", "the desk-lamp and the risk-averse plan",
                         "client = OpenAI(api_key=os.environ['OPENAI_API_KEY'])"])
    if kind == "private-key":
        return r.choice(["-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
                         "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
                         "Paste your -----BEGIN OPENSSH PRIVATE KEY----- block into the form."])
    if kind == "bearer-token":
        return r.choice(["Authorization: Bearer <token>", "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
                         "headers = {'Authorization': f'Bearer {token}'}", "Authorization: Bearer ${API_TOKEN}",
                         "the bearer of bad news arrived"])
    if kind == "keyed-secret":
        return r.choice([f'commit_sha = "{sha}"', f'user_id = "{uuid}"', 'password = "changeme"',
                         'api_key = "YOUR_API_KEY_HERE_123"', 'secret_name = "my_app_secret_key"',
                         f'checksum = "{sha}"', 'token = os.environ["TOKEN"]'])
    raise ValueError(kind)


def corpus(per_kind: int, clean: int, seed: int) -> tuple[list[str], list[str | None]]:
    r = random.Random(seed)
    texts: list[str] = []
    labels: list[str | None] = []
    for kind in KINDS:
        for _ in range(per_kind):
            texts.append(positive(kind, r))
            labels.append(kind)
            texts.append(look_alike(kind, r))
            labels.append(None)
    for _ in range(clean):
        texts.append(r.choice(CLEAN))
        labels.append(None)
    return texts, labels


def ftlint_kinds(texts: list[str]) -> list[set[str]]:
    hits = scan_texts(texts)
    return [{h.kind for h in hits.get(i, [])} for i in range(len(texts))]


def plain_kinds(texts: list[str]) -> list[set[str]]:
    return [{k for k, p in PLAIN.items() if p.search(t)} for t in texts]


def score(found: list[set[str]], labels: list[str | None]) -> dict[str, tuple[int, int, int]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for kinds, label in zip(found, labels):
        for k in kinds:
            if k == label:
                tp[k] += 1
            elif k in KINDS:
                fp[k] += 1
        if label is not None and label not in kinds:
            fn[label] += 1
    return {k: (tp[k], fp[k], fn[k]) for k in KINDS}


def pr(t: tuple[int, int, int]) -> tuple[float, float]:
    tp, fp, fn = t
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in strings(v)]
    return []


def real_texts(path: Path) -> list[str]:
    import json

    raw = path.read_text(encoding="utf-8")
    records = json.loads(raw) if path.suffix == ".json" else [json.loads(x) for x in raw.splitlines() if x.strip()]
    return [t for rec in records for t in strings(rec)]


def report_real(paths: list[Path]) -> None:
    """Unlabelled real files: hits per kind of each method, and what the hits are (masked
    neither here nor there: read them to judge precision by hand)."""
    for path in paths:
        texts = real_texts(path)
        ours, plain = ftlint_kinds(texts), plain_kinds(texts)
        print(f"\n{path.name}: {len(texts):,} strings")
        for name, found in (("ftlint", ours), ("plain regex", plain)):
            counts = Counter(k for kinds in found for k in kinds)
            print(f"  {name:<12} texts with a hit per kind: {dict(counts.most_common()) or 'none'}")
        examples = [(k, t) for t, kinds, mine in zip(texts, plain, ours) for k in sorted(kinds - mine)][:6]
        for k, t in examples:
            m = PLAIN[k].search(t)
            print(f"    plain only, {k}: …{t[max(0, m.start() - 30):m.end() + 10]!r}…" if m else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-kind", type=int, default=300)
    ap.add_argument("--clean", type=int, default=20000)
    ap.add_argument("--speed-rows", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real", type=Path, nargs="*", default=[],
                    help="also count each method's hits in these JSON/JSONL files (unlabelled)")
    a = ap.parse_args()

    texts, labels = corpus(a.per_kind, a.clean, a.seed)
    ours = score(ftlint_kinds(texts), labels)
    plain = score(plain_kinds(texts), labels)
    print(f"corpus: {len(texts):,} texts ({a.per_kind} true positives and {a.per_kind} look-alikes per kind, "
          f"{a.clean:,} clean sentences), seed {a.seed}\n")
    print(f"{'kind':<20} {'ftlint P':>9} {'R':>7} {'FP':>6} {'FN':>5}   {'plain regex P':>13} {'R':>7} {'FP':>6} "
          f"{'FN':>5}")
    totals = {"ftlint": [0, 0, 0], "plain": [0, 0, 0]}
    for k in KINDS:
        (p1, r1), (p2, r2) = pr(ours[k]), pr(plain[k])
        for name, t in (("ftlint", ours[k]), ("plain", plain[k])):
            totals[name] = [x + y for x, y in zip(totals[name], t)]
        print(f"{k:<20} {p1:>9.3f} {r1:>7.3f} {ours[k][1]:>6} {ours[k][2]:>5}   {p2:>13.3f} {r2:>7.3f} "
              f"{plain[k][1]:>6} {plain[k][2]:>5}")
    (p1, r1), (p2, r2) = pr(tuple(totals["ftlint"])), pr(tuple(totals["plain"]))  # type: ignore[arg-type]
    print(f"{'all (micro)':<20} {p1:>9.3f} {r1:>7.3f} {totals['ftlint'][1]:>6} {totals['ftlint'][2]:>5}   "
          f"{p2:>13.3f} {r2:>7.3f} {totals['plain'][1]:>6} {totals['plain'][2]:>5}")

    r = random.Random(a.seed + 1)
    sample = [texts[r.randrange(len(texts))] for _ in range(a.speed_rows)]
    chars = sum(len(t) for t in sample)
    print(f"\nspeed on {a.speed_rows:,} texts drawn from the corpus ({chars / a.speed_rows:.0f} characters on average):")
    for name, fn in (("ftlint scan_texts (batched, validated)", ftlint_kinds),
                     ("plain regex set, per text", plain_kinds)):
        t0 = time.perf_counter()
        fn(sample)
        dt = time.perf_counter() - t0
        print(f"  {name:<40} {a.speed_rows / dt:>12,.0f} rows/s  ({dt:.2f} s)")
    if a.real:
        report_real(a.real)


if __name__ == "__main__":
    main()
