"""The optional web layer: views, URLs and templates that a project includes with ``entity_event.urls``.

It imports the core (models, routing, rendering); the core never imports it.
"""
