"""The PII and secret detectors behind FT701/FT702: a corpus of true positives and look-alikes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.features.pii import excerpt, find, luhn_ok, mask_all, redact, scan_texts
from ftlint.findings import snippet
from tests.api_run import lint_rule


def luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


VISA = luhn_complete("453929141777631")            # 16 digits, Visa prefix, valid check digit
MASTERCARD = luhn_complete("541270669074391")
AMEX = luhn_complete("37145000806360")             # 15 digits
VISA_BAD = VISA[:-1] + str((int(VISA[-1]) + 1) % 10)  # one digit off: Luhn-invalid
GH = "ghp_Zq8vLx2Pw9Rt4Ny7Ks1Hd3Gf6Jm5Bc0Vx8Qa"
GH_PAT = "github_pat_11ABCDE2Y0" + "Rt4Ny7Ks1Hd3Gf6Jm5Bc0Vx8QaZq8vLx2Pw9_" + "kP3mW8nQ2rT6vY1zB4cF7hJ0L"
OPENAI = "sk-proj-T7mWq2Lz9XcV4bNp1RkS8dFh3GjY6uEa0Io5"
OPENAI_LEGACY = "sk-" + "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb6Nm8Qw0Er2Ty4"  # 48 characters
AWS_ID = "AKIA2QW7RT5LMXZ6HNPK"
AWS_SECRET = "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"

TRUE_POSITIVES: list[tuple[str, str]] = [
    # personal data
    ("email", "Please reply to ann.lee.1987@gmail.com by Friday."),
    ("email", "Contact: k.osei@protonmail.ch"),
    ("phone", "My number is (312) 749-2281, call after six."),
    ("phone", "Call 312-749-2281 today"),
    ("phone", "Reach our London office on +44 20 7946 0958."),
    ("phone", "phone: 0612345678"),
    ("card", f"Card number {VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]} exp 04/27"),
    ("card", f"charge it to {MASTERCARD} please"),
    ("card", f"amex {AMEX}"),
    ("ssn", "Her SSN is 536-22-8741."),
    ("ssn", "SSN: 536228741"),
    ("ip", "The attack came from 81.2.69.142 at night."),
    ("ip", "client 2a00:1450:4001:81b::200e connected"),
    ("ip", "the server 81.2.69.142 is down"),          # "server" ends in "ver": not a version context
    ("ip", "failed login from 5.9.12.3"),
    ("address", "I live at 42 Elm Street, Springfield."),
    ("address", "Please ship it to my home at 1187 Birchwood Avenue."),
    # secrets
    ("aws-access-key-id", f"aws_access_key_id = '{AWS_ID}'"),
    ("aws-secret-access-key", f"aws_secret_access_key={AWS_SECRET}"),
    ("github-token", f"git clone https://{GH}@github.com/acme/app.git"),
    ("github-token", f"GITHUB_TOKEN={GH_PAT}"),
    ("openai-api-key", f"client = OpenAI(api_key=\"{OPENAI}\")"),
    ("openai-api-key", f"export OPENAI_API_KEY={OPENAI_LEGACY}"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7Zx9Lp2Vn4Wm8Rt1Ys6Kd3Gh5Jf0Bc7Nq2Xw9Lz4Pm8"
                    "\n-----END RSA PRIVATE KEY-----"),
    ("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAA"
                    "\n-----END OPENSSH PRIVATE KEY-----"),
    ("bearer-token", "curl -H 'Authorization: Bearer Zt8Kq2Lw9Xm4Vn7Bp1Rs6Dg3Hj5Fy0Uc' https://api.acme.io"),
    ("keyed-secret", 'config = {"client_secret": "q8Xv2LmN4pR7tZ1wK9sD"}'),
    ("keyed-secret", "password: 'V-7Cw9dpez-uP_HoXA02s3yN'"),  # dashes between random parts: not an identifier
    ("bearer-token", "headers = {'Authorization': 'Bearer BczFTYXqZfWvOa-VjiduWEsjWGg3IKlUb'}"),
    ("huggingface-token", "HF_TOKEN=hf_Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb"),
    ("gitlab-token", "token glpat-Xc4Vb6Nm8Qw0Er2Ty4Ui6"),
    ("slack-token", "SLACK_BOT_TOKEN=xoxb-2817364519-8273645192-Qw3Er5Ty7Ui9Op1As3Df5Gh7"),
    ("gcp-api-key", "key=AIzaSyQw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4"),
    ("stripe-key", "stripe.api_key = 'sk_live_Qw3Er5Ty7Ui9Op1As3Df5Gh7'"),
    ("url-credentials", "DATABASE_URL=postgres://app:Zq8vLx2Pw9rT@db.prod.acme-corp.net:5432/app"),
    ("jwt", "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MjEzNyIsIm5hbWUiOiJLd2FtZSJ9."
            "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb6N"),
]

LOOK_ALIKES: list[tuple[str, str]] = [
    ("order number", f"Your order number {VISA} has shipped."),
    ("order hash", f"Order #{VISA} is delayed"),
    ("invoice", "Invoice no. 536-22-8741 is due"),
    ("tracking", "tracking number 1Z999AA10123456784"),
    ("ISBN", "ISBN 978-3-16-148410-0 and ISBN 9780306406157"),
    ("dates", "Meeting on 2023-10-12 at 10:30, or 12/10/2023, or 10.12.2023"),
    ("versions", "upgrade to version 1.2.3.4, v2.10.3.1 or build 10.2.0.15"),
    ("version, no keyword", "Upgrade to 2.10.3.1, then restart."),
    ("pip pin", "pip install torch==2.1.0.1 numpy==1.26.4"),
    ("git hash", "The fix is in commit 3f786850e387550fdab836ed7e6dc881de23001b."),
    ("sha256 in code", 'digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"'),
    ("md5", "md5sum: d41d8cd98f00b204e9800998ecf8427e"),
    ("uuid in code", 'user_id = "123e4567-e89b-12d3-a456-426614174000"'),
    ("uuid", "request 550e8400-e29b-41d4-a716-446655440000 failed"),
    ("Luhn-invalid card", f"card {VISA_BAD}"),
    ("Luhn-invalid grouped", f"{VISA_BAD[:4]} {VISA_BAD[4:8]} {VISA_BAD[8:12]} {VISA_BAD[12:]}"),
    ("test card", "use 4111 1111 1111 1111 in the sandbox"),
    ("arithmetic", "256626720691 + 1646615806005 = 1903242526696"),
    ("timestamp", "created at 1699999999999 ms"),
    ("decimal", "pi is 3.14159265358979"),
    ("example.com", "write to alice@example.com or bob@test.example"),
    ("placeholder mailbox", "your.email@yourdomain.com"),
    ("file name", "logo@2x.png"),
    ("555 phone", "call 415-555-0123"),
    ("private IPs", "hosts 192.168.1.1, 10.0.0.1 and 127.0.0.1"),
    ("documentation IP", "ping 203.0.113.7"),
    ("public resolver", "nameserver 8.8.8.8"),
    ("example SSN", "SSN format: 123-45-6789"),
    ("placeholder address", "I live at 123 Main Street"),
    ("public place", "The restaurant is at 42 Elm Street."),
    ("AWS docs key", "AKIAIOSFODNN7EXAMPLE"),
    ("AWS placeholder", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX"),
    ("placeholder key", 'api_key = "YOUR_API_KEY_HERE_12345"'),
    ("env key", 'api_key = os.environ["OPENAI_API_KEY"]'),
    ("placeholder sk", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("bearer placeholder", "Authorization: Bearer <token>"),
    ("weak demo URL", "postgres://postgres:postgres@localhost:5432/db"),
    ("identifier key", 'secret_name = "my_secret_key_name"'),
    ("population", "population 4,539,148,803"),
]


@pytest.mark.parametrize("kind,text", TRUE_POSITIVES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(TRUE_POSITIVES)])
def test_true_positive_is_found_and_masked(kind: str, text: str) -> None:
    hits = find(text)
    assert kind in {h.kind for h in hits}, f"{kind} not found in {text!r}: {hits}"
    masked = mask_all(text)
    for h in hits:
        assert text[h.start:h.end] not in masked
    assert "[" in masked


@pytest.mark.parametrize("name,text", LOOK_ALIKES, ids=[n for n, _ in LOOK_ALIKES])
def test_look_alike_is_not_a_hit(name: str, text: str) -> None:
    assert find(text) == [], f"{name}: {[(h.kind, text[h.start:h.end]) for h in find(text)]}"
    assert mask_all(text) == text


def test_luhn() -> None:
    assert luhn_ok("4539291417776314") and luhn_ok("79927398713")
    assert not luhn_ok("4539291417776315") and not luhn_ok("79927398710")


def test_scan_texts_agrees_with_find_on_many_texts() -> None:
    """The batched scan (joined chunks, prefilter) gives each text the hits find() gives it alone."""
    texts = [t for _, t in TRUE_POSITIVES + LOOK_ALIKES] * 10
    hits = scan_texts(texts)
    for i, t in enumerate(texts):
        assert hits.get(i, []) == find(t), t


def test_excerpt_never_shows_a_raw_match() -> None:
    text = "x " * 50 + f"mail ann.lee.1987@gmail.com and token {GH} then " + "y " * 50
    hits = find(text)
    assert {h.kind for h in hits} == {"email", "github-token"}
    shown = excerpt(text, hits[0], hits)
    assert "[EMAIL]" in shown and "[SECRET:github-token]" in shown
    assert "gmail" not in shown and GH not in shown and GH[:10] not in shown


def test_a_secret_cut_at_a_snippet_edge_is_masked() -> None:
    """A reporter's snippet cut hides the whole pattern, not the secret: the stub is masked."""
    assert "ghp_Zq8vLx" not in redact(f"some text {GH[:10]}…")
    assert "gm" not in redact("write to ann.lee.1987@gm…")


def test_snippets_are_cut_between_words_so_no_match_is_cut_in_half() -> None:
    """A snippet cut inside an e-mail address's local part ("ann.lee.19…") would hide it from the
    redaction step: snippets end at a word boundary near the limit instead."""
    text = "x" * 140 + " write ann.lee.1987@gmail.com today"
    cut = snippet(text)
    assert len(cut) <= 160 and cut.endswith("…") and "ann" not in cut
    assert "4539 2914" not in redact("card 4539 2914 17…")
    assert redact("a perfectly normal sentence…") == "a perfectly normal sentence…"


def chat(u: str, a: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]}


def test_ft701_lists_every_row_with_personal_data_and_escalates_above_one_percent(tmp_path: Path) -> None:
    clean = [chat(f"What is {i} squared?", f"{i * i}.") for i in range(200)]
    rows = clean[:50] + [chat("Write to me", "Sure: ann.lee.1987@gmail.com")] + clean[50:120] + \
        [chat("my phone is (312) 749-2281", "Noted.")] + clean[120:]
    report = lint_rule(tmp_path, rows, None, "FT701").report
    (f,) = report.findings
    assert [r.index for r in f.rows] == [50, 121]
    assert f.severity.label == "warning"  # 2 of 202 rows: under 1%
    assert f.metrics["hits_by_kind"] == {"email": 1, "phone": 1}
    assert f.metrics["rows"] == 2
    assert "2 rows (1.0%)" in f.message
    assert "ann.lee" not in f.message and "749" not in json.dumps(f.metrics) + str([r.extra for r in f.rows])

    report = lint_rule(tmp_path, rows[:100] + [chat("SSN 536-22-8741", "ok")] * 3, None, "FT701").report
    (f,) = report.findings
    assert f.severity.label == "error" and f.metrics["rows_by_kind"] == {"email": 1, "ssn": 3}


def test_ft702_reports_secrets_as_errors_and_ignores_look_alikes(tmp_path: Path) -> None:
    rows = [chat(t, "ok") for _, t in LOOK_ALIKES] + [chat("deploy it", f"export GITHUB_TOKEN={GH}")]
    report = lint_rule(tmp_path, rows, None, "FT702").report
    (f,) = report.findings
    assert f.severity.label == "error"
    assert [r.index for r in f.rows] == [len(LOOK_ALIKES)]
    assert f.rows[0].extra["kinds"] == ["github-token"]
    assert "[SECRET:github-token]" in f.rows[0].extra["excerpt"] and GH not in f.rows[0].snippet
    assert lint_rule(tmp_path, [chat(t, "ok") for _, t in LOOK_ALIKES], None, "FT702").report.findings == []
    assert lint_rule(tmp_path, [chat(t, "ok") for _, t in LOOK_ALIKES], None, "FT701").report.findings == []
