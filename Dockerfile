# Torekes as a container: runs the migrations, then serves on port 8000 as an unprivileged user.
# Set TOREKES_DATABASE_URL (PostgreSQL in production), TOREKES_SECRET_KEY and
# TOREKES_ENVIRONMENT=production; the default SQLite file lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TOREKES_DATABASE_URL=sqlite:////data/torekes.db

RUN useradd --create-home --uid 10001 torekes \
    && mkdir /data && chown torekes /data

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY torekes ./torekes
COPY migrations ./migrations
RUN pip install .

USER torekes
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]

CMD ["sh", "-c", "torekes migrate && exec torekes serve --host 0.0.0.0 --port 8000 --workers ${TOREKES_WORKERS:-2}"]
