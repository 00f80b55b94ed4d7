#!/usr/bin/python3
"""A real RTSP server for the camera tests: GStreamer's gst-rtsp-server (Debian's
gir1.2-gst-rtsp-server-1.0) on a loopback port, with digest authentication as IP cameras
use it, serving MPEG-TS files as RTP H.264 or H.265 at their own pace.

  rtsp-server.py PORT USER PASSWORD MOUNT=FILE:CODEC [MOUNT=FILE:CODEC ...]

Prints READY on stdout once it listens; runs until killed."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main() -> None:
    port, user, password, *mounts = sys.argv[1:]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)

    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    auth.add_digest(user, password, token)
    server.set_auth(auth)

    for spec in mounts:
        path, rest = spec.split("=", 1)
        location, codec = rest.rsplit(":", 1)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f"( filesrc location={location} ! tsdemux ! {codec}parse config-interval=-1"
            f" ! rtp{codec}pay name=pay0 pt=96 config-interval=-1 )"
        )
        factory.add_role_from_structure(
            Gst.Structure.from_string(
                "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )[0]
        )
        server.get_mount_points().add_factory(path, factory)

    if server.attach(None) == 0:
        sys.exit(f"rtsp-server: cannot listen on 127.0.0.1:{port}")
    print("READY", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
