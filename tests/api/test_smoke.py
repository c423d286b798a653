from tests.conftest import Pipedrive


def test_list_deals_starts_empty(pd: Pipedrive) -> None:
    r = pd.get("/v1/deals")
    assert r.status_code == 200
    assert r.json()["data"] == []
