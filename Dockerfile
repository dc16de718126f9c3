# Runde as a small image that runs as a non-root user.
#   docker build -t runde .
#   docker run -p 8000:8000 -v runde-data:/data runde                      # SQLite in /data
#   docker run -p 8000:8000 -e RUNDE_DATABASE_URL=postgresql://u:p@db/runde \
#              -e RUNDE_SECRET_KEY=... -e RUNDE_ENV=production runde          # PostgreSQL
# The first stage builds the wheel (migrations, templates, static files and catalogs inside);
# the image installs that wheel, not the checkout (scripts/wheel_check runs the same wheel).

FROM python:3.11-slim-bookworm AS wheel
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py constraints.txt README.md LICENSE ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -c constraints.txt build && python -m build --wheel --outdir /dist .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RUNDE_DATA_DIR=/data

# Fonts for the PDF export (Typst, a compiled wheel, reads them itself: no library needed):
# DejaVu Sans for the text, Noto Color Emoji for emoji. Without them Typst's embedded fonts are used.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --home-dir /srv/runde --shell /usr/sbin/nologin runde \
    && mkdir -p /data && chown runde /data

WORKDIR /srv/runde
COPY constraints.txt /tmp/runde/
COPY --from=wheel /dist/ /tmp/runde/
RUN pip install -c /tmp/runde/constraints.txt /tmp/runde/runde-*.whl && rm -rf /tmp/runde

USER runde
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["runde", "serve", "--host", "0.0.0.0", "--port", "8000"]
