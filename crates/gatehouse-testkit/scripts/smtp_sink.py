"""A real SMTP server on loopback for gatehouse's tests (aiosmtpd).

Listens on 127.0.0.1 on a free port and writes one JSON line to stdout per event:
  {"event": "ready", "port": N}                    once, when it accepts connections
  {"event": "connect"}                             each new client connection
  {"event": "auth", "login": .., "password": ..}   each AUTH (accepted, also without TLS)
  {"event": "mail", "mail_from": .., "rcpt_tos": [..], "data": base64 of the raw message}
Recipients whose local part starts with "reject" get 550 (permanent), with "defer" 451
(transient), so tests can see real SMTP refusals. It exits when its stdin closes, so it never outlives the test process that started it.
"""

import asyncio
import base64
import json
import logging
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Recorder:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 No such mailbox"
        if local.startswith("defer"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        emit(
            {
                "event": "mail",
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": base64.b64encode(envelope.original_content).decode("ascii"),
            }
        )
        return "250 OK queued"


def authenticate(server, session, envelope, mechanism, auth_data):
    # Every login is accepted: the sink records what the client sent, it guards nothing.
    if isinstance(auth_data, LoginPassword):
        emit(
            {
                "event": "auth",
                "login": auth_data.login.decode("utf-8", "replace"),
                "password": auth_data.password.decode("utf-8", "replace"),
            }
        )
    return AuthResult(success=True)


class CountingSMTP(SMTP):
    """Reports each connection, so a test can tell reused connections from new ones."""

    def connection_made(self, transport):
        emit({"event": "connect"})
        super().connection_made(transport)


async def main():
    # aiosmtpd logs a warning about its own legacy login_data on every AUTH: not ours.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    loop = asyncio.get_running_loop()
    handler = Recorder()
    server = await loop.create_server(
        lambda: CountingSMTP(
            handler,
            hostname="sink.test",
            authenticator=authenticate,
            auth_require_tls=False,
        ),
        host="127.0.0.1",
        # A port given on the command line (a test that starts the server late), else free.
        port=int(sys.argv[1]) if len(sys.argv) > 1 else 0,
    )
    emit({"event": "ready", "port": server.sockets[0].getsockname()[1]})
    # Stdin closes when the test process ends (or drops the sink): stop then.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
