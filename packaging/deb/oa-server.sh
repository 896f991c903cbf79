#!/bin/sh
# oa-server from the package: settings from /etc/oa-server/*.env; run as root, the command
# switches to the oa-server user, so what it writes in /var/lib/oa-server stays the service's.
set -e
for f in /etc/oa-server/oa-server.env /etc/oa-server/secret.env; do
  if [ -r "$f" ]; then set -a; . "$f"; set +a; fi
done
if [ "$(id -u)" = 0 ] && id oa-server >/dev/null 2>&1; then
  exec runuser -u oa-server -- /opt/oa-server/oa-server "$@"
fi
exec /opt/oa-server/oa-server "$@"
