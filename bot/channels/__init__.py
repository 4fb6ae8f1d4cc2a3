"""The channels: one module per channel, listed in `registry.TABLE`; each implements
`base.ChannelKind` and `base.Channel`."""
