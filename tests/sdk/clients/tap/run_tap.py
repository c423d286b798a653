"""Run tap-pipedrive unchanged against another server: its module constant BASE_URL is the
only thing rebound (as reference/real-clients.md says clients point it elsewhere); every
argument is the tap's own (``--config``, ``--discover``, ``--catalog``, ``--state``)."""

import sys

import tap_pipedrive.tap
from tap_pipedrive.cli import main

tap_pipedrive.tap.BASE_URL = sys.argv.pop(1)
main()
