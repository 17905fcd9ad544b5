"""FT7xx: privacy: personal data and secrets in the training data.

Both rules read one scan of every split (:func:`privacy_scan`: every turn, the rejected side of
preference pairs and the string metadata columns) with the detectors of
:mod:`ftlint.features.pii`; the same detectors mask every report (``api.check`` installs them
in the redaction step), so no output format prints a match, whichever rules are selected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ftlint.cache import Int, Map, Rec, Seq, Spec, Str, Tup
from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.schema import ROLE_NAMES
from ftlint.grammar import plural
from ftlint.model import Finding, RowAt, Severity, Unit
from ftlint.rule import Rule


@dataclass(frozen=True)
class FieldHits:
    """The hits of one field of one row: ``field`` is a turn position, -1 the rejected side, or
    ``-2 - j`` the j-th metadata column (see :func:`field_label`)."""

    row: int
    field: int
    hits: tuple[tuple[str, str, int, int], ...]  # (kind, family, start, end)


@dataclass
class PrivacyScan:
    """Every hit in a split, by row (only rows with hits)."""

    by_row: dict[int, list[FieldHits]] = field(default_factory=dict)
    columns: tuple[str, ...] = ()


def _field_text(ds: Dataset, i: int, f: int, columns: tuple[str, ...]) -> str:
    if f >= 0:
        return ds.texts[i][f]
    if f == -1:
        return ds.rejected[i] or ""
    col = columns[-2 - f]
    return f"{col}: {ds.extras[col][i]}"


def field_label(ds: Dataset, i: int, f: int, columns: tuple[str, ...]) -> str:
    if f >= 0:
        return f"{ROLE_NAMES.get(ds.roles[i][f], 'unknown')} turn {f + 1}"
    if f == -1:
        return "rejected side"
    return f"column '{columns[-2 - f]}'"


#: rows scanned together
SCAN_BLOCK = 8192


def _fields_exist(scan: PrivacyScan, ctx: Context, split: str | None) -> bool:
    """Every hit of a scan read from the cache names a row, field and column that exist."""
    roles = ctx.dataset(split or "train").roles
    lowest = -1 - len(scan.columns)
    return all(i == h.row and lowest <= h.field < len(roles[i]) for i, hits in scan.by_row.items() for h in hits)


#: the scan's declared schema on disk (``n``: the split's rows)
_HITS = Rec(FieldHits, row=Int(0, "n"), field=Int(), hits=Seq(Tup(Str, Str, Int(0), Int(0)), tuple=True))
_SCAN_SCHEMA = Spec(Rec(PrivacyScan, by_row=Map(Int(0, "n"), Seq(_HITS)), columns=Seq(Str, tuple=True)),
                    check=_fields_exist)


def _collect(out: PrivacyScan, hits_by_text: dict[int, Any], owner: list[tuple[int, int]]) -> None:
    for t_idx, hits in sorted(hits_by_text.items()):
        i, f = owner[t_idx]
        out.by_row.setdefault(i, []).append(FieldHits(i, f, tuple((h.kind, h.family, h.start, h.end) for h in hits)))


def privacy_scan(ctx: Context, split: str) -> PrivacyScan:
    """Scan every field of every row once (cached on disk: only kinds and offsets, never text)."""
    from ftlint.features.pii import scan_texts

    ds = ctx.dataset(split)

    def compute() -> PrivacyScan:
        columns = tuple(c for c in sorted(ds.extras) if any(isinstance(v, str) and v for v in ds.extras[c]))
        out = PrivacyScan(columns=columns)
        # in blocks of rows (the split's text is never held whole), then the extra columns; every
        # row's hits stay in field order: turns, the rejected side, the columns
        n = len(ds)
        for lo in range(0, n, SCAN_BLOCK):
            texts: list[str] = []
            owner: list[tuple[int, int]] = []
            for i in range(lo, min(n, lo + SCAN_BLOCK)):
                for k, t in enumerate(ds.texts[i]):
                    if t:
                        texts.append(t)
                        owner.append((i, k))
                if ds.rejected and ds.rejected[i]:
                    texts.append(ds.rejected[i] or "")
                    owner.append((i, -1))
            _collect(out, scan_texts(texts), owner)
        for j, col in enumerate(columns):
            values = ds.extras[col]
            for lo in range(0, len(values), SCAN_BLOCK):  # in blocks too: a column of 1M strings is not held twice
                texts, owner = [], []
                for i in range(lo, min(len(values), lo + SCAN_BLOCK)):
                    v = values[i]
                    if isinstance(v, str) and v:
                        texts.append(f"{col}: {v}")  # the column name is the context ("order_id: 4539...")
                        owner.append((i, -2 - j))
                _collect(out, scan_texts(texts), owner)
        return out

    return ctx.stored("privacy_scan", split, {"version": 1}, compute, _SCAN_SCHEMA)


class _PrivacyRule(Rule):
    """Shared body of FT701 and FT702 (not registered)."""

    abstract = True
    metric_units = {"fraction": Unit.SHARE, "error_fraction": Unit.SHARE}
    family = ""
    #: what the message says the rows contain
    what = ""
    #: the finding's fix
    remedy_text = ""

    def _ignored(self) -> set[str]:
        return set(getattr(self.options, "ignore_kinds", None) or [])

    def _rows(self, ctx: Context, split: str) -> tuple[list[RowAt], Counter[str], Counter[str], str]:
        from ftlint.features.pii import LABELS, Hit, excerpt

        ds = ctx.dataset(split)
        scan = ctx.artifact(privacy_scan, split)
        ignored = self._ignored()
        rows: list[RowAt] = []
        hits_by_kind: Counter[str] = Counter()
        rows_by_kind: Counter[str] = Counter()
        first = ""
        for i in sorted(scan.by_row):
            found: list[tuple[FieldHits, list[Hit], list[Hit]]] = []
            for fh in scan.by_row[i]:
                every = [Hit(k, fam, s, e) for k, fam, s, e in fh.hits]
                mine = [h for h in every if h.family == self.family and h.kind not in ignored]
                if mine:
                    found.append((fh, mine, every))
            if not found:
                continue
            kinds = list(dict.fromkeys(h.kind for _, mine, _ in found for h in mine))
            hits_by_kind.update(h.kind for _, mine, _ in found for h in mine)
            rows_by_kind.update(kinds)
            fh, mine, every = found[0]
            text = _field_text(ds, i, fh.field, scan.columns)
            where = field_label(ds, i, fh.field, scan.columns)
            shown = excerpt(text, mine[0], every)
            labels = [LABELS[k] for k in kinds]
            reason = f"{', '.join(labels)} in {where}"
            if not first:
                first = f"{where}: “{shown}”"
            rows.append(RowAt(split, i, text=f"{where}: {shown}", extra={
                "reason": reason,
                "kinds": kinds,
                "field": where,
                "fields": list(dict.fromkeys(field_label(ds, i, f.field, scan.columns) for f, _, _ in found)),
                "hits": sum(len(m) for _, m, _ in found),
                "excerpt": shown,
            }))
        return rows, hits_by_kind, rows_by_kind, first

    def check(self, ctx: Context) -> Iterator[Finding]:
        error_fraction = getattr(self.options, "error_fraction", None)  # FT701 escalates; FT702 is an error
        for split in ctx.splits:
            n = len(ctx.dataset(split))
            rows, hits_by_kind, rows_by_kind, first = self._rows(ctx, split)
            if not rows:
                continue
            share = len(rows) / max(n, 1)
            metrics: dict[str, Any] = {"hits_by_kind": dict(hits_by_kind), "rows_by_kind": dict(rows_by_kind),
                                       "rows": len(rows), "fraction": round(share, 6)}
            if error_fraction is not None:
                metrics["error_fraction"] = error_fraction
            yield self.finding(
                f"{plural(len(rows), 'row')} ({share:.1%}) of the {split} split "
                f"{'contains' if len(rows) == 1 else 'contain'} {self.what} "
                f"({self._breakdown(hits_by_kind)}); the first in {first}",
                self.remedy_text,
                rows=rows, total=n, split=split, escalate=error_fraction is not None and share > error_fraction,
                metrics=metrics,
                charts=[*bars("hits by kind", {split: hits_by_kind}), *bars("rows by kind", {split: rows_by_kind})],
            )

    @staticmethod
    def _breakdown(hits_by_kind: Counter[str]) -> str:
        from ftlint.features.pii import LABELS

        return ", ".join(plural(n, LABELS[k]) for k, n in hits_by_kind.most_common())


class PersonalData(_PrivacyRule):
    """Personal data in the training data: e-mail addresses, phone numbers, payment cards,
    social security numbers, IP addresses, street addresses.

    ## What it does
    Scans every turn, the rejected side of preference pairs and the string metadata columns of
    every split for:

    - **e-mail addresses**;
    - **phone numbers**: North American numbers written with separators (`(415) 867-5309`,
      `415-867-5309`), international numbers with a `+` country code, and any 7-15 digit number
      right after a word such as *phone*, *tel*, *mobile* or *call me*;
    - **payment card numbers**: 13-19 digits (grouped or not) with a known issuer prefix and a
      valid Luhn check digit;
    - **US social security numbers**: `AAA-GG-SSSS` within the issued ranges, and 9 digits after
      *SSN*;
    - **IP addresses**: public IPv4 and IPv6 addresses;
    - **street addresses**: a house number, capitalised street name and a street suffix
      (`42 Elm Street`, `1200 Market St.`).

    Look-alikes are not reported: dates, times, version strings (`1.2.3.4`, `v2.10.3.1`),
    numbers after *order*, *invoice*, *tracking*, *ISBN* or *ID*, git hashes, UUIDs and decimals.
    Documentation placeholders are not personal data and are not reported either (nor masked):
    addresses at the reserved example domains (`user@example.com`, `*.example`, `*.test`) and
    placeholder mailboxes (`you@yourdomain.com`, `john.doe@...`, `@mycompany.com`), an
    organisation's role accounts (`sales@`, `support@`, `marketing@`), toy addresses of a
    validation exercise (`a@d.co`), private, loopback and documentation IP ranges, network ranges
    and network addresses (`157.240.0.0/16`), public resolvers (`8.8.8.8`), the fictional 555 phone exchange,
    example SSNs (`123-45-6789`), published test card numbers (`4111 1111 1111 1111`) and
    placeholder addresses (`123 Main Street`, `221B Baker Street`).

    Every affected row is listed, with the kinds found, the field and an excerpt in which each
    match is masked (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[SSN]`, `[IP]`, `[ADDRESS]`). A warning; an
    error when more than `error-fraction` (1%) of the rows have personal data.

    Masking is not limited to this rule: every report ftlint writes, in every format, passes
    through one redaction step with these detectors, whichever rules are selected, so a
    duplicate or placeholder finding never prints the e-mail address inside its row either.

    ## Why it matters
    A model memorises rare strings it is trained on and repeats them to other users: e-mail
    addresses, phone numbers and card numbers in fine-tuning data can be extracted from the
    model. Keeping personal data in training data also needs a legal basis (GDPR, CCPA) and
    spreads it to every copy of the dataset and every checkpoint.

    ## Example
    ```
    {"prompt": "Write to the customer", "completion": "Dear Ann, call me at (415) 867-5309 or write to ann.lee@gmail.com."}
    ```

    ## How to fix
    Remove or pseudonymise personal data before training: replace each match with a
    placeholder or a consistent fake (`[EMAIL]`, Faker), or drop the rows. Scrub the source
    the data came from too. If a kind is expected and allowed (e.g. public office addresses),
    leave it out with `ignore-kinds = ["address"]`.
    """  # noqa: E501 - the example is a record, one line as in the file

    code = "FT701"
    name = "personal-data"
    summary = "Personal data (e-mail, phone, card, SSN, IP, street address) in the data"
    severity = Severity.WARNING
    escalation = "error_fraction"
    family = "pii"
    what = "personal data"
    remedy_text = ("Remove or pseudonymise personal data before training: replace each match with a placeholder or a "
                   "consistent fake, or drop the rows; scrub the source too. Allowed kinds can be left out with "
                   "[rules.personal-data] ignore-kinds = [...].")
    option_help = {
        "error_fraction": "an error (escalated severity) when more than this share of a split's rows has personal data",
        "ignore_kinds": "kinds not to report: email, phone, card, ssn, ip, address",
    }

    @dataclass
    class Options:
        error_fraction: float = 0.01
        ignore_kinds: list[str] | None = None



class Secrets(_PrivacyRule):
    """Credentials in the training data: API keys, tokens, private keys, passwords.

    ## What it does
    Scans every turn, the rejected side of preference pairs and the string metadata columns of
    every split for:

    - **cloud provider keys**: AWS access key IDs (`AKIA...`) and secret keys, Google API keys
      (`AIza...`), OAuth client secrets (`GOCSPX-...`) and access tokens (`ya29....`), Azure
      storage account keys, SAS signatures and client secrets;
    - **service tokens**: GitHub (`ghp_`, `gho_`, `github_pat_`...), GitLab (`glpat-`...),
      Slack (`xoxb-`..., webhook URLs), OpenAI (`sk-...`, `sk-proj-...`), Anthropic
      (`sk-ant-...`), Hugging Face (`hf_...`) and Stripe live keys;
    - **private key blocks** (`-----BEGIN ... PRIVATE KEY-----` followed by key material);
    - **JSON Web Tokens**, **bearer tokens** (`Authorization: Bearer ...`) and **passwords in
      URLs** (`postgres://user:password@host`);
    - **high-entropy strings in a key-like context**: a quoted value of 16+ characters, with
      mixed letters and digits and high Shannon entropy, assigned to a key named like a secret
      (`api_key`, `client_secret`, `token`, `password`...).

    Placeholders are not reported (nor masked): values with `YOUR`, `EXAMPLE`, `xxxx`, `<...>`,
    `${...}` or `...`, vendors' documentation keys (`AKIAIOSFODNN7EXAMPLE`, jwt.io's sample
    token), weak demo passwords in URLs (`postgres:postgres@localhost`), and UUIDs, git hashes and
    checksums that are not assigned to a secret-like key.

    Every affected row is listed with the kinds found, the field and an excerpt in which the
    secret is masked (`[SECRET:github-token]`). Every report ftlint writes masks them too,
    whichever rules are selected.

    ## Why it matters
    A credential in training data is leaked twice: to everyone with a copy of the dataset, and
    through the model, which can reproduce it verbatim. It also teaches the model to put real
    keys into the code it writes.

    ## Example
    ```
    {"instruction": "Connect to S3", "output": "s3 = boto3.client('s3', aws_access_key_id='AKIAZ5GMHYJKL3EXQW7P')"}
    ```

    ## How to fix
    Revoke and rotate every credential found now: it is exposed already (check the history of
    any repository the data was in). Then replace each with a placeholder
    (`os.environ["AWS_ACCESS_KEY_ID"]`, `YOUR_API_KEY`) or drop the rows.
    """

    code = "FT702"
    name = "secrets"
    summary = "Credentials in the data: API keys, tokens, private keys, passwords"
    severity = Severity.ERROR
    family = "secret"
    what = "credentials"
    remedy_text = ("Revoke and rotate every credential found now (it is exposed already, also in any repository the "
                   "data was in), then replace each with a placeholder (an environment variable, YOUR_API_KEY) or "
                   "drop the rows.")
    option_help = {"ignore_kinds": "kinds not to report, e.g. jwt, keyed-secret, url-credentials"}

    @dataclass
    class Options:
        ignore_kinds: list[str] | None = None



__all__ = ["FieldHits", "PersonalData", "PrivacyScan", "Secrets", "field_label", "privacy_scan"]
