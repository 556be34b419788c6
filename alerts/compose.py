"""Composing a delivery's message from storage: alert + subscription + article -> AlertMessage.

The outbox calls this for each delivery it sends. Everything in the message that varies between
attempts is derived from the delivery id, so every attempt carries identical bytes.
"""

from __future__ import annotations

from alerts.messages import AlertMessage, build_alert_message
from alerts.unsubscribe import make_token
from alerts.views import article_view, reason_from_json
from pipeline.storage import Storage
from pipeline.storage.alerts import DeliveryJob


def compose_message(storage: Storage, public_url: str, job: DeliveryJob) -> AlertMessage | None:
    """The message of ``job``, or ``None`` when its alert, subscription or article is gone."""
    alert = storage.alerts.get(job.alert_id)
    subscription = storage.subscriptions.by_id(job.subscription_id)
    if alert is None or subscription is None:
        return None
    article = article_view(storage, alert.article_id)
    if article is None:
        return None
    token = make_token(subscription.id, job.channel_id, job.unsubscribe_epoch,
                       subscription.token_secret, nonce=job.key[:16])
    return build_alert_message(
        delivery_id=job.key,
        subscription=subscription.name,
        query=subscription.query,
        article=article,
        reasons=[reason_from_json(reason) for reason in alert.reasons],
        created=alert.created_at,
        other_outlets=alert.coverage - 1,
        unsubscribe_url=f"{public_url.rstrip('/')}/unsubscribe/{token}",
        unsubscribe_token=token,
        timezone=subscription.timezone,
    )
