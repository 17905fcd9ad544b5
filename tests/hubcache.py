"""Hugging Face Hub datasets for the tests (issue 15, part 1): repositories built from corpus files, a
Hugging Face cache written on disk exactly as huggingface_hub lays it out, and a local Hub endpoint
(127.0.0.1) that huggingface_hub's ``snapshot_download`` / ``hf_hub_download`` fetch from.

The cache layout (huggingface_hub's "Understand caching" guide, and its ``file_download`` code):
``datasets--ORG--NAME/blobs/<etag>`` holds each file once (the etag is the git blob SHA-1, or the
SHA-256 of an LFS file), ``snapshots/<commit>/<path>`` is a relative symbolic link to its blob, and
``refs/<revision>`` holds the commit a branch or tag points at (no newline).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

#: files stored through Git LFS on the Hub (their etag is the SHA-256 of the content)
LFS_SUFFIXES = (".parquet", ".arrow")


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def etag_of(path: str, data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() if path.endswith(LFS_SUFFIXES) else git_blob_sha1(data)


def commit_of(files: dict[str, bytes], salt: str = "") -> str:
    h = hashlib.sha1(salt.encode())
    for path in sorted(files):
        h.update(path.encode() + b"\0" + git_blob_sha1(files[path]).encode())
    return h.hexdigest()


def parquet_bytes(records: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), buf)
    return buf.getvalue()


def readme(configs: list[dict[str, Any]]) -> bytes:
    import yaml

    return ("---\n" + yaml.safe_dump({"configs": configs}, sort_keys=False) + "---\n\n# test dataset\n").encode()


@dataclass
class Repo:
    """A dataset repository: its files per revision (``main`` and any tag), each at one commit."""

    repo_id: str
    revisions: dict[str, dict[str, bytes]] = field(default_factory=dict)
    gated: bool = False

    def commit(self, revision: str = "main") -> str:
        return commit_of(self.revisions[revision], f"{self.repo_id}@{revision}")

    def by_commit(self, rev: str) -> tuple[str, dict[str, bytes]] | None:
        for name, files in self.revisions.items():
            c = self.commit(name)
            if rev in (name, c):
                return c, files
        return None


def put_in_cache(root: Path, repo: Repo, revision: str = "main", only: list[str] | None = None) -> Path:
    """Write ``repo`` at ``revision`` into the cache at ``root`` as huggingface_hub does; ``only``:
    just those files (a partial download). Returns the snapshot folder."""
    files = repo.revisions[revision]
    commit = repo.commit(revision)
    storage = root / ("datasets--" + repo.repo_id.replace("/", "--"))
    snapshot = storage / "snapshots" / commit
    for path, data in files.items():
        if only is not None and path not in only:
            continue
        blob = storage / "blobs" / etag_of(path, data)
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        pointer = snapshot / path
        pointer.parent.mkdir(parents=True, exist_ok=True)
        if pointer.is_symlink() or pointer.exists():
            pointer.unlink()
        os.symlink(os.path.relpath(blob, pointer.parent), pointer)
    (storage / "refs").mkdir(parents=True, exist_ok=True)
    if revision != commit:
        ref = storage / "refs" / revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(commit)
    snapshot.mkdir(parents=True, exist_ok=True)
    return snapshot


# -- repositories from corpus files ---------------------------------------------------------------------

def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def smoltalk(corpus: Path) -> Repo:
    """HuggingFaceTB/smoltalk as the smollm2 SFT recipe reads it (config ``all``, train and test): chat
    rows from LLaMA-Factory's alpaca_en_demo.json (as user/assistant messages) and the OpenAI
    cookbook's toy chat file, in sharded Parquet under data/all/."""
    alpaca = _load_json(corpus / "hiyouga__LLaMA-Factory" / "data__alpaca_en_demo.json")[:240]
    chats = [json.loads(line) for line in (corpus / "openai__openai-cookbook" /
                                           "examples__data__toy_chat_fine_tuning.jsonl").read_text().splitlines()]
    rows = [{"messages": [{"role": "user", "content": (r["instruction"] + ("\n\n" + r["input"] if r["input"] else ""))},
                          {"role": "assistant", "content": r["output"]}], "source": "alpaca_en_demo"} for r in alpaca]
    rows += [{"messages": c["messages"], "source": "toy_chat"} for c in chats]
    train, test = rows[:200] + rows[240:], rows[200:240]
    files = {
        "README.md": readme([
            {"config_name": "all", "data_files": [{"split": "train", "path": "data/all/train-*"},
                                                  {"split": "test", "path": "data/all/test-*"}]},
            {"config_name": "smol-rewrite", "data_files": [{"split": "train", "path": "data/smol-rewrite/train-*"}]},
        ]),
        ".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n",
        "data/all/train-00000-of-00002.parquet": parquet_bytes(train[:100]),
        "data/all/train-00001-of-00002.parquet": parquet_bytes(train[100:]),
        "data/all/test-00000-of-00001.parquet": parquet_bytes(test),
        "data/smol-rewrite/train-00000-of-00001.parquet": parquet_bytes(rows[:10]),
    }
    return Repo("HuggingFaceTB/smoltalk", {"main": files})


def ultrafeedback(corpus: Path) -> Repo:
    """HuggingFaceH4/ultrafeedback_binarized (config default; train_prefs, test_prefs, train_sft): the
    preference pairs of LLaMA-Factory's dpo_en_demo.json in its schema (prompt, chosen and rejected
    as message lists, messages, scores)."""
    pairs = _load_json(corpus / "hiyouga__LLaMA-Factory" / "data__dpo_en_demo.json")
    role = {"human": "user", "gpt": "assistant", "system": "system"}
    rows = []
    for i, p in enumerate(pairs):
        turns = [{"role": role.get(t["from"], "user"), "content": t["value"]} for t in p["conversations"]]
        chosen = turns + [{"role": "assistant", "content": p["chosen"]["value"]}]
        rejected = turns + [{"role": "assistant", "content": p["rejected"]["value"]}]
        rows.append({"prompt": turns[-1]["content"],
                     "prompt_id": hashlib.sha256(turns[-1]["content"].encode()).hexdigest(),
                     "chosen": chosen, "rejected": rejected, "messages": chosen,
                     "score_chosen": 8.0, "score_rejected": float(i % 7)})
    files = {
        "README.md": readme([{"config_name": "default", "data_files": [
            {"split": "train_prefs", "path": "data/train_prefs-*"},
            {"split": "test_prefs", "path": "data/test_prefs-*"},
            {"split": "train_sft", "path": "data/train_sft-*"}]}]),
        "data/train_prefs-00000-of-00001.parquet": parquet_bytes(rows[:240]),
        "data/test_prefs-00000-of-00001.parquet": parquet_bytes(rows[240:]),
        "data/train_sft-00000-of-00001.parquet": parquet_bytes([{"prompt": r["prompt"], "messages": r["chosen"]}
                                                                for r in rows[:50]]),
    }
    return Repo("HuggingFaceH4/ultrafeedback_binarized", {"main": files})


def imdb(corpus: Path) -> Repo:
    """stanfordnlp/imdb (config plain_text: train, test, unsupervised; text + label 0/1): the OpenAI
    cookbook's Amazon fine-food reviews, a review's score 4-5 as positive."""
    import csv

    with open(corpus / "openai__openai-cookbook" / "examples__data__fine_food_reviews_1k.csv", encoding="utf-8") as fh:
        reviews = list(csv.DictReader(fh))[:300]
    rows = [{"text": r["Text"], "label": int(int(r["Score"]) >= 4)} for r in reviews]
    files = {
        "README.md": readme([{"config_name": "plain_text", "default": True, "data_files": [
            {"split": "train", "path": "plain_text/train-*"}, {"split": "test", "path": "plain_text/test-*"},
            {"split": "unsupervised", "path": "plain_text/unsupervised-*"}]}]),
        "plain_text/train-00000-of-00001.parquet": parquet_bytes(rows[:200]),
        "plain_text/test-00000-of-00001.parquet": parquet_bytes(rows[200:260]),
        "plain_text/unsupervised-00000-of-00001.parquet": parquet_bytes([{"text": r["text"], "label": -1}
                                                                         for r in rows[260:]]),
    }
    return Repo("stanfordnlp/imdb", {"main": files})


# -- a local Hub endpoint -------------------------------------------------------------------------------

class HubServer:
    """The few Hub API routes huggingface_hub's downloads use, serving :class:`Repo` objects:

    - ``GET /api/datasets/ORG/NAME/revision/REV``: repo info (``sha``, ``siblings``);
    - ``GET /api/datasets/ORG/NAME/tree/REV[/PATH]``: the file listing (one page, no ``Link`` header);
    - ``HEAD``/``GET /datasets/ORG/NAME/resolve/REV/PATH``: a file, with ``X-Repo-Commit``, ``ETag``
      and ``Content-Length``;
    - errors as the Hub sends them: ``X-Error-Code`` ``RepoNotFound`` (401), ``GatedRepo`` (401),
      ``RevisionNotFound`` (404), ``EntryNotFound`` (404).
    """

    def __init__(self, repos: list[Repo]) -> None:
        self.repos = {r.repo_id: r for r in repos}
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                server.handle(self, head=True)

            def do_GET(self) -> None:
                server.handle(self, head=False)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, head: bool,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, head: bool,
               commit: str | None = None) -> None:
        headers = {"X-Error-Code": code, "X-Error-Message": code, "Content-Type": "application/json"}
        if commit:
            headers["X-Repo-Commit"] = commit
        self._send(h, status, json.dumps({"error": code}).encode(), head, headers)

    def handle(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path = urlsplit(h.path).path
        self.requests.append(("HEAD" if head else "GET", path))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        api = parts[:2] == ["api", "datasets"]
        if api:
            parts = parts[2:]
        elif parts[:1] == ["datasets"]:
            parts = parts[1:]
        else:
            return self._error(h, 404, "NotFound", head)
        repo = self.repos.get("/".join(parts[:2]))
        if repo is None:
            return self._error(h, 401, "RepoNotFound", head)
        if repo.gated:
            return self._error(h, 401, "GatedRepo", head)
        action, rest = (parts[2], parts[3:]) if len(parts) > 2 else ("", [])
        # a revision may hold a slash (refs/pr/1): its path segment is quoted
        if not rest:
            return self._error(h, 404, "NotFound", head)
        found = repo.by_commit(rest[0])
        if found is None:
            return self._error(h, 404, "RevisionNotFound", head)
        commit, files = found
        if api and action == "revision":
            info = {"id": repo.repo_id, "sha": commit, "private": False, "gated": False,
                    "siblings": [{"rfilename": f} for f in sorted(files)]}
            return self._send(h, 200, json.dumps(info).encode(), head, {"Content-Type": "application/json"})
        if api and action == "tree":
            prefix = "/".join(rest[1:])
            entries = []
            for f in sorted(files):
                if prefix and not f.startswith(prefix + "/"):
                    continue
                data = files[f]
                entry: dict[str, Any] = {"type": "file", "path": f, "size": len(data), "oid": git_blob_sha1(data)}
                if f.endswith(LFS_SUFFIXES):
                    entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                entries.append(entry)
            return self._send(h, 200, json.dumps(entries).encode(), head, {"Content-Type": "application/json"})
        if not api and action == "resolve":
            name = "/".join(rest[1:])
            if name not in files:
                return self._error(h, 404, "EntryNotFound", head, commit)
            data = files[name]
            etag = etag_of(name, data)
            headers = {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"}
            if name.endswith(LFS_SUFFIXES):
                headers["X-Linked-Etag"] = f'"{etag}"'
                headers["X-Linked-Size"] = str(len(data))
            return self._send(h, 200, data, head, headers)
        return self._error(h, 404, "NotFound", head)

    def fetched(self) -> list[str]:
        """The repository files downloaded (GET of a resolve URL)."""
        return [p.split("/resolve/", 1)[1].split("/", 1)[1] for m, p in self.requests
                if m == "GET" and "/resolve/" in p]


@contextmanager
def hub_server(repos: list[Repo]) -> Iterator[HubServer]:
    server = HubServer(repos)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)
