#!/usr/bin/env python3
"""Instructions per request from the callgrind dumps of benches/profile.sh.

  profile_report.py OUT_DIR N LOGINS [--top K]

For each dump (me, refresh, login, bare) prints the total instructions per request, the
self cost grouped by component (first matching pattern of COMPONENTS wins, so the groups
add up to the total), and the inclusive cost of a few entry points of gatehouse's own
per-request work. Callgrind counts user-space instructions only: system calls (socket
reads and writes, epoll, the log line's write) are in the CPU-time figures instead.

The dumps are parsed directly (callgrind format, uncompressed names) rather than through
callgrind_annotate, which folds the whole tokio blocking pool into one frame for these files.
"""

import re
import sys
from collections import defaultdict

COMPONENTS = [
    ("argon2 (password hash)", r"argon2|blake2"),
    ("tracing / logging", r"tracing|sharded_slab|nu_ansi_term|valuable|thread_local::"),
    ("metrics", r"gatehouse_http::metrics"),
    ("request id / uuid", r"gatehouse_http::middleware::request_id|uuid::|getrandom|rand"),
    ("JWT / Ed25519 / hashing", r"jsonwebtoken|ed25519|curve25519|sha2|hmac|base64|ring|aws_lc|signature|subtle|^(table_select|ge_|fe_|x25519_)"),
    ("sqlx (encode, decode, pool)", r"sqlx|crossbeam|event_listener|hashlink|futures_intrusive"),
    ("JSON (serde)", r"serde_json|serde::|itoa|ryu|<.*as serde::"),
    ("hyper / axum / http", r"hyper|axum|tower|matchit|httparse|http::|httpdate|percent_encoding|form_urlencoded"),
    ("tokio / mio", r"tokio|mio::|parking_lot|futures_util|futures_core"),
    ("chrono / time", r"chrono|clock_gettime|__vdso|time::"),
    ("allocator", r"malloc|free|realloc|calloc|__rdl_|__rust_alloc|__rust_dealloc|__rust_realloc|_int_|alloc::|tcache|arena_"),
    ("memcpy / memset / strings", r"mem(cpy|move|set|cmp|chr)|str(len|cmp)|core::str|alloc::str|fmt::"),
    ("gatehouse (own code)", r"gatehouse"),
]

# Inclusive cost of these functions (name contains the text). Exact for plain functions;
# for a family ("all") an upper bound, since a call that leaves the family and comes back
# is counted twice. Async middleware is not listed: its cost lands in the poll of the
# future, not in the function that built it.
ENTRY_POINTS = [
    ("Metrics::record", "gatehouse_http::metrics::Metrics::record"),
    ("VerifiedTokens::verify", "gatehouse_core::tokens::VerifiedTokens::verify"),
    ("tracing_subscriber (all, upper bound)", "tracing_subscriber::"),
    ("serde_json (all, upper bound)", "serde_json::"),
    ("Argon2id verification (verify_phc)", "gatehouse_core::password::verify_phc"),
]

# Reported as "without Argon2id": the hash is the login's reference, not its overhead.
ARGON2_ENTRY = "gatehouse_core::password::verify_phc"


def parse(path):
    """Self cost per function, and inclusive cost of calls per (caller, callee)."""
    self_cost = defaultdict(int)
    call_cost = defaultdict(int)
    fn = None
    callee = None
    pending_call = False
    total = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("cfn="):
                callee = line[4:].strip()
            elif line.startswith("calls="):
                pending_call = True
            elif line.startswith("summary:"):
                total = int(line.split()[1])
            elif line[:1] in "0123456789+-*" and fn is not None:
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending_call:
                    call_cost[(fn, callee)] += cost
                    pending_call = False
                else:
                    self_cost[fn] += cost
    return total, self_cost, call_cost


def component(name):
    for label, pattern in COMPONENTS:
        if re.search(pattern, name):
            return label
    return "other (libc, std)"


def inclusive(self_cost, call_cost, needle):
    """Cost of every function whose name contains needle, including what it calls, but
    counting calls between two such functions once (recursion, nested frames)."""
    matching = {f for f in set(self_cost) | {c for _, c in call_cost} if needle in f}
    cost = sum(self_cost[f] for f in matching)
    cost += sum(c for (caller, callee), c in call_cost.items()
                if caller in matching and callee not in matching)
    return cost


def report(out_dir, label, requests, top):
    path = f"{out_dir}/{label}.callgrind"
    try:
        total, self_cost, call_cost = parse(path)
    except FileNotFoundError:
        return
    per = lambda c: c / requests
    print(f"## {label}: {per(total):,.0f} instructions per request ({requests} requests)")
    argon2 = inclusive(self_cost, call_cost, ARGON2_ENTRY)
    if argon2:
        print(f"   without Argon2id: {per(total - argon2):,.0f} instructions per request")
    groups = defaultdict(int)
    for name, cost in self_cost.items():
        groups[component(name)] += cost
    for name, cost in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<30} {per(cost):>12,.0f}  {100 * cost / total:5.1f}%")
    print("  inclusive:")
    for name, needle in ENTRY_POINTS:
        cost = inclusive(self_cost, call_cost, needle)
        if cost:
            print(f"  {name:<50} {per(cost):>12,.0f}")
    print(f"  top {top} functions by self cost:")
    for name, cost in sorted(self_cost.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {per(cost):>10,.0f}  {name[:110]}")
    print()


def main(argv):
    out_dir, n, logins = argv[1], int(argv[2]), int(argv[3])
    top = int(argv[5]) if len(argv) > 5 and argv[4] == "--top" else 25
    for label in ("me", "bare", "refresh", "login"):
        report(out_dir, label, logins if label == "login" else n, top)


if __name__ == "__main__":
    main(sys.argv)
