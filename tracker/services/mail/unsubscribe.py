"""Signed one-click unsubscribe links for the weekly summary (itsdangerous).

The token carries the user id, a digest of the address the mail went to and the local date
it was issued on, signed with the app's SECRET_KEY under its own salt. It works for
UNSUBSCRIBE_MAX_AGE_DAYS (365) days after that date; each mail built gets a link issued on
its build date. A token for an address the user no longer has is refused.

Both settings come in a services.mail.settings.Signer (built at the edge) and the link's URL
from a services.links.Links; nothing here reads the app's config.

Tokens issued before links carried a date (two fields, the old salt) are accepted until
LEGACY_ACCEPTED_UNTIL, one year after the release that added the date, and are expired
after it (README, Weekly summaries).
"""
import datetime
import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from ... import clock

SALT = "tracker.summary-unsubscribe.v2"       # [user id, address digest, issued on]
LEGACY_SALT = "tracker.summary-unsubscribe"   # [user id, address digest]: no date
LEGACY_ACCEPTED_UNTIL = datetime.date(2027, 11, 28)


@dataclass(frozen=True)
class Decoded:
    user_id: int
    tag: str
    issued_on: object        # datetime.date, None for a token from before dated links
    expired: bool


def _serializer(signer, salt=SALT):
    return URLSafeSerializer(signer.secret, salt=salt)


def _payload(user, today=None):
    return [user.id, _email_tag(user.email), (today or clock.today()).isoformat()]


def make_token(user, signer, today=None):
    """A fresh token for the user's current address, issued ``today`` (local date)."""
    return _serializer(signer).dumps(_payload(user, today))


def _email_tag(email):
    """Short digest of the address: binds the link to it without spelling it out."""
    return hashlib.sha256((email or "").strip().lower().encode("utf-8")).hexdigest()[:8]


def unsubscribe_url(user, signer, links):
    """The user's unsubscribe link (``links``: services.links.Links)."""
    return links.url("prefs.unsubscribe", token=make_token(user, signer))


def unsubscribe_links(signer, links):
    """unsubscribe_url for many users (one serializer and one day for all)."""
    serializer = _serializer(signer)
    today = clock.today()

    def link(user):
        return links.url("prefs.unsubscribe", token=serializer.dumps(_payload(user, today)))
    return link


def _loads(token, signer):
    """(payload, dated) of a token signed by us, or None."""
    for salt, dated in ((SALT, True), (LEGACY_SALT, False)):
        try:
            return _serializer(signer, salt).loads(token), dated
        except (BadSignature, ValueError, TypeError):
            continue
    return None


def _issued_on(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def decode_token(token, signer, today=None):
    """The Decoded token when it was signed by us (``expired`` when its date is more than
    UNSUBSCRIBE_MAX_AGE_DAYS ago, or it has no date and LEGACY_ACCEPTED_UNTIL has passed),
    or None when it is tampered or malformed."""
    loaded = _loads(token, signer)
    if loaded is None or not isinstance(loaded[0], list):
        return None
    payload, dated = loaded
    if len(payload) != (3 if dated else 2):
        return None
    user_id, tag = payload[0], payload[1]
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(tag, str):
        return None
    today = today or clock.today()
    if not dated:
        return Decoded(user_id, tag, None, today > LEGACY_ACCEPTED_UNTIL)
    issued = _issued_on(payload[2])
    if issued is None:
        return None
    return Decoded(user_id, tag, issued, (today - issued).days > signer.max_age_days)


def issued_for(user, tag):
    """Whether a token with address digest ``tag`` was issued for the user's address."""
    return user is not None and _email_tag(user.email) == tag
