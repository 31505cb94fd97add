#!/usr/bin/env python3
"""Writes the pacts the stub and verify benchmarks use:
  stub-1.json      1 HTTP interaction (GET with a JSON body) for the stub benchmark
  stub-50.json     50 HTTP interactions (GET and POST) for the stub benchmark
  verify-1000.json 1,000 interactions GET /api/v1/products/{1..50} with type matchers,
                   verified against the reference catalog service
Usage: benchmarks/make-pacts.py OUTPUT_DIR"""
import json, os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
m = lambda *r: {"matchers": list(r)}

stub = []
for i in range(1, 51):
    if i % 5:
        stub.append({"description": f"get item {i}", "request": {"method": "GET", "path": f"/api/v1/items/{i}"},
                     "response": {"status": 200, "headers": {"Content-Type": "application/json"},
                                  "body": {"id": i, "name": f"item {i}", "price": 10.5 + i, "tags": ["a", "b"]},
                                  "matchingRules": {"body": {"$.name": m({"match": "type"})}}}})
    else:
        stub.append({"description": f"create order {i}",
                     "request": {"method": "POST", "path": f"/api/v1/orders/{i}", "headers": {"Content-Type": "application/json"},
                                 "body": {"item_id": i, "quantity": 1},
                                 "matchingRules": {"body": {"$.quantity": m({"match": "integer"})}}},
                     "response": {"status": 201, "headers": {"Content-Type": "application/json"}, "body": {"order": i, "status": "pending"}}})
json.dump({"consumer": {"name": "bench-consumer"}, "provider": {"name": "bench-provider"}, "interactions": stub[:1],
           "metadata": {"pactSpecification": {"version": "3.0.0"}}}, open(os.path.join(out, "stub-1.json"), "w"))
json.dump({"consumer": {"name": "bench-consumer"}, "provider": {"name": "bench-provider"}, "interactions": stub,
           "metadata": {"pactSpecification": {"version": "3.0.0"}}}, open(os.path.join(out, "stub-50.json"), "w"))

rules = {"$.id": m({"match": "integer"}), "$.sku": m({"match": "regex", "regex": "SKU-\\d{5}"}), "$.name": m({"match": "type"}),
         "$.price": m({"match": "number"}), "$.stock_quantity": m({"match": "integer"}), "$.images": m({"match": "type", "min": 0}),
         "$.active": m({"match": "boolean"}), "$.created_at": m({"match": "type"})}
verify = [{"description": f"product lookup #{n}", "request": {"method": "GET", "path": f"/api/v1/products/{n % 50 + 1}"},
           "response": {"status": 200, "headers": {"Content-Type": "application/json"},
                        "body": {"id": 1, "sku": "SKU-00001", "name": "x", "price": 1.5, "stock_quantity": 1, "images": ["u"], "active": True,
                                 "created_at": "2026-01-01T00:00:00.000Z"},
                        "matchingRules": {"body": rules}}} for n in range(1000)]
json.dump({"consumer": {"name": "bench-consumer"}, "provider": {"name": "catalog-service"}, "interactions": verify,
           "metadata": {"pactSpecification": {"version": "3.0.0"}}}, open(os.path.join(out, "verify-1000.json"), "w"))
