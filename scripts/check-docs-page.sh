#!/usr/bin/env bash
# Load /docs in headless Chromium as a reader's browser would, and check what it rendered:
# login's `password` field with its rule and the example `ada@example.com` are on the page,
# the page holds no script, and it asked for nothing but itself (no CDN, nothing its CSP
# had to block). Chromium's own background traffic is sent nowhere (every host but
# 127.0.0.1 resolves to nothing), so the check needs no network.
# Usage: scripts/check-docs-page.sh [path/to/gatehouse]   (needs chromium and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-target/debug/gatehouse}")"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "check-docs-page: chromium is not installed (apt-get install -y chromium)"; exit 1
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# A fresh SQLite data directory of its own: the page does not depend on the database.
(cd "$work" && exec env -u GATEHOUSE_TEST_POSTGRES_URL -u GATEHOUSE_DATABASE_URL \
   GATEHOUSE_DATA_DIR="$work/data" GATEHOUSE_LISTEN="127.0.0.1:$port" \
   "$bin" serve >"$work/server.log" 2>&1) &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
if ! curl -sf "127.0.0.1:$port/readyz" >/dev/null; then
  echo "check-docs-page: gatehouse did not start:"; cat "$work/server.log"; exit 1
fi

url="http://127.0.0.1:$port/docs"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
  --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
  --log-net-log="$work/net.json" --enable-logging=stderr --v=0 \
  --dump-dom "$url" >"$work/dom.html" 2>"$work/chromium.log" || {
  echo "check-docs-page: chromium failed:"; tail -20 "$work/chromium.log"; exit 1
}

python3 - "$work" "$port" <<'PY'
"""Check the DOM Chromium rendered, its net log and its console."""
import json
import sys
from html.parser import HTMLParser

work, port = sys.argv[1], sys.argv[2]
origin = f"http://127.0.0.1:{port}"
failures = []


class Page(HTMLParser):
    """Table rows and <pre> blocks by the id of the section holding them; every element."""

    def __init__(self):
        super().__init__()
        self.sections, self.rows, self.pres, self.elements = [], {}, {}, []
        self.row = self.cell = self.pre = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "section":
            self.sections.append(attrs.get("id", ""))
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "pre":
            self.pre = ""

    def handle_endtag(self, tag):
        here = self.sections[-1] if self.sections else ""
        if tag == "section" and self.sections:
            self.sections.pop()
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.setdefault(here, []).append(self.row)
            self.row = None
        elif tag == "pre" and self.pre is not None:
            self.pres.setdefault(here, []).append(self.pre)
            self.pre = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.pre is not None:
            self.pre += data


with open(f"{work}/dom.html", encoding="utf-8") as f:
    dom = f.read()
page = Page()
page.feed(dom)

# A known request field with its rule, and a known example, in login's section.
login_rows = page.rows.get("login", [])
password = [r for r in login_rows if r and r[0] == "password"]
if not password or not any("1 to 4096 characters" in cell for cell in password[0]):
    failures.append(f"login's password row with its rule '1 to 4096 characters' not rendered: {password}")
if not any('"login": "ada@example.com"' in pre for pre in page.pres.get("login", [])):
    failures.append("login's example request with ada@example.com not rendered")
if len([1 for tag, attrs in page.elements if tag == "section" and attrs.get("class") == "op"]) < 18:
    failures.append("fewer than 18 operations rendered")

# Nothing that runs or loads: no script, no element that fetches, links stay here.
for tag, attrs in page.elements:
    if tag in ("script", "iframe", "img", "link", "object", "embed", "video", "audio", "source"):
        failures.append(f"<{tag}> in the page: {attrs}")
    for name in ("src", "srcset", "data", "poster"):
        if name in attrs:
            failures.append(f"{name}= on <{tag}>: {attrs}")
    href = attrs.get("href")
    if href is not None and not (href.startswith("#") or (href.startswith("/") and not href.startswith("//"))):
        failures.append(f"link off the server: {href}")

# Every request the page made (its own, or one it started) went to the server itself.
with open(f"{work}/net.json", encoding="utf-8") as f:
    text = f.read()
try:
    log = json.loads(text)
except json.JSONDecodeError:  # a log cut short still ends with whole events
    log = json.loads(text.rstrip().rstrip(",") + "]}")
start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
requested = []
for event in log["events"]:
    params = event.get("params", {})
    if event["type"] != start_job or "url" not in params:
        continue
    ours = params.get("initiator") == origin or str(params.get("network_isolation_key", "")).startswith("http://127.0.0.1 ")
    if ours:
        requested.append(params["url"])
if f"{origin}/docs" not in requested:
    failures.append(f"the net log holds no request for {origin}/docs: {requested}")
for url in requested:
    if not url.startswith(origin + "/"):
        failures.append(f"the page requested {url}")

# Anything the page's CSP blocked is logged on the console.
with open(f"{work}/chromium.log", encoding="utf-8", errors="replace") as f:
    console = [line.strip() for line in f if ":CONSOLE" in line]
failures.extend(f"console: {line}" for line in console)

if failures:
    print("check-docs-page: /docs as Chromium rendered it:")
    for failure in failures:
        print("  " + failure)
    sys.exit(1)
print(f"/docs renders in Chromium: login's password rule and example shown, "
      f"{len(requested)} request(s), all to the server itself")
PY
