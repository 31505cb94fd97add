"""A consumer test written with pact-python (the Pact reference core), for a Python
storefront that reads the catalog. Running it writes the pact file
contracts/pact-python/python-storefront-catalog-service.json, which Tollgate's test suite
verifies against the reference catalog service.

    scripts/pact-python-consumer/generate      # installs pact-python into .venv-pact, runs this
"""
import json
import os
import sys
import urllib.request
from pathlib import Path

from pact import Pact, match

OUT = Path(__file__).resolve().parents[2] / "contracts" / "pact-python"


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())


def main():
    pact = Pact("python-storefront", "catalog-service").with_specification("V4")

    (pact.upon_receiving("a request for product 42 from the python storefront")
        .given("product 42 exists with stock 10", {"id": 42, "stock": 10})
        .with_request("GET", "/api/v1/products/42")
        .with_header("Accept", "application/json")
        .will_respond_with(200)
        .with_body({
            "id": 42,
            "sku": match.regex("SKU-00042", regex=r"SKU-\d{5}"),
            "name": match.str("Classic Audio Item 42"),
            "price": match.number(19.99),
            "currency": match.regex("USD", regex=r"[A-Z]{3}"),
            "stock_quantity": 10,
            "active": match.bool(True),
            "images": match.each_like(match.str("https://images.tollgate.local/products/42.jpg")),
        }, content_type="application/json"))

    (pact.upon_receiving("a search for kettles from the python storefront")
        .given("products exist")
        .with_request("GET", "/api/v1/products")
        .with_query_parameter("q", "item")
        .with_query_parameter("per_page", "5")
        .will_respond_with(200)
        .with_body({
            "products": match.each_like({"id": match.int(1), "name": match.str("Classic Item"), "price": match.number(9.5)}, min=1),
            "page": 1,
            "per_page": 5,
            "total": match.int(40),
            "total_pages": match.int(8),
        }, content_type="application/json"))

    with pact.serve() as server:
        status, product = fetch(f"{server.url}/api/v1/products/42", {"Accept": "application/json"})
        assert status == 200 and product["id"] == 42 and product["stock_quantity"] == 10, product
        status, page = fetch(f"{server.url}/api/v1/products?q=item&per_page=5")
        assert status == 200 and page["products"], page

    OUT.mkdir(parents=True, exist_ok=True)
    pact.write_file(OUT, overwrite=True)
    print(f"wrote {OUT / 'python-storefront-catalog-service.json'}")


if __name__ == "__main__":
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    sys.exit(main())
