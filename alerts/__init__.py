"""Article -> Alert -> Delivery / Digest: queries, subscriptions, matching, channels, outbox.

Built in a later stage of the project (see the issues); nothing here yet.
"""
