# Schemathesis hooks for test/fuzz/schemathesis.sh (SCHEMATHESIS_HOOKS=schemathesis_hooks):
# every generated webhook and Jenkins callback body is signed the way its sender signs it, so
# the fuzzed payloads pass verification and reach the normalizers and the store, instead of
# stopping at 401. The body is serialized here and sent as these exact bytes.
# https://schemathesis.readthedocs.io/en/stable/reference/hooks/
import hashlib
import hmac
import json
import os
import random
import urllib.parse
import uuid

import schemathesis
from schemathesis.core import NotSet

SECRETS = {
    "/hooks/github": os.environ["FUZZ_GITHUB_SECRET"],
    "/hooks/bitbucket": os.environ["FUZZ_BITBUCKET_SECRET"],
    "/api/jenkins/callback": os.environ["FUZZ_CALLBACK_SECRET"],
    "/api/jenkins/metrics": os.environ["FUZZ_CALLBACK_SECRET"],
    "/api/jenkins/signoff": os.environ["FUZZ_CALLBACK_SECRET"],
    "/api/jenkins/parity": os.environ["FUZZ_CALLBACK_SECRET"],
    "/api/jenkins/parity/plan": os.environ["FUZZ_CALLBACK_SECRET"],
}
GITLAB_TOKEN = os.environ["FUZZ_GITLAB_TOKEN"]


def _hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _fill(target, values):
    """Adds what is missing; a generated value (of any type) is kept, so the fuzz stays in it."""
    for key, value in values.items():
        if key not in target:
            target[key] = value
        elif isinstance(value, dict) and isinstance(target[key], dict):
            _fill(target[key], value)


# Minimal events of each kind a host sends; the generated body is completed into one of them
# three times in four, so pushes and pull requests reach the normalizers, intake and the store.
def _events(rng):
    hexid = lambda: "%040x" % rng.getrandbits(160)
    branch = rng.choice(["main", "feature/x", "release/1.0", "a" * 300, "refs/heads/nested", "ünï", "--upload-pack=x", "$(id)"])
    repo = rng.choice(["acme/model", "risk-team/model", "a/b/c", "x" * 200])
    return {
        "/hooks/github": [
            ("push", {"ref": "refs/heads/" + branch, "before": hexid(), "after": hexid(), "repository": {"full_name": repo}}),
            ("pull_request", {"action": rng.choice(["opened", "synchronize", "reopened", "closed"]), "number": rng.randint(-5, 10**6),
                              "pull_request": {"head": {"ref": branch}, "base": {"ref": "main"}}, "repository": {"full_name": repo}}),
        ],
        "/hooks/gitlab": [
            ("Push Hook", {"object_kind": "push", "ref": "refs/heads/" + branch, "before": hexid(), "after": hexid(), "project": {"path_with_namespace": repo}}),
            ("Tag Push Hook", {"object_kind": "tag_push", "ref": "refs/tags/" + branch, "before": "0" * 40, "after": hexid(), "project": {"path_with_namespace": repo}}),
            ("Merge Request Hook", {"object_kind": "merge_request", "project": {"path_with_namespace": repo},
                                    "object_attributes": {"action": rng.choice(["open", "update", "merge", "close", "reopen"]), "iid": rng.randint(0, 10**6),
                                                          "source_branch": branch, "target_branch": "main"}}),
        ],
        "/hooks/bitbucket": [
            ("repo:push", {"repository": {"full_name": repo}, "push": {"changes": [{"new": {"name": branch, "type": "branch", "target": {"hash": hexid()}}, "old": None}]}}),
            ("pullrequest:created", {"repository": {"full_name": repo}, "pullrequest": {"id": rng.randint(0, 10**6), "source": {"branch": {"name": branch}}, "destination": {"branch": {"name": "main"}}}}),
            ("repo:refs_changed", {"repository": {"slug": "model", "project": {"key": "RISK"}}, "changes": [{"refId": "refs/heads/" + branch, "fromHash": hexid(), "toHash": hexid(), "type": "UPDATE"}]}),
            ("pr:opened", {"pullRequest": {"id": rng.randint(0, 10**6), "fromRef": {"displayId": branch}, "toRef": {"displayId": "main", "repository": {"slug": "model", "project": {"key": "RISK"}}}}}),
        ],
    }


@schemathesis.hook
def map_body(ctx, body):
    path = ctx.operation.path if ctx.operation is not None else ""
    if not path.startswith("/hooks/") or not isinstance(body, dict):
        return body
    rng = random.Random(json.dumps(body, sort_keys=True, default=str))
    if rng.random() < 0.25:
        return body
    event, fields = rng.choice(_events(rng)[path])
    _fill(body, fields)
    body["x-fuzz-event"] = event
    return body


def _name_event(path, body, headers):
    if path == "/hooks/github":
        headers["x-github-event"] = "pull_request" if "pull_request" in body else "ping" if "zen" in body else "push"
    elif path == "/hooks/gitlab":
        kind = body.get("object_kind")
        if kind == "tag_push":
            headers["x-gitlab-event"] = "Tag Push Hook"
        elif kind == "merge_request" or "object_attributes" in body:
            headers["x-gitlab-event"] = "Merge Request Hook"
        else:
            headers["x-gitlab-event"] = "Push Hook"
    elif path == "/hooks/bitbucket":
        if "pullrequest" in body:
            headers["x-event-key"] = "pullrequest:created"
        elif "pullRequest" in body:
            headers["x-event-key"] = "pr:opened"
        elif "changes" in body:
            headers["x-event-key"] = "repo:refs_changed"
        else:
            headers["x-event-key"] = "repo:push"


@schemathesis.hook
def before_call(ctx, case, kwargs):
    path = case.operation.path
    if case.operation.method.upper() != "POST" or not (path.startswith("/hooks/") or path.startswith("/api/jenkins/")):
        return
    body = case.body if not isinstance(case.body, NotSet) else None
    if body is None:
        raw = b""
    elif isinstance(body, (bytes, bytearray)):
        raw = bytes(body)  # negative testing's raw bodies are sent as they are
    else:
        # Lone surrogates pass as the invalid UTF-8 they make: bytes a real sender could sign too.
        text = json.dumps(body, ensure_ascii=False, default=lambda o: o.decode("latin-1") if isinstance(o, bytes) else str(o))
        raw = text.encode("utf-8", "surrogatepass")
    if path == "/hooks/github" and (case.media_type or "").startswith("application/x-www-form-urlencoded"):
        raw = b"payload=" + urllib.parse.quote_from_bytes(raw).encode()
    headers = case.headers if case.headers is not None else {}
    # Most of the time the event header follows the body's shape, as a host's does, so the
    # normalizers' push and pull-request paths run, not only "not acted on".
    if isinstance(body, dict) and isinstance(body.get("x-fuzz-event"), str):
        headers[{"/hooks/github": "x-github-event", "/hooks/gitlab": "x-gitlab-event", "/hooks/bitbucket": "x-event-key"}[path]] = body["x-fuzz-event"]
    elif isinstance(body, dict) and hashlib.sha256(raw).digest()[1] % 4 != 0:
        _name_event(path, body, headers)
    # A fresh identity each time, so deliveries are stored rather than answered as duplicates.
    if path == "/hooks/github":
        headers["x-github-delivery"] = str(uuid.uuid4())
        headers["x-hub-signature-256"] = "sha256=" + _hex(SECRETS[path], raw)
    elif path == "/hooks/bitbucket":
        # Cloud or Server by the headers, half and half (chosen by the body, so a seed replays).
        for name in ("x-request-id", "x-hook-uuid", "x-request-uuid"):
            headers.pop(name, None)
        if hashlib.sha256(raw).digest()[0] & 1:
            headers["x-hook-uuid"] = "{%s}" % uuid.uuid4()
            headers["x-request-uuid"] = str(uuid.uuid4())
        else:
            headers["x-request-id"] = str(uuid.uuid4())
        headers["x-hub-signature"] = "sha256=" + _hex(SECRETS[path], raw)
    elif path == "/hooks/gitlab":
        headers["x-gitlab-token"] = GITLAB_TOKEN
        headers["idempotency-key"] = str(uuid.uuid4())
        for name in ("webhook-signature", "webhook-id", "webhook-timestamp"):
            headers.pop(name, None)
    else:
        headers["x-tamer-signature"] = "sha256=" + _hex(SECRETS[path], raw)
    case.headers = headers
    kwargs["data"] = raw


# This machine (and CI's) has no route to github.com, gitlab.com or bitbucket.org, so the diff of
# a stored push cannot be fetched: Tamer answers 502 TAMER_GIT_FAILED "cannot resolve <host>",
# as it should. Every other 5xx fails the run, as not_a_server_error would.
UNREACHABLE_GIT = ("/diffs/{deliveryId}", "/api/diffs/{deliveryId}")


@schemathesis.check
def no_server_error(ctx, response, case):
    if response.status_code < 500:
        return
    if response.status_code == 502 and case.operation.path in UNREACHABLE_GIT:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        if body.get("code") == "TAMER_GIT_FAILED" and str(body.get("message", "")).startswith("git failed: cannot resolve "):
            return
    raise AssertionError(f"Server error {response.status_code}: {response.content[:300]!r}")
