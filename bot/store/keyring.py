"""Loading the install's keys; the owners of the data keys that are not patients'.

The opened store that uses them is `bot.store.store.Store`.
"""

from __future__ import annotations

from bot.config import Settings
from bot.errors import CarebotError
from bot.store import crypto

INBOX_OWNER = "_inbox"  # the data key for messages from unknown senders
# The audit chain's root key, wrapped like a data key: `keys rotate` re-wraps it with them.
AUDIT_OWNER = "_audit"


class ErasedError(CarebotError):
    """The owner's data key was destroyed: their data is gone for good."""


def load_keys(settings: Settings) -> crypto.Keys:
    """The master key and pseudonym secret from the settings, or a one-line reason why not."""
    fallbacks: tuple[bytes, ...] = ()
    if settings.carebot_master_key is not None:
        master = crypto.decode_key(
            settings.carebot_master_key.get_secret_value(), what="CAREBOT_MASTER_KEY"
        )
    elif settings.carebot_key_file is not None:
        master = crypto.read_key_file(settings.carebot_key_file)
        pending = settings.carebot_key_file.with_name(settings.carebot_key_file.name + ".new")
        if pending.exists():  # a rotation was interrupted: both keys may be in use
            fallbacks = (crypto.read_key_file(pending),)
    else:
        raise crypto.KeyringError(
            "no master key: set CAREBOT_MASTER_KEY or CAREBOT_KEY_FILE, or run `carebot init`"
        )
    if settings.carebot_pseudonym_secret is None:
        raise crypto.KeyringError(
            "no pseudonym secret: set CAREBOT_PSEUDONYM_SECRET, or run `carebot init`"
        )
    secret = crypto.decode_key(
        settings.carebot_pseudonym_secret.get_secret_value(), what="CAREBOT_PSEUDONYM_SECRET"
    )
    return crypto.Keys(master=master, pseudonym_secret=secret, fallbacks=fallbacks)
