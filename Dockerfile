# The hub's image: `hub serve` by default; the same image runs `hub migrate` and the other operator commands.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Build from a throw-away copy of the sources: the installed package (with its migrations packed in as
# hub/_migrations) is all the image needs.
COPY pyproject.toml README.md /src/
COPY hub /src/hub
COPY migrations /src/migrations
RUN pip install /src \
    && rm -rf /src \
    && useradd --create-home --uid 10001 --user-group hub

USER hub
WORKDIR /home/hub
# Only used when DATABASE_URL is unset (the embedded server); docker-compose.yml sets DATABASE_URL.
ENV HUB_DATA_DIR=/home/hub/data

EXPOSE 8000
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
