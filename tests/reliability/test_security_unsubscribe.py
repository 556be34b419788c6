"""Unsubscribe links against the real endpoint: ``newsmon.web`` on the shared Twisted reactor,
real HTTP requests with httpx on 127.0.0.1, the real database (SQLite and PostgreSQL).

A GET never unsubscribes; the RFC 8058 one-click POST does, for the channel the message went to;
forged, malformed, other subscriptions', deleted subscriptions' and already used links are refused
with a clear page and status, and change nothing; the link in an email really sent through a
local SMTP server works end to end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select

from alerts.compose import compose_message
from alerts.unsubscribe import UNSUBSCRIBED_REASON, make_token
from config.settings import Settings, StorageSettings, WebSettings
from crawler.reactor import ReactorThread
from newsmon.app import App
from newsmon.daemon.cli import start_web
from newsmon.web import WebServer, start_web_server
from pipeline.storage import Storage
from pipeline.storage.models import ChannelRow, SubscriptionRow
from pipeline.storage.subscriptions import NewSubscription, SubscriptionRecord
from tests.alerts.delivery_support import free_port
from tests.alerts.test_outbox import Clock, Recorder, alert_for, outbox, run
from tests.support.clock import START

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
PUBLIC_URL = "https://news.example.org/newsmon"
"""What the links say; a TLS-terminating reverse proxy would forward them to the endpoint."""


@pytest.fixture
def web(storage: Storage, hostile_reactor: ReactorThread) -> Iterator[str]:
    """The endpoint on a free port of 127.0.0.1; its base URL (with the public URL's path)."""
    server = _start(hostile_reactor, storage)
    host, port = server.address
    yield f"http://{host}:{port}/newsmon"
    hostile_reactor.run(server.stop, timeout=10)


def _start(reactor: ReactorThread, storage: Storage) -> WebServer:
    async def start() -> WebServer:
        return start_web_server(storage, Clock(START + timedelta(hours=1)), "127.0.0.1", 0,
                                PUBLIC_URL)
    return reactor.run(start, timeout=10)


def subscribe(storage: Storage, name: str, *channels: tuple[str, str]) -> SubscriptionRecord:
    added = storage.subscriptions.add(
        NewSubscription(name=name, query="company:Meta", channels=channels), START)
    assert added is not None
    return added


def link(subscription: SubscriptionRecord, index: int = 0, nonce: str = "n0nce") -> str:
    channel = subscription.channels[index]
    return make_token(subscription.id, channel.id, channel.unsubscribe_epoch,
                      subscription.token_secret, nonce=nonce)


def channels_state(storage: Storage) -> list[tuple[object, ...]]:
    with storage.sessions.read() as session:
        channels = [(c.id, c.target, c.unsubscribe_epoch, c.disabled_at, c.disabled_reason)
                    for c in session.scalars(select(ChannelRow).order_by(ChannelRow.id))]
        paused = [(s.id, s.paused) for s in session.scalars(select(SubscriptionRow))]
    return [*channels, *paused]


def test_a_get_shows_a_confirmation_page_and_never_unsubscribes(storage: Storage,
                                                                 web: str) -> None:
    meta = subscribe(storage, "meta", ("email", "reader@example.org"))
    before = channels_state(storage)
    for _ in range(3):  # mail scanners and link previews fetch links, sometimes repeatedly
        page = httpx.get(f"{web}/unsubscribe/{link(meta)}")
        assert page.status_code == 200
        assert '<form method="post">' in page.text
        assert 'name="List-Unsubscribe" value="One-Click"' in page.text
        assert "reader@example.org" in page.text and "<script" not in page.text.lower()
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
    assert channels_state(storage) == before


def test_the_one_click_post_unsubscribes_the_channel_the_message_went_to(
    storage: Storage, web: str
) -> None:
    meta = subscribe(storage, "meta", ("email", "reader@example.org"),
                     ("email", "team@example.org"))
    done = httpx.post(f"{web}/unsubscribe/{link(meta, 0)}", data=ONE_CLICK)
    assert done.status_code == 200 and "Unsubscribed" in done.text
    after = storage.subscriptions.get("meta")
    assert after is not None and not after.paused
    reader, team = after.channels
    assert reader.disabled_at is not None and reader.disabled_reason == UNSUBSCRIBED_REASON
    assert reader.unsubscribe_epoch == 1
    assert team.disabled_at is None and team.unsubscribe_epoch == 0  # the other recipient stays


def test_a_post_without_the_one_click_body_changes_nothing(storage: Storage, web: str) -> None:
    meta = subscribe(storage, "meta", ("email", "reader@example.org"))
    before = channels_state(storage)
    for body in ({}, {"List-Unsubscribe": "yes"}):
        refused = httpx.post(f"{web}/unsubscribe/{link(meta)}", data=body)
        assert refused.status_code == 400 and "List-Unsubscribe=One-Click" in refused.text
    assert channels_state(storage) == before


def test_forged_malformed_foreign_and_deleted_tokens_are_refused_and_change_nothing(
    storage: Storage, web: str
) -> None:
    meta = subscribe(storage, "meta", ("email", "reader@example.org"))
    nvda = subscribe(storage, "nvda", ("email", "trader@example.org"))
    gone = subscribe(storage, "gone", ("email", "old@example.org"))
    gone_link = link(gone)
    assert storage.subscriptions.delete("gone")
    good = link(meta)
    sub, channel, epoch, nonce, mac = good.split(".")
    nvda_channel = nvda.channels[0].id
    refused = {
        f"{sub}.{channel}.{epoch}.{nonce}.{'0' * 32}": 404,  # forged signature
        f"{nvda.id}.{channel}.{epoch}.{nonce}.{mac}": 404,  # another subscription's id
        f"{sub}.{nvda_channel}.{epoch}.{nonce}.{mac}": 404,  # another subscription's channel
        f"{sub}.{channel}.{epoch}.other.{mac}": 404,  # tampered nonce
        f"{sub}.{channel}.7.{nonce}.{mac}": 404,  # tampered epoch
        make_token(meta.id, nvda_channel, 0, meta.token_secret, "n"): 404,  # signed, not its own
        gone_link: 404,  # subscription deleted
        "garbage": 400,
        f"{sub}.{nonce}.{mac}": 400,  # the shape of a token from before channels were named
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E": 400,
    }
    before = channels_state(storage)
    for token, status in refused.items():
        for method in ("GET", "POST"):
            answer = httpx.request(method, f"{web}/unsubscribe/{token}", data=ONE_CLICK
                                   if method == "POST" else None)
            assert answer.status_code == status, (token, method, answer.text)
            assert "Nothing was changed" in answer.text and "<script" not in answer.text
    assert httpx.get(f"{web}/elsewhere").status_code == 404
    assert httpx.post(f"{web}/unsubscribe/{good}/x", data=ONE_CLICK).status_code == 404
    assert channels_state(storage) == before


def test_a_used_link_and_every_earlier_link_of_the_channel_are_refused(
    storage: Storage, web: str
) -> None:
    meta = subscribe(storage, "meta", ("email", "reader@example.org"))
    first, second = link(meta, nonce="first"), link(meta, nonce="second")
    assert httpx.post(f"{web}/unsubscribe/{first}", data=ONE_CLICK).status_code == 200
    after_use = channels_state(storage)
    for token in (first, second):  # the replay, and another email's link sent before it
        for method in ("GET", "POST"):
            answer = httpx.request(method, f"{web}/unsubscribe/{token}",
                                   data=ONE_CLICK if method == "POST" else None)
            assert answer.status_code == 410, (token, method)
            assert "already been used" in answer.text
    assert channels_state(storage) == after_use


def test_two_simultaneous_posts_of_one_link_unsubscribe_once(storage: Storage,
                                                             web: str) -> None:
    meta = subscribe(storage, "meta", ("email", "reader@example.org"))
    token = link(meta)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        start.wait()
        statuses.append(httpx.post(f"{web}/unsubscribe/{token}", data=ONE_CLICK).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 410]
    after = storage.subscriptions.get("meta")
    assert after is not None and after.channels[0].unsubscribe_epoch == 1


def test_the_link_in_a_real_sent_email_unsubscribes_end_to_end(storage: Storage,
                                                               web: str) -> None:
    recorder = Recorder()
    smtp = Controller(recorder, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        alert_for(storage, (("email", "reader@example.org"),
                            ("webhook", "http://127.0.0.1:9/never-sent")))
        box = outbox(storage, Clock(), smtp.port)
        box.compose = lambda job: compose_message(storage, PUBLIC_URL, job)
        assert run(box).sent >= 1
    finally:
        smtp.stop()
    [raw] = recorder.messages
    email = message_from_bytes(raw, policy=policy.default)
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(email["List-Unsubscribe"]).split("<", 1)[1].split(">", 1)[0]
    assert url.startswith(f"{PUBLIC_URL}/unsubscribe/")
    local = web.removesuffix("/newsmon") + urlsplit(url).path  # what the reverse proxy does
    assert httpx.get(local).status_code == 200
    assert httpx.post(local, data=ONE_CLICK).status_code == 200
    channels = {c.kind: c for c in _only(storage).channels}
    assert channels["email"].disabled_reason == UNSUBSCRIBED_REASON
    assert channels["webhook"].disabled_at is None
    assert httpx.post(local, data=ONE_CLICK).status_code == 410


def _only(storage: Storage) -> SubscriptionRecord:
    [subscription] = storage.subscriptions.all()
    return subscription


def test_the_daemon_serves_the_links_on_the_configured_address(
    tmp_path: Path, database_url: str, hostile_reactor: ReactorThread
) -> None:
    port = free_port()
    storage_settings = StorageSettings(database_url=SecretStr(database_url))
    on = Settings(home=tmp_path, storage=storage_settings,
                  web=WebSettings(listen=f"127.0.0.1:{port}"))
    with App.from_settings(on, upgrade=True) as application:
        meta = subscribe(application.storage, "meta", ("email", "reader@example.org"))
        server = _start_web(hostile_reactor, application)
        assert server is not None and server.address == ("127.0.0.1", port)
        try:  # the default public_url has no path: links are /unsubscribe/<token>
            answer = httpx.get(f"http://127.0.0.1:{port}/unsubscribe/{link(meta)}")
            assert answer.status_code == 200 and "reader@example.org" in answer.text
        finally:
            hostile_reactor.run(server.stop, timeout=10)
    with App.from_settings(Settings(home=tmp_path, storage=storage_settings)) as application:
        assert _start_web(hostile_reactor, application) is None  # [web] listen is off


def _start_web(reactor: ReactorThread, application: App) -> WebServer | None:
    async def start() -> WebServer | None:
        return start_web(application)
    return reactor.run(start, timeout=10)
