#!/usr/bin/env python3
"""A minimal SMTP sink for scripts/mail-reliability: accepts every message and
appends its Message-ID (one line per received message) to a log file.

    smtp-sink.py PORT LOGFILE
"""
import asyncio
import sys

PORT = int(sys.argv[1])
LOG = sys.argv[2]


async def session(reader, writer):
    def send(line):
        writer.write(line.encode() + b"\r\n")

    send("220 sink ESMTP")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line.decode("latin-1").strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                send("250-sink")
                send("250 8BITMIME")
            elif cmd.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                send("250 OK")
            elif cmd.startswith("DATA"):
                send("354 go ahead")
                await writer.drain()
                message_id = ""
                while True:
                    data = await reader.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    if not message_id and data[:11].lower() == b"message-id:":
                        message_id = data[11:].decode("latin-1").strip()
                with open(LOG, "a") as f:
                    f.write(message_id + "\n")
                send("250 OK queued")
            elif cmd.startswith("QUIT"):
                send("221 bye")
                await writer.drain()
                break
            else:
                send("502 not implemented")
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
