"""The `multipart/mixed` batch format of Google APIs, as google-api-python-client writes requests
(`BatchHttpRequest._execute`) and reads replies (`_deserialize_response`).

A request part is `Content-Type: application/http` with `Content-ID: <BASE + N>` and an
embedded request: `METHOD /calendar/v3/... HTTP/1.1`, headers (If-Match, authorization,
content-type, content-length) and a JSON body, lines ending in a bare LF. A reply part echoes
the id as `<response-BASE + N>` (the client splits on " + ", spaces included) and embeds
`HTTP/1.1 <status> <reason>`, headers and the body after a CRLF CRLF (the client splits on it).
"""

from __future__ import annotations

import uuid
from email.message import Message
from email.parser import BytesParser, Parser
from http import HTTPStatus
from typing import NamedTuple


class Part(NamedTuple):
    content_id: str
    method: str
    target: str  # path and query, as in the embedded request line
    headers: dict[str, str]  # lower-case names
    body: bytes


class Reply(NamedTuple):
    content_id: str
    status: int
    headers: dict[str, str]
    body: bytes


def parse(content_type: str, body: bytes) -> list[Part]:
    """The calls in a batch body; ValueError when it is not a multipart body of HTTP requests."""
    message = BytesParser().parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("batch body is not multipart/mixed")
    parts = []
    for item in message.get_payload():
        assert isinstance(item, Message)
        payload = item.get_payload()
        if not isinstance(payload, str) or not payload.strip():
            raise ValueError("batch part without an embedded request")
        line, _, rest = payload.lstrip("\r\n").partition("\n")
        words = line.strip().split(" ")
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            raise ValueError(f"bad request line in batch part: {line!r}")
        inner = Parser().parsestr(rest)
        content = inner.get_payload()
        raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else b""
        headers = {name.lower(): str(value) for name, value in inner.items()}
        parts.append(Part(str(item.get("Content-ID", "")), words[0], words[1], headers, raw))
    return parts


def render(replies: list[Reply]) -> tuple[str, bytes]:
    """The `Content-Type` header and the body of the batch reply."""
    boundary = f"batch_{uuid.uuid4().hex}"
    chunks = []
    for reply in replies:
        inner_id = reply.content_id.strip().removeprefix("<").removesuffix(">")
        head = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <response-{inner_id}>",
            "",
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            *(f"{name}: {value}" for name, value in reply.headers.items()),
            f"Content-Length: {len(reply.body)}",
            "",
            "",
        ]
        chunks.append("\r\n".join(head).encode("utf-8") + reply.body + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)
