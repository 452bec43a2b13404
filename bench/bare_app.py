"""The floor of bench_read_path.py: bare Flask views doing the same work as the API's.

- ``GET /me``: verify the RS256 bearer token with PyJWT, run the same indexed SELECT as
  ``GET /api/trackers/me`` (the caller's page of trackers with its total) with psycopg on a
  connection per thread (autocommit), answer the same JSON shape.
- ``GET /health``: ``SELECT 1`` and one Redis pipeline reading the queue depth, answer JSON.

No unit of work, no repositories, no throttle, no audit or metrics hooks. Configured by the
environment: ``BARE_DATABASE_URL``, ``REDIS_URL``, ``JWT_PUBLIC_KEY``.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Any

import jwt
import psycopg
import redis
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, abort, jsonify, request

PAGE = """
SELECT id, url, game, platform, username, user_id, display_name, is_active, is_deleted,
       last_scraped_at, scraping_status, scraping_error, scraping_attempts, created_at,
       updated_at,
       (SELECT count(*) FROM trackers WHERE is_deleted = false AND user_id = %(user)s) AS total
FROM trackers
WHERE is_deleted = false AND user_id = %(user)s
ORDER BY created_at DESC NULLS LAST, id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
LANES = ("rq:queue:trackers:high", "rq:queue:trackers:default", "rq:queue:trackers:low")


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def create_bare_app() -> Flask:
    """The bare app (gunicorn: ``bare_app:create_bare_app()``)."""
    url = os.environ["BARE_DATABASE_URL"]
    key = load_pem_public_key(os.environ["JWT_PUBLIC_KEY"].encode())
    cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    local = threading.local()
    app = Flask("bare")

    def connection() -> psycopg.Connection[Any]:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(url, autocommit=True)
        return conn

    @app.get("/me")
    def me() -> Any:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            abort(401)
        try:
            claims = jwt.decode(header[7:], key, algorithms=["RS256"])  # type: ignore[arg-type]
        except jwt.PyJWTError:
            abort(401)
        limit = 20
        rows = connection().execute(PAGE, {"user": claims["sub"], "limit": limit, "offset": 0})
        data = []
        total = 0
        for row in rows.fetchall():
            total = row[15]
            data.append(
                {
                    "id": row[0],
                    "url": row[1],
                    "game": row[2],
                    "platform": row[3],
                    "username": row[4],
                    "userId": row[5],
                    "displayName": row[6],
                    "isActive": row[7],
                    "isDeleted": row[8],
                    "lastScrapedAt": _instant(row[9]),
                    "scrapingStatus": row[10],
                    "scrapingError": row[11],
                    "scrapingAttempts": row[12],
                    "createdAt": _instant(row[13]),
                    "updatedAt": _instant(row[14]),
                }
            )
        pages = -(-total // limit)
        return jsonify(
            {
                "data": data,
                "pagination": {"page": 1, "limit": limit, "total": total, "pages": pages},
            }
        )

    @app.get("/health")
    def health() -> Any:
        connection().execute("SELECT 1").fetchall()
        with cache.pipeline(transaction=False) as pipe:
            for lane in LANES:
                pipe.llen(lane)
                pipe.zcard(f"{lane}:scheduled")
            depth = sum(int(n) for n in pipe.execute())
        return jsonify({"status": "ok", "checks": {"database": "up", "queue": depth}})

    return app
