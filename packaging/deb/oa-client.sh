#!/bin/sh
# 政务协同办公客户端: the bundle in /opt/zhengwu-oa carries its own Python and Qt.
exec /opt/zhengwu-oa/oa-client "$@"
