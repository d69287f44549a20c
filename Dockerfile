# iclicker: twistd on a slim Python, as a non-root user, database on a volume.
FROM python:3.11-slim

RUN useradd --system --create-home --uid 10001 iclicker \
    && mkdir /data && chown iclicker:iclicker /data

# Install, then build Twisted's plugin cache now: the runtime user cannot
# write to site-packages.
COPY . /src
RUN pip install --no-cache-dir /src \
    && rm -rf /src \
    && python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"

USER iclicker
WORKDIR /data
VOLUME /data
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=10s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"

# The database and its secret live in /data (the working directory).
# --pidfile= because a pid file left in the volume by a killed container would
# make the next start refuse to run ("another twistd is running").
CMD ["twistd", "-n", "--pidfile=", "iclicker", "--port", "tcp:8080"]
