"""The legacy shop, as a team might have it: Flask under gunicorn, its own PostgreSQL database
(table `product`: prod_id, title, price_cents, stock), Prometheus metrics from
prometheus-flask-exporter. Nothing in it knows Tollgate."""
import os
import threading
import time

import psycopg
from flask import Flask, abort, jsonify, request
from prometheus_flask_exporter import PrometheusMetrics

app = Flask(__name__)
metrics = PrometheusMetrics(app)
DATABASE_URL = os.environ["LEGACY_DATABASE_URL"]


local = threading.local()


def query(sql, *args):
    # One connection per worker thread, kept: a new one per request would cost more than the query.
    if getattr(local, "connection", None) is None or local.connection.closed:
        local.connection = psycopg.connect(DATABASE_URL, autocommit=True)
    return local.connection.execute(sql, args).fetchall()


def product(row):
    prod_id, title, price_cents, stock = row
    return {"id": prod_id, "name": title, "price": round(price_cents / 100, 2), "stock": stock, "served_at": time.time()}


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/api/products")
def products():
    limit = min(int(request.args.get("limit", "10")), 100)
    rows = query("SELECT prod_id, title, price_cents, stock FROM product ORDER BY prod_id LIMIT %s", limit)
    return jsonify({"products": [product(row) for row in rows], "served_at": time.time()})


@app.get("/api/products/<int:product_id>")
def one_product(product_id):
    rows = query("SELECT prod_id, title, price_cents, stock FROM product WHERE prod_id = %s", product_id)
    if not rows:
        abort(404)
    return jsonify(product(rows[0]))
