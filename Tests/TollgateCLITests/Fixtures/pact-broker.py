#!/usr/bin/env python3
"""A Pact Broker for tests: the subset of the Pact Broker's HAL API its public documentation
describes (pact-foundation/pact_broker, lib/pact_broker/doc/views), in memory, on 127.0.0.1.

    pact-broker.py PORT [--token T] [--username U --password P] [--hostile html|redirect|huge|bare|flaky] [--redirect-to URL]

Held to the real broker by the official `pact` CLI (pact-python-cli), which the suite runs
against it: publish, environments, deployments, releases, can-i-deploy, pacts for verification
and verification results. GET /__requests lists what was asked (for the tests).
"""
import base64
import hashlib
import json
import sys
import threading
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port = int(sys.argv[1])
arguments = sys.argv[2:]
token = arguments[arguments.index("--token") + 1] if "--token" in arguments else None
basic = None
if "--username" in arguments:
    basic = arguments[arguments.index("--username") + 1] + ":" + arguments[arguments.index("--password") + 1]

# A broker that misbehaves on purpose: an HTML index, a redirect to another host, a 500 MB index,
# an index without relations, or a publish endpoint that fails twice with 503 before it works.
hostile = arguments[arguments.index("--hostile") + 1] if "--hostile" in arguments else None
flaky_failures = [2]
redirect_to = arguments[arguments.index("--redirect-to") + 1] if "--redirect-to" in arguments else "http://127.0.0.2:9"

lock = threading.Lock()
clock = [0]
pacticipants = {}      # name -> {"mainBranch": str|None}
versions = {}          # (pacticipant, number) -> {"branches": [..], "tags": [..], "order": n}
pacts = []             # {"consumer", "provider", "version", "sha", "content", "order"}
verifications = []     # {"provider", "version", "consumer", "sha", "success", "body", "branch", "order", "id"}
environments = {}      # uuid -> {"name", "displayName", "production"}
deployments = []       # {"pacticipant", "version", "environment", "kind": "deployed"|"released", "current": bool}
requests = []


def now():
    return datetime.now(timezone.utc).isoformat()


def tick():
    clock[0] += 1
    return clock[0]


def ensure_version(pacticipant, number, branch=None, tags=()):
    pacticipants.setdefault(pacticipant, {"mainBranch": None})
    record = versions.setdefault((pacticipant, number), {"branches": [], "tags": [], "order": tick(), "created": now()})
    if branch and branch not in record["branches"]:
        record["branches"].append(branch)
        if pacticipants[pacticipant]["mainBranch"] is None and branch in ("main", "master", "develop", "trunk"):
            pacticipants[pacticipant]["mainBranch"] = branch
    for tag in tags:
        if tag not in record["tags"]:
            record["tags"].append(tag)
    return record


def quote(text):
    return urllib.parse.quote(text, safe="")


class Broker(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    @property
    def base(self):
        return f"http://127.0.0.1:{port}"

    def send(self, status, document=None, content_type="application/hal+json"):
        body = b"" if document is None else json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        header = self.headers.get("Authorization", "")
        if token is not None:
            return header == f"Bearer {token}"
        if basic is not None:
            return header == "Basic " + base64.b64encode(basic.encode()).decode()
        return True

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def handle_any(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in parsed.path.strip("/").split("/")] if parsed.path.strip("/") else []
        query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        body = self.body() if method in ("POST", "PUT", "PATCH") else None
        if parts == ["__requests"]:
            with lock:
                return self.send(200, requests, "application/json")
        with lock:
            requests.append({"method": method, "path": parsed.path, "query": query, "body": body,
                             "authorization": self.headers.get("Authorization")})
        if not self.authorized():
            return self.send(401, {"error": "unauthorized"}, "application/json")
        if hostile and self.misbehave(method, parts):
            return
        with lock:
            return self.route(method, parts, query, body)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def misbehave(self, method, parts):
        if hostile == "html" and parts == []:
            page = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return True
        if hostile == "redirect":
            self.send_response(302)
            self.send_header("Location", redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if hostile == "huge" and parts == []:
            size = 500 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "application/hal+json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(500):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return True
        if hostile == "bare" and parts == []:
            self.send(200, {"_links": {"self": {"href": self.base}}})
            return True
        if hostile == "flaky" and method == "POST" and flaky_failures[0] > 0:
            flaky_failures[0] -= 1
            self.send(503, {"error": "try again"}, "application/json")
            return True
        return False

    # ---- routing
    def route(self, method, parts, query, body):
        b = self.base
        if parts == [] and method == "GET":
            return self.send(200, {"_links": {
                "self": {"href": b},
                "pb:publish-contracts": {"href": f"{b}/contracts/publish"},
                "pb:provider-pacts-for-verification": {"href": b + "/pacts/provider/{provider}/for-verification", "templated": True},
                "pb:pacticipants": {"href": f"{b}/pacticipants"},
                "pb:pacticipant": {"href": b + "/pacticipants/{pacticipant}", "templated": True},
                "pb:pacticipant-version": {"href": b + "/pacticipants/{pacticipant}/versions/{version}", "templated": True},
                "pb:pacticipant-branch-version": {"href": b + "/pacticipants/{pacticipant}/branches/{branch}/versions/{version}", "templated": True},
                "pb:environments": {"href": f"{b}/environments"},
                "pb:environment": {"href": b + "/environments/{uuid}", "templated": True},
                "pb:matrix": {"href": f"{b}/matrix"},
                "pb:can-i-deploy-pacticipant-version-to-environment": {
                    "href": b + "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}", "templated": True},
                "pb:latest-provider-pacts": {"href": b + "/pacts/provider/{provider}/latest", "templated": True},
            }})
        if parts == ["contracts", "publish"] and method == "POST":
            return self.publish(body)
        if len(parts) == 4 and parts[0] == "pacts" and parts[1] == "provider" and parts[3] == "for-verification":
            if method == "GET":
                return self.send(200, {"_links": {"self": {"href": f"{b}/pacts/provider/{quote(parts[2])}/for-verification"}}})
            return self.for_verification(parts[2], body)
        if len(parts) == 4 and parts[:2] == ["pacts", "provider"] and parts[3] == "latest" and method == "GET":
            latest = [self.latest([p for p in pacts if p["provider"] == parts[2] and p["consumer"] == c])
                      for c in sorted({p["consumer"] for p in pacts if p["provider"] == parts[2]})]
            return self.send(200, {"_links": {"self": {"href": f"{b}/pacts/provider/{quote(parts[2])}/latest"},
                                              "pb:pacts": [{"href": self.pact_href(p), "title": "Pact", "name": f"Pact between {p['consumer']} ({p['version']}) and {p['provider']}"}
                                                           for p in latest]}})
        if len(parts) >= 7 and parts[:2] == ["pacts", "provider"] and parts[3] == "consumer" and parts[5] == "pact-version":
            if len(parts) >= 9 and parts[-1] == "verification-results" and method == "POST":
                return self.verification(parts[2], parts[4], parts[6], body)
            return self.pact(parts[2], parts[4], parts[6])
        if parts == ["environments"]:
            if method == "POST":
                return self.create_environment(body)
            names = [v for k, v in query if k == "name"]
            found = [self.environment_document(k) for k, e in environments.items() if not names or e["name"] in names]
            return self.send(200, {"_embedded": {"environments": found}, "_links": {"self": {"href": f"{b}/environments"}}})
        if len(parts) == 2 and parts[0] == "environments" and parts[1] in environments:
            return self.send(200, self.environment_document(parts[1]))
        if parts == ["pacticipants"] and method == "GET":
            return self.send(200, {"_embedded": {"pacticipants": [self.pacticipant_document(n) for n in sorted(pacticipants)]}})
        if len(parts) == 2 and parts[0] == "pacticipants":
            if method in ("PUT", "PATCH", "POST"):
                pacticipants.setdefault(parts[1], {"mainBranch": None})
                if body and body.get("mainBranch"):
                    pacticipants[parts[1]]["mainBranch"] = body["mainBranch"]
            if parts[1] not in pacticipants:
                return self.send(404, {"error": f"no pacticipant {parts[1]}"}, "application/json")
            return self.send(200, self.pacticipant_document(parts[1]))
        if parts == ["pacticipants"] and method == "POST":
            pacticipants.setdefault(body["name"], {"mainBranch": body.get("mainBranch")})
            return self.send(201, self.pacticipant_document(body["name"]))
        if len(parts) == 4 and parts[0] == "pacticipants" and parts[2] == "versions":
            if method == "PUT":
                ensure_version(parts[1], parts[3], (body or {}).get("branch"))
            if (parts[1], parts[3]) not in versions:
                return self.send(404, {"error": f"no version {parts[3]} of {parts[1]}"}, "application/json")
            return self.send(200, self.version_document(parts[1], parts[3]))
        if len(parts) == 6 and parts[0] == "pacticipants" and parts[2] == "branches" and parts[4] == "versions" and method == "PUT":
            ensure_version(parts[1], parts[5], parts[3])
            return self.send(200, self.version_document(parts[1], parts[5]))
        if len(parts) == 6 and parts[0] == "pacticipants" and parts[2] == "versions" and parts[4] == "tags" and method == "PUT":
            ensure_version(parts[1], parts[3], tags=[parts[5]])
            return self.send(201, {"name": parts[5]})
        if len(parts) == 7 and parts[0] == "pacticipants" and parts[2] == "versions" and parts[5] == "environment" and method == "POST":
            kind = {"deployed-versions": "deployed", "released-versions": "released"}.get(parts[4])
            if kind is None or parts[6] not in environments or (parts[1], parts[3]) not in versions:
                return self.send(404, {"error": "no such version or environment"}, "application/json")
            instance = (body or {}).get("applicationInstance")
            for d in deployments:
                if d["pacticipant"] == parts[1] and d["environment"] == parts[6] and d["kind"] == kind and kind == "deployed" \
                        and d.get("instance") == instance:
                    d["current"] = False
            deployments.append({"pacticipant": parts[1], "version": parts[3], "environment": parts[6], "kind": kind, "current": True,
                                "instance": instance})
            return self.send(201, {"currentlyDeployed": True, "_embedded": {"version": {"number": parts[3]},
                                                                             "environment": self.environment_document(parts[6])}})
        if parts == ["matrix"] and method == "GET":
            return self.matrix(query)
        if parts == ["can-i-deploy"] and method == "GET":
            q = dict(query)
            return self.matrix([("q[][pacticipant]", q.get("pacticipant", "")), ("q[][version]", q.get("version", "")),
                                ("latestby", "cvp"), ("environment", q.get("environment", ""))])
        return self.send(404, {"error": f"no route for {method} /{'/'.join(parts)}"}, "application/json")

    # ---- documents
    def environment_document(self, key):
        e = environments[key]
        return {"uuid": key, "name": e["name"], "displayName": e["displayName"], "production": e["production"],
                "_links": {"self": {"href": f"{self.base}/environments/{key}"}}}

    def pacticipant_document(self, name):
        here = f"{self.base}/pacticipants/{quote(name)}"
        return {"name": name, "mainBranch": pacticipants[name]["mainBranch"],
                "_links": {"self": {"href": here, "name": name},
                           "pb:version": {"href": here + "/versions/{version}", "templated": True},
                           "pb:version-tag": {"href": here + "/versions/{version}/tags/{tag}", "templated": True},
                           "pb:branch-version": {"href": here + "/branches/{branch}/versions/{version}", "templated": True}}}

    def version_document(self, pacticipant, number):
        record = versions[(pacticipant, number)]
        here = f"{self.base}/pacticipants/{quote(pacticipant)}/versions/{quote(number)}"
        links = {"self": {"href": here, "title": "Version", "name": number},
                 "pb:record-deployment": [{"name": e["name"], "href": f"{here}/deployed-versions/environment/{k}"} for k, e in environments.items()],
                 "pb:record-release": [{"name": e["name"], "href": f"{here}/released-versions/environment/{k}"} for k, e in environments.items()]}
        return {"number": number, "branch": (record["branches"] or [None])[-1],
                "branchVersions": [{"name": br, "latest": True} for br in record["branches"]],
                "tags": [{"name": t} for t in record["tags"]], "createdAt": record["created"], "_links": links}

    def pact_href(self, pact):
        return (f"{self.base}/pacts/provider/{quote(pact['provider'])}/consumer/{quote(pact['consumer'])}"
                f"/pact-version/{pact['sha']}/metadata/{base64.urlsafe_b64encode(pact['version'].encode()).decode()}")

    # ---- resources
    def publish(self, body):
        name, number = body.get("pacticipantName"), body.get("pacticipantVersionNumber")
        if not name or not number or not isinstance(body.get("contracts"), list):
            return self.send(400, {"errors": {"contracts": ["pacticipantName, pacticipantVersionNumber and contracts are required"]}}, "application/json")
        ensure_version(name, number, body.get("branch"), body.get("tags") or [])
        notices = []
        for contract in body["contracts"]:
            content = json.loads(base64.b64decode(contract["content"]))
            canonical = json.dumps(content, sort_keys=True).encode()
            sha = hashlib.sha1(canonical).hexdigest()
            pacticipants.setdefault(contract["providerName"], {"mainBranch": None})
            pacts.append({"consumer": contract["consumerName"], "provider": contract["providerName"], "version": number, "sha": sha,
                          "content": content, "order": tick(), "created": now()})
            notices.append({"type": "success", "text": f"Pact published for {contract['consumerName']} version {number} and provider {contract['providerName']}."})
        here = f"{self.base}/pacticipants/{quote(name)}/versions/{quote(number)}"
        return self.send(200, {"notices": notices, "logs": [{"level": "info", "message": n["text"]} for n in notices],
                               "_embedded": {"pacticipant": self.pacticipant_document(name), "version": self.version_document(name, number)},
                               "_links": {"pb:pacticipant": {"href": f"{self.base}/pacticipants/{quote(name)}", "title": "Pacticipant", "name": name},
                                          "pb:pacticipant-version": {"href": here, "title": "Pacticipant version", "name": number},
                                          "pb:pacticipant-version-tags": [],
                                          "pb:contracts": [{"title": "Pact", "name": f"Pact between {name} ({number}) and {p['provider']}",
                                                            "href": self.pact_href(p)} for p in pacts if p["consumer"] == name and p["version"] == number]}})

    def create_environment(self, body):
        if not body.get("name"):
            return self.send(400, {"errors": {"name": ["is missing"]}}, "application/json")
        if any(e["name"] == body["name"] for e in environments.values()):
            return self.send(409, {"errors": {"name": ["already exists"]}}, "application/json")
        key = str(uuid.uuid4())
        environments[key] = {"name": body["name"], "displayName": body.get("displayName") or body["name"], "production": bool(body.get("production"))}
        return self.send(201, self.environment_document(key))

    def current_versions(self, pacticipant, environment_name=None, kinds=("deployed", "released")):
        keys = {k for k, e in environments.items() if environment_name is None or e["name"] == environment_name}
        return sorted({d["version"] for d in deployments
                       if d["pacticipant"] == pacticipant and d["current"] and d["kind"] in kinds and d["environment"] in keys},
                      key=lambda v: versions[(pacticipant, v)]["order"])

    def latest(self, candidates):
        return max(candidates, key=lambda p: p["order"]) if candidates else None

    def select(self, provider, selector, provider_branch):
        chosen = []
        consumers = sorted({p["consumer"] for p in pacts if p["provider"] == provider})
        for consumer in consumers:
            if selector.get("consumer") and selector["consumer"] != consumer:
                continue
            mine = [p for p in pacts if p["provider"] == provider and p["consumer"] == consumer]

            def on_branch(branch):
                return self.latest([p for p in mine if branch in versions[(consumer, p["version"])]["branches"]])

            if selector.get("mainBranch"):
                main = pacticipants.get(consumer, {}).get("mainBranch")
                found = on_branch(main) if main else None
                if found:
                    chosen.append(found)
            elif selector.get("matchingBranch"):
                found = on_branch(provider_branch) if provider_branch else None
                if not found and selector.get("fallbackBranch"):
                    found = on_branch(selector["fallbackBranch"])
                if found:
                    chosen.append(found)
            elif selector.get("branch"):
                found = on_branch(selector["branch"])
                if not found and selector.get("fallbackBranch"):
                    found = on_branch(selector["fallbackBranch"])
                if found:
                    chosen.append(found)
            elif selector.get("deployed") or selector.get("released") or selector.get("deployedOrReleased") or selector.get("environment"):
                kinds = ("deployed",) if selector.get("deployed") else ("released",) if selector.get("released") else ("deployed", "released")
                for number in self.current_versions(consumer, selector.get("environment"), kinds):
                    found = self.latest([p for p in mine if p["version"] == number])
                    if found:
                        chosen.append(found)
            elif selector.get("tag"):
                tagged = [p for p in mine if selector["tag"] in versions[(consumer, p["version"])]["tags"]]
                if selector.get("latest"):
                    found = self.latest(tagged)
                    chosen += [found] if found else []
                else:
                    chosen += tagged
            elif selector.get("latest"):
                found = self.latest(mine)
                chosen += [found] if found else []
        return chosen

    def verified(self, pact, branch=None):
        return any(v["sha"] == pact["sha"] and v["provider"] == pact["provider"] and v["success"]
                   and (branch is None or v["branch"] == branch) for v in verifications)

    def for_verification(self, provider, body):
        selectors = body.get("consumerVersionSelectors") or [{"latest": True}]
        branch = body.get("providerVersionBranch")
        include_pending = bool(body.get("includePendingStatus"))
        found = {}
        for selector in selectors:
            for pact in self.select(provider, selector, branch):
                entry = found.setdefault(pact["sha"], {"pact": pact, "why": []})
                entry["why"].append(json.dumps(selector, sort_keys=True))
        wip_since = body.get("includeWipPactsSince")
        if wip_since and include_pending:
            for pact in pacts:
                if pact["provider"] != provider or pact["sha"] in found or self.verified(pact, branch):
                    continue
                # The head of each consumer branch published since the date.
                record = versions[(pact["consumer"], pact["version"])]
                if pact["created"] < wip_since or not record["branches"]:
                    continue
                heads = [p for p in pacts if p["consumer"] == pact["consumer"] and p["provider"] == provider
                         and set(versions[(p["consumer"], p["version"])]["branches"]) & set(record["branches"])]
                if self.latest(heads) is pact:
                    found[pact["sha"]] = {"pact": pact, "why": [], "wip": True}
        listed = []
        for sha, entry in found.items():
            pact = entry["pact"]
            pending = include_pending and not self.verified(pact, branch)
            wip = entry.get("wip", False)
            notices = [{"when": "before_verification",
                        "text": f"The pact at {self.pact_href(pact)} is being verified because it matches the following configured selection criterion: "
                                + (", ".join(entry["why"]) if entry["why"] else "a work in progress pact")}]
            if include_pending:
                notices.append({"when": "before_verification",
                                "text": f"This pact is in pending state for this version of {provider} because a successful verification result "
                                        f"for {'branch ' + branch if branch else provider} has not yet been published."
                                if pending else f"This pact is not in pending state because it has been successfully verified by {provider}."})
            properties = {"pending": pending, "notices": notices}
            if wip:
                properties["wip"] = True
            listed.append({"shortDescription": f"{pact['consumer']} version {pact['version']}", "verificationProperties": properties,
                           "_links": {"self": {"href": self.pact_href(pact), "name": f"Pact between {pact['consumer']} and {provider}"}}})
        return self.send(200, {"_embedded": {"pacts": listed},
                               "_links": {"self": {"href": f"{self.base}/pacts/provider/{quote(provider)}/for-verification"}}})

    def pact(self, provider, consumer, sha):
        pact = self.latest([p for p in pacts if p["provider"] == provider and p["consumer"] == consumer and p["sha"] == sha])
        if pact is None:
            return self.send(404, {"error": "no such pact"}, "application/json")
        document = dict(pact["content"])
        document["_links"] = {"self": {"href": self.pact_href(pact)},
                              "pb:provider": {"href": f"{self.base}/pacticipants/{quote(provider)}", "name": provider},
                              "pb:consumer": {"href": f"{self.base}/pacticipants/{quote(consumer)}", "name": consumer},
                              "pb:consumer-version": {"href": f"{self.base}/pacticipants/{quote(consumer)}/versions/{quote(pact['version'])}",
                                                      "name": pact["version"]},
                              "pb:publish-verification-results": {"title": "Publish verification results",
                                                                  "href": self.pact_href(pact) + "/verification-results"}}
        return self.send(200, document)

    def verification(self, provider, consumer, sha, body):
        number = body.get("providerApplicationVersion")
        if not number or not isinstance(body.get("success"), bool):
            return self.send(400, {"errors": {"providerApplicationVersion": ["is required"], "success": ["must be true or false"]}}, "application/json")
        ensure_version(provider, number)
        branches = versions[(provider, number)]["branches"]
        record = {"provider": provider, "version": number, "consumer": consumer, "sha": sha, "success": body["success"], "body": body,
                  "branch": branches[-1] if branches else None, "order": tick(), "id": len(verifications) + 1, "verifiedAt": now()}
        verifications.append(record)
        return self.send(201, {"success": body["success"], "providerApplicationVersion": number,
                               "_links": {"self": {"href": f"{self.base}/verification-results/{record['id']}"}}})

    # ---- the matrix
    def row(self, consumer, consumer_version, provider, provider_version):
        pact = self.latest([p for p in pacts if p["consumer"] == consumer and p["version"] == consumer_version and p["provider"] == provider])
        verification = None
        if pact is not None and provider_version is not None:
            done = [v for v in verifications if v["sha"] == pact["sha"] and v["provider"] == provider and v["version"] == provider_version]
            verification = max(done, key=lambda v: v["order"]) if done else None
        return {"consumer": {"name": consumer, "version": {"number": consumer_version}},
                "provider": {"name": provider, "version": {"number": provider_version} if provider_version else None},
                "pact": {"createdAt": pact["created"]} if pact else None,
                "verificationResult": {"success": verification["success"], "verifiedAt": verification["verifiedAt"]} if verification else None}

    def matrix(self, query):
        named, numbers = [], []
        for key, value in query:
            if key in ("q[][pacticipant]", "q[]pacticipant"):
                named.append(value)
            elif key in ("q[][version]", "q[]version"):
                numbers.append(value)
        options = dict(query)
        environment = options.get("environment") or None
        if not named or len(named) != len(numbers):
            return self.send(400, {"errors": ["give q[][pacticipant] with q[][version]"]}, "application/json")
        chosen = dict(zip(named, numbers))
        rows, missing = [], []
        for pacticipant, number in chosen.items():
            if (pacticipant, number) not in versions:
                missing.append(f"No pacticipant version {number} of {pacticipant} found")
                continue
            providers = sorted({p["provider"] for p in pacts if p["consumer"] == pacticipant and p["version"] == number})
            consumers = sorted({p["consumer"] for p in pacts if p["provider"] == pacticipant})
            for provider in providers:
                if provider in chosen:
                    rows.append(self.row(pacticipant, number, provider, chosen[provider]))
                elif environment is not None:
                    counterparts = self.current_versions(provider, environment)
                    if not counterparts:
                        rows.append(self.row(pacticipant, number, provider, None))
                    for other in counterparts:
                        rows.append(self.row(pacticipant, number, provider, other))
            if environment is not None:
                for consumer in consumers:
                    if consumer in chosen:
                        continue
                    for other in self.current_versions(consumer, environment):
                        if any(p["consumer"] == consumer and p["version"] == other and p["provider"] == pacticipant for p in pacts):
                            rows.append(self.row(consumer, other, pacticipant, number))
        # One row per consumer version, provider version pair.
        unique = {}
        for r in rows:
            key = (r["consumer"]["name"], r["consumer"]["version"]["number"], r["provider"]["name"],
                   (r["provider"]["version"] or {}).get("number"))
            unique[key] = r
        rows = list(unique.values())
        success = sum(1 for r in rows if r["verificationResult"] and r["verificationResult"]["success"])
        failed = sum(1 for r in rows if r["verificationResult"] and not r["verificationResult"]["success"])
        unknown = len(rows) - success - failed + len(missing)
        deployable = failed == 0 and unknown == 0
        if missing:
            reason = "; ".join(missing)
        elif deployable:
            reason = "All required verification results are published and successful"
        elif failed:
            reason = "The verification for one or more pacts failed"
        else:
            reason = "There is no verified pact for one or more integrations"
        return self.send(200, {"summary": {"deployable": deployable,
                                           "reason": reason, "success": success, "failed": failed, "unknown": unknown},
                               "notices": [{"type": "success" if deployable else "error", "text": reason}], "matrix": rows})


ThreadingHTTPServer(("127.0.0.1", port), Broker).serve_forever()
