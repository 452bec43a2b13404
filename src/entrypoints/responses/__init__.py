"""The answers of the HTTP API and of the CLI's ``--json``, as typed classes.

Each answer is an attrs class (:mod:`.api`, :mod:`.league`), built from core objects by
a constructor function next to it. The classes are the single description of every answer:
:func:`.base.to_json` turns them into JSON (camelCase keys, ISO 8601 UTC ``Z`` instants) and
:func:`.base.component_schemas` into the OpenAPI component schemas.

Nothing is serialized by reflection over core objects: a field is in an answer only if it is
declared in its response class, so secrets (the registration interaction token, keys, OAuth
tokens, a webhook URL's token) can never leak by accident. To add a field to an answer,
declare it in the class and set it in the constructor; the schema follows.

The classes are slotted ``attrs.define``, not frozen: they live only between the view and the
converter, and a frozen ``__init__`` made the read path's serialization much slower
(docs/decisions.md).
"""
