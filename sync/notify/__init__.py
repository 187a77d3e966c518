"""Sending daily digests by e-mail and webhooks, once per owner, channel and day."""
