"""The authorization matrix's expected answers: every route of ``create_app()`` × every role.

``tests/test_authz_matrix.py`` enumerates the app's routes and fails for a route missing here
(fail closed) and for an entry whose route no longer exists. Each cell is one of

* ``"allow"``: the role may do this. The answer is not 401/403, nor a redirect to ``/login``;
  2xx, a redirect elsewhere, 409 (not possible in the current phase) and 422 (input refused)
  count, since a body may not fit the state the workshop is in.
* ``"deny"``: 401, 403 or 404, or for a browser page a 303 to ``/login``; and the call changed
  no row.
* ``"public"``: anybody, logged in or not (checked like ``"allow"``).
* ``"unauthenticated"``: a call without credentials where they are needed: exactly 401 with
  ``WWW-Authenticate: Bearer``, decided before any object is looked up; and no row changed.
  Every API route's ``"deny"`` for ``anonymous`` becomes this (see the end of this file);
  pages keep ``"deny"`` (a readable page or a redirect to ``/login``).

Roles: ``anonymous``; ``participant_this`` / ``participant_other``: took part in workshop A /
only in workshop B; ``moderator_this`` / ``moderator_other``: moderates workshop A / only B.
Every path parameter names an object of workshop A.

Adding a route: add its line here with the roles that may use it, and (when it needs a body
or destroys its object) its request in ``RECIPES`` in ``tests/test_authz_matrix.py``.
"""

from __future__ import annotations

from tests.factories import ROLES

Cell = str  # "allow" | "deny" | "public" | "unauthenticated"
Row = dict[str, Cell]

#: Routes outside the matrix: framework pages and static files, public by design (no data of
#: any workshop). Anything else that is not an API or WebSocket route fails the suite.
UNCHECKED_PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/openapi.json"),
        ("GET", "/api/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("MOUNT", "/static"),
    }
)


def only(*allowed: str) -> Row:
    unknown = set(allowed) - set(ROLES)
    assert not unknown, unknown
    return {role: "allow" if role in allowed else "deny" for role in ROLES}


PUBLIC: Row = dict.fromkeys(ROLES, "public")
#: Any logged-in moderator (their own list, a new workshop of their own).
ANY_MODERATOR = only("moderator_this", "moderator_other")
#: The workshop's moderators only.
MODERATOR = only("moderator_this")
#: Everybody in the workshop: its participants and its moderators.
MEMBERS = only("participant_this", "moderator_this")
#: Dot votes and consent ratings: the workshop's participants only (moderators steer, they
#: do not vote).
PARTICIPANT = only("participant_this")

TABLE: dict[tuple[str, str], Row] = {
    # --- login, tokens, joining, language: public ---------------------------------------------
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/api/v1/workshops/join"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    # The operator's metrics: no workshop role reads them (404 while RUNDE_METRICS_TOKEN is
    # unset, as here; with it set, 401 without that token: tests/test_metrics.py).
    ("GET", "/metrics"): only(),
    ("GET", "/lang/{code}"): PUBLIC,
    ("GET", "/join"): PUBLIC,
    ("GET", "/j/{code}"): PUBLIC,
    ("GET", "/continue/{token}"): PUBLIC,  # whoever holds a participant's return link
    ("POST", "/continue/{token}"): PUBLIC,
    ("GET", "/w/{workshop_id}/me/return"): PARTICIPANT,
    ("GET", "/w/{workshop_id}/me/return.svg"): PARTICIPANT,
    ("GET", "/api/v1/workshops/{workshop_id}/me/return-link"): PARTICIPANT,
    ("GET", "/m/workshops/{workshop_id}/participants/duplicates"): MODERATOR,
    ("POST", "/m/participants/{participant_id}/merge"): MODERATOR,
    ("GET", "/api/v1/workshops/{workshop_id}/participants/duplicates"): MODERATOR,
    ("POST", "/api/v1/participants/{participant_id}/merge"): MODERATOR,
    ("POST", "/j/{code}"): PUBLIC,
    ("GET", "/imprint"): PUBLIC,
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/accessibility"): PUBLIC,
    # --- API: workshops, groups, topics -------------------------------------------------------
    ("GET", "/api/v1/workshops"): ANY_MODERATOR,
    ("POST", "/api/v1/workshops"): ANY_MODERATOR,
    ("GET", "/api/v1/workshops/{workshop_id}"): MEMBERS,
    ("PATCH", "/api/v1/workshops/{workshop_id}"): MODERATOR,
    ("POST", "/api/v1/workshops/{workshop_id}/groups"): MODERATOR,
    ("PATCH", "/api/v1/workshops/{workshop_id}/groups/{key}"): MODERATOR,
    ("DELETE", "/api/v1/workshops/{workshop_id}/groups/{key}"): MODERATOR,
    ("POST", "/api/v1/workshops/{workshop_id}/topics"): MODERATOR,
    ("GET", "/api/v1/topics/{topic_id}"): MEMBERS,
    ("PATCH", "/api/v1/topics/{topic_id}"): MODERATOR,
    ("DELETE", "/api/v1/topics/{topic_id}"): MODERATOR,
    # --- API: cards ---------------------------------------------------------------------------
    ("POST", "/api/v1/topics/{topic_id}/cards"): MEMBERS,
    ("GET", "/api/v1/topics/{topic_id}/cards"): MEMBERS,
    ("GET", "/api/v1/cards/{card_id}"): MEMBERS,
    ("PATCH", "/api/v1/cards/{card_id}"): MEMBERS,  # the author while collecting; moderators
    ("DELETE", "/api/v1/cards/{card_id}"): MEMBERS,  # the author while collecting; moderators
    # --- API: dot votes -----------------------------------------------------------------------
    ("POST", "/api/v1/cards/{card_id}/votes"): PARTICIPANT,
    ("DELETE", "/api/v1/cards/{card_id}/votes"): PARTICIPANT,
    ("POST", "/api/v1/clusters/{cluster_id}/votes"): PARTICIPANT,
    ("DELETE", "/api/v1/clusters/{cluster_id}/votes"): PARTICIPANT,
    ("GET", "/api/v1/topics/{topic_id}/votes"): MEMBERS,  # participants once revealed (it is)
    # --- API: statements and ratings ----------------------------------------------------------
    ("POST", "/api/v1/topics/{topic_id}/statements"): MODERATOR,
    ("GET", "/api/v1/topics/{topic_id}/statements"): MEMBERS,
    ("GET", "/api/v1/statements/{statement_id}"): MEMBERS,
    ("PUT", "/api/v1/statements/{statement_id}/rating"): PARTICIPANT,
    ("POST", "/api/v1/statements/{statement_id}/revisions"): MODERATOR,
    # --- API: clusters, merges, places ----------------------------------------------------
    ("POST", "/api/v1/topics/{topic_id}/clusters"): MODERATOR,
    ("GET", "/api/v1/topics/{topic_id}/clusters"): MEMBERS,
    ("PATCH", "/api/v1/clusters/{cluster_id}"): MODERATOR,
    ("DELETE", "/api/v1/clusters/{cluster_id}"): MODERATOR,
    ("POST", "/api/v1/clusters/{cluster_id}/merge"): MODERATOR,
    ("PUT", "/api/v1/cards/{card_id}/cluster"): MODERATOR,
    ("POST", "/api/v1/cards/{card_id}/merge"): MODERATOR,
    ("POST", "/api/v1/topics/{topic_id}/cards/move"): MODERATOR,
    ("POST", "/api/v1/topics/{topic_id}/clusters/from-cards"): MODERATOR,
    ("GET", "/api/v1/topics/{topic_id}/suggestions"): MODERATOR,
    ("POST", "/api/v1/topics/{topic_id}/suggestions/accept"): MODERATOR,
    ("POST", "/api/v1/topics/{topic_id}/suggestions/dismiss"): MODERATOR,
    # --- API: topic options, timer, participants, balance -----------------------------------
    ("POST", "/api/v1/topics/{topic_id}/options"): MODERATOR,
    ("POST", "/api/v1/topics/{topic_id}/timer"): MODERATOR,
    ("PATCH", "/api/v1/participants/{participant_id}"): MODERATOR,
    ("GET", "/api/v1/topics/{topic_id}/balance"): MODERATOR,
    # --- API: privacy (a participant's own data; erasure by the workshop's moderators) -------
    ("GET", "/api/v1/me/data"): only("participant_this", "participant_other"),
    ("DELETE", "/api/v1/me"): only("participant_this", "participant_other"),
    ("DELETE", "/api/v1/participants/{participant_id}"): MODERATOR,
    # --- API: report and exports --------------------------------------------------------------
    ("GET", "/api/v1/workshops/{workshop_id}/export"): MODERATOR,
    ("GET", "/api/v1/workshops/{workshop_id}/report"): MODERATOR,
    ("PATCH", "/api/v1/workshops/{workshop_id}/report"): MODERATOR,
    ("PUT", "/api/v1/workshops/{workshop_id}/report/logo"): MODERATOR,
    ("DELETE", "/api/v1/workshops/{workshop_id}/report/logo"): MODERATOR,
    # --- API: series, rounds, registrations, publishing (workshop A is a round of mod_a's series)
    ("POST", "/api/v1/series"): ANY_MODERATOR,
    ("GET", "/api/v1/series/{series_id}"): PUBLIC,
    ("PATCH", "/api/v1/series/{series_id}"): MODERATOR,
    ("POST", "/api/v1/series/{series_id}/rounds"): MODERATOR,
    ("POST", "/api/v1/workshops/{workshop_id}/registrations"): PUBLIC,
    ("GET", "/api/v1/workshops/{workshop_id}/registrations"): MODERATOR,
    ("DELETE", "/api/v1/registrations/{token}"): PUBLIC,  # whoever holds the link
    ("POST", "/api/v1/workshops/{workshop_id}/publish"): MODERATOR,
    ("DELETE", "/api/v1/workshops/{workshop_id}/publish"): MODERATOR,
    # --- public series pages, feeds and personal links -----------------------------------------
    ("GET", "/s/{series_id}"): PUBLIC,
    ("GET", "/s/{series_id}.ics"): PUBLIC,
    ("GET", "/s/{series_id}.atom"): PUBLIC,
    ("GET", "/s/{series_id}/rounds/{workshop_id}.ics"): PUBLIC,
    ("GET", "/s/{series_id}/rounds/{workshop_id}/register"): PUBLIC,
    ("POST", "/s/{series_id}/rounds/{workshop_id}/register"): PUBLIC,
    ("GET", "/s/{series_id}/reports/{workshop_id}"): PUBLIC,  # once published
    ("GET", "/s/{series_id}/reports/{workshop_id}.pdf"): PUBLIC,
    ("GET", "/r/{token}"): PUBLIC,
    ("POST", "/r/{token}"): PUBLIC,
    ("GET", "/r/{token}/join"): PUBLIC,
    # --- the series' moderator pages -----------------------------------------------------------
    ("GET", "/m/series"): ANY_MODERATOR,
    ("POST", "/m/series"): ANY_MODERATOR,
    ("GET", "/m/series/{series_id}"): MODERATOR,
    ("POST", "/m/series/{series_id}"): MODERATOR,
    ("POST", "/m/series/{series_id}/rounds"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/round"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/registrations.csv"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/round/message"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/round/publish"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/round/carry-over"): MODERATOR,
    # --- participant pages --------------------------------------------------------------------
    ("GET", "/w/{workshop_id}"): MEMBERS,  # moderators are sent on to their console
    ("GET", "/w/{workshop_id}/topics/{topic_id}"): MEMBERS,  # moderators: to their board
    ("GET", "/w/{workshop_id}/topics/{topic_id}/exchange"): MEMBERS,
    ("POST", "/topics/{topic_id}/cards"): MEMBERS,
    ("POST", "/cards/{card_id}/edit"): MEMBERS,
    ("POST", "/cards/{card_id}/hide"): MODERATOR,
    ("POST", "/cards/{card_id}/delete"): MEMBERS,
    ("POST", "/cards/{card_id}/vote"): PARTICIPANT,
    ("POST", "/clusters/{cluster_id}/vote"): PARTICIPANT,
    ("POST", "/statements/{statement_id}/rate"): PARTICIPANT,
    ("GET", "/w/{workshop_id}/me"): PARTICIPANT,
    ("GET", "/w/{workshop_id}/me/data.json"): PARTICIPANT,
    ("POST", "/w/{workshop_id}/me/delete"): PARTICIPANT,
    # --- moderator pages ----------------------------------------------------------------------
    ("GET", "/m"): ANY_MODERATOR,
    ("POST", "/m/workshops"): ANY_MODERATOR,
    ("GET", "/m/workshops/{workshop_id}"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/settings"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/groups"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/groups/{key}"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/groups/{key}/delete"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/topics"): MODERATOR,
    ("POST", "/m/topics/{topic_id}"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/move"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/delete"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/topics/{topic_id}"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/qr.svg"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/options"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/spotlight"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/project"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/timer"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/clusters"): MODERATOR,
    ("POST", "/m/clusters/{cluster_id}"): MODERATOR,
    ("POST", "/m/clusters/{cluster_id}/merge"): MODERATOR,
    ("POST", "/m/clusters/{cluster_id}/dissolve"): MODERATOR,
    ("GET", "/m/clusters/{cluster_id}/statement"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/statements"): MODERATOR,
    ("POST", "/m/statements/{statement_id}/revise"): MODERATOR,
    ("POST", "/m/cards/{card_id}/move"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/cards/move"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/clusters/from-cards"): MODERATOR,
    ("GET", "/m/topics/{topic_id}/suggestions"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/suggestions/accept"): MODERATOR,
    ("POST", "/m/topics/{topic_id}/suggestions/dismiss"): MODERATOR,
    ("GET", "/m/cards/{card_id}/merge"): MODERATOR,
    ("POST", "/m/cards/{card_id}/merge"): MODERATOR,
    ("POST", "/m/participants/{participant_id}/lock"): MODERATOR,
    ("POST", "/m/participants/{participant_id}/erase"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/projector"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/projector/{topic_id}"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/topics/{topic_id}/exchange"): MODERATOR,
    ("GET", "/m/workshops/{workshop_id}/report"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/report"): MODERATOR,
    ("POST", "/m/workshops/{workshop_id}/report/logo"): MODERATOR,
    # --- the live feed ------------------------------------------------------------------------
    ("WS", "/ws/workshops/{workshop_id}"): MEMBERS,
}

#: The API's answer to a caller without credentials is 401 on every route that needs one.
TABLE = {
    (method, path): {**row, "anonymous": "unauthenticated"}
    if path.startswith("/api/") and row["anonymous"] == "deny"
    else row
    for (method, path), row in TABLE.items()
}
