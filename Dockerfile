# syntax=docker/dockerfile:1
# Build stage: install Markaz and its dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/markaz
# The dependencies from the lock (every version pinned, every file's hash checked), in a layer of their own
# that a change to the code alone does not rebuild.
COPY requirements/service.txt requirements/service.txt
RUN /opt/markaz/bin/pip install --require-hashes -r requirements/service.txt
COPY pyproject.toml README.md ./
COPY api api
COPY schema schema
COPY resolvers resolvers
COPY db db
COPY mobile_contract mobile_contract
RUN /opt/markaz/bin/pip install --no-deps .

# Runtime stage: the environment only, run as an unprivileged user.
FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/markaz --uid 10001 markaz
COPY --from=build /opt/markaz /opt/markaz
ENV PATH=/opt/markaz/bin:$PATH \
    MARKAZ_DATA_DIR=/var/lib/markaz \
    PYTHONUNBUFFERED=1
USER markaz
WORKDIR /var/lib/markaz
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["markaz", "serve", "--host", "0.0.0.0", "--port", "8000"]
