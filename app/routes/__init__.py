"""HTTP and WebSocket adapters: parse, load the actor, call one domain function, render.

One module and one router per area (site, auth, participants, workshops, topics, board, cards,
clusters, votes, statements, exports, ws), each with its pages, htmx fragments and JSON twins;
``docs/architecture.md`` has the table."""
