"""Remote dataset files through fsspec (issue 15, part 4).

S3 is tested with a real S3 client (s3fs, the one ftlint uses) talking HTTP to moto's S3 server,
which the test starts on 127.0.0.1 (a free port); http with a plain-HTTP server the test starts
on 127.0.0.1 (``http.server``), and https with the same server behind TLS with a certificate the
test makes (trusted in the client's SSL context; an untrusted one is exit 2). Google Cloud
Storage and Azure are not tested here (no local server): they go through
the same fsspec code path. Nothing goes to the network.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from ftlint.remote import describe, is_remote, parse, redact, scrub
from tests.cli_inprocess import cli

s3fs = pytest.importorskip("s3fs", reason="the S3 tests need s3fs (pip install 'ftlint[test]')")
moto_server = pytest.importorskip("moto.server", reason="the S3 tests need moto's server (pip install 'moto[server]')")

DBPEDIA = "openai__openai-cookbook/examples__data__dbpedia_samples.jsonl"
SECRET = "s3cr3tSIGNATUREvalue"
PASSWORD = "hunter2pass"
FAST = ("--isolated", "--no-cache", "--output-format", "json", "--select", "FT0,FT1,FT2")


# -- servers ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (a free port): its endpoint URL."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Credentials in the environment (where users keep them), S3 at moto's endpoint, no other AWS
    setting of the machine, the test folder as the working directory. A fresh bucket: its name."""
    import os

    for var in list(os.environ):
        if var.startswith(("AWS_", "FTLINT_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never the instance metadata service
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    s3().mkdir(bucket)
    return bucket


def s3() -> Any:
    return s3fs.S3FileSystem(skip_instance_cache=True)


class _Files(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` with HEAD, GET and Range, an ETag and Last-Modified; ``/signed/...`` only with
    ``?X-Amz-Signature=SECRET``, ``/norange/...`` without Range support. Counts the GETs per path."""

    files: ClassVar[dict[str, bytes]] = {}
    gets: ClassVar[dict[str, int]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/signed/") and parse_qs(url.query).get("X-Amz-Signature") != [SECRET]:
            self.send_error(403, "SignatureDoesNotMatch")
            return
        body = self.files.get(url.path)
        if body is None:
            self.send_error(404)
            return
        if not head:
            self.gets[url.path] = self.gets.get(url.path, 0) + 1
        status, start, end = 200, 0, len(body)
        rng = self.headers.get("Range")
        if rng and not url.path.startswith("/norange/"):
            lo, _, hi = rng.removeprefix("bytes=").partition("-")
            start, end = int(lo), min(len(body), int(hi) + 1 if hi else len(body))
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", '"' + hashlib.md5(body).hexdigest() + '"')
        self.send_header("Last-Modified", "Mon, 07 Dec 2026 12:00:00 GMT")
        if not url.path.startswith("/norange/"):
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(body)}")
        self.end_headers()
        if not head:
            # /cut/...: the connection drops halfway (the server said the whole length)
            self.wfile.write(body[start:end] if not url.path.startswith("/cut/") else body[start:end][: len(body) // 2])


@pytest.fixture(scope="module")
def web() -> Iterator[tuple[str, type[_Files]]]:
    """A plain-HTTP file server on 127.0.0.1 (a free port): (its base URL, its handler class)."""
    handler = type("Files", (_Files,), {"files": {}, "gets": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(web: tuple[str, type[_Files]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, type[_Files]]:
    import os

    for var in list(os.environ):
        if var.startswith("FTLINT_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return web


# -- data -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data(corpus_dir_module: Path) -> bytes:
    """A corpus file with what a real file has gone through: a record cut in two, a blank line, a
    copy of an earlier record (FT001, FT201 at known lines)."""
    raw = (corpus_dir_module / DBPEDIA).read_bytes()
    lines = raw.splitlines(keepends=True)
    return b"".join(lines[:40] + [b'{"text": "cut in two\n', b"\n"] + lines[40:120] + [lines[3]] + lines[120:])


@pytest.fixture(scope="module")
def corpus_dir_module() -> Path:
    from tests.conftest import CORPUS_DIR, CORPUS_MISSING

    if not CORPUS_DIR.is_dir():
        pytest.skip(CORPUS_MISSING)
    return CORPUS_DIR


def parquet_of(data: bytes) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    recs = []
    for line in data.splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            continue
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(recs), buf, row_group_size=50)
    return buf.getvalue()


def report(*args: str) -> dict[str, Any]:
    res = cli("check", *args, *FAST)
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def findings(rep: dict[str, Any], *shown: str) -> str:
    """The findings with the file's name as shown replaced: what must be the same for a local and a
    remote copy of one file (codes, messages, rows, indices, lines, snippets; not the fingerprints,
    which are made from the path, as baselines need)."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "fingerprint"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    text = json.dumps(strip(rep["findings"]), sort_keys=True)
    for s in shown:
        text = text.replace(s, "FILE")
    return text


def rows_of(rep: dict[str, Any], code: str) -> list[tuple[int, int | None]]:
    return [(r["index"], r["line"]) for f in rep["findings"] if f["code"] == code for r in f["rows"]]


def error(*args: str) -> str:
    """``ftlint check ARGS``: exit 2 with one line (never a traceback); that line."""
    res = cli("check", *args, "--isolated", "--no-cache")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


# -- S3 -------------------------------------------------------------------------------------------------

def test_an_s3_object_gives_the_findings_of_the_local_file_jsonl_gzipped_and_parquet(aws: str, data: bytes) -> None:
    Path("dbpedia.jsonl").write_bytes(data)
    Path("dbpedia.parquet").write_bytes(parquet_of(data))
    fs = s3()
    fs.pipe(f"{aws}/data/dbpedia.jsonl", data)
    fs.pipe(f"{aws}/data/dbpedia.jsonl.gz", gzip.compress(data))
    fs.pipe(f"{aws}/data/dbpedia.parquet", parquet_of(data))
    local = report("dbpedia.jsonl")
    assert rows_of(local, "FT001") == [(40, 41)] and (121, 123) in rows_of(local, "FT201")
    for name, local_name in (("dbpedia.jsonl", "dbpedia.jsonl"), ("dbpedia.jsonl.gz", "dbpedia.jsonl"),
                             ("dbpedia.parquet", "dbpedia.parquet")):
        url = f"s3://{aws}/data/{name}"
        remote = report(url)
        like = local if local_name == "dbpedia.jsonl" else report(local_name)
        assert remote["findings"] and findings(remote, url) == findings(like, local_name), name
        (info,) = [i for i in remote["inputs"] if i["role"] == "dataset"]
        assert info["path"] == url and info["records"] == like["inputs"][0]["records"]
        assert info["remote"]["cache_key_from"] == "ETag"


def test_an_s3_prefix_and_a_pattern_expand_to_their_dataset_files_with_splits(aws: str, data: bytes) -> None:
    fs = s3()
    lines = data.splitlines(keepends=True)
    fs.pipe(f"{aws}/set/train.jsonl.gz", gzip.compress(b"".join(lines[:30])))
    fs.pipe(f"{aws}/set/val.jsonl", b"".join(lines[150:160]))
    fs.pipe(f"{aws}/set/README.md", b"# not data\n")
    fs.pipe(f"{aws}/set/more/extra.jsonl", b"".join(lines[60:65]))

    def inputs(*args: str) -> set[tuple[str, str]]:
        rep = report(*args, "--select", "FT101")
        return {(i["path"], i["split"]) for i in rep["inputs"] if i["role"] == "dataset"}

    both = {(f"s3://{aws}/set/train.jsonl.gz", "train"), (f"s3://{aws}/set/val.jsonl", "validation")}
    assert inputs(f"s3://{aws}/set") == both  # a prefix, its trailing / left out
    assert inputs(f"s3://{aws}/set/", "--recursive") == both | {(f"s3://{aws}/set/more/extra.jsonl", "train")}
    assert inputs(f"s3://{aws}/set/*.gz", "--validation", f"s3://{aws}/set/**/extra.jsonl") == {
        (f"s3://{aws}/set/train.jsonl.gz", "train"), (f"s3://{aws}/set/more/extra.jsonl", "validation")}


def test_s3_errors_are_one_located_line_and_exit_2(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s3().pipe(f"{aws}/notes/readme.txt", b"hello\n")
    assert error(f"s3://{aws}/missing.jsonl") == (
        f"ftlint: error: s3://{aws}/missing.jsonl: no such object (nothing at this URL)")
    assert error("s3://no-such-bucket-ftlint/train.jsonl") == \
        "ftlint: error: s3://no-such-bucket-ftlint/train.jsonl: no such bucket: no-such-bucket-ftlint"
    assert "no dataset files under this prefix" in error(f"s3://{aws}/notes/")
    assert "no dataset files match this pattern" in error(f"s3://{aws}/notes/*.jsonl")
    assert "not a dataset file" in error(f"s3://{aws}/notes/readme.txt")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    line = error(f"s3://{aws}/missing.jsonl")
    assert line == (f"ftlint: error: s3://{aws}/missing.jsonl: no credentials for S3 were found: set "
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or ~/.aws/credentials")


def test_without_the_remote_extra_a_url_says_what_to_install(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import fsspec  # noqa: F401

    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if s3fs were not installed
    monkeypatch.delitem(sys.modules["fsspec.registry"]._registry, "s3", raising=False)  # (nor imported before)
    assert error(f"s3://{aws}/train.jsonl") == (
        f"ftlint: error: s3://{aws}/train.jsonl: reading s3:// URLs needs ftlint's remote extra (fsspec and "
        "s3fs): pip install 'ftlint[remote]'")
    monkeypatch.setitem(sys.modules, "fsspec.core", None)  # no fsspec at all
    assert "pip install 'ftlint[remote]'" in error("gs://bucket/train.jsonl")


def test_settings_and_training_configs_name_s3_files(aws: str, data: bytes) -> None:
    fs = s3()
    lines = data.splitlines(keepends=True)
    fs.pipe(f"{aws}/d/train.jsonl", b"".join(lines[:50]))
    fs.pipe(f"{aws}/d/eval.jsonl", b"".join(lines[150:160]))
    Path("ftlint.toml").write_text(f'[dataset]\ntrain = ["s3://{aws}/d/train.jsonl"]\n'
                                   f'validation = ["s3://{aws}/d/eval.jsonl"]\n', encoding="utf-8")
    res = cli("check", "--no-cache", "--output-format", "json", "--select", "FT1")
    assert res.exit_code in (0, 1), res.output
    got = {(i["path"], i["split"]) for i in json.loads(res.stdout)["inputs"] if i["role"] == "dataset"}
    assert got == {(f"s3://{aws}/d/train.jsonl", "train"), (f"s3://{aws}/d/eval.jsonl", "validation")}
    Path("ftlint.toml").write_text(f'[dataset]\ntrain = ["s3://{aws}/d/trian.jsonl"]\n', encoding="utf-8")
    res = cli("check", "--no-cache")
    assert res.exit_code == 2 and res.stderr.strip() == (
        f"ftlint: error: ftlint.toml:2: [dataset] train: s3://{aws}/d/trian.jsonl: no such object (nothing at "
        "this URL)")
    Path("ftlint.toml").unlink()

    # Axolotl reads `path: s3://...` with fsspec; torchtune passes data_files to load_dataset
    Path("train.yaml").write_text(f"base_model: meta-llama/Llama-3.2-1B\ndatasets:\n  - path: s3://{aws}/d/train.jsonl\n"
                                  "    type: completion\nnum_epochs: 1\n", encoding="utf-8")
    res = cli("check", "--config", "train.yaml", *FAST[:-1], "FT101")
    assert res.exit_code in (0, 1), res.output
    (info,) = [i for i in json.loads(res.stdout)["inputs"] if i["role"] == "dataset"]
    assert info["path"] == f"s3://{aws}/d/train.jsonl" and info["records"] == 49
    assert info["split_source"].startswith("training config train.yaml:3 datasets[0].path")
    Path("tt.yaml").write_text("model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\ndataset:\n"
                               "  _component_: torchtune.datasets.text_completion_dataset\n  source: json\n"
                               f"  data_files: s3://{aws}/d/trian.jsonl\n  column: text\nepochs: 1\n",
                               encoding="utf-8")
    assert error("--config", "tt.yaml") == (
        f"ftlint: error: tt.yaml:6: dataset.data_files: s3://{aws}/d/trian.jsonl: no such object (nothing at "
        "this URL); fix the path in the training config, or pass the data on the command line (it replaces "
        "the config's)")


def test_reference_and_contamination_files_may_be_remote(aws: str, data: bytes) -> None:
    fs = s3()
    lines = data.splitlines(keepends=True)
    Path("train.jsonl").write_bytes(b"".join(lines[:100]))
    fs.pipe(f"{aws}/bench.jsonl", b"".join(lines[90:110]))
    res = cli("check", "train.jsonl", "--contamination", f"s3://{aws}/bench.jsonl", "--select", "FT204",
              "--isolated", "--no-cache", "--output-format", "json")
    assert res.exit_code == 1, res.output
    rep = json.loads(res.stdout)
    assert {(i["role"], i["path"]) for i in rep["inputs"]} >= {("contamination", f"s3://{aws}/bench.jsonl")}
    assert [f["code"] for f in rep["findings"]] == ["FT204"]


def test_outputs_never_go_to_a_remote_input(aws: str, data: bytes) -> None:
    url = f"s3://{aws}/out/train.jsonl"
    s3().pipe(url, data)
    line = error(url, "-o", url)
    assert line.startswith(f"ftlint: error: {url}: refusing to write the report (-o) here: it is the train "
                           "dataset being checked")
    assert s3().cat(url) == data
    assert not Path("s3:").exists()


def test_fix_and_sample_read_a_remote_file_and_write_local_files(aws: str, data: bytes) -> None:
    url = f"s3://{aws}/fixme/train.jsonl"
    s3().pipe(url, data)
    res = cli("fix", url, "--no-cache", "--isolated", "--output-dir", "fixed")
    assert res.exit_code in (0, 1), res.output
    out = Path("fixed") / aws / "fixme" / "train.jsonl"
    assert out.is_file() and b"cut in two" not in out.read_bytes()
    res = cli("sample", url, "--n", "5", "--isolated", "-o", "sample")
    assert res.exit_code == 0, res.output
    assert len(Path("sample/sample.jsonl").read_text(encoding="utf-8").splitlines()) == 5
    assert s3().cat(url) == data


# -- http(s) ------------------------------------------------------------------------------------------

def test_an_http_jsonl_and_parquet_file_give_the_findings_of_the_local_files(site: Any, data: bytes) -> None:
    base, files = site
    files.files["/d/dbpedia.jsonl"] = data
    files.files["/d/dbpedia.parquet"] = parquet_of(data)
    files.files["/norange/dbpedia.jsonl"] = data
    Path("dbpedia.jsonl").write_bytes(data)
    Path("dbpedia.parquet").write_bytes(files.files["/d/dbpedia.parquet"])
    for local_name, path in (("dbpedia.jsonl", "/d/dbpedia.jsonl"), ("dbpedia.parquet", "/d/dbpedia.parquet"),
                             ("dbpedia.jsonl", "/norange/dbpedia.jsonl")):
        local = report(local_name)
        remote = report(base + path)
        assert remote["findings"] and findings(remote, base + path) == findings(local, local_name), path
    assert (121, 123) in rows_of(report(base + "/d/dbpedia.jsonl"), "FT201")
    assert rows_of(report(base + "/d/dbpedia.parquet"), "FT201")[-1] == (120, None)


def test_a_cached_remote_file_is_not_fetched_again(site: Any, data: bytes) -> None:
    base, files = site
    files.files["/c/train.jsonl"] = data
    files.gets.clear()
    for _ in range(2):
        res = cli("check", base + "/c/train.jsonl", "--isolated", "--select", "FT201", "--cache-dir", "cache")
        assert res.exit_code == 0 and "FT201" in res.output, res.output
    assert files.gets["/c/train.jsonl"] == 2  # the first run's sniff and read; the second: ETag, cache hit


def test_credentials_in_a_url_never_appear_in_the_output(site: Any, data: bytes) -> None:
    base, files = site
    files.files["/signed/train.jsonl"] = data
    host = base.removeprefix("http://")
    signed = f"{base}/signed/train.jsonl?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature={SECRET}"
    for fmt in ("full", "json", "sarif", "github"):
        res = cli("check", signed, "--isolated", "--no-cache", "--output-format", fmt, "--select", "FT0,FT2")
        assert res.exit_code == 1, res.output
        assert SECRET not in res.output and "X-Amz" not in res.output and "AKIAEXAMPLE" not in res.output
        assert f"{base}/signed/train.jsonl" in res.output
    assert error(signed.replace(SECRET, SECRET + "x")) == (
        f"ftlint: error: {base}/signed/train.jsonl: access denied (HTTP 403): check the credentials (use a "
        "signed URL, or a file the server serves without credentials)")
    with_password = f"http://user:{PASSWORD}@{host}/nothing/train.jsonl?token={SECRET}"
    line = error(with_password)
    assert line == f"ftlint: error: {base}/nothing/train.jsonl: no such file on the server (HTTP 404)"
    for name, body in (("train.jsonl", data), ("train.jsonl.gz", gzip.compress(data))):
        files.files[f"/cut/{name}"] = body
        assert error(f"{base}/cut/{name}").startswith(
            f"ftlint: error: {base}/cut/{name}: reading stopped: the transfer broke off before the end of the "
            "file"), name
    assert error(f"http://user:{PASSWORD}@127.0.0.1:1/x.jsonl?sig={SECRET}").startswith(
        "ftlint: error: http://127.0.0.1:1/x.jsonl: cannot reach HTTP (Cannot connect to host 127.0.0.1:1")
    files.files["/norange/train.parquet"] = parquet_of(data)  # Parquet needs ranged reads
    assert error(f"{base}/norange/train.parquet?sig={SECRET}") == (
        f"ftlint: error: {base}/norange/train.parquet: cannot read file: the server does not answer range "
        "requests, which reading a Parquet or Arrow file needs: download the file, or convert it to JSONL (read as "
        "one stream)")
    line = error(signed, "-o", f"http://user:{PASSWORD}@{host}/signed/train.jsonl?sig={SECRET}")
    assert "refusing to write the report (-o) here" in line
    assert SECRET not in line and PASSWORD not in line


# -- units ----------------------------------------------------------------------------------------------

def test_urls_are_recognised_and_shown_without_credentials() -> None:
    assert parse("s3:/bucket/key.jsonl") == "s3://bucket/key.jsonl"  # as pathlib.Path folds it
    assert parse(Path("https://host/a.jsonl")) == "https://host/a.jsonl"
    assert not is_remote("data/train.jsonl") and not is_remote("hf://datasets/org/name")
    assert is_remote("abfs://container/x.parquet") and is_remote("gs://b/x.jsonl")
    assert redact(f"https://u:{PASSWORD}@h:8/x.jsonl?X-Amz-Signature={SECRET}#f") == "https://h:8/x.jsonl"
    assert redact("s3://b/train-?.jsonl") == "s3://b/train-?.jsonl"  # a pattern, not a query
    assert redact(f"s3://b/x.jsonl?versionId={SECRET}") == "s3://b/x.jsonl"
    message = f"403, message='Forbidden', url='https://h/x.jsonl?X-Amz-Signature={SECRET}' (https://a:{PASSWORD}@h/)"
    cleaned = scrub(message)
    assert SECRET not in cleaned and PASSWORD not in cleaned and "https://h/x.jsonl" in cleaned
    url = f"https://u:{PASSWORD}@h/x.jsonl?sig={SECRET}"
    assert SECRET not in describe(FileNotFoundError(url), "https", url)
    assert PASSWORD not in describe(OSError(f"cannot connect {url.replace('https://', '')}"), "https", url)


def test_the_config_entries_whose_trainer_reads_urls_name_remote_files() -> None:
    from ftlint.sources import remote_names
    from ftlint.training.plan import DatasetKind, DatasetRef

    def ref(name: str, kind: DatasetKind = DatasetKind.LOCAL, **kw: Any) -> DatasetRef:
        return DatasetRef(name, "train", kind, **kw)

    assert remote_names(ref("s3://b/train.jsonl")) == ["s3://b/train.jsonl"]  # Axolotl path:, a mixture path
    # load_dataset("json", data_files=[...]) and torchtune source: json (the reference is its first file)
    assert remote_names(ref("json", DatasetKind.HUB, hub_id="json", data_files=("gs://b/a.jsonl", "gs://b/c.jsonl"))) \
        == ["gs://b/a.jsonl", "gs://b/c.jsonl"]
    assert remote_names(ref("az://c/a.jsonl", data_files=("az://c/a.jsonl", "az://c/b.jsonl"))) == \
        ["az://c/a.jsonl", "az://c/b.jsonl"]
    # LLaMA-Factory dataset_info.json: "cloud_file_name": "s3://..."
    assert remote_names(ref("mine", DatasetKind.UNKNOWN, entry={"cloud_file_name": "s3://b/mine.json"})) == \
        ["s3://b/mine.json"]
    assert remote_names(ref("org/name", DatasetKind.HUB, hub_id="org/name")) == []
    assert remote_names(ref("data/train.jsonl")) == []


# -- https, with a certificate made for the test ------------------------------------------------------

def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A key and a self-signed certificate for 127.0.0.1 (its own CA), as PEM files in ``folder``."""
    import datetime
    import ipaddress

    x509 = pytest.importorskip("cryptography.x509", reason="the cryptography package is not installed")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def test_an_https_file_gives_the_findings_of_the_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             data: bytes) -> None:
    """https:// through fsspec's HTTP client against a TLS server the test starts on 127.0.0.1, its
    certificate trusted as a CA would be (added to the client's verifying SSL context)."""
    import ssl

    aiohttp_connector = pytest.importorskip("aiohttp.connector", reason="fsspec's HTTP client is not installed")
    key_file, cert_file = _self_signed(tmp_path)
    handler = type("Files", (_Files,), {"files": {"/d/dbpedia.jsonl": data}, "gets": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        trusting = ssl.create_default_context(cafile=str(cert_file))
        monkeypatch.setattr(aiohttp_connector, "_SSL_CONTEXT_VERIFIED", trusting)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        monkeypatch.chdir(tmp_path)
        Path("dbpedia.jsonl").write_bytes(data)
        url = f"https://127.0.0.1:{server.server_address[1]}/d/dbpedia.jsonl"
        remote, local = report(url), report("dbpedia.jsonl")
        assert remote["findings"] and findings(remote, url) == findings(local, "dbpedia.jsonl")
        # an untrusted certificate is a located one-line error (exit 2), never a pass
        monkeypatch.setattr(aiohttp_connector, "_SSL_CONTEXT_VERIFIED", ssl.create_default_context())
        res = cli("check", url.replace("/d/", "/e/"), "--isolated", "--no-cache")
        assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
    finally:
        server.shutdown()
        server.server_close()
