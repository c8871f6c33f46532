"""An id in a query string that the database cannot hold is a filter that matches nothing, not a 500."""


def test_an_id_past_64_bits_in_a_query_matches_nothing(world, api):
    """Seen beside the archive year that schemathesis found over HTTP: a 30-digit ?parent= overflowed SQLite's
    integer (a 500) before `core.api.query_id`."""
    client = api(world.users["org_officer"])
    for url in ("/api/orgs/?parent=", "/api/orgs/?under=", "/api/positions/?organization="):
        response = client.get(url + "9" * 30)
        assert response.status_code == 200 and response.json()["count"] == 0, url
