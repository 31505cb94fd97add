"""The new catalog service carved out of the monolith: FastAPI under uvicorn, its own PostgreSQL
database (table `items`: id, name, price, quantity — other names than the monolith's), metrics
from prometheus-fastapi-instrumentator. Its provider states are set at /_test/states with the
X-Test-Key header (its own convention). A file named `fault` in OWN_STACK_STATE makes every
product read fail, for the rollout test."""
import os
import threading
import time
from decimal import Decimal

import psycopg
from fastapi import FastAPI, Header, HTTPException
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel

app = FastAPI()
Instrumentator().instrument(app).expose(app)
DATABASE_URL = os.environ["CATALOG_DATABASE_URL"]
STATE = os.environ.get("OWN_STACK_STATE", "/tmp")
STATE_KEY = os.environ.get("OWN_STACK_STATE_KEY", "")


local = threading.local()


def query(sql, *args):
    # One connection per worker thread, kept: a new one per request would cost more than the query.
    if getattr(local, "connection", None) is None or local.connection.closed:
        local.connection = psycopg.connect(DATABASE_URL, autocommit=True)
    cursor = local.connection.execute(sql, args)
    return cursor.fetchall() if cursor.description else []


def faulty():
    if os.path.exists(os.path.join(STATE, "fault")):
        raise HTTPException(status_code=500, detail="injected fault")


def item(row):
    item_id, name, price, quantity = row
    return {"id": item_id, "name": name, "price": float(price), "stock": quantity, "served_at": time.time()}


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/api/products")
def products(limit: int = 10):
    faulty()
    rows = query("SELECT id, name, price, quantity FROM items ORDER BY id LIMIT %s", min(limit, 100))
    return {"products": [item(row) for row in rows], "served_at": time.time()}


@app.get("/api/products/{product_id}")
def one_product(product_id: int):
    faulty()
    rows = query("SELECT id, name, price, quantity FROM items WHERE id = %s", product_id)
    if not rows:
        raise HTTPException(status_code=404, detail="no such product")
    return item(rows[0])


class State(BaseModel):
    state: str
    params: dict = {}
    action: str = "setup"


@app.post("/_test/states")
def provider_state(body: State, x_test_key: str = Header(default="")):
    if not STATE_KEY or x_test_key != STATE_KEY:
        raise HTTPException(status_code=403, detail="provider states need the X-Test-Key")
    if body.action == "setup" and body.state.startswith("product ") and body.state.endswith(" exists"):
        product_id = int(body.params.get("id", body.state.split()[1]))
        query("INSERT INTO items (id, name, price, quantity) VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
              product_id, f"Product {product_id}", Decimal("9.99"), 5)
    return {}
