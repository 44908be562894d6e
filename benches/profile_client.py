#!/usr/bin/env python3
"""Sequential keep-alive client for benches/profile.sh.

One HTTP/1.1 connection, one request at a time, so the server's cost per request can be
read from an instruction counter (callgrind) or from its CPU time without a load generator
competing for the same cores. Every non-2xx answer stops the run (no figure is computed
over failing requests).

  profile_client.py URL setup EMAIL PASSWORD         -> prints {"access_token", "refresh_token"}
  profile_client.py URL me N ACCESS_TOKEN
  profile_client.py URL bare N
  profile_client.py URL refresh N REFRESH_TOKEN      -> prints the newest refresh token
  profile_client.py URL login N EMAIL PASSWORD
"""

import http.client
import json
import sys
import urllib.parse


class Conn:
    def __init__(self, base_url):
        parsed = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)

    def request(self, method, path, body=None, token=None, expect=(200,)):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if token is not None:
            headers["authorization"] = "Bearer " + token
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status not in expect:
            sys.exit(f"{method} {path}: HTTP {response.status}: {payload[:200]!r}")
        return payload


def main(argv):
    base, mode, *rest = argv[1:]
    conn = Conn(base)
    if mode == "setup":
        email, password = rest
        conn.request("POST", "/v1/auth/register", {"email": email, "password": password},
                     expect=(202,))
        tokens = json.loads(conn.request("POST", "/v1/auth/login",
                                         {"login": email, "password": password}))
        print(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token")}))
    elif mode == "me":
        n, token = int(rest[0]), rest[1]
        for _ in range(n):
            conn.request("GET", "/v1/me", token=token)
    elif mode == "bare":
        n = int(rest[0])
        for i in range(n):
            conn.request("GET", f"/users/{i % 10000 + 1}")
    elif mode == "refresh":
        n, token = int(rest[0]), rest[1]
        for _ in range(n):
            answer = conn.request("POST", "/v1/auth/refresh", {"refresh_token": token})
            token = json.loads(answer)["refresh_token"]
        print(token)
    elif mode == "login":
        n, email, password = int(rest[0]), rest[1], rest[2]
        for _ in range(n):
            conn.request("POST", "/v1/auth/login", {"login": email, "password": password})
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
