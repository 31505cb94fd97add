"""The storefront's consumer test for the new catalog service, written with pact-python (the
Pact reference core). Running it writes pacts/storefront-catalog.json, which the example's gate
replays against the catalog service.

    examples/own-stack/pacts/generate      # installs pact-python into .venv-pact, runs this
"""
import json
import urllib.request
from pathlib import Path

from pact import Pact, match

OUT = Path(__file__).resolve().parent


def main():
    pact = Pact("storefront", "catalog").with_specification("V3")
    (pact.upon_receiving("a request for product 3")
        .given("product 3 exists", {"id": 3})
        .with_request("GET", "/api/products/3")
        .will_respond_with(200)
        .with_body({
            "id": 3,
            "name": match.str("Product 3"),
            "price": match.number(6.11),
            "stock": match.int(13),
        }, content_type="application/json"))
    (pact.upon_receiving("a request for the first products")
        .with_request("GET", "/api/products")
        .with_query_parameter("limit", "2")
        .will_respond_with(200)
        .with_body({"products": match.each_like({"id": match.int(1), "name": match.str("Product 1"), "price": match.number(5.37)}, min=1)},
                   content_type="application/json"))
    # Each interaction against pact-python's mock server, as the storefront would call it.
    with pact.serve() as server:
        for path in ["/api/products/3", "/api/products?limit=2"]:
            with urllib.request.urlopen(f"{server.url}{path}") as response:
                assert response.status == 200, path
                json.loads(response.read())
    pact.write_file(OUT, overwrite=True)


if __name__ == "__main__":
    main()
