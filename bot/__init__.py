"""carebot: personalised, scheduled follow-up messages for patients after a hospital stay."""

__version__ = "0.1.0"
