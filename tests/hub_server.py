"""A small Hugging Face Hub stand-in for tests, on loopback: the endpoints that the real `huggingface_hub` client calls
to create a model repository, commit files to it (as regular base64 blobs; a commit whose parent is not the head is
refused, as the Hub does), read its info, commits and file tree (with each file's last commit), and download its
files. Repositories live in memory; writes need the server's token. Nothing here is part of the package.

    with HubTestServer(token="hf_test") as server:
        env = {"HF_ENDPOINT": server.url, "HF_TOKEN": "hf_test"}   # for a child process
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml


REPO = r"(?P<repo>[^/]+/[^/]+)"
REVISION = r"(?P<revision>[^/]+)"


class Repository:
    def __init__(self, private: bool):
        self.private = private
        self.files: dict[str, bytes] = {}
        self.commits: list[str] = [hashlib.sha1(b"initial").hexdigest()]
        self.messages: list[str] = ["initial commit"]
        self.descriptions: list[str] = [""]
        self.dates: list[str] = [time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())]
        self.last_commit: dict[str, str] = {}  # path -> the last commit that changed the file, as git tracks it

    @property
    def sha(self) -> str:
        return self.commits[-1]


class HubTestServer:
    def __init__(self, token: str = "hf_test_token", user: str = "test-user"):
        self.token, self.user = token, user
        self.repos: dict[str, Repository] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, for assertions
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubTestServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            # ---- plumbing -------------------------------------------------------------------------------------
            def _send(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, str(value))
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":  # a HEAD answer has the headers of the GET answer, no body
                    self.wfile.write(body)

            def _json(self, status: int, value, headers: dict | None = None):
                self._send(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

            def _error(self, status: int, message: str, code: str | None = None):
                self._json(
                    status,
                    {"error": message},
                    {"X-Error-Message": message, **({"X-Error-Code": code} if code else {})},
                )

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorised(self) -> bool:
                return self.headers.get("Authorization") == f"Bearer {server.token}"

            def _repo(self, repo_id: str, write: bool = False) -> Repository | None:
                repo = server.repos.get(repo_id)
                if repo is None or ((write or repo.private) and not self._authorised()):
                    self._error(404 if self._authorised() else 401, f"Repository {repo_id} not found", "RepoNotFound")
                    return None
                return repo

            def _route(self, method: str):
                url = urlsplit(self.path)
                path, query = unquote(url.path), parse_qs(url.query)
                server.requests.append((method, path))
                routes = [
                    ("POST", r"/api/repos/create", self.create_repo),
                    ("POST", r"/api/validate-yaml", self.validate_yaml),
                    ("GET", r"/api/whoami-v2", self.whoami),
                    ("POST", rf"/api/models/{REPO}/preupload/{REVISION}", self.preupload),
                    ("POST", rf"/api/models/{REPO}/commit/{REVISION}", self.commit),
                    ("GET", rf"/api/models/{REPO}/tree/{REVISION}(?:/(?P<folder>.*))?", self.tree),
                    ("GET", rf"/api/models/{REPO}/commits/{REVISION}", self.list_commits),
                    ("GET", rf"/api/models/{REPO}/revision/{REVISION}", self.info),
                    ("GET", rf"/api/models/{REPO}", self.info),
                    ("GET", rf"/{REPO}/resolve/{REVISION}/(?P<file>.+)", self.resolve),
                    ("HEAD", rf"/{REPO}/resolve/{REVISION}/(?P<file>.+)", self.resolve),
                ]
                for route_method, pattern, action in routes:
                    match = re.fullmatch(pattern, path)
                    if match and route_method == method:
                        with server.lock:
                            return action(query=query, **{k: v for k, v in match.groupdict().items()})
                self._error(404, f"No route for {method} {path}")

            def do_GET(self):
                self._route("GET")

            def do_HEAD(self):
                self._route("HEAD")

            def do_POST(self):
                self._route("POST")

            # ---- endpoints ------------------------------------------------------------------------------------
            def whoami(self, query):
                if not self._authorised():
                    return self._error(401, "Invalid credentials in Authorization header")
                self._json(200, {"type": "user", "name": server.user, "orgs": [], "auth": {"type": "access_token"}})

            def create_repo(self, query):
                payload = json.loads(self._body())
                if not self._authorised():
                    return self._error(401, "Invalid credentials in Authorization header")
                if payload.get("type", "model") not in (None, "model"):
                    return self._error(400, "Only model repositories are supported by this test server")
                repo_id = f"{payload.get('organization') or server.user}/{payload['name']}"
                if repo_id in server.repos:  # as the Hub answers: the error, and the repository's url
                    message = "You already created this model repo"
                    return self._json(
                        409, {"error": message, "url": f"{server.url}/{repo_id}"}, {"X-Error-Message": message}
                    )
                server.repos[repo_id] = Repository(bool(payload.get("private")))
                self._json(200, {"url": f"{server.url}/{repo_id}", "name": repo_id})

            def validate_yaml(self, query):
                content = json.loads(self._body())["content"]
                match = re.match(r"^---\n(.*?)\n---", content, re.DOTALL)
                try:
                    metadata = yaml.safe_load(match.group(1)) if match else {}
                except yaml.YAMLError as error:
                    return self._json(400, {"errors": [{"message": f"Invalid YAML: {error}"}], "warnings": []})
                warnings = [] if metadata else [{"message": "Empty metadata"}]
                self._json(200, {"errors": [], "warnings": warnings})

            def preupload(self, query, repo, revision):
                payload = json.loads(self._body())
                if self._repo(repo, write=True) is None:
                    return
                files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in payload["files"]]
                self._json(200, {"files": files})

            def commit(self, query, repo, revision):
                body = self._body()
                target = self._repo(repo, write=True)
                if target is None:
                    return
                if revision != "main":
                    return self._error(400, "This test server only has the main branch", "RevisionNotFound")
                message, description, changed, deleted = "", "", {}, []
                for line in body.splitlines():
                    item = json.loads(line)
                    if item["key"] == "header":
                        message, description = item["value"]["summary"], item["value"].get("description") or ""
                        parent = item["value"].get("parentCommit")
                        if parent and parent != target.sha:
                            return self._error(412, "A commit has happened since. Please refresh and try again.")
                    elif item["key"] == "file":
                        changed[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                    elif item["key"] == "deletedFile":
                        deleted.append(item["value"]["path"])
                    else:
                        return self._error(400, f"Unsupported commit operation {item['key']!r}")
                sha = hashlib.sha1(f"{target.sha}{message}{time.time()}".encode() + body).hexdigest()
                for path in deleted:
                    target.files.pop(path, None)
                    target.last_commit.pop(path, None)
                for path, content in changed.items():
                    if target.files.get(path) != content:  # an unchanged file keeps its last commit, as in git
                        target.files[path], target.last_commit[path] = content, sha
                target.commits.append(sha)
                target.messages.append(message)
                target.descriptions.append(description)
                target.dates.append(time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))
                self._json(
                    200, {"commitUrl": f"{server.url}/{repo}/commit/{sha}", "commitOid": sha, "pullRequestUrl": None}
                )

            def _commit_info(self, target: Repository, sha: str, full: bool = False) -> dict:
                index = target.commits.index(sha)
                info = {"id": sha, "title": target.messages[index], "date": target.dates[index]}
                if full:
                    info.update(message=target.descriptions[index], authors=[{"user": server.user}])
                return info

            def _resolved(self, repo_id: str, revision: str) -> Repository | None:
                repo = self._repo(repo_id)
                if repo is not None and revision not in ("main", *repo.commits):
                    self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
                    return None
                return repo

            def info(self, query, repo, revision="main"):
                target = self._resolved(repo, revision)
                if target is None:
                    return
                self._json(
                    200,
                    {
                        "id": repo,
                        "modelId": repo,
                        "sha": target.sha,
                        "private": target.private,
                        "siblings": [{"rfilename": name} for name in sorted(target.files)],
                        "tags": [],
                        "downloads": 0,
                        "likes": 0,
                    },
                )

            def tree(self, query, repo, revision, folder=None):
                target = self._resolved(repo, revision)
                if target is None:
                    return
                prefix = f"{folder.strip('/')}/" if folder else ""
                recursive = query.get("recursive", ["False"])[0].lower() == "true"
                entries, folders = [], set()
                for name, content in sorted(target.files.items()):
                    if not name.startswith(prefix):
                        continue
                    rest = name[len(prefix) :]
                    if "/" in rest and not recursive:
                        folders.add(prefix + rest.split("/", 1)[0])
                        continue
                    if recursive:
                        parts = rest.split("/")[:-1]
                        folders.update(prefix + "/".join(parts[: i + 1]) for i in range(len(parts)))
                    entries.append(
                        {
                            "type": "file",
                            "path": name,
                            "size": len(content),
                            "oid": hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest(),
                        }
                    )
                    if query.get("expand", ["false"])[0].lower() == "true":
                        entries[-1]["lastCommit"] = self._commit_info(target, target.last_commit[name])
                entries += [
                    {"type": "directory", "path": name, "oid": hashlib.sha1(name.encode()).hexdigest()}
                    for name in sorted(folders)
                ]
                self._json(200, entries)

            def list_commits(self, query, repo, revision):
                target = self._resolved(repo, revision)
                if target is None:
                    return
                head = len(target.commits) if revision == "main" else target.commits.index(revision) + 1
                self._json(200, [self._commit_info(target, sha, full=True) for sha in reversed(target.commits[:head])])

            def resolve(self, query, repo, revision, file):
                target = self._resolved(repo, revision)
                if target is None:
                    return
                if file not in target.files:
                    return self._error(404, f"Entry not found: {file}", "EntryNotFound")
                content = target.files[file]
                etag = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
                self._send(
                    200,
                    content,
                    {"X-Repo-Commit": target.sha, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"},
                )

        return Handler
