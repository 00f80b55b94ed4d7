#!/usr/bin/env bash
# Installs the Debian packages the daemon and its tests drive for real, when missing:
# socat (pty pairs for simulated serial devices), mosquitto (MQTT broker for tests),
# openssl (a throwaway PKI for the MQTT-over-TLS test), ffmpeg (camera and video
# decoding for the vision pipeline), chromium and a CJK font (the web pages' tests run
# in real Chromium, and the pages are in Chinese), postgresql (HQ's database: the HQ
# tests start a throwaway cluster of their own on a loopback port), systemd (the release
# tests check the service unit with systemd-analyze verify; nothing is started by it),
# pebble (an RFC 8555 ACME test CA with its challenge DNS: HTTPS certificates for the stores),
# prometheus (its promtool checks and unit-tests the alert rules in config/monitoring),
# strace (the durability test counts each sale's fsyncs on its system calls),
# patroni and etcd-server (HQ's failover drill runs PostgreSQL as a Patroni HA cluster on
# an etcd of its own; nothing is started as a service), GStreamer's RTSP server with its
# Python bindings and the plugins that packetise H.264/H.265 (the RTSP camera tests serve
# the sample clip as an IP camera does), faketime (the maintenance-window drill moves the
# store box's wall clock), zstd (delta updates: HQ makes them, the box applies them).
# With arguments, only those (npm start needs socat and ffmpeg). Fails loudly: a suite that
# needs them must not silently skip.
set -euo pipefail
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(mosquitto socat openssl ffmpeg chromium fonts-wqy-microhei postgresql systemd pebble prometheus strace patroni etcd-server gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad python3-gi faketime zstd)
need=()
for pkg in "${wanted[@]}"; do
  case "$pkg" in
    mosquitto) command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto) ;;
    fonts-* | gir1.2-* | gstreamer1.0-* | python3-gi) dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg") ;;
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql) ;;
    systemd) command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd) ;;
    prometheus) command -v promtool >/dev/null 2>&1 || need+=(prometheus) ;;
    etcd-server) command -v etcd >/dev/null 2>&1 || need+=(etcd-server) ;;
    *) command -v "$pkg" >/dev/null 2>&1 || need+=("$pkg") ;;
  esac
done
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: all present"
  exit 0
fi
echo "system-deps: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "system-deps: need root or sudo to install ${need[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts the packaged broker as a service on :1883; the tests start their own
# on free loopback ports, so stop it where a service manager runs one.
# The same for the packaged Prometheus (:9090): only its promtool is used, and etcd (:2379).
for svc in mosquitto prometheus prometheus-node-exporter etcd patroni; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
echo "system-deps: installed ${need[*]}"
