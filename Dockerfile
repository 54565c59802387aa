# Torekes as a container: runs the migrations, then serves on port 8000 as an unprivileged user.
# It runs in production mode: set TOREKES_SECRET_KEY, TOREKES_PUBLIC_BASE_URL (https) and
# TOREKES_DATABASE_URL (PostgreSQL in production); the default SQLite file lives in the /data volume.
# The dependencies are installed from the hash-checked lock file.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TOREKES_ENVIRONMENT=production \
    TOREKES_DATABASE_URL=sqlite:////data/torekes.db

RUN useradd --create-home --uid 10001 torekes \
    && mkdir /data && chown torekes /data

WORKDIR /app
COPY requirements/run.txt ./requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md alembic.ini ./
COPY torekes ./torekes
COPY migrations ./migrations
RUN pip install --no-deps .

USER torekes
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]

CMD ["sh", "-c", "torekes migrate && exec torekes serve --host 0.0.0.0 --port 8000 --workers ${TOREKES_WORKERS:-2}"]
