"""Live updates: each entity's unseen count and new events pushed to its open pages as
Server-Sent Events, without polling.

A PostgreSQL trigger NOTIFYs at commit when events are created or inbox marks change (migration
``0014_live_notify``); one listening connection per server process (:mod:`.listener`) fans the
notifications out to the process's open streams (:mod:`.streams`) and recounts, in one query per
medium (:mod:`.counts`), only for the streams a notification concerns. On other databases each
stream polls its count instead. The view is :mod:`.views`. The core never imports this package;
the dependency runs one way, through the database. See docs/live.rst.
"""
